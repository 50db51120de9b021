package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	faiss "github.com/DataIntelligenceCrew/go-faiss"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// Item is what a row of the index stands for: an item of the corpus it was built from.
type Item struct {
	// Ref locates the item's payload relative to the corpus root (see package corpus):
	// "cats/001.png", "tickets.csv:12", "app.log:42".
	Ref   string            `json:"ref"`
	Label string            `json:"label,omitempty"` // "" when unlabelled
	Text  string            `json:"text,omitempty"`  // the text, for text corpora
	Meta  map[string]string `json:"meta,omitempty"`  // other fields of the item
}

// UnmarshalJSON also reads the items of format-1 indexes, whose label was a number
// beside a label_name, with dataset and split fields.
func (it *Item) UnmarshalJSON(b []byte) error {
	var raw struct {
		Ref       string            `json:"ref"`
		Label     json.RawMessage   `json:"label"`
		LabelName string            `json:"label_name"`
		Text      string            `json:"text"`
		Meta      map[string]string `json:"meta"`
		Dataset   string            `json:"dataset"`
		Split     string            `json:"split"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*it = Item{Ref: raw.Ref, Text: raw.Text, Meta: raw.Meta}
	if len(raw.Label) > 0 && raw.Label[0] == '"' {
		if err := json.Unmarshal(raw.Label, &it.Label); err != nil {
			return fmt.Errorf("label: %w", err)
		}
	} else {
		it.Label = raw.LabelName // format 1: a number and its name
	}
	for k, v := range map[string]string{"dataset": raw.Dataset, "split": raw.Split} {
		if v != "" {
			if it.Meta == nil {
				it.Meta = map[string]string{}
			}
			it.Meta[k] = v
		}
	}
	return nil
}

// EncoderInfo records which encoder produced the vectors, so queries can be encoded the
// same way.
type EncoderInfo struct {
	Name    string `json:"name"`              // e.g. "pixels" or "autoencoder"
	Version string `json:"version,omitempty"` // bumps when its output changes
	Model   string `json:"model,omitempty"`   // model directory, for learned encoders
	// Checksum identifies a learned model's weights (SHA-256 of its checkpoint), so an
	// index refuses vectors from another version of the model.
	Checksum string            `json:"checksum,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
}

// Config describes a new index.
type Config struct {
	Dim     int         // vector dimension (required)
	Metric  Metric      // default L2
	Factory string      // FAISS factory string; default "Flat" (see DefaultFactory)
	Encoder EncoderInfo // recorded in the manifest
	// Corpus says where the items came from (recorded in the manifest), so their
	// payloads can be found again for galleries and lists.
	Corpus corpus.Spec
}

// Validate checks the configuration and fills defaults.
func (c *Config) Validate() error {
	if c.Dim < 1 {
		return fmt.Errorf("%w: dimension %d < 1", ErrDimension, c.Dim)
	}
	if c.Metric == "" {
		c.Metric = L2
	}
	if _, err := ParseMetric(string(c.Metric)); err != nil {
		return err
	}
	if strings.TrimSpace(c.Factory) == "" {
		c.Factory = "Flat"
	}
	return nil
}

// Hit is one ranked neighbour.
type Hit struct {
	Rank     int     `json:"rank"`     // 1-based
	ID       int64   `json:"id"`       // row in the index
	Distance float32 `json:"distance"` // the metric's score: for ip and cos larger is closer
	Item     Item    `json:"item"`
}

// Index is a FAISS index with the items and vectors behind its rows.
type Index struct {
	mu      sync.RWMutex
	fx      *faiss.IndexImpl
	ps      *faiss.ParameterSpace
	cfg     Config
	nlist   int
	nprobe  int
	items   []Item
	vectors store
	tuning  []TunePoint
	created time.Time
	gen     int    // generation of the files on disk (0: never saved)
	dir     string // absolute folder it was opened from or last saved to
	assets  map[string][]byte
	lock    *DirLock // held by OpenWriter until Close
}

// New creates an empty index.
func New(cfg Config) (*Index, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	fx, err := faiss.IndexFactory(cfg.Dim, cfg.Factory, cfg.Metric.faiss())
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrFactory, cfg.Factory, err)
	}
	ix := &Index{fx: fx, cfg: cfg, nlist: nlistOf(cfg.Factory), created: time.Now().UTC()}
	if err := ix.initParams(); err != nil {
		fx.Delete()
		return nil, err
	}
	ix.vectors.dim = cfg.Dim
	return ix, nil
}

func (ix *Index) initParams() error {
	if ix.nlist == 0 {
		return nil
	}
	ps, err := faiss.NewParameterSpace()
	if err != nil {
		return fmt.Errorf("faiss parameter space: %v", err)
	}
	ix.ps = ps
	if ix.nprobe == 0 {
		ix.nprobe = 1
	}
	return ix.applyNprobe(ix.nprobe)
}

func (ix *Index) applyNprobe(p int) error {
	if ix.ps == nil {
		return nil
	}
	if err := ix.ps.SetIndexParameter(ix.fx, "nprobe", float64(p)); err != nil {
		return fmt.Errorf("set nprobe %d: %v", p, err)
	}
	return nil
}

// Close frees the FAISS index and unmaps the vectors. The Index is unusable afterwards.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.fx != nil {
		ix.fx.Delete()
		ix.fx = nil
	}
	if ix.ps != nil {
		ix.ps.Delete()
		ix.ps = nil
	}
	ix.lock.Close()
	ix.lock = nil
	return ix.vectors.close()
}

// Dim is the vector dimension.
func (ix *Index) Dim() int { return ix.cfg.Dim }

// Metric is the index metric.
func (ix *Index) Metric() Metric { return ix.cfg.Metric }

// Factory is the FAISS factory string.
func (ix *Index) Factory() string { return ix.cfg.Factory }

// Corpus is the spec of the corpus the items came from (Source "" when unknown).
func (ix *Index) Corpus() corpus.Spec {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.cfg.Corpus
}

// SetCorpusRoot re-points the corpus root (when the data has moved since indexing);
// items' references are relative to it. Saved with the next Save.
func (ix *Index) SetCorpusRoot(root string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.cfg.Corpus.Root = root
}

// Encoder describes the encoder that produced the vectors.
func (ix *Index) Encoder() EncoderInfo { return ix.cfg.Encoder }

// NList is the number of IVF lists, 0 for non-IVF indexes.
func (ix *Index) NList() int { return ix.nlist }

// Len is the number of vectors in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.items)
}

// IsTrained reports whether the index can take vectors.
func (ix *Index) IsTrained() bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.fx.IsTrained()
}

// Nprobe is the number of IVF lists visited per query (0 for non-IVF indexes).
func (ix *Index) Nprobe() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.nprobe
}

// SetNprobe sets the default nprobe, 1..NList.
func (ix *Index) SetNprobe(p int) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.nlist == 0 {
		return fmt.Errorf("nprobe applies to IVF indexes only (factory %q)", ix.cfg.Factory)
	}
	if p < 1 || p > ix.nlist {
		return fmt.Errorf("nprobe %d outside 1..%d", p, ix.nlist)
	}
	if err := ix.applyNprobe(p); err != nil {
		return err
	}
	ix.nprobe = p
	return nil
}

// Item returns the item behind row id.
func (ix *Index) Item(id int64) (Item, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if id < 0 || id >= int64(len(ix.items)) {
		return Item{}, fmt.Errorf("%w: id %d outside 0..%d", ErrNoItem, id, len(ix.items)-1)
	}
	return ix.items[id], nil
}

// Items returns a copy of all items, by row id.
func (ix *Index) Items() []Item {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return slices.Clone(ix.items)
}

// Vector returns a copy of the stored vector of row id (normalised for Cosine).
func (ix *Index) Vector(id int64) ([]float32, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if id < 0 || id >= int64(len(ix.items)) {
		return nil, fmt.Errorf("%w: id %d outside 0..%d", ErrNoItem, id, len(ix.items)-1)
	}
	return slices.Clone(ix.vectors.row(int(id))), nil
}

// Tuning returns the last tuning table (nil if never tuned).
func (ix *Index) Tuning() []TunePoint {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return slices.Clone(ix.tuning)
}

// prepare checks vectors and returns what goes to FAISS (normalised for Cosine: the one
// copy made on the way in).
func (ix *Index) prepare(v []float32) ([]float32, int, error) {
	n, err := checkVectors(v, ix.cfg.Dim)
	if err != nil {
		return nil, 0, err
	}
	if ix.cfg.Metric == Cosine {
		v = normalized(v, ix.cfg.Dim)
	}
	return v, n, nil
}

// Train trains the index (IVF centroids) on vectors; a no-op for indexes that need no
// training. FAISS wants at least 39·nlist training vectors for good centroids; fewer than
// nlist is an error.
func (ix *Index) Train(ctx context.Context, vectors []float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v, n, err := ix.prepare(vectors)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.fx.IsTrained() {
		return nil
	}
	if ix.nlist > 0 && n < ix.nlist {
		return fmt.Errorf("train %s: %d vectors, need at least nlist=%d", ix.cfg.Factory, n, ix.nlist)
	}
	if err := ix.fx.Train(v); err != nil {
		return fmt.Errorf("train %s: %v", ix.cfg.Factory, err)
	}
	return nil
}

// Reserve makes room for n more vectors in the index's vector store, so adding a corpus
// of known size does not repeatedly regrow (and page-fault) a large buffer.
func (ix *Index) Reserve(n int) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.vectors.extra = slices.Grow(ix.vectors.extra, n*ix.cfg.Dim)
}

// AddBatch is how many vectors Add hands to FAISS at a time (between cancellation checks
// and progress reports).
const AddBatch = 8192

// Add appends vectors (n·Dim values) with one item per vector. Rows get ids Len()..Len()+n-1.
// If ctx is cancelled part way, the rows added so far stay, consistent with their items,
// and ctx.Err() is returned. progress (may be nil) is called after each batch.
func (ix *Index) Add(ctx context.Context, vectors []float32, items []Item, progress func(done, total int)) error {
	v, n, err := ix.prepare(vectors)
	if err != nil {
		return err
	}
	if len(items) != n {
		return fmt.Errorf("add: %d vectors but %d items", n, len(items))
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.fx.IsTrained() {
		return fmt.Errorf("add: %w (%s): call Train first", ErrNotTrained, ix.cfg.Factory)
	}
	d := ix.cfg.Dim
	for start := 0; start < n; start += AddBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+AddBatch, n)
		chunk := v[start*d : end*d]
		if err := ix.fx.Add(chunk); err != nil {
			return fmt.Errorf("add rows %d..%d: %v", len(ix.items), len(ix.items)+end-start-1, err)
		}
		ix.vectors.append(chunk)
		ix.items = append(ix.items, items[start:end]...)
		if progress != nil {
			progress(end, n)
		}
	}
	return nil
}

// Build creates an index, trains it (on at most trainMax vectors, sampled) and adds all
// vectors. trainMax ≤ 0 means 256 per IVF list.
func Build(ctx context.Context, cfg Config, vectors []float32, items []Item, progress func(done, total int)) (*Index, error) {
	ix, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := ix.Train(ctx, trainingSample(vectors, cfg.Dim, 256*ix.nlist, 1)); err != nil {
		ix.Close()
		return nil, err
	}
	if err := ix.Add(ctx, vectors, items, progress); err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}

// trainingSample returns at most max rows of v chosen at random (all of v when max ≤ 0
// or v is smaller).
func trainingSample(v []float32, dim, max int, seed uint64) []float32 {
	n := len(v) / dim
	if max <= 0 || n <= max {
		return v
	}
	r := rand.New(rand.NewPCG(seed, 0))
	perm := r.Perm(n)[:max]
	slices.Sort(perm)
	out := make([]float32, 0, max*dim)
	for _, i := range perm {
		out = append(out, v[i*dim:(i+1)*dim]...)
	}
	return out
}

// SearchOptions adjust one search.
type SearchOptions struct {
	Nprobe int // IVF lists to visit; 0 uses the index's nprobe
}

// Search returns the k nearest rows for each query (queries holds q·Dim values). When k
// exceeds Len(), every row is returned and the error wraps ErrKTooLarge: the results are
// still valid.
func (ix *Index) Search(ctx context.Context, queries []float32, k int, opts SearchOptions) ([][]Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, fmt.Errorf("%w (got %d)", ErrBadK, k)
	}
	q, nq, err := ix.prepare(queries)
	if err != nil {
		if err == ErrEmpty {
			return nil, fmt.Errorf("search: %w: empty query", ErrEmpty)
		}
		return nil, fmt.Errorf("search: %w", err)
	}
	var warn error
	if opts.Nprobe != 0 && opts.Nprobe != ix.Nprobe() {
		// A different nprobe changes index state: exclusive.
		ix.mu.Lock()
		defer ix.mu.Unlock()
		if ix.nlist == 0 {
			return nil, fmt.Errorf("search: nprobe applies to IVF indexes only (factory %q)", ix.cfg.Factory)
		}
		if opts.Nprobe < 1 || opts.Nprobe > ix.nlist {
			return nil, fmt.Errorf("search: nprobe %d outside 1..%d", opts.Nprobe, ix.nlist)
		}
		if err := ix.applyNprobe(opts.Nprobe); err != nil {
			return nil, err
		}
		defer ix.applyNprobe(ix.nprobe)
	} else {
		ix.mu.RLock()
		defer ix.mu.RUnlock()
	}
	total := len(ix.items)
	if total == 0 {
		return nil, fmt.Errorf("search: %w in the index", ErrEmpty)
	}
	if k > total {
		warn = fmt.Errorf("%w: asked for %d neighbours, the index holds %d; returning %d", ErrKTooLarge, k, total, total)
		k = total
	}
	dist, labels, err := ix.fx.Search(q, int64(k))
	if err != nil {
		return nil, fmt.Errorf("search: %v", err)
	}
	out := make([][]Hit, nq)
	for i := range nq {
		hits := make([]Hit, 0, k)
		for j := range k {
			id := labels[i*k+j]
			if id < 0 { // fewer than k found in the probed lists
				continue
			}
			hits = append(hits, Hit{Rank: len(hits) + 1, ID: id, Distance: dist[i*k+j], Item: ix.items[id]})
		}
		out[i] = hits
	}
	return out, warn
}

// SearchByID uses the stored vector of row id as the query ("find me more like this").
// With excludeSelf the item itself is left out of the k results.
func (ix *Index) SearchByID(ctx context.Context, id int64, k int, excludeSelf bool, opts SearchOptions) ([]Hit, error) {
	return SearchByVectorOf(ctx, ix, id, k, excludeSelf, opts)
}

// SearchByVectorOf is SearchByID for any store: it searches s by the stored vector of
// row id, asking for one more hit when the item itself is to be left out.
func SearchByVectorOf(ctx context.Context, s Store, id int64, k int, excludeSelf bool, opts SearchOptions) ([]Hit, error) {
	if k < 1 {
		return nil, fmt.Errorf("%w (got %d)", ErrBadK, k)
	}
	q, err := s.Vector(id)
	if err != nil {
		return nil, err
	}
	kk := k
	if excludeSelf {
		kk++
	}
	res, err := s.Search(ctx, q, kk, opts)
	if res == nil {
		return nil, err
	}
	hits := res[0]
	if excludeSelf {
		out := hits[:0]
		for _, h := range hits {
			if h.ID != id {
				out = append(out, h)
			}
		}
		hits = out[:min(len(out), k)]
		for i := range hits {
			hits[i].Rank = i + 1
		}
		if errors.Is(err, ErrKTooLarge) && len(hits) == k {
			err = nil // only the extra row for self pushed k past the size
		}
	}
	return hits, err
}

// Rebuild makes a new index from this one's stored vectors and items: same dimension,
// metric, encoder, corpus and assets, with the given FAISS factory ("" for the same one),
// trained anew (an IVF quantizer retrained on the vectors as they are now) and, for IVF,
// tuned. The receiver is unchanged and keeps serving; save the result to commit it.
func (ix *Index) Rebuild(ctx context.Context, factory string, progress func(done, total int)) (*Index, error) {
	ix.mu.RLock()
	cfg := ix.cfg
	n := len(ix.items)
	items := slices.Clone(ix.items)
	v := make([]float32, 0, n*cfg.Dim)
	ix.vectors.each(func(c []float32) error { v = append(v, c...); return nil })
	assets := make(map[string][]byte, len(ix.assets))
	for k, b := range ix.assets {
		assets[k] = b
	}
	created, gen, dir := ix.created, ix.gen, ix.dir
	ix.mu.RUnlock()
	if factory != "" {
		cfg.Factory = factory
	}
	out, err := Build(ctx, cfg, v, items, progress)
	if err != nil {
		return nil, err
	}
	out.assets, out.created = assets, created
	// The new index replaces this one where it lives: same generation lineage.
	out.gen, out.dir = gen, dir
	if out.nlist > 0 {
		if _, err := out.Tune(ctx, TuneOptions{}); err != nil {
			out.Close()
			return nil, err
		}
	}
	return out, nil
}

// EachVector calls fn with every stored vector in row order (normalised for Cosine). The
// slice is the index's own storage: read it, do not keep or change it.
func (ix *Index) EachVector(fn func(id int64, v []float32) error) error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	d := ix.cfg.Dim
	var id int64
	return ix.vectors.each(func(chunk []float32) error {
		for off := 0; off+d <= len(chunk); off += d {
			if err := fn(id, chunk[off:off+d]); err != nil {
				return err
			}
			id++
		}
		return nil
	})
}
