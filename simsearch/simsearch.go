package simsearch

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/corpus/images"
	_ "github.com/corpushunt/corpushunt/simsearch/corpus/text"    // registers the text source
	_ "github.com/corpushunt/corpushunt/simsearch/corpus/vectors" // registers the vectors source
	"github.com/corpushunt/corpushunt/simsearch/display"
	"github.com/corpushunt/corpushunt/simsearch/eval"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
)

// Hit is one ranked neighbour (see index.Hit).
type Hit = index.Hit

// Option sets an option of the corpus source (see each source's documentation), e.g.
// Opt("text-column", "body"), Opt("labels", "folders"), Opt("skip-bad", "true").
type Option struct{ Name, Value string }

// Opt is a corpus option.
func Opt(name, value string) Option { return Option{name, value} }

// Open opens a corpus:
//
//   - a folder of images, or of .txt/.md documents ("text:" prefix not needed: a folder
//     holding images is images, one holding documents is text);
//   - a text, CSV, TSV or JSONL file (one item per line or row);
//   - a vectors file: .npy, .fvecs (CSV of numbers: "vectors:emb.csv");
//   - a dataset's registered name, e.g. "cifar10:train", "cifar10:test", "yelp" (the demo
//     datasets, found where corpushunt looks for data; import their packages,
//     datasets/cifar10 and datasets/yelp, for their names to be registered);
//   - a spec "source:root?option=value&...".
func Open(what string, opts ...Option) (corpus.Corpus, error) {
	sp, err := SpecOf(what)
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		if sp.Options == nil {
			sp.Options = map[string]string{}
		}
		sp.Options[o.Name] = o.Value
	}
	c, err := corpus.Open(sp)
	if err != nil {
		return nil, err
	}
	if c.Len() == 0 {
		return nil, fmt.Errorf("%s: %w", sp, corpus.ErrEmpty)
	}
	return c, nil
}

// SpecOf turns what Open accepts into a corpus spec.
func SpecOf(what string) (corpus.Spec, error) {
	if sp, ok, err := corpus.Named(what); ok {
		return sp, err
	}
	st, err := os.Stat(what)
	if err != nil {
		if src, _, ok := strings.Cut(what, ":"); ok && len(src) > 1 {
			return corpus.ParseSpec(what)
		}
		return corpus.Spec{}, fmt.Errorf("corpus %q: %w", what, err)
	}
	abs, _ := filepath.Abs(what)
	if st.IsDir() {
		if folderHoldsImages(abs) {
			return corpus.Spec{Source: "images", Root: abs}, nil
		}
		return corpus.Spec{Source: "text", Root: abs}, nil
	}
	switch strings.ToLower(filepath.Ext(what)) {
	case ".npy", ".fvecs":
		return corpus.Spec{Source: "vectors", Root: abs}, nil
	case ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp":
		return corpus.Spec{}, fmt.Errorf("corpus %q is one image: open the folder that holds it", what)
	}
	return corpus.Spec{Source: "text", Root: abs}, nil
}

// folderHoldsImages looks at up to 200 files for one with an image extension.
func folderHoldsImages(dir string) bool {
	seen := 0
	found := false
	stop := errors.New("stop")
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp":
			found = true
			return stop
		}
		if seen++; seen > 200 {
			return stop
		}
		return nil
	})
	return found
}

// BuildOptions configure Build. Zero values take the defaults.
type BuildOptions struct {
	Encoder EncoderOptions
	Metric  index.Metric // default l2 (pixels, vectors) or cos (bag of words, models)
	Factory string       // FAISS factory; default Flat below 10k items, else IVF≈4√n,Flat
	Limit   int          // index at most this many items
	// NoTune skips tuning nprobe (IVF indexes are tuned for recall@10 ≥ 0.95 by default).
	NoTune bool
	// Progress, if set, is called after every batch; in a notebook a progress bar is
	// shown when it is nil.
	Progress func(done, total int)
}

// Index is a saved index with its encoder and corpus: everything a search needs. Its
// vectors live in a store (index.Store): an index directory (FAISS), or a collection of
// a vector database such as Weaviate, addressed by URL.
type Index struct {
	index.Store
	Dir     string // the index directory, or the store's address
	Encoder ingest.Encoder
	Corpus  corpus.Corpus // nil when the corpus could not be opened (moved): SetRoot
}

// FAISS returns the FAISS index of an index directory, nil for other stores.
func (ix *Index) FAISS() *index.Index {
	fx, _ := ix.Store.(*index.Index)
	return fx
}

// Build encodes a corpus into an index and saves it in dir (a new or empty folder, or an
// index to replace).
func Build(ctx context.Context, c corpus.Corpus, dir string, o BuildOptions) (*Index, error) {
	lk, err := index.Lock(dir, index.LockOptions{})
	if err != nil {
		return nil, err
	}
	defer lk.Close()
	progress := o.Progress
	var bar *display.ProgressBar
	if progress == nil {
		bar = display.NewProgressBar("encode and index")
		progress = bar.Update
	}
	if o.Encoder.Progress == nil {
		o.Encoder.Progress = progress
	}
	enc, err := NewEncoder(ctx, c, o.Encoder)
	if err != nil {
		return nil, err
	}
	m := o.Metric
	if m == "" {
		m = index.L2
		if n := enc.Info().Name; n != "pixels" && n != ingest.VectorsName {
			m = index.Cosine
		}
	}
	ix, err := ingest.Build(ctx, c, enc, ingest.Options{Limit: o.Limit, Factory: o.Factory, Metric: m, Progress: progress})
	if bar != nil {
		bar.Done()
	}
	if err != nil {
		return nil, err
	}
	for name, b := range enc.Assets {
		if err := ix.SetAsset(name, b); err != nil {
			ix.Close()
			return nil, err
		}
	}
	if ix.NList() > 0 && !o.NoTune {
		if _, err := ix.Tune(ctx, index.TuneOptions{}); err != nil {
			ix.Close()
			return nil, err
		}
	}
	if err := ix.Save(ctx, dir); err != nil {
		ix.Close()
		return nil, err
	}
	return &Index{Store: ix, Dir: dir, Encoder: enc.Encoder, Corpus: c}, nil
}

// Load reopens a saved index with its encoder and corpus: an index directory, or a
// store's address such as weaviate://HOST:PORT/Collection (the store's package must be
// imported: simsearch/store/weaviate). A corpus that has moved since indexing is
// reported through Warn; re-point it with SetRoot.
func Load(dir string) (*Index, error) { return load(dir, index.Open) }

// LoadWriter is Load for a process that will change the index: it holds the folder's
// writer lock until Close (another writer gets index.ErrBusy).
func LoadWriter(dir string) (*Index, error) { return load(dir, index.OpenWriter) }

func load(dir string, open func(string) (*index.Index, error)) (*Index, error) {
	var ix index.Store
	var err error
	if index.IsStoreURL(dir) {
		ix, err = index.OpenStore(context.Background(), dir, false, index.Config{})
	} else {
		ix, err = open(dir)
	}
	if err != nil {
		return nil, err
	}
	enc, err := EncoderFor(ix)
	if err != nil {
		ix.Close()
		return nil, err
	}
	out := &Index{Store: ix, Dir: dir, Encoder: enc}
	if sp := ix.Corpus(); sp.Source != "" {
		if out.Corpus, err = corpus.Open(sp); err != nil {
			Warn(fmt.Errorf("the index's corpus %s: %w (moved? SetRoot)", sp, err))
		}
	}
	return out, nil
}

// SetRoot re-points the index's corpus at where the data lives now.
func (ix *Index) SetRoot(root string) error {
	fx := ix.FAISS()
	if fx == nil {
		return fmt.Errorf("set root: %s records its corpus where it was created; re-index to move it", ix.Dir)
	}
	fx.SetCorpusRoot(root)
	c, err := corpus.Open(fx.Corpus())
	if err != nil {
		return err
	}
	ix.Corpus = c
	return nil
}

// SearchItem finds the k items most like indexed item id (itself left out).
func (ix *Index) SearchItem(ctx context.Context, id int64, k int) ([]Hit, error) {
	return ix.SearchByID(ctx, id, k, true, index.SearchOptions{})
}

// SearchVector finds the k items nearest a vector of the index's dimension.
func (ix *Index) SearchVector(ctx context.Context, v []float32, k int) ([]Hit, error) {
	res, err := ix.Search(ctx, v, k, index.SearchOptions{})
	if res == nil {
		return nil, err
	}
	return res[0], err
}

// SearchImage finds the k items most like an image of any size (image indexes).
func (ix *Index) SearchImage(ctx context.Context, img image.Image, k int) ([]Hit, error) {
	iq, ok := ix.Encoder.(ingest.ImageQuerier)
	if !ok {
		return nil, fmt.Errorf("%w: the index's encoder %s takes no images", ingest.ErrKind, ix.Encoder.Info().Name)
	}
	v, err := iq.EncodeImages(ctx, []image.Image{img})
	if err != nil {
		return nil, err
	}
	return ix.SearchVector(ctx, v, k)
}

// SearchImageFile decodes an image file (any format and size) and searches by it.
func (ix *Index) SearchImageFile(ctx context.Context, path string, k int) ([]Hit, error) {
	img, err := images.DecodeFile(path)
	if err != nil {
		return nil, err
	}
	return ix.SearchImage(ctx, img, k)
}

// ErrUnknownWords is returned for a text query none of whose words the encoder knows:
// its neighbours would be arbitrary.
var ErrUnknownWords = errors.New("none of the query's words occur in the indexed corpus: its neighbours would be arbitrary")

// ErrEmptyQuery is returned for a text with nothing to encode.
var ErrEmptyQuery = errors.New("empty query: nothing to encode")

// EncodeText tokenises and encodes a text as the index's corpus was, returning its tokens.
func (ix *Index) EncodeText(ctx context.Context, text string) ([]float32, []string, error) {
	if !utf8.ValidString(text) {
		return nil, nil, fmt.Errorf("query text is not valid UTF-8")
	}
	tq, ok := ix.Encoder.(ingest.TextQuerier)
	if !ok {
		return nil, nil, fmt.Errorf("%w: the index's encoder %s takes no text", ingest.ErrKind, ix.Encoder.Info().Name)
	}
	toks := tq.Tokens(text)
	if len(toks) == 0 {
		return nil, nil, fmt.Errorf("%q: %w", text, ErrEmptyQuery)
	}
	if kn, ok := tq.(interface{ Known(string) bool }); ok && !slices.ContainsFunc(toks, kn.Known) {
		return nil, toks, fmt.Errorf("%q: %w", text, ErrUnknownWords)
	}
	v, err := ix.Encoder.Encode(ctx, []corpus.Record{{Text: text}})
	return v, toks, err
}

// SearchText finds the k items most like a text (text indexes).
func (ix *Index) SearchText(ctx context.Context, text string, k int) ([]Hit, error) {
	v, _, err := ix.EncodeText(ctx, text)
	if err != nil {
		return nil, err
	}
	return ix.SearchVector(ctx, v, k)
}

// View is what Show draws: a gallery for image indexes, a ranked list for texts, a table
// for vectors.
func (ix *Index) View(title string, query any, hits []Hit) (display.Shower, error) {
	switch q := query.(type) {
	case string:
		return display.TextList{Query: q, Hits: hits, Metric: ix.Metric()}, nil
	case int64:
		it, err := ix.Item(q)
		if err != nil {
			return nil, err
		}
		if it.Text != "" {
			return display.TextList{Query: it.Text, Hits: hits, Metric: ix.Metric()}, nil
		}
		if ix.Corpus != nil && ix.Corpus.Kind() == corpus.Image {
			rec, err := ix.Corpus.Resolve(it.Ref)
			if err != nil {
				return nil, err
			}
			return display.HitsGallery(title, rec.Image, it.Label, hits, ix.Metric(), ix.Corpus)
		}
	case image.Image:
		return display.HitsGallery(title, q, "", hits, ix.Metric(), ix.Corpus)
	}
	if ix.Corpus != nil && ix.Corpus.Kind() == corpus.Image {
		return display.HitsGallery(title, nil, "", hits, ix.Metric(), ix.Corpus)
	}
	if len(hits) > 0 && hits[0].Item.Text != "" {
		return display.TextList{Query: fmt.Sprint(query), Hits: hits, Metric: ix.Metric()}, nil
	}
	return display.HitTable(title, hits, ix.Metric()), nil
}

// Show displays hits in a notebook (and prints a summary elsewhere): query is what was
// searched for, an item id (int64), a text or an image.
func (ix *Index) Show(title string, query any, hits []Hit) error {
	v, err := ix.View(title, query, hits)
	if err != nil {
		return err
	}
	display.Show(v)
	return nil
}

// Eval scores the index by labels: precision@k of each query's hits sharing its label.
// queries is a labelled corpus of the index's kind; nil draws self random labelled
// indexed items instead, each left out of its own hits.
func (ix *Index) Eval(ctx context.Context, queries corpus.Corpus, self int, ks ...int) (*eval.Report, error) {
	if len(ks) == 0 {
		ks = []int{1, 10, 100}
	}
	if kmax := slices.Max(ks); kmax >= ix.Len() {
		return nil, fmt.Errorf("eval: k %d: the index holds %d items; precision@k needs k below that", kmax, ix.Len())
	}
	if queries == nil {
		return EvalSelf(ctx, ix.Store, self, 1, ks, index.SearchOptions{})
	}
	vecs, items, err := ingest.Encode(ctx, queries, ix.Encoder, 0, 512)
	if err != nil {
		return nil, err
	}
	labels := make([]string, len(items))
	for i, it := range items {
		if it.Label == "" {
			return nil, fmt.Errorf("eval: query %s has no label", it.Ref)
		}
		labels[i] = it.Label
	}
	var skip func(int, index.Hit) bool
	if queries.Kind() == corpus.Text {
		skip = func(i int, h index.Hit) bool { return h.Item.Text == items[i].Text }
	}
	hits, err := eval.SearchExcept(ctx, ix.Store, vecs, ix.Dim(), slices.Max(ks), index.SearchOptions{}, skip)
	if err != nil {
		return nil, err
	}
	return eval.Precision(labels, hits, ks)
}

// EvalSelf draws n labelled indexed items at random (seeded) and scores their hits, each
// item left out of its own.
func EvalSelf(ctx context.Context, ix index.Store, n int, seed uint64, ks []int, opts index.SearchOptions) (*eval.Report, error) {
	if n < 1 {
		return nil, fmt.Errorf("eval: %d self queries: want at least 1", n)
	}
	items := ix.Items()
	var labelled []int
	for i, it := range items {
		if it.Label != "" {
			labelled = append(labelled, i)
		}
	}
	if len(labelled) == 0 {
		return nil, fmt.Errorf("eval: the index has no labelled items")
	}
	if n > len(labelled) {
		Warn(fmt.Errorf("eval: %d self queries asked, the index has %d labelled items; using all", n, len(labelled)))
		n = len(labelled)
	}
	r := rand.New(rand.NewPCG(seed, 3))
	r.Shuffle(len(labelled), func(i, j int) { labelled[i], labelled[j] = labelled[j], labelled[i] })
	ids := labelled[:n]
	slices.Sort(ids)
	q := make([]float32, 0, n*ix.Dim())
	labels := make([]string, n)
	for i, id := range ids {
		v, err := ix.Vector(int64(id))
		if err != nil {
			return nil, err
		}
		q = append(q, v...)
		labels[i] = items[id].Label
	}
	hits, err := eval.SearchExcept(ctx, ix, q, ix.Dim(), slices.Max(ks), opts, func(i int, h index.Hit) bool { return h.ID == int64(ids[i]) })
	if err != nil {
		return nil, err
	}
	return eval.Precision(labels, hits, ks)
}

// ErrNotFAISS is returned for what only an index directory (FAISS) does, asked of
// another store.
var ErrNotFAISS = errors.New("only an index directory (FAISS) does this")

// Factory is an index directory's FAISS factory string ("" for other stores).
func (ix *Index) Factory() string {
	if fx := ix.FAISS(); fx != nil {
		return fx.Factory()
	}
	return ""
}

// NList is an IVF index's number of lists (0 for other indexes and stores).
func (ix *Index) NList() int {
	if fx := ix.FAISS(); fx != nil {
		return fx.NList()
	}
	return 0
}

// Nprobe is how many IVF lists a search visits (0 for other indexes and stores).
func (ix *Index) Nprobe() int {
	if fx := ix.FAISS(); fx != nil {
		return fx.Nprobe()
	}
	return 0
}

// Tuning is the last nprobe tuning table of an IVF index (nil otherwise).
func (ix *Index) Tuning() []index.TunePoint {
	if fx := ix.FAISS(); fx != nil {
		return fx.Tuning()
	}
	return nil
}

// Tune measures recall and speed per nprobe of an IVF index and keeps the best (see
// index.Index.Tune); other stores tune themselves (ErrNotFAISS).
func (ix *Index) Tune(ctx context.Context, o index.TuneOptions) (*index.TuneResult, error) {
	fx := ix.FAISS()
	if fx == nil {
		return nil, fmt.Errorf("tune %s: %w", ix.Dir, ErrNotFAISS)
	}
	return fx.Tune(ctx, o)
}
