package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/datasets/yelp"
	"github.com/corpushunt/corpushunt/simsearch"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
)

// corpusFlags are the flags that name a corpus, shared by train, index, add and eval.
type corpusFlags struct {
	images, text, vecs, dataset, spec *string
	data, split, labels               *string
	textColumn, labelColumn           *string
	textField, labelField             *string
	skipBad                           *bool
	datasetDefault                    string
}

func addCorpusFlags(fs *flag.FlagSet, datasetDefault string) *corpusFlags {
	f := &corpusFlags{datasetDefault: datasetDefault}
	f.images = fs.String("images", "", "a folder of images (PNG, JPEG, GIF, BMP, TIFF, WebP), walked recursively")
	f.text = fs.String("text", "", "a text file (an item per line), a folder of .txt/.md files, a CSV/TSV (--text-column) or JSONL file")
	f.vecs = fs.String("vectors", "", "your own vectors: .npy (2-D float32/float64), .fvecs, or CSV of numbers")
	f.dataset = fs.String("dataset", "", "a demo dataset instead: cifar10 or yelp")
	f.spec = fs.String("corpus", "", "a corpus spec source:root?option=value&... (e.g. text:tickets.csv?text-column=body)")
	f.data = fs.String("data", "", "where demo datasets live (default: $CORPUSHUNT_DATA, ../shared/datasets, ./data, ~/.cache/corpushunt/datasets)")
	f.split = fs.String("split", "", "cifar10 split (train, test)")
	f.labels = fs.String("labels", "", "images and text folders: auto, none or folders (first-level subfolder names); vectors: a file with one label per row")
	f.textColumn = fs.String("text-column", "", "CSV/TSV: the column holding the text")
	f.labelColumn = fs.String("label-column", "", "CSV/TSV (text or vectors): the column holding labels")
	f.textField = fs.String("text-field", "", "JSONL: the field holding the text (default text)")
	f.labelField = fs.String("label-field", "", "JSONL: the field holding labels")
	f.skipBad = fs.Bool("skip-bad", false, "skip bad files and records (counted in the summary) instead of failing on the first")
	return f
}

// errNoCorpus is returned by spec when no corpus flag was given and there is no default.
var errNoCorpus = errors.New("no corpus given: use --images DIR, --text FILE, --vectors FILE or --dataset cifar10|yelp")

// given reports whether any corpus flag was set.
func (f *corpusFlags) given() bool {
	return *f.images != "" || *f.text != "" || *f.vecs != "" || *f.dataset != "" || *f.spec != ""
}

// get returns the corpus spec the flags name. split is the default cifar10 split.
func (f *corpusFlags) get(split string) (corpus.Spec, error) {
	var sp corpus.Spec
	n := 0
	for _, s := range []string{*f.images, *f.text, *f.vecs, *f.dataset, *f.spec} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return sp, fmt.Errorf("give one of --images, --text, --vectors, --dataset, --corpus")
	}
	if *f.split != "" {
		split = *f.split
	}
	opts := map[string]string{}
	set := func(k string, v *string) {
		if *v != "" {
			opts[k] = *v
		}
	}
	switch {
	case *f.images != "":
		sp = corpus.Spec{Source: "images", Root: *f.images}
		set(corpus.OptLabels, f.labels)
	case *f.text != "":
		sp = corpus.Spec{Source: "text", Root: *f.text}
		set(corpus.OptLabels, f.labels)
		set("text-column", f.textColumn)
		set("label-column", f.labelColumn)
		set("text-field", f.textField)
		set("label-field", f.labelField)
	case *f.vecs != "":
		sp = corpus.Spec{Source: "vectors", Root: *f.vecs}
		set("labels", f.labels)
		set("label-column", f.labelColumn)
	case *f.spec != "":
		var err error
		if sp, err = corpus.ParseSpec(*f.spec); err != nil {
			return sp, err
		}
		return withSkipBad(sp, *f.skipBad), nil
	default:
		ds := *f.dataset
		if ds == "" {
			ds = f.datasetDefault
		}
		if ds == "" {
			return sp, errNoCorpus
		}
		var err error
		if sp, err = demoSpec(*f.data, ds, split); err != nil {
			return sp, err
		}
		return withSkipBad(sp, *f.skipBad), nil
	}
	if len(opts) > 0 {
		sp.Options = opts
	}
	if abs, err := filepath.Abs(sp.Root); err == nil {
		sp.Root = abs
	}
	if _, err := os.Stat(sp.Root); err != nil {
		return sp, fmt.Errorf("%s corpus: %w", sp.Source, err)
	}
	return withSkipBad(sp, *f.skipBad), nil
}

func withSkipBad(sp corpus.Spec, skip bool) corpus.Spec {
	if skip {
		if sp.Options == nil {
			sp.Options = map[string]string{}
		}
		sp.Options[corpus.OptSkipBad] = "true"
	}
	return sp
}

// demoSpec is the spec of a demo dataset: cifar10 (a split) or yelp (files; split is a
// comma-separated list of files, "" for the default ones).
func demoSpec(data, name, split string) (corpus.Spec, error) {
	switch name {
	case "cifar10":
		if split == "" {
			split = cifar10.Train
		}
		return cifar10.Spec(data, split, false)
	case "yelp":
		var files []string
		if split != "" && split != cifar10.Train {
			files = strings.Split(split, ",")
		}
		return yelp.Spec(data, files)
	}
	return corpus.Spec{}, fmt.Errorf("--dataset %q: cifar10 or yelp (your own data: --images, --text, --vectors)", name)
}

// openCorpus opens a corpus and says what it holds.
func openCorpus(sp corpus.Spec) (corpus.Corpus, error) {
	c, err := corpus.Open(sp)
	if err != nil {
		return nil, err
	}
	if c.Len() == 0 {
		return nil, fmt.Errorf("%s: %w", sp, corpus.ErrEmpty)
	}
	if cc, ok := c.(*cifar10.Corpus); ok && cc.S.Partial != "" {
		note("note: %s", cc.S.Partial)
	}
	return c, nil
}

// reportSkipped prints what a corpus skipped, once it has been read.
func reportSkipped(c corpus.Corpus) {
	s := c.Summary()
	if s.SkippedTotal() > 0 {
		fmt.Printf("corpus %s: %s\n", c.Spec().Root, s)
	}
}

// encoderFlags choose and configure an encoder for index.
type encoderFlags struct {
	name, size, fit, tokenizer *string
	down, dim                  *int
	maskLogs                   *bool
}

func addEncoderFlags(fs *flag.FlagSet) *encoderFlags {
	return &encoderFlags{
		name:      fs.String("encoder", "", "pixels (images), bow (text), vectors (vectors), or a model directory from `corpushunt train` (default: the first that fits the corpus)"),
		size:      fs.String("size", "", "pixels: input size HxW or HxWxC (default: the corpus's most common size, at most 64×64)"),
		fit:       fs.String("fit", "crop", "images not of the encoder's size: crop (centre) or pad (white)"),
		down:      fs.Int("downsample", 1, "pixels: average f×f blocks (f divides the size)"),
		dim:       fs.Int("dim", 256, "bow: vector dimension"),
		tokenizer: fs.String("tokenizer", "", "text: words (default) or fields (split on spaces only)"),
		maskLogs:  fs.Bool("mask-logs", false, "text: mask numbers, ids, addresses, times and paths before encoding (log lines)"),
	}
}

// newEncoder makes the encoder the flags name for a corpus (a first pass over the corpus
// fits bag of words).
func newEncoder(ctx context.Context, f *encoderFlags, c corpus.Corpus) (*simsearch.Encoder, error) {
	update, finish := newBar(c.Len(), "fit encoder", "item")
	defer finish()
	return simsearch.NewEncoder(ctx, c, simsearch.EncoderOptions{
		Name: *f.name, Size: *f.size, Fit: *f.fit, Downsample: *f.down, Dim: *f.dim,
		Tokenizer: *f.tokenizer, MaskLogs: *f.maskLogs, Progress: update})
}

// encoderForIndex rebuilds the encoder recorded in an index manifest.
func encoderForIndex(ix index.Store) (ingest.Encoder, error) { return simsearch.EncoderFor(ix) }

// storeOf says where an index lives: --store URL or --index DIR (one of them).
func storeOf(dir, store *string, need bool) (string, error) {
	switch {
	case *dir != "" && *store != "":
		return "", fmt.Errorf("give --index DIR or --store URL, not both")
	case *store != "":
		if !index.IsStoreURL(*store) {
			return "", fmt.Errorf("--store %q: want an address such as weaviate://127.0.0.1:8080/Collection?grpc=127.0.0.1:50051 (an index directory goes in --index)", *store)
		}
		return *store, nil
	case *dir == "" && need:
		return "", fmt.Errorf("--index DIR (or --store URL) is required")
	}
	return *dir, nil
}

// openIndex opens an index directory (read-only, or as its writer) or a store's address.
func openIndex(ctx context.Context, where string, write bool) (index.Store, error) {
	if index.IsStoreURL(where) {
		return index.OpenStore(ctx, where, false, index.Config{})
	}
	if write {
		return index.OpenWriter(where)
	}
	return index.Open(where)
}

// describeIndex is a store's kind in a few words: its FAISS factory, or its address.
func describeIndex(ix index.Store) string {
	if fx, ok := ix.(*index.Index); ok {
		return fx.Factory()
	}
	if d, ok := ix.(interface{ Describe() string }); ok {
		return d.Describe()
	}
	return fmt.Sprintf("%T", ix)
}

const storeUsage = "a vector store instead of an index directory: weaviate://HOST:PORT/Collection?grpc=HOST:PORT (see the README's scale-out section)"

// corpusOf opens the corpus an index was built from, for payloads (galleries, lists);
// root re-points it when the data has moved.
func corpusOf(ix index.Store, root string) (corpus.Corpus, error) {
	sp := ix.Corpus()
	if sp.Source == "" {
		return nil, fmt.Errorf("the index records no corpus (written by an older corpushunt): re-index to show its items")
	}
	if root != "" {
		sp.Root = root
	}
	c, err := corpus.Open(sp)
	if err != nil {
		return nil, fmt.Errorf("the index's corpus %s: %w (moved? give its new place with --root)", sp, err)
	}
	return c, nil
}

// pickRecords reads the records at the given positions of a corpus, in the order asked,
// streaming only as far as the last one.
func pickRecords(ctx context.Context, c corpus.Corpus, picks []int) ([]corpus.Record, error) {
	want := map[int][]int{}
	last := -1
	for j, p := range picks {
		want[p] = append(want[p], j)
		last = max(last, p)
	}
	out := make([]corpus.Record, len(picks))
	found := 0
	i := 0
	stop := errors.New("enough")
	err := c.Batches(ctx, 256, func(b []corpus.Record) error {
		for _, r := range b {
			for _, j := range want[i] {
				out[j] = r
				found++
			}
			i++
		}
		if i > last {
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return nil, err
	}
	if found < len(picks) {
		return nil, fmt.Errorf("%s has %d items; record %d asked for", c.Spec(), i, last)
	}
	return out, nil
}
