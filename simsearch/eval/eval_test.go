package eval

import (
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
