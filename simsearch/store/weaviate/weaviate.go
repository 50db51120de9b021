// Package weaviate keeps corpushunt's vector-store contract (index.Store) on a Weaviate
// cluster, for corpora or users that outgrow one machine: Weaviate shards a collection
// across nodes, replicates it, and searches it with HNSW (or a flat index), while
// corpushunt's commands stay the same.
//
// A store is addressed as
//
//	weaviate://HOST:PORT/Collection?grpc=HOST:PORT
//
// where PORT is a node's HTTP port and grpc its gRPC port (default: the same host, port
// 50051). Importing this package registers the scheme with index.OpenStore. Options
// read on creation: shards (default: the number of nodes), replicas (default 1; at most
// the number of nodes), vectorindex (hnsw or flat), ef, efconstruction, maxconnections;
// at every open: write and read consistency levels (ONE, QUORUM, ALL; default QUORUM).
//
// The collection holds one object per row: its vector and the item's fields, under a
// UUID derived from the collection and the row number, so rows are numbered densely
// 0..Len()-1 as in an index directory and a retried write replaces rather than
// duplicates. A second class, CorpushuntStore, records each collection's manifest (the
// dimension, metric, encoder and corpus, as an index directory's manifest.json does, plus
// assets such as a text encoder's vocabulary), and a writer's lease: one writer per
// collection at a time, like an index directory's lock. A collection's tags live in the
// class TagClass(collection). These bookkeeping classes are replicated on every node (up
// to 3), so one node's death loses neither.
package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	wvgrpc "github.com/weaviate/weaviate-go-client/v5/weaviate/grpc"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Scheme is the address scheme this package registers.
const Scheme = "weaviate"

func init() {
	index.RegisterStore(Scheme, func(ctx context.Context, u *url.URL, create bool, cfg index.Config) (index.Store, error) {
		o, err := ParseURL(u.String())
		if err != nil {
			return nil, err
		}
		if create {
			return Create(ctx, o, cfg)
		}
		return Open(ctx, o)
	})
}

// Errors of this store, matchable with errors.Is (index's sentinels are used where they
// mean the same: ErrNoItem, ErrDimension, ErrKTooLarge, ErrBusy, ErrNotIndex).
var (
	ErrAddress = errors.New("bad weaviate store address")
	ErrExists  = errors.New("collection already exists")
)

// Options address a collection and say how to create and use it.
type Options struct {
	Host       string // HTTP host:port of any node
	GRPC       string // gRPC host:port of the same node
	Collection string // Weaviate class name: a capital letter, then letters, digits or _

	// Creation only.
	Shards         int    // 0: one per node
	Replicas       int    // 0: 1
	VectorIndex    string // "hnsw" (default) or "flat"
	Ef             int    // HNSW search list size (default 128)
	EfConstruction int    // default 128
	MaxConnections int    // default 32

	// Consistency levels of writes and reads: ONE, QUORUM (default) or ALL.
	Write, Read string
}

var classRE = regexp.MustCompile(`^[A-Z][A-Za-z0-9_]{0,200}$`)

// ParseURL reads weaviate://HOST:PORT/Collection?grpc=HOST:PORT&shards=3&replicas=2&...
func ParseURL(addr string) (Options, error) {
	u, err := url.Parse(addr)
	if err != nil {
		return Options{}, fmt.Errorf("%w %q: %v", ErrAddress, addr, err)
	}
	if u.Scheme != Scheme {
		return Options{}, fmt.Errorf("%w %q: the scheme must be %s://", ErrAddress, addr, Scheme)
	}
	o := Options{Host: u.Host, Collection: strings.Trim(u.Path, "/")}
	if o.Host == "" {
		return o, fmt.Errorf("%w %q: no HOST:PORT (weaviate://127.0.0.1:8080/Collection)", ErrAddress, addr)
	}
	if !classRE.MatchString(o.Collection) {
		return o, fmt.Errorf("%w %q: collection %q must start with a capital letter and hold only letters, digits and _", ErrAddress, addr, o.Collection)
	}
	q := u.Query()
	num := func(key string, dst *int, lo, hi int) error {
		s := q.Get(key)
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("%w %q: %s=%q: want a whole number %d..%d", ErrAddress, addr, key, s, lo, hi)
		}
		*dst = n
		return nil
	}
	for _, p := range []struct {
		key    string
		dst    *int
		lo, hi int
	}{{"shards", &o.Shards, 1, 1024}, {"replicas", &o.Replicas, 1, 16}, {"ef", &o.Ef, 1, 1 << 16},
		{"efconstruction", &o.EfConstruction, 4, 1 << 16}, {"maxconnections", &o.MaxConnections, 4, 2048}} {
		if err := num(p.key, p.dst, p.lo, p.hi); err != nil {
			return o, err
		}
	}
	o.GRPC = q.Get("grpc")
	if o.GRPC == "" {
		h, _, err := net.SplitHostPort(o.Host)
		if err != nil {
			h = o.Host
		}
		o.GRPC = net.JoinHostPort(h, "50051")
	}
	o.VectorIndex = strings.ToLower(q.Get("vectorindex"))
	if o.VectorIndex != "" && o.VectorIndex != "hnsw" && o.VectorIndex != "flat" {
		return o, fmt.Errorf("%w %q: vectorindex=%q: want hnsw or flat", ErrAddress, addr, o.VectorIndex)
	}
	for key, dst := range map[string]*string{"write": &o.Write, "read": &o.Read} {
		v := strings.ToUpper(q.Get(key))
		if v != "" && v != "ONE" && v != "QUORUM" && v != "ALL" {
			return o, fmt.Errorf("%w %q: %s=%q: want ONE, QUORUM or ALL", ErrAddress, addr, key, v)
		}
		*dst = v
	}
	for key := range q {
		switch key {
		case "grpc", "shards", "replicas", "vectorindex", "ef", "efconstruction", "maxconnections", "write", "read":
		default:
			return o, fmt.Errorf("%w %q: unknown option %q (grpc, shards, replicas, vectorindex, ef, efconstruction, maxconnections, write, read)", ErrAddress, addr, key)
		}
	}
	return o, nil
}

// URL is the address of o (its options included).
func (o Options) URL() string {
	q := url.Values{}
	q.Set("grpc", o.GRPC)
	if o.Write != "" {
		q.Set("write", o.Write)
	}
	if o.Read != "" {
		q.Set("read", o.Read)
	}
	return (&url.URL{Scheme: Scheme, Host: o.Host, Path: "/" + o.Collection, RawQuery: q.Encode()}).String()
}

// manifest is what the CorpushuntStore object of a collection records.
type manifest struct {
	Format      int               `json:"format"`
	Dim         int               `json:"dim"`
	Metric      index.Metric      `json:"metric"`
	Encoder     index.EncoderInfo `json:"encoder"`
	Corpus      corpus.Spec       `json:"corpus"`
	Assets      map[string][]byte `json:"assets,omitempty"`
	Created     time.Time         `json:"created"`
	Shards      int               `json:"shards"`
	Replicas    int               `json:"replicas"`
	VectorIndex string            `json:"vector_index"`
	Ef          int               `json:"ef"`
}

const (
	metaClass = "CorpushuntStore"
	// Batch is how many objects one write request carries.
	Batch = 1000
	// Lease is how long a writer's lease lasts without a write renewing it.
	Lease = 2 * time.Minute
)

var ns = uuid.MustParse("6f0a8d3e-5b1c-4c7a-9a57-0c9d3d1f2e11")

func rowUUID(collection string, row int64) string {
	return uuid.NewSHA1(ns, []byte(collection+"/"+strconv.FormatInt(row, 10))).String()
}

func metaUUID(collection, what string) string {
	return uuid.NewSHA1(ns, []byte(metaClass+"/"+collection+"/"+what)).String()
}

// Store is a collection of a Weaviate cluster kept to the index.Store contract.
type Store struct {
	o      Options
	c      *wv.Client
	wmu    sync.Mutex   // serialises writers: Add, Close (and the lease they hold)
	mu     sync.RWMutex // guards the fields below
	m      manifest
	items  []index.Item
	leased bool
	closed bool
}

var _ index.Store = (*Store)(nil)

func connect(ctx context.Context, o Options) (*wv.Client, error) {
	c, err := wv.NewClient(wv.Config{Host: o.Host, Scheme: "http", GrpcConfig: &wvgrpc.Config{Host: o.GRPC},
		StartupTimeout: 5 * time.Second, Timeout: 2 * time.Minute})
	if err != nil {
		return nil, fmt.Errorf("weaviate at %s (gRPC %s): %w", o.Host, o.GRPC, err)
	}
	if err := ensureClass(ctx, c, metaClass, []*models.Property{
		textProp("collection", true), textProp("manifest", false),
		textProp("holder", false), {Name: "expires", DataType: []string{"int"}},
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// bookkeepingReplicas is the replication factor of the classes this package keeps
// beside the collections (manifests, leases, tags): every node up to 3, so that a node's
// death loses neither a manifest nor a writer's lease.
func bookkeepingReplicas(ctx context.Context, c *wv.Client) (int64, error) {
	nodes, err := c.Cluster().NodesStatusGetter().Do(ctx)
	if err != nil {
		return 0, describe(err, "nodes")
	}
	return int64(min(max(len(nodes.Nodes), 1), 3)), nil
}

func textProp(name string, filterable bool) *models.Property {
	f, s := filterable, false
	return &models.Property{Name: name, DataType: []string{"text"}, IndexFilterable: &f, IndexSearchable: &s, Tokenization: "field"}
}

func ensureClass(ctx context.Context, c *wv.Client, name string, props []*models.Property) error {
	ok, err := c.Schema().ClassExistenceChecker().WithClassName(name).Do(ctx)
	if err != nil {
		return describe(err, "schema of "+name)
	}
	if ok {
		return nil
	}
	r, err := bookkeepingReplicas(ctx, c)
	if err != nil {
		return err
	}
	err = c.Schema().ClassCreator().WithClass(&models.Class{Class: name, Vectorizer: "none", Properties: props,
		VectorIndexType: "flat", ReplicationConfig: &models.ReplicationConfig{Factor: r, AsyncEnabled: r > 1}}).Do(ctx)
	if err != nil && !strings.Contains(strings.ToLower(describe(err, "").Error()), "already exists") {
		return describe(err, "create class "+name)
	}
	return nil
}

// describe turns a client error into one that says what Weaviate answered.
func describe(err error, what string) error {
	var we *fault.WeaviateClientError
	if errors.As(err, &we) {
		msg := fmt.Sprintf("status %d", we.StatusCode)
		if we.Msg != "" {
			msg += ": " + we.Msg
		}
		if we.DerivedFromError != nil {
			msg += ": " + we.DerivedFromError.Error()
		}
		if what == "" {
			return fmt.Errorf("weaviate: %s", msg)
		}
		return fmt.Errorf("weaviate: %s: %s", what, msg)
	}
	if what == "" {
		return fmt.Errorf("weaviate: %w", err)
	}
	return fmt.Errorf("weaviate: %s: %w", what, err)
}

func distanceOf(m index.Metric) string {
	switch m {
	case index.IP:
		return "dot"
	case index.Cosine:
		return "cosine"
	}
	return "l2-squared"
}

// Create makes a new collection for cfg (validated) and returns it open for writing.
// An existing collection is ErrExists: add to it with Open.
func Create(ctx context.Context, o Options, cfg index.Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c, err := connect(ctx, o)
	if err != nil {
		return nil, err
	}
	if _, err := readManifest(ctx, c, o); err == nil {
		return nil, fmt.Errorf("%w: %s holds a store; add to it instead, or choose another name", ErrExists, o.Collection)
	} else if !errors.Is(err, index.ErrNotIndex) {
		return nil, err
	}
	nodes, err := c.Cluster().NodesStatusGetter().Do(ctx)
	if err != nil {
		return nil, describe(err, "nodes")
	}
	n := len(nodes.Nodes)
	shards, replicas := o.Shards, o.Replicas
	if shards == 0 {
		shards = max(n, 1)
	}
	if replicas == 0 {
		replicas = 1
	}
	if replicas > n {
		return nil, fmt.Errorf("%w: %d replicas asked for, the cluster has %d nodes", ErrAddress, replicas, n)
	}
	vi := o.VectorIndex
	if vi == "" {
		vi = "hnsw"
	}
	ef, efc, maxc := or(o.Ef, 128), or(o.EfConstruction, 128), or(o.MaxConnections, 32)
	vic := map[string]any{"distance": distanceOf(cfg.Metric)}
	if vi == "hnsw" {
		vic["ef"], vic["efConstruction"], vic["maxConnections"] = ef, efc, maxc
	}
	f := true
	cls := &models.Class{
		Class:      o.Collection,
		Vectorizer: "none",
		Description: fmt.Sprintf("corpushunt store: %d-d %s vectors from %s (%s)", cfg.Dim, cfg.Metric,
			cfg.Encoder.Name, cfg.Corpus.Source),
		Properties: []*models.Property{{Name: "rowid", DataType: []string{"int"}, IndexFilterable: &f},
			textProp("ref", false), textProp("label", true), textProp("text", false), textProp("meta", false)},
		VectorIndexType:   vi,
		VectorIndexConfig: vic,
		ShardingConfig:    map[string]any{"desiredCount": shards},
		ReplicationConfig: &models.ReplicationConfig{Factor: int64(replicas), AsyncEnabled: replicas > 1},
	}
	if err := c.Schema().ClassCreator().WithClass(cls).Do(ctx); err != nil {
		return nil, describe(err, "create collection "+o.Collection)
	}
	s := &Store{o: o, c: c, m: manifest{Format: 1, Dim: cfg.Dim, Metric: cfg.Metric, Encoder: cfg.Encoder,
		Corpus: cfg.Corpus, Created: time.Now().UTC(), Shards: shards, Replicas: replicas, VectorIndex: vi, Ef: ef}}
	if err := s.writeManifest(ctx, true); err != nil {
		return nil, err
	}
	return s, nil
}

func or(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// Open opens an existing collection: its manifest and the items of its rows.
func Open(ctx context.Context, o Options) (*Store, error) {
	c, err := connect(ctx, o)
	if err != nil {
		return nil, err
	}
	m, err := readManifest(ctx, c, o)
	if err != nil {
		return nil, err
	}
	s := &Store{o: o, c: c, m: *m}
	if err := s.loadItems(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func readManifest(ctx context.Context, c *wv.Client, o Options) (*manifest, error) {
	objs, err := c.Data().ObjectsGetter().WithClassName(metaClass).WithID(metaUUID(o.Collection, "manifest")).
		WithConsistencyLevel(level(o.Read)).Do(ctx)
	if err != nil {
		var we *fault.WeaviateClientError
		if errors.As(err, &we) && we.StatusCode == 404 {
			return nil, fmt.Errorf("%w: weaviate at %s has no corpushunt store %q", index.ErrNotIndex, o.Host, o.Collection)
		}
		return nil, describe(err, "manifest of "+o.Collection)
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%w: weaviate at %s has no corpushunt store %q", index.ErrNotIndex, o.Host, o.Collection)
	}
	props, _ := objs[0].Properties.(map[string]any)
	raw, _ := props["manifest"].(string)
	var m manifest
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("%w: the manifest of weaviate collection %s: %v", index.ErrCorrupt, o.Collection, err)
	}
	if m.Format != 1 {
		return nil, fmt.Errorf("%w: weaviate collection %s has manifest format %d", index.ErrNewerFormat, o.Collection, m.Format)
	}
	if m.Dim < 1 {
		return nil, fmt.Errorf("%w: the manifest of weaviate collection %s: dimension %d", index.ErrCorrupt, o.Collection, m.Dim)
	}
	if _, err := index.ParseMetric(string(m.Metric)); err != nil {
		return nil, fmt.Errorf("%w: the manifest of weaviate collection %s: %v", index.ErrCorrupt, o.Collection, err)
	}
	return &m, nil
}

func level(l string) string {
	if l == "" {
		return "QUORUM"
	}
	return l
}

func (s *Store) writeManifest(ctx context.Context, create bool) error {
	b, err := json.Marshal(s.m)
	if err != nil {
		return err
	}
	props := map[string]any{"collection": s.o.Collection, "manifest": string(b)}
	id := metaUUID(s.o.Collection, "manifest")
	if create {
		_, err = s.c.Data().Creator().WithClassName(metaClass).WithID(id).WithProperties(props).
			WithConsistencyLevel(level(s.o.Write)).Do(ctx)
	} else {
		err = s.c.Data().Updater().WithClassName(metaClass).WithID(id).WithProperties(props).WithMerge().
			WithConsistencyLevel(level(s.o.Write)).Do(ctx)
	}
	if err != nil {
		return describe(err, "write the manifest of "+s.o.Collection)
	}
	return nil
}

// loadItems reads every row's item (a cursor over the collection) and keeps the dense
// prefix 0..n-1; rows past a gap (the tail of a write that failed) are left to be
// replaced by the next Add.
func (s *Store) loadItems(ctx context.Context) error {
	got := map[int64]index.Item{}
	err := scan(ctx, s.c, s.o.Collection, s.o.Read, 5000, nil, []string{"rowid", "ref", "label", "text", "meta"}, func(r graphql.SearchResult) error {
		row, it, err := itemOf(r.Properties)
		if err != nil {
			return fmt.Errorf("%w: weaviate collection %s, object %s: %v", index.ErrCorrupt, s.o.Collection, r.ID, err)
		}
		got[row] = it
		return nil
	})
	if err != nil {
		return err
	}
	items := make([]index.Item, 0, len(got))
	for i := int64(0); ; i++ {
		it, ok := got[i]
		if !ok {
			break
		}
		items = append(items, it)
	}
	if extra := len(got) - len(items); extra > 0 {
		fmt.Fprintf(os.Stderr, "weaviate store %s: %d rows past row %d are missing from the replicas read (an interrupted write, which the next add replaces, or replication catching up after a node's return); using rows 0..%d\n",
			s.o.Collection, extra, len(items), len(items)-1)
	}
	s.items = items
	return nil
}

func itemOf(p map[string]any) (int64, index.Item, error) {
	var row int64
	switch v := p["rowid"].(type) {
	case float64:
		row = int64(v)
	case int64:
		row = v
	case int:
		row = int64(v)
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			return 0, index.Item{}, fmt.Errorf("rowid %q", v)
		}
		row = n
	default:
		return 0, index.Item{}, fmt.Errorf("rowid missing or of type %T", p["rowid"])
	}
	if row < 0 {
		return 0, index.Item{}, fmt.Errorf("rowid %d", row)
	}
	str := func(k string) string { s, _ := p[k].(string); return s }
	it := index.Item{Ref: str("ref"), Label: str("label"), Text: str("text")}
	if m := str("meta"); m != "" {
		if err := json.Unmarshal([]byte(m), &it.Meta); err != nil {
			return 0, index.Item{}, fmt.Errorf("meta: %v", err)
		}
	}
	return row, it, nil
}

// Options returns the address the store was opened with.
func (s *Store) Options() Options { return s.o }

// Dim is the vector dimension.
func (s *Store) Dim() int { return s.m.Dim }

// Metric is the collection's metric.
func (s *Store) Metric() index.Metric { return s.m.Metric }

// Encoder is the encoder the collection's vectors came from.
func (s *Store) Encoder() index.EncoderInfo { return s.m.Encoder }

// Corpus says where the items came from.
func (s *Store) Corpus() corpus.Spec { return s.m.Corpus }

// Len is the number of rows.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.items)
}

// Describe is a one-line description: where, how many, how sharded.
func (s *Store) Describe() string {
	return fmt.Sprintf("weaviate collection %s at %s: %d × %d %s, %d shards × %d replicas, %s (ef %d)",
		s.o.Collection, s.o.Host, s.Len(), s.m.Dim, s.m.Metric, s.m.Shards, s.m.Replicas, s.m.VectorIndex, s.m.Ef)
}

// Item returns the item behind row id.
func (s *Store) Item(id int64) (index.Item, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if id < 0 || id >= int64(len(s.items)) {
		return index.Item{}, fmt.Errorf("%w: id %d outside 0..%d", index.ErrNoItem, id, len(s.items)-1)
	}
	return s.items[id], nil
}

// Items returns a copy of all items, by row.
func (s *Store) Items() []index.Item {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.items)
}

// Vector returns the stored vector of row id (unit length for cos).
func (s *Store) Vector(id int64) ([]float32, error) {
	if id < 0 || id >= int64(s.Len()) {
		return nil, fmt.Errorf("%w: id %d outside 0..%d", index.ErrNoItem, id, s.Len()-1)
	}
	objs, err := s.c.Data().ObjectsGetter().WithClassName(s.o.Collection).WithID(rowUUID(s.o.Collection, id)).
		WithVector().WithConsistencyLevel(level(s.o.Read)).Do(context.Background())
	if err != nil {
		return nil, describe(err, fmt.Sprintf("vector of row %d", id))
	}
	if len(objs) == 0 || len(objs[0].Vector) != s.m.Dim {
		return nil, fmt.Errorf("%w: weaviate collection %s row %d has no %d-d vector", index.ErrCorrupt, s.o.Collection, id, s.m.Dim)
	}
	return []float32(objs[0].Vector), nil
}

// EachVector calls fn for every row in row order (the vectors are read with a cursor,
// then handed out in order).
func (s *Store) EachVector(fn func(id int64, v []float32) error) error {
	n, d := s.Len(), s.m.Dim
	// gRPC answers are limited to 4 MB: pages of at most ~2 MB of vectors.
	page := min(max(2_000_000/(4*d+256), 10), 2000)
	all := make([]float32, n*d)
	seen := make([]bool, n)
	err := scan(context.Background(), s.c, s.o.Collection, s.o.Read, page, &graphql.Metadata{ID: true, Vector: true}, []string{"rowid"}, func(r graphql.SearchResult) error {
		row, _, err := itemOf(r.Properties)
		if err != nil {
			return fmt.Errorf("%w: weaviate collection %s, object %s: %v", index.ErrCorrupt, s.o.Collection, r.ID, err)
		}
		if row >= int64(n) {
			return nil
		}
		if len(r.Vector) != d {
			return fmt.Errorf("%w: weaviate collection %s row %d: %d-d vector, want %d", index.ErrCorrupt, s.o.Collection, row, len(r.Vector), d)
		}
		copy(all[row*int64(d):], r.Vector)
		seen[row] = true
		return nil
	})
	if err != nil {
		return err
	}
	for i := range n {
		if !seen[i] {
			return fmt.Errorf("%w: weaviate collection %s lost row %d", index.ErrCorrupt, s.o.Collection, i)
		}
		if err := fn(int64(i), all[i*d:(i+1)*d]); err != nil {
			return err
		}
	}
	return nil
}

// Placement says where the collection's shards live: for each node, the shard names it
// holds a replica of and their object counts (as the nodes report them, which lags
// writes by a little).
func (s *Store) Placement(ctx context.Context) (map[string]map[string]int64, error) {
	res, err := s.c.Cluster().NodesStatusGetter().WithClass(s.o.Collection).WithOutput("verbose").Do(ctx)
	if err != nil {
		return nil, describe(err, "nodes of "+s.o.Collection)
	}
	out := map[string]map[string]int64{}
	for _, n := range res.Nodes {
		for _, sh := range n.Shards {
			if sh.Class != s.o.Collection {
				continue
			}
			if out[n.Name] == nil {
				out[n.Name] = map[string]int64{}
			}
			out[n.Name][sh.Name] = sh.ObjectCount
		}
	}
	return out, nil
}

// Short is a few words on the store, for headers: "weaviate, 3 shards × 2 replicas".
func (s *Store) Short() string {
	return fmt.Sprintf("weaviate, %d shards × %d replicas", s.m.Shards, s.m.Replicas)
}

// scan reads every object of a class with a cursor, page objects at a time (with the
// given metadata, or only ids), and hands each to fn.
func scan(ctx context.Context, c *wv.Client, class, read string, page int, meta *graphql.Metadata, props []string, fn func(graphql.SearchResult) error) error {
	after := ""
	for {
		q := c.Experimental().Search().WithCollection(class).WithLimit(page).WithAfter(after).
			WithProperties(props...).WithConsistencyLevel(level(read))
		if meta != nil {
			q = q.WithMetadata(meta)
		}
		res, err := q.Do(ctx)
		if err != nil {
			return describe(err, "read "+class)
		}
		if len(res) == 0 {
			return nil
		}
		for _, r := range res {
			if err := fn(r); err != nil {
				return err
			}
		}
		after = res[len(res)-1].ID
	}
}
