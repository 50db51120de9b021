package eval

import (
	"errors"
	"math"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

func hits(labels ...int) []index.Hit {
	var hs []index.Hit
	for i, l := range labels {
		hs = append(hs, index.Hit{Rank: i + 1, Item: index.Item{Label: l}})
	}
	return hs
}

func TestPrecision(t *testing.T) {
	rep, err := Precision([]int{1, 2}, [][]index.Hit{hits(1, 1, 0, 1), hits(0, 2, 2)}, []int{4, 1, 2})
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
	if _, err := Precision([]int{1}, nil, []int{1}); err == nil {
		t.Error("length mismatch accepted")
	}
}

func TestCompare(t *testing.T) {
	// 400 queries: b finds the right label at rank 1 for 60% of them, a for 40%, so
	// b − a = +0.2 at k=1; the interval must contain it and exclude 0.
	var labels []int
	var ha, hb [][]index.Hit
	for i := 0; i < 400; i++ {
		labels = append(labels, 1)
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
