package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/simsearch/convae"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/display"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

func init() {
	register("report", "write a self-contained HTML report: corpus, training curves, index, galleries or ranked lists", cmdReport)
}

func cmdReport(ctx context.Context, args []string) error {
	fs := newFlags("report", "report --index DIR [--queries DIR|FILE|cifar10:test] [--items 0,1,2] [--model MODELDIR] --out report.html")
	data := fs.String("data", "", "where demo datasets live")
	dir := fs.String("index", "", "index directory (required, or --store)")
	store := fs.String("store", "", storeUsage)
	model := fs.String("model", "", "model directory for the training curves (default: the index's encoder model, if any)")
	queries := fs.String("queries", "", "where the queries come from: a folder or file like the indexed corpus, cifar10:<split>, yelp; default: the demos' held-out queries, else indexed items")
	items := fs.String("items", "0,1,2,3,4,5", "query record numbers (in --queries, or item ids of the index)")
	k := fs.Int("k", 10, "neighbours per query (1 to 100)")
	root := fs.String("root", "", "where the indexed corpus lives now, if it moved since indexing")
	title := fs.String("title", "", "report title (default: from the index)")
	out := fs.String("out", "", "HTML file to write (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	where, err := storeOf(dir, store, true)
	if err != nil {
		return err
	}
	*dir = where
	if *k < 1 || *k > 100 {
		return fmt.Errorf("-k %d: want 1 to 100", *k)
	}
	var picks []int
	for _, f := range strings.Split(*items, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || i < 0 {
			return fmt.Errorf("--items %q: %q is not a record number", *items, f)
		}
		picks = append(picks, i)
	}
	ix, err := openIndex(ctx, *dir, false)
	if err != nil {
		return err
	}
	defer ix.Close()
	if *model == "" && ix.Encoder().Model != "" {
		*model = ix.Encoder().Model
	}
	var history []convae.HistoryRow
	if *model != "" {
		if st, err := os.Stat(*model); err == nil && st.IsDir() {
			if history, err = convae.ReadHistory(*model); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	src, err := corpusOf(ix, *root)
	if err != nil {
		return err
	}
	var results []display.QueryResult
	sp, qerr := querySpec(*data, ix, *queries)
	if qerr == nil {
		if results, err = reportQueries(ctx, ix, sp, picks, *k); err != nil {
			return err
		}
	} else if *queries != "" {
		return qerr
	} else {
		// No held-out queries: search by indexed items, each left out of its own hits.
		for _, id := range picks {
			if id >= ix.Len() {
				continue
			}
			hits, err := ix.SearchByID(ctx, int64(id), *k, true, index.SearchOptions{})
			if hits == nil {
				return err
			}
			it, _ := ix.Item(int64(id))
			q := display.QueryResult{Label: it.Label, Ref: fmt.Sprintf("item %d, %s", id, it.Ref), Hits: hits, Text: it.Text}
			if rec, err := src.Resolve(it.Ref); err == nil {
				q.Image = rec.Image
			} else {
				return err
			}
			results = append(results, q)
		}
	}
	if *title == "" {
		*title = fmt.Sprintf("corpushunt: %s (%s, %s)", filepath.Base(*dir), ix.Encoder().Name, describeIndex(ix))
	}
	page, err := display.Report(*title, ix, history, results, src)
	if err != nil {
		return err
	}
	if err := page.WriteFile(*out); err != nil {
		return err
	}
	fmt.Printf("report written to %s (%d queries)\n", *out, len(results))
	return nil
}

// reportQueries encodes the picked records of a query corpus and searches for each.
func reportQueries(ctx context.Context, ix index.Store, sp corpus.Spec, picks []int, k int) ([]display.QueryResult, error) {
	enc, err := encoderForIndex(ix)
	if err != nil {
		return nil, err
	}
	c, err := openCorpus(sp)
	if err != nil {
		return nil, err
	}
	recs, err := pickRecords(ctx, c, picks)
	if err != nil {
		return nil, err
	}
	var out []display.QueryResult
	for _, r := range recs {
		v, err := enc.Encode(ctx, []corpus.Record{r})
		if err != nil {
			return nil, err
		}
		hits, err := ix.Search(ctx, v, k, index.SearchOptions{})
		if hits == nil {
			return nil, err
		}
		out = append(out, display.QueryResult{Image: r.Image, Text: r.Text, Label: r.Label, Ref: r.Ref, Hits: hits[0]})
	}
	return out, nil
}
