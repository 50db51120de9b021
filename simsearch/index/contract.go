package index

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// Store is the vector-store contract: what ingest, eval, explore, the labelling loop,
// reports and the server need of a store of vectors with the items they stand for.
//
// Rows are numbered 0..Len()-1 in the order they were added. Scores follow the store's
// metric as Hit.Distance documents (squared L2 for l2, the inner product for ip, the
// cosine for cos). Add validates every vector (dimension, NaN/Inf) before storing any;
// Flush makes every acknowledged Add durable (an index directory saves itself; a
// database store has nothing left to do). Search with k larger than Len returns every
// row and an error wrapping ErrKTooLarge; an unknown id is ErrNoItem; a query of the
// wrong size is ErrDimension.
//
// *Index, a FAISS index kept in an index directory, is the embedded default; package
// simsearch/store/weaviate keeps the same contract on a Weaviate cluster, and
// internal/storetest runs one conformance suite against both.
type Store interface {
	Dim() int
	Metric() Metric
	Encoder() EncoderInfo
	Corpus() corpus.Spec
	Len() int
	Item(id int64) (Item, error)
	Items() []Item
	Vector(id int64) ([]float32, error)
	EachVector(fn func(id int64, v []float32) error) error
	Add(ctx context.Context, vectors []float32, items []Item, progress func(done, total int)) error
	Search(ctx context.Context, queries []float32, k int, opts SearchOptions) ([][]Hit, error)
	SearchByID(ctx context.Context, id int64, k int, excludeSelf bool, opts SearchOptions) ([]Hit, error)
	// Asset and SetAsset keep named blobs with the store, e.g. a text encoder's
	// vocabulary (ErrNoAsset when absent).
	Asset(name string) ([]byte, error)
	SetAsset(name string, data []byte) error
	Flush(ctx context.Context) error
	Close() error
}

var _ Store = (*Index)(nil)

// Flush saves the index to the directory it was opened from or last saved to (see
// Save); an index that has never been saved has nowhere to go and says so.
func (ix *Index) Flush(ctx context.Context) error {
	ix.mu.RLock()
	dir := ix.dir
	ix.mu.RUnlock()
	if dir == "" {
		return fmt.Errorf("flush: the index has no directory yet: Save it to one first")
	}
	return ix.Save(ctx, dir)
}

// ErrStoreScheme is returned for a store address whose scheme no store registered.
var ErrStoreScheme = errors.New("unknown store scheme")

// StoreOpener opens (create: creates, with cfg) the store at a parsed address.
type StoreOpener func(ctx context.Context, u *url.URL, create bool, cfg Config) (Store, error)

var (
	storesMu sync.RWMutex
	stores   = map[string]StoreOpener{}
)

// RegisterStore makes a store reachable by addresses of the given scheme
// ("weaviate://host:port/Collection"), the way image.RegisterFormat plugs decoders into
// package image: the store's package registers itself in its init, and a program that
// imports it can open such addresses with OpenStore.
func RegisterStore(scheme string, open StoreOpener) {
	storesMu.Lock()
	defer storesMu.Unlock()
	stores[strings.ToLower(scheme)] = open
}

// StoreSchemes lists the registered schemes.
func StoreSchemes() []string {
	storesMu.RLock()
	defer storesMu.RUnlock()
	out := make([]string, 0, len(stores))
	for s := range stores {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// IsStoreURL says whether addr names a store by scheme (SCHEME://...) rather than an
// index directory.
func IsStoreURL(addr string) bool {
	i := strings.Index(addr, "://")
	return i > 0 && !strings.ContainsAny(addr[:i], "/\\.")
}

// OpenStore opens the store at addr: a registered scheme's address, or an index
// directory (a FAISS index; create makes a new one there with cfg, which is validated).
// A directory store opened this way holds the writer's lock until Close.
func OpenStore(ctx context.Context, addr string, create bool, cfg Config) (Store, error) {
	if !IsStoreURL(addr) {
		if create {
			if err := cfg.Validate(); err != nil {
				return nil, err
			}
			if _, err := ReadManifest(addr); err == nil {
				return nil, fmt.Errorf("%w: %s already holds an index; choose a new or empty folder", ErrNotIndexDir, addr)
			}
			lk, err := Lock(addr, LockOptions{})
			if err != nil {
				return nil, err
			}
			ix, err := New(cfg)
			if err != nil {
				lk.Close()
				return nil, err
			}
			ix.lock = lk
			ix.dir = lk.dir
			return ix, nil
		}
		return OpenWriter(addr)
	}
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("store address %q: %w", addr, err)
	}
	storesMu.RLock()
	open, ok := stores[strings.ToLower(u.Scheme)]
	storesMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q in %q (known: %s; a program must import a store's package to use it)", ErrStoreScheme, u.Scheme, addr, strings.Join(StoreSchemes(), ", "))
	}
	return open(ctx, u, create, cfg)
}

// CheckVectors validates n·dim values (no NaN or ±Inf, a whole number of rows) for stores
// outside this package, and returns n.
func CheckVectors(v []float32, dim int) (int, error) { return checkVectors(v, dim) }

// Normalized returns a copy of v with each row of dim values scaled to unit length (rows
// of zeros stay zero), as cosine stores keep their vectors.
func Normalized(v []float32, dim int) []float32 { return normalized(v, dim) }

// AssetNames lists the index's assets, sorted.
func (ix *Index) AssetNames() []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]string, 0, len(ix.assets))
	for n := range ix.assets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
