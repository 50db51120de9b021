package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

func hits(labels ...int) []index.Hit {
	var hs []index.Hit
	for i, l := range labels {
		hs = append(hs, index.Hit{Rank: i + 1, Item: index.Item{Label: fmt.Sprint(l)}})
	}
	return hs
}

func lbl(ls ...int) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = fmt.Sprint(l)
	}
	return out
}

func TestPrecision(t *testing.T) {
	rep, err := Precision(lbl(1, 2), [][]index.Hit{hits(1, 1, 0, 1), hits(0, 2, 2)}, []int{4, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	// query 0: p@1=1, p@2=1, p@4=3/4; query 1 (3 hits only): p@1=0, p@2=1/2, p@4=2/4.
	want := map[int]float64{1: 0.5, 2: 0.75, 4: 0.625}
	for k, w := range want {
		if got := rep.At(k); math.Abs(got-w) > 1e-12 {
			t.Errorf("p@%d = %v, want %v", k, got, w)
		}
	}
	if rep.At(3) != -1 {
		t.Error("unmeasured k should give -1")
	}
	if len(rep.Classes) != 2 || rep.PerClass[1][0] != 0 || rep.PerClass[0][0] != 1 {
		t.Errorf("per class %v %v", rep.Classes, rep.PerClass)
	}
	if _, err := Precision(lbl(1), nil, []int{1}); err == nil {
		t.Error("length mismatch accepted")
	}
}

func TestCompare(t *testing.T) {
	// 400 queries: b finds the right label at rank 1 for 60% of them, a for 40%, so
	// b − a = +0.2 at k=1; the interval must contain it and exclude 0.
	var labels []string
	var ha, hb [][]index.Hit
	for i := 0; i < 400; i++ {
		labels = append(labels, "1")
		ha = append(ha, hits(map[bool]int{true: 1, false: 0}[i%5 < 2]))
		hb = append(hb, hits(map[bool]int{true: 1, false: 0}[i%5 < 3]))
	}
	a, _ := Precision(labels, ha, []int{1})
	b, _ := Precision(labels, hb, []int{1})
	d, err := Compare(a, b, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(d.Mean-0.2) > 1e-12 || !(d.Lo > 0 && d.Lo < 0.2 && d.Hi > 0.2 && d.Hi < 0.3) || d.Queries != 400 {
		t.Errorf("difference %+v, want mean 0.2 with an interval around it above 0", d)
	}
	// Identical reports: zero difference, zero-width interval.
	if d, _ := Compare(a, a, 1, 100); d.Mean != 0 || d.Lo != 0 || d.Hi != 0 {
		t.Errorf("self-comparison %+v", d)
	}
	if _, err := Compare(a, b, 10, 0); !errors.Is(err, ErrNotComparable) {
		t.Errorf("unmeasured k: %v", err)
	}
	c, _ := Precision(labels[:10], hb[:10], []int{1})
	if _, err := Compare(a, c, 1, 0); !errors.Is(err, ErrNotComparable) {
		t.Errorf("different query sets: %v", err)
	}
}

func TestSearchExcept(t *testing.T) {
	// 30 copies of the query's own text at distance 0, then items 1, 2, 3, ... further away.
	const dim = 2
	var vecs []float32
	var items []index.Item
	for i := 0; i < 30; i++ {
		vecs = append(vecs, 0, 0)
		items = append(items, index.Item{Text: "dup", Label: "9"})
	}
	for i := 1; i <= 20; i++ {
		vecs = append(vecs, float32(i), 0)
		items = append(items, index.Item{Text: fmt.Sprint(i), Label: fmt.Sprint(i % 2)})
	}
	ix, err := index.Build(context.Background(), index.Config{Dim: dim}, vecs, items, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	queries := []float32{0, 0, 20.5, 0} // a duplicate-ridden query and a plain one
	skip := func(q int, h index.Hit) bool { return h.Item.Text == "dup" }
	for _, k := range []int{1, 5, 20} {
		hits, err := SearchExcept(context.Background(), ix, queries, dim, k, index.SearchOptions{}, skip)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits[0]) != k || len(hits[1]) != k {
			t.Fatalf("k=%d: got %d and %d hits", k, len(hits[0]), len(hits[1]))
		}
		for j, h := range hits[0] {
			if h.Item.Text != fmt.Sprint(j+1) {
				t.Errorf("k=%d: query 0 hit %d is %q, want %q (duplicates must be skipped, order kept)", k, j, h.Item.Text, fmt.Sprint(j+1))
			}
		}
		if hits[1][0].Item.Text != "20" {
			t.Errorf("k=%d: query 1 nearest is %q", k, hits[1][0].Item.Text)
		}
	}
	// More than the index holds after skipping: every acceptable item, no error.
	hits, err := SearchExcept(context.Background(), ix, queries[:dim], dim, 40, index.SearchOptions{}, skip)
	if err != nil || len(hits[0]) != 20 {
		t.Fatalf("k beyond the index: %d hits, %v", len(hits[0]), err)
	}
	if _, err := SearchExcept(context.Background(), ix, queries[:3], dim, 1, index.SearchOptions{}, nil); !errors.Is(err, index.ErrDimension) {
		t.Errorf("ragged queries: %v", err)
	}
}
