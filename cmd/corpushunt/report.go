package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/simsearch/convae"
	"github.com/corpushunt/corpushunt/simsearch/display"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

func init() {
	register("report", "write a self-contained HTML report: data, training curves, index, galleries", cmdReport)
}

func cmdReport(ctx context.Context, args []string) error {
	fs := newFlags("report", "report --index DIR [--model MODELDIR] [--queries cifar10:test] [--items 0,1,2] --out report.html")
	data := fs.String("data", "", "data root")
	dir := fs.String("index", "", "index directory (required)")
	model := fs.String("model", "", "model directory for the training curves (default: the index's encoder model, if any)")
	queries := fs.String("queries", "cifar10:test", "dataset:split the query images come from")
	items := fs.String("items", "0,1,2,3,4,5", "query record numbers in that split")
	k := fs.Int("k", 10, "neighbours per query")
	title := fs.String("title", "", "report title (default: from the index)")
	out := fs.String("out", "", "HTML file to write (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "index", "out"); err != nil {
		return err
	}
	ix, err := index.Open(*dir)
	if err != nil {
		return err
	}
	defer ix.Close()
	if *model == "" && ix.Encoder().Model != "" {
		*model = ix.Encoder().Model
	}
	var history []convae.HistoryRow
	if *model != "" {
		if history, err = convae.ReadHistory(*model); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	split, err := cifarSplit(*queries)
	if err != nil {
		return err
	}
	ds, s, err := openSplit(*data, split, cifar10.Options{})
	if err != nil {
		return err
	}
	enc, err := encoderForIndex(ix)
	if err != nil {
		return err
	}
	var results []display.QueryResult
	for _, f := range strings.Split(*items, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("--items %q: %q is not a record number", *items, f)
		}
		rec, err := s.Record(i)
		if err != nil {
			return err
		}
		v, err := enc.EncodeImages(ctx, rec.AppendFloat32(nil), 1)
		if err != nil {
			return err
		}
		hits, err := ix.Search(ctx, v, *k, index.SearchOptions{})
		if hits == nil {
			return err
		}
		results = append(results, display.QueryResult{Image: rec.Image(), Label: ds.Classes[rec.Label], Ref: fmt.Sprintf("%s #%d", split, i), Hits: hits[0]})
	}
	if *title == "" {
		*title = fmt.Sprintf("corpushunt: %s (%s, %s)", filepath.Base(*dir), ix.Encoder().Name, ix.Factory())
	}
	page, err := display.CIFARReport(*title, ix, history, results)
	if err != nil {
		return err
	}
	if err := page.WriteFile(*out); err != nil {
		return err
	}
	fmt.Printf("report written to %s (%d queries)\n", *out, len(results))
	return nil
}
