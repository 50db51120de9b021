package bow

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func toks(s ...string) [][]string {
	var out [][]string
	for _, x := range s {
		out = append(out, strings.Fields(x))
	}
	return out
}

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestSharedWordsAreCloser(t *testing.T) {
	corpus := toks("the food was cold", "the waiter was rude", "great food and friendly staff", "the place was clean", "friendly staff great place")
	e, err := Fit(corpus, 256, 7)
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.EncodeTokens(context.Background(), toks("cold food", "the food was cold", "friendly staff great place"))
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := v[:256], v[256:512], v[512:]
	if math.Abs(cos(a, a)-1) > 1e-5 {
		t.Errorf("vectors not unit length: %v", cos(a, a))
	}
	if !(cos(a, b) > 0.5 && cos(a, b) > cos(a, c)+0.3) {
		t.Errorf("cos(cold food, the food was cold) = %.3f, cos(cold food, friendly staff…) = %.3f", cos(a, b), cos(a, c))
	}
	// Rare words weigh more than frequent ones (IDF).
	if e.idf("cold") <= e.idf("the") {
		t.Errorf("idf(cold) %.3f ≤ idf(the) %.3f", e.idf("cold"), e.idf("the"))
	}
	if _, err := e.EncodeTokens(context.Background(), [][]string{{}}); !errors.Is(err, ErrEmptyText) {
		t.Errorf("empty sentence: %v", err)
	}
	p := filepath.Join(t.TempDir(), "bow.json")
	if err := e.Save(p); err != nil {
		t.Fatal(err)
	}
	e2, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := e2.EncodeTokens(context.Background(), toks("cold food"))
	for i := range w {
		if w[i] != a[i] {
			t.Fatal("reloaded encoder encodes differently")
		}
	}
}

// BenchmarkEncode compares encoding with and without the word-vector cache in one run
// (the speed-up BENCHMARKS.md reports); the outputs are checked equal first.
func BenchmarkEncode(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	var sents [][]string
	for range 20000 {
		var s []string
		for range 8 + r.IntN(8) {
			s = append(s, fmt.Sprintf("w%d", int(3000*r.Float64()*r.Float64())))
		}
		sents = append(sents, s)
	}
	fit := func(noCache bool) *Encoder {
		e, _ := Fit(sents, 256, 1)
		e.noCache = noCache
		return e
	}
	ctx := context.Background()
	a, _ := fit(true).EncodeTokens(ctx, sents[:500])
	c, _ := fit(false).EncodeTokens(ctx, sents[:500])
	if !slices.Equal(a, c) {
		b.Fatal("cached and uncached encodings differ")
	}
	for _, noCache := range []bool{true, false} {
		name := map[bool]string{true: "draw-every-word", false: "cached"}[noCache]
		b.Run(name, func(b *testing.B) {
			e := fit(noCache)
			for range b.N {
				if _, err := e.EncodeTokens(ctx, sents); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(sents)*b.N)/b.Elapsed().Seconds(), "texts/s")
		})
	}
}
