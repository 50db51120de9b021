package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/datasets/yelp"
	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/bow"
	"github.com/corpushunt/corpushunt/simsearch/convae"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/corpus/images"
	_ "github.com/corpushunt/corpushunt/simsearch/corpus/text"
	_ "github.com/corpushunt/corpushunt/simsearch/corpus/vectors"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
	"github.com/corpushunt/corpushunt/simsearch/pixels"
	"github.com/corpushunt/corpushunt/simsearch/textae"
)

// corpusFlags are the flags that name a corpus, shared by train, index, add and eval.
type corpusFlags struct {
	images, text, vecs, dataset, spec       *string
	data, split, labels                     *string
	textColumn, labelColumn                 *string
	textField, labelField                   *string
	skipBad                                 *bool
	datasetDefault                          string
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

// built is an encoder ready to index a corpus, with what the index must keep of it.
type built struct {
	enc    ingest.Encoder
	assets map[string][]byte
}

// newEncoder makes the encoder the flags name for a corpus. Bag of words is fitted on the
// corpus here (a first pass over it).
func newEncoder(ctx context.Context, f *encoderFlags, c corpus.Corpus) (*built, error) {
	name := *f.name
	kind := c.Kind()
	if name == "" {
		name = map[corpus.Kind]string{corpus.Image: pixels.Name, corpus.Text: bow.Name, corpus.Vector: ingest.VectorsName}[kind]
	}
	fit, err := images.ParseFit(*f.fit)
	if err != nil {
		return nil, err
	}
	wrongKind := func(k corpus.Kind) error {
		return fmt.Errorf("%w: encoder %s encodes %s items, the corpus holds %s items", ingest.ErrKind, name, k, kind)
	}
	switch name {
	case pixels.Name:
		if kind != corpus.Image {
			return nil, wrongKind(corpus.Image)
		}
		h, w, ch, err := pixelSize(*f.size, c)
		if err != nil {
			return nil, err
		}
		p, err := pixels.New(h, w, ch, *f.down)
		if err != nil {
			return nil, err
		}
		return &built{enc: ingest.Images(p, fit)}, nil
	case ingest.VectorsName:
		if kind != corpus.Vector {
			return nil, wrongKind(corpus.Vector)
		}
		vc, ok := c.(interface{ Dim() int })
		if !ok {
			return nil, fmt.Errorf("corpus %s does not say its vectors' dimension", c.Spec())
		}
		return &built{enc: ingest.Vectors(vc.Dim())}, nil
	case bow.Name:
		if kind != corpus.Text {
			return nil, wrongKind(corpus.Text)
		}
		tok, err := tokenizerFor(f, c)
		if err != nil {
			return nil, err
		}
		fitter, err := bow.NewFitter(*f.dim, 1)
		if err != nil {
			return nil, err
		}
		update, finish := newBar(c.Len(), "fit bag of words", "text")
		done := 0
		err = c.Batches(ctx, 4096, func(b []corpus.Record) error {
			for _, r := range b {
				fitter.Add(tok.Tokens(r.Text))
			}
			done += len(b)
			update(done, c.Len())
			return nil
		})
		finish()
		if err != nil {
			return nil, err
		}
		e, err := fitter.Done()
		if err != nil {
			return nil, err
		}
		b, err := e.Marshal()
		if err != nil {
			return nil, err
		}
		return &built{enc: ingest.Texts(e, tok), assets: map[string][]byte{bow.AssetName: b}}, nil
	}
	// A model directory.
	switch {
	case fileExists(filepath.Join(name, convae.MetaFile)) && isKind(name, "convae"):
		if kind != corpus.Image {
			return nil, wrongKind(corpus.Image)
		}
		m, err := loadModel(name)
		if err != nil {
			return nil, err
		}
		return &built{enc: ingest.Images(m, fit)}, nil
	case fileExists(filepath.Join(name, convae.MetaFile)):
		if kind != corpus.Text {
			return nil, wrongKind(corpus.Text)
		}
		m, err := loadTextModel(name)
		if err != nil {
			return nil, err
		}
		return &built{enc: ingest.Texts(m, modelTokenizer(m))}, nil
	}
	return nil, fmt.Errorf("unknown encoder %q: use pixels, bow, vectors or a model directory from `corpushunt train`", name)
}

func isKind(dir, kind string) bool {
	b, err := os.ReadFile(filepath.Join(dir, convae.MetaFile))
	return err == nil && strings.Contains(string(b), `"kind": "`+kind+`"`)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// tokenizerFor picks the text tokenizer: the flag, the corpus's own (Yelp's), or words.
func tokenizerFor(f *encoderFlags, c corpus.Corpus) (ingest.Tokenizer, error) {
	t := ingest.Tokenizer{Name: *f.tokenizer, MaskLogs: *f.maskLogs}
	if t.Name == "" {
		t.Name = "words"
		if c.Spec().Source == yelp.SourceName {
			t.Name = yelp.TokenizerName
		}
	}
	return t, t.Validate()
}

// modelTokenizer is the tokenizer a text model was trained with.
func modelTokenizer(m *textae.Encoder) ingest.Tokenizer {
	t := ingest.Tokenizer{Name: m.Meta.Tokenizer, MaskLogs: m.Meta.MaskLogs}
	if t.Name == "" {
		t.Name = yelp.TokenizerName // models trained before the field existed were Yelp's
	}
	return t
}

// pixelSize reads --size, or takes the corpus's most common image size (at most 64×64).
func pixelSize(s string, c corpus.Corpus) (h, w, ch int, err error) {
	if s != "" {
		ch = 3
		parts := strings.Split(strings.ToLower(s), "x")
		nums := make([]int, len(parts))
		for i, p := range parts {
			if nums[i], err = strconv.Atoi(p); err != nil || nums[i] < 1 {
				return 0, 0, 0, fmt.Errorf("--size %q: want HxW or HxWxC", s)
			}
		}
		switch len(nums) {
		case 2:
			h, w = nums[0], nums[1]
		case 3:
			h, w, ch = nums[0], nums[1], nums[2]
		default:
			return 0, 0, 0, fmt.Errorf("--size %q: want HxW or HxWxC", s)
		}
		if ch != 1 && ch != 3 || h > 4096 || w > 4096 {
			return 0, 0, 0, fmt.Errorf("--size %q: channels 1 or 3, at most 4096×4096", s)
		}
		return h, w, ch, nil
	}
	if sc, ok := c.(interface{ Shape() (int, int, int) }); ok {
		h, w, ch = sc.Shape()
		if h > 64 || w > 64 {
			scale := 64 / float64(max(h, w))
			h, w = max(1, int(float64(h)*scale+0.5)), max(1, int(float64(w)*scale+0.5))
		}
		return h, w, ch, nil
	}
	return 32, 32, 3, nil
}

// encoderForIndex rebuilds the encoder recorded in an index manifest, so queries and
// additions are encoded exactly like the corpus. A learned model whose weights changed
// since indexing is refused.
func encoderForIndex(ix *index.Index) (ingest.Encoder, error) {
	info := ix.Encoder()
	fit := images.Fit(info.Params["fit"])
	if fit == "" {
		fit = images.Crop
	}
	var enc ingest.Encoder
	switch info.Name {
	case pixels.Name:
		p, err := pixels.FromInfo(info)
		if err != nil {
			return nil, err
		}
		enc = ingest.Images(p, fit)
	case ingest.VectorsName:
		enc = ingest.Vectors(ix.Dim())
	case bow.Name:
		e, err := bowForIndex(ix)
		if err != nil {
			return nil, err
		}
		enc = ingest.Texts(e, ingest.TokenizerOf(info))
	case convae.EncoderName:
		m, err := loadModel(info.Model)
		if err != nil {
			return nil, fmt.Errorf("the index's model: %w", err)
		}
		enc = ingest.Images(m, fit)
	case textae.EncoderName:
		m, err := loadTextModel(info.Model)
		if err != nil {
			return nil, fmt.Errorf("the index's model: %w", err)
		}
		enc = ingest.Texts(m, ingest.TokenizerOf(info))
	default:
		return nil, fmt.Errorf("index was built with encoder %q, which this build does not know", info.Name)
	}
	if err := ingest.SameEncoder(info, enc.Info()); err != nil {
		return nil, err
	}
	return enc, nil
}

// bowForIndex reads the bag-of-words encoder saved with an index generation.
func bowForIndex(ix *index.Index) (*bow.Encoder, error) {
	b, err := ix.Asset(bow.AssetName)
	if err == nil {
		e, err := bow.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%w: bag-of-words encoder: %v", index.ErrCorrupt, err)
		}
		return e, nil
	}
	info := ix.Encoder()
	if info.Model == "" {
		return nil, err
	}
	// Indexes of format 1 referred to the encoder by path, unchecked.
	note("note: this index refers to its bag-of-words encoder by path (%s), unverified; re-index to make it self-contained", info.Model)
	return bow.Load(info.Model)
}

func loadModel(dir string) (*convae.Encoder, error) {
	be, err := backend.New("")
	if err != nil {
		return nil, err
	}
	return convae.LoadEncoder(be, dir)
}

// corpusOf opens the corpus an index was built from, for payloads (galleries, lists);
// root re-points it when the data has moved.
func corpusOf(ix *index.Index, root string) (corpus.Corpus, error) {
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
