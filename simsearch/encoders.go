package simsearch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/bow"
	"github.com/corpushunt/corpushunt/simsearch/convae"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/corpus/images"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
	"github.com/corpushunt/corpushunt/simsearch/pixels"
	"github.com/corpushunt/corpushunt/simsearch/textae"
)

// EncoderOptions configure the encoder Build makes. Zero values take the defaults.
type EncoderOptions struct {
	// Name: "pixels" (images), "bow" (texts), "vectors" (vectors), another registered
	// encoder, or a model directory written by Train. "" picks the first that fits the
	// corpus's kind.
	Name string
	// Size is the pixels encoder's input, "HxW" or "HxWxC" ("" : the corpus's most common
	// image size, scaled down to at most 64×64).
	Size string
	// Fit says how images not of the encoder's size are made to fit: "crop" (default) or
	// "pad".
	Fit string
	// Downsample averages f×f pixel blocks (pixels encoder; default 1).
	Downsample int
	// Dim is the bag-of-words vector length (default 256).
	Dim int
	// Tokenizer: "words" (default), "fields", or one a dataset registers ("yelp").
	Tokenizer string
	// MaskLogs masks numbers, ids, addresses, times and paths in texts before encoding.
	MaskLogs bool
	// Progress, if set, reports a first pass over the corpus (fitting bag of words).
	Progress func(done, total int)
}

// Encoder is an encoder made for a corpus, with the files an index must keep of it.
type Encoder struct {
	ingest.Encoder
	// Assets are saved with the index (index.Index.SetAsset), e.g. a fitted vocabulary.
	Assets map[string][]byte
}

// EncoderMaker makes a named encoder for a corpus.
type EncoderMaker func(ctx context.Context, c corpus.Corpus, o EncoderOptions) (*Encoder, error)

// EncoderRestorer rebuilds an index's encoder from its manifest (and assets).
type EncoderRestorer func(ix index.Store) (ingest.Encoder, error)

type encoderReg struct {
	kind    corpus.Kind
	make    EncoderMaker
	restore EncoderRestorer
}

var (
	encMu    sync.RWMutex
	encoders = map[string]encoderReg{}
)

// RegisterEncoder makes an encoder available by name to NewEncoder (make) and to
// EncoderFor (restore, keyed by the name the encoder records in manifests). Registering
// a name twice panics.
func RegisterEncoder(name string, kind corpus.Kind, make EncoderMaker, restore EncoderRestorer) {
	encMu.Lock()
	defer encMu.Unlock()
	if _, dup := encoders[name]; dup {
		panic("simsearch: encoder " + name + " registered twice")
	}
	encoders[name] = encoderReg{kind, make, restore}
}

// Encoders lists the registered encoder names.
func Encoders() []string {
	encMu.RLock()
	defer encMu.RUnlock()
	var out []string
	for n := range encoders {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func init() {
	RegisterEncoder(pixels.Name, corpus.Image, makePixels, restorePixels)
	RegisterEncoder(bow.Name, corpus.Text, makeBOW, restoreBOW)
	RegisterEncoder(ingest.VectorsName, corpus.Vector, makeVectors, func(ix index.Store) (ingest.Encoder, error) {
		return ingest.Vectors(ix.Dim()), nil
	})
	RegisterEncoder(convae.EncoderName, corpus.Image, nil, restoreConvAE)
	RegisterEncoder(textae.EncoderName, corpus.Text, nil, restoreTextAE)
}

// DefaultEncoder is the encoder that needs no training for a kind of corpus.
func DefaultEncoder(k corpus.Kind) string {
	return map[corpus.Kind]string{corpus.Image: pixels.Name, corpus.Text: bow.Name, corpus.Vector: ingest.VectorsName}[k]
}

// NewEncoder makes the encoder o names for a corpus: a registered encoder, or a trained
// model directory.
func NewEncoder(ctx context.Context, c corpus.Corpus, o EncoderOptions) (*Encoder, error) {
	name := o.Name
	if name == "" {
		name = DefaultEncoder(c.Kind())
	}
	encMu.RLock()
	reg, ok := encoders[name]
	encMu.RUnlock()
	if ok && reg.make != nil {
		if reg.kind != c.Kind() {
			return nil, fmt.Errorf("%w: encoder %s encodes %s items, the corpus holds %s items", ingest.ErrKind, name, reg.kind, c.Kind())
		}
		return reg.make(ctx, c, o)
	}
	kind, err := modelKind(name)
	if err != nil {
		return nil, fmt.Errorf("unknown encoder %q: use %s, or a model directory from Train (`corpushunt train`): %w", name, strings.Join(Encoders(), ", "), err)
	}
	fit, err := images.ParseFit(o.Fit)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "convae":
		if c.Kind() != corpus.Image {
			return nil, fmt.Errorf("%w: model %s encodes images, the corpus holds %s items", ingest.ErrKind, name, c.Kind())
		}
		m, err := LoadImageModel(name)
		if err != nil {
			return nil, err
		}
		return &Encoder{Encoder: ingest.Images(m, fit)}, nil
	case "textae":
		if c.Kind() != corpus.Text {
			return nil, fmt.Errorf("%w: model %s encodes texts, the corpus holds %s items", ingest.ErrKind, name, c.Kind())
		}
		m, err := LoadTextModel(name)
		if err != nil {
			return nil, err
		}
		return &Encoder{Encoder: ingest.Texts(m, ModelTokenizer(m))}, nil
	}
	return nil, fmt.Errorf("model %s: unknown kind %q", name, kind)
}

// modelKind reads the kind a model directory's model.json declares.
func modelKind(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, convae.MetaFile))
	if err != nil {
		return "", err
	}
	var m struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Join(dir, convae.MetaFile), err)
	}
	return m.Kind, nil
}

// EncoderFor rebuilds the encoder recorded in an index's manifest, so queries and
// additions are encoded exactly like the corpus. A learned model whose weights changed
// since indexing is refused with ingest.ErrEncoderMismatch.
func EncoderFor(ix index.Store) (ingest.Encoder, error) {
	info := ix.Encoder()
	encMu.RLock()
	reg, ok := encoders[info.Name]
	encMu.RUnlock()
	if !ok || reg.restore == nil {
		return nil, fmt.Errorf("the index was built with encoder %q, which this build does not know", info.Name)
	}
	enc, err := reg.restore(ix)
	if err != nil {
		return nil, err
	}
	if err := ingest.SameEncoder(info, enc.Info()); err != nil {
		return nil, err
	}
	return enc, nil
}

func fitOf(info index.EncoderInfo) images.Fit {
	if f := images.Fit(info.Params["fit"]); f != "" {
		return f
	}
	return images.Crop
}

func makePixels(_ context.Context, c corpus.Corpus, o EncoderOptions) (*Encoder, error) {
	fit, err := images.ParseFit(o.Fit)
	if err != nil {
		return nil, err
	}
	h, w, ch, err := PixelSize(o.Size, c)
	if err != nil {
		return nil, err
	}
	p, err := pixels.New(h, w, ch, max(1, o.Downsample))
	if err != nil {
		return nil, err
	}
	return &Encoder{Encoder: ingest.Images(p, fit)}, nil
}

func restorePixels(ix index.Store) (ingest.Encoder, error) {
	p, err := pixels.FromInfo(ix.Encoder())
	if err != nil {
		return nil, err
	}
	return ingest.Images(p, fitOf(ix.Encoder())), nil
}

func makeVectors(_ context.Context, c corpus.Corpus, _ EncoderOptions) (*Encoder, error) {
	vc, ok := c.(interface{ Dim() int })
	if !ok {
		return nil, fmt.Errorf("corpus %s does not say its vectors' dimension", c.Spec())
	}
	return &Encoder{Encoder: ingest.Vectors(vc.Dim())}, nil
}

// TokenizerFor picks the tokenizer for a corpus: the one asked for, the corpus's own (a
// dataset's conventions), or "words".
func TokenizerFor(c corpus.Corpus, name string, maskLogs bool) (ingest.Tokenizer, error) {
	t := ingest.Tokenizer{Name: name, MaskLogs: maskLogs}
	if t.Name == "" {
		t.Name = "words"
		if own, ok := c.(interface{ Tokenizer() string }); ok {
			t.Name = own.Tokenizer()
		}
	}
	return t, t.Validate()
}

func makeBOW(ctx context.Context, c corpus.Corpus, o EncoderOptions) (*Encoder, error) {
	tok, err := TokenizerFor(c, o.Tokenizer, o.MaskLogs)
	if err != nil {
		return nil, err
	}
	dim := o.Dim
	if dim == 0 {
		dim = 256
	}
	f, err := bow.NewFitter(dim, 1)
	if err != nil {
		return nil, err
	}
	done := 0
	err = c.Batches(ctx, 4096, func(b []corpus.Record) error {
		for _, r := range b {
			f.Add(tok.Tokens(r.Text))
		}
		done += len(b)
		if o.Progress != nil {
			o.Progress(done, c.Len())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e, err := f.Done()
	if err != nil {
		return nil, err
	}
	b, err := e.Marshal()
	if err != nil {
		return nil, err
	}
	return &Encoder{Encoder: ingest.Texts(e, tok), Assets: map[string][]byte{bow.AssetName: b}}, nil
}

// ErrLegacyEncoder marks an index of format 1 whose bag-of-words encoder is referred to by
// path rather than kept with the index; it still works, unverified.
var ErrLegacyEncoder = errors.New("the index refers to its bag-of-words encoder by path, unverified: re-index to make it self-contained")

// Warn receives warnings the facade cannot return as errors (default: none shown).
var Warn = func(error) {}

func restoreBOW(ix index.Store) (ingest.Encoder, error) {
	b, err := ix.Asset(bow.AssetName)
	var e *bow.Encoder
	switch {
	case err == nil:
		if e, err = bow.Parse(b); err != nil {
			return nil, fmt.Errorf("%w: bag-of-words encoder: %v", index.ErrCorrupt, err)
		}
	case ix.Encoder().Model != "":
		Warn(fmt.Errorf("%w (%s)", ErrLegacyEncoder, ix.Encoder().Model))
		if e, err = bow.Load(ix.Encoder().Model); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	return ingest.Texts(e, ingest.TokenizerOf(ix.Encoder())), nil
}

func restoreConvAE(ix index.Store) (ingest.Encoder, error) {
	m, err := LoadImageModel(ix.Encoder().Model)
	if err != nil {
		return nil, fmt.Errorf("the index's model: %w", err)
	}
	return ingest.Images(m, fitOf(ix.Encoder())), nil
}

func restoreTextAE(ix index.Store) (ingest.Encoder, error) {
	m, err := LoadTextModel(ix.Encoder().Model)
	if err != nil {
		return nil, fmt.Errorf("the index's model: %w", err)
	}
	return ingest.Texts(m, ingest.TokenizerOf(ix.Encoder())), nil
}

// LoadImageModel loads a convolutional autoencoder written by Train on the default backend.
func LoadImageModel(dir string) (*convae.Encoder, error) {
	be, err := backend.New("")
	if err != nil {
		return nil, err
	}
	m, err := convae.LoadEncoder(be, dir)
	if err == nil && m.Fallback != "" {
		Warn(errors.New(m.Fallback))
	}
	return m, err
}

// TextBackend is the backend configuration for the LSTM models: GoMLX v0.26's pure-Go
// worker pool can deadlock inside nested DotGenerals of the LSTM graph; unlimited
// parallelism avoids it.
func TextBackend(config string) string {
	if config == "" {
		config = os.Getenv(backend.EnvBackend)
	}
	if config == "" || config == "go" {
		return "go:parallelism=-1"
	}
	return config
}

// LoadTextModel loads a text autoencoder written by Train.
func LoadTextModel(dir string) (*textae.Encoder, error) {
	be, err := backend.New(TextBackend(""))
	if err != nil {
		return nil, err
	}
	m, err := textae.LoadEncoder(be, dir)
	if err == nil && m.Fallback != "" {
		Warn(errors.New(m.Fallback))
	}
	return m, err
}

// ModelTokenizer is the tokenizer a text model was trained with.
func ModelTokenizer(m *textae.Encoder) ingest.Tokenizer {
	t := ingest.Tokenizer{Name: m.Meta.Tokenizer, MaskLogs: m.Meta.MaskLogs}
	if t.Name == "" {
		t.Name = "yelp" // models trained before the field existed were Yelp's
	}
	return t
}

// PixelSize reads a size "HxW" or "HxWxC", or takes a corpus's most common image size
// (scaled down to at most 64×64).
func PixelSize(s string, c corpus.Corpus) (h, w, ch int, err error) {
	if s != "" {
		ch = 3
		parts := strings.Split(strings.ToLower(s), "x")
		nums := make([]int, len(parts))
		for i, p := range parts {
			if nums[i], err = strconv.Atoi(p); err != nil || nums[i] < 1 {
				return 0, 0, 0, fmt.Errorf("size %q: want HxW or HxWxC", s)
			}
		}
		switch len(nums) {
		case 2:
			h, w = nums[0], nums[1]
		case 3:
			h, w, ch = nums[0], nums[1], nums[2]
		default:
			return 0, 0, 0, fmt.Errorf("size %q: want HxW or HxWxC", s)
		}
		if ch != 1 && ch != 3 || h > 4096 || w > 4096 {
			return 0, 0, 0, fmt.Errorf("size %q: channels 1 or 3, at most 4096×4096", s)
		}
		return h, w, ch, nil
	}
	if sc, ok := c.(interface{ Shape() (int, int, int) }); ok {
		h, w, ch = sc.Shape()
		if h < 1 || w < 1 {
			return 32, 32, 3, nil
		}
		if h > 64 || w > 64 {
			scale := 64 / float64(max(h, w))
			h, w = max(1, int(float64(h)*scale+0.5)), max(1, int(float64(w)*scale+0.5))
		}
		return h, w, ch, nil
	}
	return 32, 32, 3, nil
}
