package ingest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/datasets/cifar10/cifar10test"
	"github.com/corpushunt/corpushunt/datasets/yelp"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/pixels"
)

func fixture(t *testing.T, n int) *cifar10.Dataset {
	t.Helper()
	root := cifar10test.Write(t, t.TempDir(), n, 0)
	ds, err := cifar10.Open(filepath.Join(root, "cifar-10-batches-bin"), cifar10.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestCIFAR10FlatAndIVF(t *testing.T) {
	ds := fixture(t, 1200)
	enc, _ := pixels.New(32, 32, 3, 4)
	ctx := context.Background()
	for _, factory := range []string{"Flat", "IVF8,Flat"} {
		var last int
		ix, err := CIFAR10(ctx, ds, enc, Options{Limit: 1000, BatchSize: 128, Factory: factory, Progress: func(done, total int) { last = done }})
		if err != nil {
			t.Fatalf("%s: %v", factory, err)
		}
		if ix.Len() != 1000 || last != 1000 || ix.Dim() != 8*8*3 {
			t.Fatalf("%s: len %d, progress %d, dim %d", factory, ix.Len(), last, ix.Dim())
		}
		it, _ := ix.Item(13)
		if it.Label != 3 || it.LabelName != "d" || it.Split != "train" {
			t.Errorf("%s item 13: %+v", factory, it)
		}
		hits, err := ix.SearchByID(ctx, 13, 5, true, index.SearchOptions{Nprobe: 8 * btoi(factory != "Flat")})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.Item.Label != 3 {
				t.Errorf("%s: neighbour %+v has another label", factory, h)
			}
		}
		if ix.Encoder().Name != "pixels" {
			t.Errorf("encoder info %+v", ix.Encoder())
		}
		ix.Close()
	}
	vecs, labels, err := EncodeCIFAR10(ctx, ds, enc, "train", 50, 16)
	if err != nil || len(labels) != 50 || len(vecs) != 50*enc.Dim() {
		t.Errorf("EncodeCIFAR10: %d labels, %d values, %v", len(labels), len(vecs), err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := CIFAR10(cancelled, ds, enc, Options{}); err == nil {
		t.Error("cancelled context ignored")
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestWithout(t *testing.T) {
	s := func(texts ...string) []yelp.Sentence {
		var out []yelp.Sentence
		for i, x := range texts {
			out = append(out, yelp.Sentence{Text: x, Ref: yelp.Ref{File: "f", Line: i + 1}})
		}
		return out
	}
	kept, n := Without(s("a b .", "c .", "a b .", "d ."), s("a b .", "z ."))
	if n != 2 || len(kept) != 2 || kept[0].Text != "c ." || kept[1].Text != "d ." || kept[1].Ref.Line != 4 {
		t.Errorf("Without dropped %d, kept %+v", n, kept)
	}
	if kept, n := Without(s("a", "b"), nil); n != 0 || len(kept) != 2 {
		t.Errorf("nothing held out: dropped %d, kept %d", n, len(kept))
	}
}
