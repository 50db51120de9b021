package ingest

import (
	"context"
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/corpushunt/corpushunt/internal/corpustest"
	"github.com/corpushunt/corpushunt/simsearch/bow"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/pixels"
)

var ctx = context.Background()

func TestVectorsFlatAndIVF(t *testing.T) {
	c := corpustest.Vectors(1200, 16, 4)
	for _, factory := range []string{"Flat", "IVF8,Flat"} {
		var last int
		ix, err := Build(ctx, c, Vectors(16), Options{Limit: 1000, BatchSize: 128, Factory: factory, Progress: func(done, total int) { last = done }})
		if err != nil {
			t.Fatalf("%s: %v", factory, err)
		}
		if ix.Len() != 1000 || last != 1000 || ix.Dim() != 16 {
			t.Fatalf("%s: len %d, progress %d, dim %d", factory, ix.Len(), last, ix.Dim())
		}
		it, _ := ix.Item(13)
		if it.Label != "c1" || it.Ref != "v13" {
			t.Errorf("%s item 13: %+v", factory, it)
		}
		if ix.Corpus().Source != "test" {
			t.Errorf("%s: corpus spec not recorded: %+v", factory, ix.Corpus())
		}
		hits, err := ix.SearchByID(ctx, 13, 5, true, index.SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.Item.Label != "c1" {
				t.Errorf("%s: neighbour %+v has another label", factory, h)
			}
		}
		ix.Close()
	}
	vecs, items, err := Encode(ctx, c, Vectors(16), 50, 16)
	if err != nil || len(items) != 50 || len(vecs) != 50*16 {
		t.Errorf("Encode: %d items, %d values, %v", len(items), len(vecs), err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Build(cancelled, c, Vectors(16), Options{}); err == nil {
		t.Error("cancelled context ignored")
	}
	if _, err := Build(ctx, c, Vectors(8), Options{}); !errors.Is(err, index.ErrDimension) {
		t.Errorf("wrong dimension: %v", err)
	}
}

func TestKindsMustAgree(t *testing.T) {
	p, _ := pixels.New(4, 4, 3, 1)
	if _, err := Build(ctx, corpustest.Vectors(10, 4, 2), Images(p, ""), Options{}); !errors.Is(err, ErrKind) {
		t.Errorf("image encoder on vectors: %v", err)
	}
}

// Images of any size are resized to the encoder's input; the fit mode is recorded.
func TestImagesAnySize(t *testing.T) {
	c := &corpustest.Slice{K: corpus.Image}
	for i, size := range []int{4, 7, 30, 64} {
		img := image.NewGray(image.Rect(0, 0, size, size*2))
		for j := range img.Pix {
			img.Pix[j] = uint8(60 * (i % 2))
		}
		c.Records = append(c.Records, corpus.Record{Item: corpus.Item{Ref: "img" + string(rune('a'+i))}, Image: img})
	}
	c.Records = append(c.Records, corpus.Record{Item: corpus.Item{Ref: "rgba"}, Image: solid(color.RGBA{200, 10, 10, 255})})
	p, _ := pixels.New(8, 8, 3, 1)
	enc := Images(p, "pad")
	ix, err := Build(ctx, c, enc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ix.Len() != 5 || ix.Encoder().Params["fit"] != "pad" || ix.Encoder().Params["input"] != "8x8x3" {
		t.Errorf("len %d, encoder %+v", ix.Len(), ix.Encoder())
	}
}

func solid(c color.Color) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 3, 5))
	for y := range 5 {
		for x := range 3 {
			img.Set(x, y, c)
		}
	}
	return img
}

func TestTextsTokenizerRecordedAndUsed(t *testing.T) {
	c := &corpustest.Slice{K: corpus.Text}
	for i, s := range []string{"Disk full on /var/log at 12:01", "disk FULL on /tmp at 13:44", "user alice logged in", "user bob logged in"} {
		c.Records = append(c.Records, corpus.Record{Item: corpus.Item{Ref: string(rune('a' + i))}, Text: s})
	}
	tok := Tokenizer{Name: "words", MaskLogs: true}
	f, _ := bow.NewFitter(32, 1)
	for _, r := range c.Records {
		f.Add(tok.Tokens(r.Text))
	}
	e, _ := f.Done()
	ix, err := Build(ctx, c, Texts(e, tok), Options{Metric: index.Cosine})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	got := TokenizerOf(ix.Encoder())
	if got.Name != "words" || !got.MaskLogs {
		t.Errorf("tokenizer read back as %+v", got)
	}
	hits, _ := ix.SearchByID(ctx, 0, 1, true, index.SearchOptions{})
	if len(hits) != 1 || hits[0].ID != 1 {
		t.Errorf("masked log lines of one template are not each other's neighbours: %+v", hits)
	}
	if err := (Tokenizer{Name: "nope"}).Validate(); err == nil {
		t.Error("unknown tokenizer accepted")
	}
}

func TestSameEncoder(t *testing.T) {
	a := index.EncoderInfo{Name: "convae", Version: "1", Checksum: "aaa", Params: map[string]string{"fit": "crop"}}
	for _, b := range []index.EncoderInfo{
		{Name: "pixels", Version: "1"},
		{Name: "convae", Version: "2", Checksum: "aaa"},
		{Name: "convae", Version: "1", Checksum: "bbb"},
		{Name: "convae", Version: "1", Checksum: "aaa", Params: map[string]string{"fit": "pad"}},
	} {
		if err := SameEncoder(a, b); !errors.Is(err, ErrEncoderMismatch) {
			t.Errorf("%+v accepted as %+v: %v", b, a, err)
		}
	}
	if err := SameEncoder(a, a); err != nil {
		t.Errorf("same encoder refused: %v", err)
	}
}
