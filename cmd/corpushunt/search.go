package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/simsearch/eval"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
	"github.com/corpushunt/corpushunt/simsearch/pixels"
)

func init() {
	register("index", "encode a dataset and build a FAISS index directory", cmdIndex)
	register("add", "encode more items and add them to an existing index", cmdAdd)
	register("query", "search an index by item id, image file or text", cmdQuery)
	register("tune", "measure recall/QPS per nprobe and store the best nprobe", cmdTune)
	register("eval", "precision@k by label: how often neighbours share the query's class", cmdEval)
}

func cmdIndex(ctx context.Context, args []string) error {
	fs := newFlags("index", "index --dataset cifar10 --encoder pixels --out DIR [flags]")
	data := fs.String("data", "", "data root")
	dataset := fs.String("dataset", "cifar10", "dataset to index (cifar10)")
	split := fs.String("split", "train", "split to index")
	encName := fs.String("encoder", "pixels", "encoder: pixels or a model directory from `corpushunt train` (cifar10); bow (yelp)")
	dim := fs.Int("dim", 256, "bow encoder: vector dimension")
	down := fs.Int("downsample", 1, "pixels encoder: average f×f blocks (1, 2, 4, 8, 16)")
	limit := fs.Int("limit", 0, "index at most N items (0: all)")
	factory := fs.String("factory", "", "FAISS factory string (default: Flat below 10k vectors, else IVF≈4√n,Flat)")
	metric := fs.String("metric", "l2", "l2, ip or cos")
	batch := fs.Int("batch", 512, "images encoded per batch")
	tune := fs.Bool("tune", false, "tune nprobe (IVF) right after building")
	skipBad := fs.Bool("skip-bad", false, "cifar10: skip malformed records (bad label byte, bad PNG) and report how many, instead of failing")
	out := fs.String("out", "", "index directory to write (required): new, empty, or an index to replace")
	into := fs.Bool("into-existing", false, "allow --out to be a folder that holds other files (they are never touched)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
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
	m, err := index.ParseMetric(*metric)
	if err != nil {
		return err
	}
	switch *dataset {
	case "cifar10":
	case "yelp":
		if *encName == "pixels" {
			*encName = "bow"
		}
		ix, err := indexYelp(ctx, *data, *encName, *dim, *limit, *factory, m, *out)
		if err != nil {
			return err
		}
		defer ix.Close()
		return saveIndex(ctx, ix, *out, *tune)
	default:
		return fmt.Errorf("dataset %q: cifar10 or yelp", *dataset)
	}
	enc, err := imageEncoder(*encName, *down)
	if err != nil {
		return err
	}
	ds, s, err := openSplit(*data, *split, cifar10.Options{SkipBad: *skipBad})
	if err != nil {
		return err
	}
	defer func() {
		if n := s.Skipped(); n > 0 {
			fmt.Printf("skipped %d malformed record(s) in %s (--skip-bad)\n", n, *split)
		}
	}()
	n := s.Len()
	if *limit > 0 && *limit < n {
		n = *limit
	}
	update, finish := newBar(n, "encode+index "+*split, "img")
	t0 := time.Now()
	var stats ingest.Stats
	ix, err := ingest.CIFAR10(ctx, ds, enc, ingest.Options{Split: *split, Limit: *limit, BatchSize: *batch, Factory: *factory, Metric: m, Progress: update, Stats: &stats})
	finish()
	if err != nil {
		return err
	}
	if stats.Images > 0 && ix.Encoder().Name != pixels.Name {
		note("encoder %s: %.0f images/s steady state (first batch %.2fs, including any compilation)", ix.Encoder().Name, stats.ImagesPerSec, stats.FirstBatch.Seconds())
	}
	defer ix.Close()
	note("built %s (%s, dim %d) over %d items in %.1fs", ix.Factory(), ix.Metric(), ix.Dim(), ix.Len(), time.Since(t0).Seconds())
	return saveIndex(ctx, ix, *out, *tune)
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
	fs := newFlags("add", "add --index DIR --split test [--limit N]")
	data := fs.String("data", "", "data root")
	dir := fs.String("index", "", "index directory (required)")
	split := fs.String("split", "test", "cifar10 split whose items are added")
	limit := fs.Int("limit", 0, "add at most N items (0: all)")
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
	enc, err := encoderForIndex(ix)
	if err != nil {
		return err
	}
	ds, s, err := openSplit(*data, *split, cifar10.Options{})
	if err != nil {
		return err
	}
	before := ix.Len()
	n := s.Len()
	if *limit > 0 && *limit < n {
		n = *limit
	}
	update, finish := newBar(n, "encode+add "+*split, "img")
	err = ingest.AddCIFAR10(ctx, ix, ds, enc, ingest.Options{Split: *split, Limit: *limit, Progress: update})
	if err != nil {
		return err
	}
	done := ix.Len() - before
	finish()
	if err := ix.Save(ctx, *dir); err != nil {
		return err
	}
	fmt.Printf("added %d items (ids %d..%d); %s now holds %d\n", done, before, ix.Len()-1, *dir, ix.Len())
	return nil
}

func cmdQuery(ctx context.Context, args []string) error {
	fs := newFlags("query", "query --index DIR (--item ID | --image FILE | --text \"...\") [-k N]")
	dir := fs.String("index", "", "index directory (required)")
	item := fs.Int64("item", -1, "query by the item with this row id in the index")
	imageFile := fs.String("image", "", "query by a 32×32 image file (PNG)")
	text := fs.String("text", "", "query by a sentence (text indexes)")
	k := fs.Int("k", 10, "neighbours to return")
	nprobe := fs.Int("nprobe", 0, "IVF lists to visit (0: the index's tuned value)")
	keepSelf := fs.Bool("keep-self", false, "with --item, keep the item itself in the results")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "index"); err != nil {
		return err
	}
	given := 0
	for _, b := range []bool{*item >= 0, *imageFile != "", *text != ""} {
		if b {
			given++
		}
	}
	if given != 1 {
		fmt.Fprintln(fs.Output(), "give exactly one of --item, --image, --text")
		fs.Usage()
		return errUsage
	}
	ix, err := index.Open(*dir)
	if err != nil {
		return err
	}
	defer ix.Close()
	opts := index.SearchOptions{Nprobe: *nprobe}
	var hits []index.Hit
	var warn error
	switch {
	case *item >= 0:
		hits, err = ix.SearchByID(ctx, *item, *k, !*keepSelf, opts)
		if err != nil && hits == nil {
			return err
		}
		warn = err
		q, _ := ix.Item(*item)
		note("query: item %d %s (%s)", *item, q.Ref, q.LabelName)
	case *imageFile != "":
		enc, err := encoderForIndex(ix)
		if err != nil {
			return fmt.Errorf("index %s: %w", *dir, err)
		}
		px, err := cifar10.ReadImageFile(*imageFile)
		if err != nil {
			return err
		}
		rec := cifar10.Record{Pixels: px}
		v, err := enc.EncodeImages(ctx, rec.AppendFloat32(nil), 1)
		if err != nil {
			return err
		}
		res, err := ix.Search(ctx, v, *k, opts)
		if res == nil {
			return err
		}
		hits, warn = res[0], err
	case *text != "":
		enc, err := textEncoderForIndex(ix)
		if err != nil {
			return fmt.Errorf("index %s: %w", *dir, err)
		}
		toks, err := queryTokens(*text)
		if err != nil {
			return err
		}
		v, err := enc.EncodeTokens(ctx, [][]string{toks})
		if err != nil {
			return err
		}
		res, err := ix.Search(ctx, v, *k, opts)
		if res == nil {
			return err
		}
		hits, warn = res[0], err
		note("query: %s", strings.Join(toks, " "))
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
		fmt.Fprintf(tw, "%d\t%d\t%.4f\t%s\t%s\n", h.Rank, h.ID, h.Distance, h.Item.LabelName, ref)
	}
	return tw.Flush()
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

// cifarSplit parses a --queries value "cifar10:<split>".
func cifarSplit(spec string) (string, error) {
	dsName, split, ok := strings.Cut(spec, ":")
	if !ok || dsName != "cifar10" || split == "" {
		return "", fmt.Errorf("--queries %q: want cifar10:<split>", spec)
	}
	return split, nil
}

// parseKs parses "1,10,100".
func parseKs(s string) ([]int, error) {
	var ks []int
	for _, p := range strings.Split(s, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || k < 1 {
			return nil, fmt.Errorf("-k %q: want positive integers separated by commas", s)
		}
		ks = append(ks, k)
	}
	return ks, nil
}

func cmdEval(ctx context.Context, args []string) error {
	fs := newFlags("eval", "eval --index DIR[,DIR...] --queries cifar10:test|yelp[:FILE,...] [-k 1,10,100]")
	data := fs.String("data", "", "data root")
	dirs := fs.String("index", "", "index directory, or several separated by commas to compare them (required)")
	queries := fs.String("queries", "cifar10:test", "queries: cifar10:<split>, or yelp[:file,...] (default files sentiment/1000.neg,sentiment/1000.pos)")
	kList := fs.String("k", "1,10,100", "k values")
	limit := fs.Int("limit", 0, "use at most N queries (0: all)")
	nprobe := fs.Int("nprobe", 0, "IVF lists to visit (0: the index's tuned value)")
	asJSON := fs.Bool("json", false, "print the reports as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "index"); err != nil {
		return err
	}
	ks, err := parseKs(*kList)
	if err != nil {
		return err
	}
	if files, ok := strings.CutPrefix(*queries, "yelp"); ok {
		files = strings.TrimPrefix(files, ":")
		var summary []summaryRow
		for _, dir := range strings.Split(*dirs, ",") {
			rep, ix, err := evalYelp(ctx, *data, dir, files, ks, *limit)
			if err != nil {
				return fmt.Errorf("%s: %w", dir, err)
			}
			printReport(dir, *queries, ix, rep, []string{"negative", "positive"})
			summary = append(summary, summaryRow{dir, ix.Encoder().Name, rep})
			ix.Close()
		}
		printSummary(summary, "sharing the query's sentiment")
		return nil
	}
	split, err := cifarSplit(*queries)
	if err != nil {
		return err
	}
	ds, _, err := openSplit(*data, split, cifar10.Options{})
	if err != nil {
		return err
	}
	var summary []summaryRow
	for _, dir := range strings.Split(*dirs, ",") {
		rep, ix, err := evalOne(ctx, ds, dir, split, ks, *limit, *nprobe)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		if *asJSON {
			e := json.NewEncoder(os.Stdout)
			e.SetIndent("", "  ")
			if err := e.Encode(map[string]any{"index": dir, "report": rep}); err != nil {
				return err
			}
			continue
		}
		printReport(dir, *queries, ix, rep, ds.Classes)
		summary = append(summary, summaryRow{dir, ix.Encoder().Name, rep})
	}
	printSummary(summary, "sharing the query's class")
	return nil
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

func evalOne(ctx context.Context, ds *cifar10.Dataset, dir, split string, ks []int, limit, nprobe int) (*eval.Report, *index.Index, error) {
	ix, err := index.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	defer ix.Close()
	enc, err := encoderForIndex(ix)
	if err != nil {
		return nil, nil, err
	}
	vecs, labels, err := ingest.EncodeCIFAR10(ctx, ds, enc, split, limit, 512)
	if err != nil {
		return nil, nil, err
	}
	rep, err := eval.Run(ctx, ix, vecs, labels, ks, index.SearchOptions{Nprobe: nprobe})
	if err != nil && !errors.Is(err, index.ErrKTooLarge) {
		return nil, nil, err
	}
	return rep, ix, nil
}

func printReport(dir, queries string, ix *index.Index, rep *eval.Report, classes []string) {
	fmt.Printf("%s: %d queries from %s against %d items (encoder %s, %s, %s)\n", dir, rep.Queries, queries, ix.Len(), ix.Encoder().Name, ix.Factory(), ix.Metric())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "class\t")
	for _, k := range rep.K {
		fmt.Fprintf(tw, "p@%d\t", k)
	}
	fmt.Fprintln(tw)
	for i, l := range rep.Classes {
		fmt.Fprintf(tw, "%s\t", classes[l])
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
