package ingest

import (
	"context"
	"fmt"
	"image"
	"strconv"
	"strings"
	"sync"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/corpus/images"
	"github.com/corpushunt/corpushunt/simsearch/corpus/text"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// ImageEncoder encodes images of a fixed size: n×H×W×C float32 in [0,1], HWC.
type ImageEncoder interface {
	Dim() int
	Info() index.EncoderInfo
	InputShape() (h, w, c int)
	EncodeImages(ctx context.Context, images []float32, n int) ([]float32, error)
}

// Images adapts an image encoder to corpus records: each image is resized to the
// encoder's input (centre-cropped or padded, as fit says) in parallel. The fit mode is
// recorded in the encoder's parameters, so queries are prepared the same way.
func Images(enc ImageEncoder, fit images.Fit) Encoder {
	if fit == "" {
		fit = images.Crop
	}
	return &imageAdapter{enc, fit}
}

type imageAdapter struct {
	enc ImageEncoder
	fit images.Fit
}

func (a *imageAdapter) Kind() corpus.Kind { return corpus.Image }
func (a *imageAdapter) Dim() int          { return a.enc.Dim() }

func (a *imageAdapter) Info() index.EncoderInfo {
	info := a.enc.Info()
	p := map[string]string{}
	for k, v := range info.Params {
		p[k] = v
	}
	h, w, c := a.enc.InputShape()
	p["input"] = fmt.Sprintf("%dx%dx%d", h, w, c)
	p["fit"] = string(a.fit)
	info.Params = p
	return info
}

func (a *imageAdapter) Encode(ctx context.Context, recs []corpus.Record) ([]float32, error) {
	imgs := make([]image.Image, len(recs))
	for i, r := range recs {
		if r.Image == nil {
			return nil, fmt.Errorf("%s: %w: no image", r.Ref, corpus.ErrBadItem)
		}
		imgs[i] = r.Image
	}
	return a.EncodeImages(ctx, imgs)
}

// EncodeImages prepares and encodes decoded images (a query image, say).
func (a *imageAdapter) EncodeImages(ctx context.Context, imgs []image.Image) ([]float32, error) {
	h, w, c := a.enc.InputShape()
	return a.enc.EncodeImages(ctx, images.PrepareBatch(imgs, h, w, c, a.fit), len(imgs))
}

// ImageQuerier is what Images returns besides Encoder: it encodes decoded images.
type ImageQuerier interface {
	EncodeImages(ctx context.Context, imgs []image.Image) ([]float32, error)
}

// TextEncoder encodes tokenised texts.
type TextEncoder interface {
	Dim() int
	Info() index.EncoderInfo
	EncodeTokens(ctx context.Context, texts [][]string) ([]float32, error)
}

// Tokenizer names how texts are split into tokens; it is recorded in the encoder's
// parameters, so queries are tokenised as the corpus was.
type Tokenizer struct {
	// Name of a registered tokenizer: "words" (text.Tokenize: lower-case words, numbers
	// and punctuation; the default), "fields" (split on white space only, for corpora
	// that come tokenised), or one a dataset registers (RegisterTokenizer).
	Name string
	// MaskLogs replaces the variable parts of log lines (numbers, ids, addresses, times,
	// paths) before tokenising, so lines of one template fall together.
	MaskLogs bool
	// MaxTokens truncates long texts (0: 512).
	MaxTokens int
}

var (
	tokMu      sync.RWMutex
	tokenizers = map[string]func(string) []string{"words": text.Tokenize, "fields": strings.Fields}
)

// RegisterTokenizer makes a tokenizer available by name (a dataset's own conventions).
func RegisterTokenizer(name string, fn func(string) []string) {
	tokMu.Lock()
	defer tokMu.Unlock()
	if _, dup := tokenizers[name]; dup {
		panic("ingest: tokenizer " + name + " registered twice")
	}
	tokenizers[name] = fn
}

// Validate checks that the tokenizer is registered.
func (t Tokenizer) Validate() error {
	tokMu.RLock()
	defer tokMu.RUnlock()
	if _, ok := tokenizers[t.Name]; !ok {
		return fmt.Errorf("unknown tokenizer %q (words, fields, or one a dataset registers)", t.Name)
	}
	return nil
}

// Tokens tokenises one text.
func (t Tokenizer) Tokens(s string) []string {
	if t.MaskLogs {
		s = text.MaskVariables(s)
	}
	tokMu.RLock()
	fn := tokenizers[t.Name]
	tokMu.RUnlock()
	if fn == nil {
		fn = text.Tokenize
	}
	toks := fn(s)
	max := t.MaxTokens
	if max <= 0 {
		max = 512
	}
	if len(toks) > max {
		toks = toks[:max]
	}
	return toks
}

// TokenizerOf reads the tokenizer recorded in an encoder's parameters. Indexes of format
// 1 recorded none: they were Yelp indexes, tokenised by the "yelp" tokenizer when that is
// registered.
func TokenizerOf(info index.EncoderInfo) Tokenizer {
	t := Tokenizer{Name: info.Params["tokenizer"]}
	if t.Name == "" {
		t.Name = "fields"
		if (Tokenizer{Name: "yelp"}).Validate() == nil {
			t.Name = "yelp"
		}
	}
	t.MaskLogs = info.Params["mask"] == "logs"
	return t
}

// Texts adapts a text encoder to corpus records with a tokenizer.
func Texts(enc TextEncoder, tok Tokenizer) Encoder {
	if tok.Name == "" {
		tok.Name = "words"
	}
	return &textAdapter{enc, tok}
}

type textAdapter struct {
	enc TextEncoder
	tok Tokenizer
}

func (a *textAdapter) Kind() corpus.Kind { return corpus.Text }
func (a *textAdapter) Dim() int          { return a.enc.Dim() }

func (a *textAdapter) Info() index.EncoderInfo {
	info := a.enc.Info()
	p := map[string]string{}
	for k, v := range info.Params {
		p[k] = v
	}
	p["tokenizer"] = a.tok.Name
	if a.tok.MaskLogs {
		p["mask"] = "logs"
	}
	info.Params = p
	return info
}

func (a *textAdapter) Encode(ctx context.Context, recs []corpus.Record) ([]float32, error) {
	toks := make([][]string, len(recs))
	for i, r := range recs {
		toks[i] = a.tok.Tokens(r.Text)
	}
	return a.enc.EncodeTokens(ctx, toks)
}

// Tokens tokenises a text as the encoder's corpus was.
func (a *textAdapter) Tokens(s string) []string { return a.tok.Tokens(s) }

// Known reports whether the encoder knows a token (true when it cannot tell).
func (a *textAdapter) Known(tok string) bool {
	if k, ok := a.enc.(interface{ Known(string) bool }); ok {
		return k.Known(tok)
	}
	return true
}

// TextQuerier is what Texts returns besides Encoder: it tokenises a typed query.
type TextQuerier interface {
	Tokens(s string) []string
}

// VectorsName identifies the identity encoder in manifests.
const VectorsName = "vectors"

// Vectors is the identity encoder for corpora of vectors of dimension dim.
func Vectors(dim int) Encoder { return vectorsEnc(dim) }

type vectorsEnc int

func (v vectorsEnc) Kind() corpus.Kind { return corpus.Vector }
func (v vectorsEnc) Dim() int          { return int(v) }
func (v vectorsEnc) Info() index.EncoderInfo {
	return index.EncoderInfo{Name: VectorsName, Version: "1", Params: map[string]string{"dim": strconv.Itoa(int(v))}}
}

func (v vectorsEnc) Encode(_ context.Context, recs []corpus.Record) ([]float32, error) {
	out := make([]float32, 0, len(recs)*int(v))
	for _, r := range recs {
		if len(r.Vector) != int(v) {
			return nil, fmt.Errorf("%s: %w: %d values, want %d", r.Ref, index.ErrDimension, len(r.Vector), int(v))
		}
		out = append(out, r.Vector...)
	}
	return out, nil
}
