package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/datasets/yelp"
	"github.com/corpushunt/corpushunt/simsearch"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/corpus/images"
	"github.com/corpushunt/corpushunt/simsearch/eval"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
)

func init() {
	register("index", "encode a corpus (images, texts, vectors, a demo dataset) into a FAISS index directory", cmdIndex)
	register("add", "encode more items and add them to an existing index", cmdAdd)
	register("query", "search an index by item id, image file, text or vector", cmdQuery)
	register("tune", "measure recall/QPS per nprobe and store the best nprobe", cmdTune)
	register("eval", "precision@k by label: how often neighbours share the query's label", cmdEval)
}

func cmdIndex(ctx context.Context, args []string) error {
	fs := newFlags("index", "index (--images DIR | --text FILE | --vectors FILE | --dataset cifar10|yelp) [--encoder NAME|MODELDIR] --out DIR [flags]")
	cf := addCorpusFlags(fs, "")
	ef := addEncoderFlags(fs)
	limit := fs.Int("limit", 0, "index at most N items (0: all)")
	factory := fs.String("factory", "", "FAISS factory string (default: Flat below 10k vectors, else IVF≈4√n,Flat)")
	metric := fs.String("metric", "l2", "l2, ip or cos")
	batch := fs.Int("batch", 256, "items encoded per batch")
	tune := fs.Bool("tune", false, "tune nprobe (IVF) right after building")
	out := fs.String("out", "", "index directory to write (required, or --store): new, empty, or an index to replace")
	store := fs.String("store", "", storeUsage+"; the collection is created")
	into := fs.Bool("into-existing", false, "allow --out to be a folder that holds other files (they are never touched)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *store == "" {
		if err := required(fs, "out"); err != nil {
			return err
		}
	} else if *out != "" {
		return fmt.Errorf("give --out DIR or --store URL, not both")
	} else if !index.IsStoreURL(*store) {
		return fmt.Errorf("--store %q: want an address such as weaviate://127.0.0.1:8080/Collection?grpc=127.0.0.1:50051", *store)
	}
	if *limit < 0 || *batch < 1 {
		return fmt.Errorf("--limit %d, --batch %d: want limit ≥ 0 and batch ≥ 1", *limit, *batch)
	}
	m, err := index.ParseMetric(*metric)
	if err != nil {
		return err
	}
	sp, err := cf.get("train")
	if err != nil {
		return err
	}
	if *store != "" {
		return indexIntoStore(ctx, *store, sp, ef, m, *limit, *batch)
	}
	// The writer's lock first: a busy or unsuitable folder is refused before any work.
	lk, err := index.Lock(*out, index.LockOptions{AllowNonEmpty: *into})
	if err != nil {
		if errors.Is(err, index.ErrNotIndexDir) {
			return fmt.Errorf("--out: %w (--into-existing)", err)
		}
		return fmt.Errorf("--out: %w", err)
	}
	defer lk.Close()
	c, err := openCorpus(sp)
	if err != nil {
		return err
	}
	b, err := newEncoder(ctx, ef, c)
	if err != nil {
		return err
	}
	n := c.Len()
	if *limit > 0 && *limit < n {
		n = *limit
	}
	update, finish := newBar(n, "encode+index", "item")
	t0 := time.Now()
	var stats ingest.Stats
	ix, err := ingest.Build(ctx, c, b, ingest.Options{Limit: *limit, BatchSize: *batch, Factory: *factory, Metric: m, Progress: update, Stats: &stats})
	finish()
	if err != nil {
		return err
	}
	defer ix.Close()
	reportSkipped(c)
	for name, data := range b.Assets {
		if err := ix.SetAsset(name, data); err != nil {
			return err
		}
	}
	if stats.Items > 0 && stats.ItemsPerSec > 0 {
		note("encoder %s: %.0f items/s steady state (first batch %.2fs, including any compilation)", ix.Encoder().Name, stats.ItemsPerSec, stats.FirstBatch.Seconds())
	}
	note("built %s (%s, dim %d) over %d items in %.1fs", ix.Factory(), ix.Metric(), ix.Dim(), ix.Len(), time.Since(t0).Seconds())
	return saveIndex(ctx, ix, *out, *tune)
}

// indexIntoStore encodes a corpus into a new collection of a vector store.
func indexIntoStore(ctx context.Context, addr string, sp corpus.Spec, ef *encoderFlags, m index.Metric, limit, batch int) error {
	c, err := openCorpus(sp)
	if err != nil {
		return err
	}
	b, err := newEncoder(ctx, ef, c)
	if err != nil {
		return err
	}
	s, err := index.OpenStore(ctx, addr, true, index.Config{Dim: b.Dim(), Metric: m, Factory: "Flat", Encoder: b.Info(), Corpus: c.Spec()})
	if err != nil {
		return err
	}
	defer s.Close()
	for name, data := range b.Assets {
		if err := s.SetAsset(name, data); err != nil {
			return err
		}
	}
	n := c.Len()
	if limit > 0 && limit < n {
		n = limit
	}
	update, finish := newBar(n, "encode+store", "item")
	t0 := time.Now()
	err = ingest.Add(ctx, s, c, b, ingest.Options{Limit: limit, BatchSize: batch, Progress: update})
	finish()
	if err != nil {
		return err
	}
	reportSkipped(c)
	if err := s.Flush(ctx); err != nil {
		return err
	}
	fmt.Printf("stored %d items in %s (%s, dim %d, encoder %s) in %.1fs\n", s.Len(), describeIndex(s), s.Metric(), s.Dim(), s.Encoder().Name, time.Since(t0).Seconds())
	return nil
}

// saveIndex optionally tunes, then saves an index and says so.
func saveIndex(ctx context.Context, ix *index.Index, out string, tune bool) error {
	if tune && ix.NList() > 0 {
		res, err := ix.Tune(ctx, index.TuneOptions{})
		if err != nil {
			return err
		}
		printTune(res)
	}
	if err := ix.Save(ctx, out); err != nil {
		return err
	}
	fmt.Printf("index saved to %s (%d items, %s, %s, encoder %s)\n", out, ix.Len(), ix.Factory(), ix.Metric(), ix.Encoder().Name)
	return nil
}

func cmdAdd(ctx context.Context, args []string) error {
	fs := newFlags("add", "add --index DIR (--images DIR | --text FILE | --vectors FILE | --dataset cifar10 --split test) [--limit N]")
	cf := addCorpusFlags(fs, "")
	dir := fs.String("index", "", "index directory (required, or --store)")
	store := fs.String("store", "", storeUsage)
	limit := fs.Int("limit", 0, "add at most N items (0: all)")
	if err := parse(fs, args); err != nil {
		return err
	}
	where, err := storeOf(dir, store, true)
	if err != nil {
		return err
	}
	*dir = where
	if *limit < 0 {
		return fmt.Errorf("--limit %d: want ≥ 0", *limit)
	}
	ix, err := openIndex(ctx, *dir, true)
	if err != nil {
		return err
	}
	defer ix.Close()
	if !cf.given() && ix.Corpus().Source == cifar10.SourceName {
		*cf.dataset = "cifar10" // what `add --split test` always meant
		if *cf.split == "" {
			*cf.split = cifar10.Test
		}
	}
	sp, err := cf.get(cifar10.Test)
	if err != nil {
		return err
	}
	if have := ix.Corpus(); have.Source != "" && have.Source != sp.Source {
		return fmt.Errorf("the index holds items of corpus source %s, not %s", have.Source, sp.Source)
	}
	enc, err := encoderForIndex(ix)
	if err != nil {
		return err
	}
	c, err := openCorpus(sp)
	if err != nil {
		return err
	}
	before := ix.Len()
	n := c.Len()
	if *limit > 0 && *limit < n {
		n = *limit
	}
	update, finish := newBar(n, "encode+add", "item")
	err = ingest.Add(ctx, ix, c, enc, ingest.Options{Limit: *limit, Progress: update})
	finish()
	if err != nil {
		return err
	}
	reportSkipped(c)
	if err := ix.Flush(ctx); err != nil {
		return err
	}
	fmt.Printf("added %d items (ids %d..%d); %s now holds %d\n", ix.Len()-before, before, ix.Len()-1, *dir, ix.Len())
	return nil
}

func cmdQuery(ctx context.Context, args []string) error {
	fs := newFlags("query", "query --index DIR (--item ID | --image FILE | --text \"...\" | --vectors FILE) [-k N]")
	dir := fs.String("index", "", "index directory (required, or --store)")
	store := fs.String("store", "", storeUsage)
	item := fs.String("item", "", "query by the item with this row id in the index")
	imageFile := fs.String("image", "", "query by an image file of any size and format")
	text := fs.String("text", "", "query by a text (text indexes)")
	vecFile := fs.String("vectors", "", "query by the first row of a vectors file (.npy, .fvecs, CSV)")
	k := fs.Int("k", 10, "neighbours to return (1 to 10000)")
	nprobe := fs.Int("nprobe", 0, "IVF lists to visit (0: the index's tuned value)")
	keepSelf := fs.Bool("keep-self", false, "with --item, keep the item itself in the results")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	where, err := storeOf(dir, store, true)
	if err != nil {
		return err
	}
	*dir = where
	given := 0
	for _, s := range []string{*item, *imageFile, *text, *vecFile} {
		if s != "" {
			given++
		}
	}
	if given != 1 {
		fmt.Fprintln(fs.Output(), "give exactly one of --item, --image, --text, --vectors")
		fs.Usage()
		return errUsage
	}
	if *k < 1 || *k > maxK {
		return fmt.Errorf("-k %d: want 1 to %d", *k, maxK)
	}
	if *nprobe < 0 {
		return fmt.Errorf("--nprobe %d: want ≥ 0", *nprobe)
	}
	ix, err := openIndex(ctx, *dir, false)
	if err != nil {
		return err
	}
	defer ix.Close()
	opts := index.SearchOptions{Nprobe: *nprobe}
	var hits []index.Hit
	var warn error
	search := func(v []float32) error {
		res, err := ix.Search(ctx, v, *k, opts)
		if res == nil {
			return err
		}
		hits, warn = res[0], err
		return nil
	}
	switch {
	case *item != "":
		id, err := strconv.ParseInt(*item, 10, 64)
		if err != nil || id < 0 || id >= int64(ix.Len()) {
			return fmt.Errorf("--item %q: want a row id from 0 to %d", *item, ix.Len()-1)
		}
		hits, err = ix.SearchByID(ctx, id, *k, !*keepSelf, opts)
		if err != nil && hits == nil {
			return err
		}
		warn = err
		q, _ := ix.Item(id)
		note("query: item %d %s (%s)", id, q.Ref, q.Label)
	case *imageFile != "":
		enc, err := encoderForIndex(ix)
		if err != nil {
			return fmt.Errorf("index %s: %w", *dir, err)
		}
		iq, ok := enc.(ingest.ImageQuerier)
		if !ok {
			return fmt.Errorf("index %s holds %s vectors, which take no images", *dir, enc.Info().Name)
		}
		img, err := images.DecodeFile(*imageFile)
		if err != nil {
			return err
		}
		v, err := iq.EncodeImages(ctx, []image.Image{img})
		if err != nil {
			return err
		}
		if err := search(v); err != nil {
			return err
		}
	case *text != "":
		v, toks, err := encodeQueryText(ctx, ix, *text)
		if err != nil {
			return fmt.Errorf("index %s: %w", *dir, err)
		}
		if err := search(v); err != nil {
			return err
		}
		note("query: %s", strings.Join(toks, " "))
	case *vecFile != "":
		if ix.Encoder().Name != ingest.VectorsName {
			note("note: the index holds %s vectors; your vector must come from the same encoder", ix.Encoder().Name)
		}
		c, err := corpus.Open(corpus.Spec{Source: "vectors", Root: *vecFile})
		if err != nil {
			return err
		}
		var v []float32
		stop := errors.New("first")
		err = c.Batches(ctx, 1, func(b []corpus.Record) error { v = b[0].Vector; return stop })
		if err != nil && !errors.Is(err, stop) {
			return err
		}
		if len(v) != ix.Dim() {
			return fmt.Errorf("--vectors %s: %w: %d values, the index holds %d", *vecFile, index.ErrDimension, len(v), ix.Dim())
		}
		if err := search(v); err != nil {
			return err
		}
	}
	if warn != nil {
		note("note: %v", warn)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(hits)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	score := "distance" // squared L2: smaller is closer
	if ix.Metric().HigherIsCloser() {
		score = "similarity"
	}
	fmt.Fprintf(tw, "rank\tid\t%s\tlabel\titem\n", score)
	for _, h := range hits {
		ref := h.Item.Ref
		if h.Item.Text != "" {
			ref = h.Item.Text
		}
		fmt.Fprintf(tw, "%d\t%d\t%.4f\t%s\t%s\n", h.Rank, h.ID, h.Distance, h.Item.Label, ref)
	}
	return tw.Flush()
}

// maxK bounds k everywhere a user gives it.
const maxK = 10000

// encodeQueryText tokenises and encodes a typed query as the index's corpus was.
func encodeQueryText(ctx context.Context, ix index.Store, text string) ([]float32, []string, error) {
	enc, err := encoderForIndex(ix)
	if err != nil {
		return nil, nil, err
	}
	return (&simsearch.Index{Store: ix, Encoder: enc}).EncodeText(ctx, text)
}

func cmdTune(ctx context.Context, args []string) error {
	fs := newFlags("tune", "tune --index DIR [--target-recall 0.95]")
	dir := fs.String("index", "", "index directory (required)")
	target := fs.Float64("target-recall", 0.95, "smallest nprobe reaching this recall@k is chosen")
	k := fs.Int("k", 10, "recall@k")
	nq := fs.Int("queries", 1000, "stored vectors sampled as queries")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "index"); err != nil {
		return err
	}
	ix, err := index.OpenWriter(*dir)
	if err != nil {
		return err
	}
	defer ix.Close()
	res, err := ix.Tune(ctx, index.TuneOptions{K: *k, TargetRecall: *target, Queries: *nq})
	if err != nil {
		return err
	}
	printTune(res)
	if err := ix.Save(ctx, *dir); err != nil {
		return err
	}
	if ix.NList() > 0 {
		fmt.Printf("nprobe %d stored in %s\n", res.Chosen, *dir)
	}
	return nil
}

func printTune(res *index.TuneResult) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "nprobe\trecall@%d\tbatch q/s\tvs exact\tsingle q/s\tvs exact\t\n", res.K)
	fmt.Fprintf(tw, "exact\t%.4f\t%.0f\t1.0×\t%.0f\t1.0×\t\n", res.Exact.Recall, res.Exact.QPS, res.Exact.QPS1)
	for _, p := range res.Points {
		name := strconv.Itoa(p.Nprobe)
		if p.Nprobe == 0 {
			name = "index"
		}
		mark := ""
		if p.Nprobe == res.Chosen && p.Nprobe > 0 {
			mark = " ←"
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%.0f\t%.1f×\t%.0f\t%.1f×\t%s\n", name, p.Recall, p.QPS, p.QPS/res.Exact.QPS, p.QPS1, p.QPS1/res.Exact.QPS1, mark)
	}
	tw.Flush()
	if !res.Reached {
		fmt.Printf("target recall %.2f not reached; using nprobe %d\n", res.Target, res.Chosen)
	}
}

// parseKs parses "1,10,100".
func parseKs(s string) ([]int, error) {
	var ks []int
	for _, p := range strings.Split(s, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || k < 1 || k > maxK {
			return nil, fmt.Errorf("-k %q: want integers from 1 to %d separated by commas", s, maxK)
		}
		ks = append(ks, k)
	}
	return ks, nil
}

func cmdEval(ctx context.Context, args []string) error {
	fs := newFlags("eval", "eval --index DIR[,DIR...] (--queries DIR|FILE|cifar10:test|yelp | --self N) [-k 1,10,100]")
	data := fs.String("data", "", "where demo datasets live")
	dirs := fs.String("index", "", "index directory, or several separated by commas to compare them (required)")
	store := fs.String("store", "", storeUsage)
	queries := fs.String("queries", "", "labelled queries of the index's kind: a folder or file (read like the indexed corpus), cifar10:<split>, yelp[:file,...], or a corpus spec; default for the demos: cifar10:test, yelp")
	self := fs.Int("self", 0, "instead of --queries: N random labelled indexed items as queries, each left out of its own hits")
	kList := fs.String("k", "1,10,100", "k values")
	limit := fs.Int("limit", 0, "use at most N queries (0: all)")
	nprobe := fs.Int("nprobe", 0, "IVF lists to visit (0: the index's tuned value)")
	seed := fs.Uint64("seed", 1, "--self: which items are drawn")
	asJSON := fs.Bool("json", false, "print the reports as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, err := storeOf(dirs, store, true); err != nil {
		return err
	}
	if *store != "" {
		*dirs = *store
	}
	ks, err := parseKs(*kList)
	if err != nil {
		return err
	}
	if *limit < 0 || *self < 0 || *nprobe < 0 {
		return fmt.Errorf("--limit, --self and --nprobe must be ≥ 0")
	}
	if *self > 0 && *queries != "" {
		return fmt.Errorf("give --queries or --self, not both")
	}
	var summary []summaryRow
	list := strings.Split(*dirs, ",")
	if *store != "" {
		list = []string{*store}
	}
	for _, dir := range list {
		rep, ix, what, err := evalOne(ctx, *data, dir, *queries, *self, *seed, ks, *limit, *nprobe)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		if *asJSON {
			e := json.NewEncoder(os.Stdout)
			e.SetIndent("", "  ")
			if err := e.Encode(map[string]any{"index": dir, "queries": what, "report": rep}); err != nil {
				ix.Close()
				return err
			}
		} else {
			printReport(dir, what, ix, rep)
		}
		summary = append(summary, summaryRow{dir, ix.Encoder().Name, rep})
		ix.Close()
	}
	if !*asJSON {
		printSummary(summary, "sharing the query's label")
	}
	return nil
}

// evalOne scores one index: queries from a labelled corpus of its kind (encoded by the
// index's encoder) or, with self > 0, that many of its own labelled items.
func evalOne(ctx context.Context, data, dir, queries string, self int, seed uint64, ks []int, limit, nprobe int) (_ *eval.Report, _ index.Store, what string, err error) {
	ix, err := openIndex(ctx, dir, false)
	if err != nil {
		return nil, nil, "", err
	}
	defer func() {
		if err != nil {
			ix.Close()
		}
	}()
	if kmax := slices.Max(ks); kmax >= ix.Len() {
		return nil, nil, "", fmt.Errorf("-k %d: the index holds %d items; precision@k needs k below that", kmax, ix.Len())
	}
	opts := index.SearchOptions{Nprobe: nprobe}
	if self > 0 {
		rep, err := simsearch.EvalSelf(ctx, ix, self, seed, ks, opts)
		return rep, ix, fmt.Sprintf("%d indexed items", rep.Queries), err
	}
	sp, err := querySpec(data, ix, queries)
	if err != nil {
		return nil, nil, "", err
	}
	have := ix.Corpus()
	if have.Source == sp.Source && sameRoot(have.Root, sp.Root) && maps.Equal(have.Options, sp.Options) {
		return nil, nil, "", fmt.Errorf("the queries %s are the indexed items themselves (each would find itself): give held-out queries, or --self N", sp)
	}
	enc, err := encoderForIndex(ix)
	if err != nil {
		return nil, nil, "", err
	}
	c, err := openCorpus(sp)
	if err != nil {
		return nil, nil, "", err
	}
	vecs, items, err := ingest.Encode(ctx, c, enc, limit, 512)
	if err != nil {
		return nil, nil, "", err
	}
	if sp.Source == "yelp" && limit > 0 {
		note("note: --limit takes the first %d queries", limit)
	}
	labels := make([]string, len(items))
	for i, it := range items {
		if it.Label == "" {
			return nil, nil, "", fmt.Errorf("query %s has no label: eval needs labelled queries", it.Ref)
		}
		labels[i] = it.Label
	}
	// Texts that also occur in the index (corpora sampled twice) are not neighbours
	// worth counting: leave exact copies of a query out of its hits.
	var skip func(int, index.Hit) bool
	if c.Kind() == corpus.Text {
		skip = func(i int, h index.Hit) bool { return h.Item.Text == items[i].Text }
	}
	hits, err := eval.SearchExcept(ctx, ix, vecs, ix.Dim(), slices.Max(ks), opts, skip)
	if err != nil {
		return nil, nil, "", err
	}
	rep, err := eval.Precision(labels, hits, ks)
	return rep, ix, sp.String(), err
}

func sameRoot(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// querySpec turns --queries into a corpus spec: a demo dataset's split or files, a spec,
// or a path read like the index's own corpus (same source and options).
func querySpec(data string, ix index.Store, q string) (corpus.Spec, error) {
	have := ix.Corpus()
	if q == "" {
		switch have.Source {
		case cifar10.SourceName:
			q = "cifar10:test"
		case yelp.SourceName:
			q = "yelp"
		default:
			return corpus.Spec{}, fmt.Errorf("give --queries (a labelled folder or file like the indexed corpus) or --self N")
		}
	}
	if split, ok := strings.CutPrefix(q, "cifar10:"); ok {
		return demoSpec(data, "cifar10", split)
	}
	if q == "yelp" || strings.HasPrefix(q, "yelp:") {
		files := strings.TrimPrefix(strings.TrimPrefix(q, "yelp"), ":")
		if files == "" {
			files = strings.Join(yelp.QueryFiles, ",")
		}
		return demoSpec(data, "yelp", files)
	}
	if _, err := os.Stat(q); err == nil {
		if have.Source == "" {
			return corpus.Spec{}, fmt.Errorf("the index records no corpus source to read %s with: give a corpus spec (e.g. images:%s)", q, q)
		}
		abs, _ := filepath.Abs(q)
		return corpus.Spec{Source: have.Source, Root: abs, Options: have.Options}, nil
	}
	return corpus.ParseSpec(q)
}

// summaryRow is one evaluated index of a comparison.
type summaryRow struct {
	dir, encoder string
	rep          *eval.Report
}

// printSummary lists the indexes side by side and, for each after the first, its
// difference from the first with a 95% paired-bootstrap interval over the queries.
func printSummary(rows []summaryRow, what string) {
	if len(rows) < 2 {
		return
	}
	fmt.Printf("\nsummary (fraction of neighbours %s):\n", what)
	for _, r := range rows {
		var parts []string
		for i, k := range r.rep.K {
			parts = append(parts, fmt.Sprintf("p@%d %.3f", k, r.rep.Precision[i]))
		}
		fmt.Printf("  %-32s %-14s %s\n", r.dir, r.encoder, strings.Join(parts, "  "))
	}
	fmt.Printf("difference from %s (95%% interval, paired bootstrap over the queries):\n", rows[0].dir)
	for _, r := range rows[1:] {
		var parts []string
		for _, k := range r.rep.K {
			d, err := eval.Compare(rows[0].rep, r.rep, k, 0)
			if err != nil {
				parts = append(parts, fmt.Sprintf("p@%d: %v", k, err))
				continue
			}
			parts = append(parts, fmt.Sprintf("p@%d %+.3f [%+.3f, %+.3f]", k, d.Mean, d.Lo, d.Hi))
		}
		fmt.Printf("  %-32s %s\n", r.dir, strings.Join(parts, "  "))
	}
}

func printReport(dir, queries string, ix index.Store, rep *eval.Report) {
	fmt.Printf("%s: %d queries from %s against %d items (encoder %s, %s, %s)\n", dir, rep.Queries, queries, ix.Len(), ix.Encoder().Name, describeIndex(ix), ix.Metric())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "label\t")
	for _, k := range rep.K {
		fmt.Fprintf(tw, "p@%d\t", k)
	}
	fmt.Fprintln(tw)
	for i, l := range rep.Classes {
		fmt.Fprintf(tw, "%s\t", l)
		for _, p := range rep.PerClass[i] {
			fmt.Fprintf(tw, "%.3f\t", p)
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprint(tw, "ALL\t")
	for _, p := range rep.Precision {
		fmt.Fprintf(tw, "%.3f\t", p)
	}
	fmt.Fprintln(tw)
	tw.Flush()
}
