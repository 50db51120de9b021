package explore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Project2D maps every item of the index to 2-D by principal component analysis (gonum's
// stat.PC), fitted on a random sample of at most sample items (default 5,000) and applied
// to all: a map of the corpus in which nearby points are similar items.
func Project2D(ctx context.Context, ix index.Store, sample int) ([][2]float32, error) {
	n, d := ix.Len(), ix.Dim()
	if n < 3 {
		return nil, fmt.Errorf("map: need at least 3 items, have %d", n)
	}
	all := make([]float32, 0, n*d)
	if err := ix.EachVector(func(_ int64, v []float32) error { all = append(all, v...); return nil }); err != nil {
		return nil, err
	}
	out, err := pca2(ctx, all, d, sample)
	if err != nil {
		return nil, fmt.Errorf("map: %w", err)
	}
	return out, nil
}

// pca2 projects the rows of all (n·d values, n ≥ 3) onto their two leading principal
// components, fitted on a random sample of at most sample rows (default 5,000; the same
// sample for the same n) and applied to every row.
func pca2(ctx context.Context, all []float32, d, sample int) ([][2]float32, error) {
	n := len(all) / d
	if sample <= 0 {
		sample = 5000
	}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	if n > sample {
		rows = rand.New(rand.NewPCG(1, 13)).Perm(n)[:sample]
		slices.Sort(rows)
	}
	x := mat.NewDense(len(rows), d, nil)
	for r, i := range rows {
		for j := range d {
			x.Set(r, j, float64(all[i*d+j]))
		}
	}
	var pc stat.PC
	if ok := pc.PrincipalComponents(x, nil); !ok {
		return nil, fmt.Errorf("principal component analysis failed")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	var comp [2][]float64
	for c := range 2 {
		comp[c] = mat.Col(nil, c, &vecs)
	}
	mean := make([]float64, d)
	for r := range rows {
		for j := range d {
			mean[j] += x.At(r, j) / float64(len(rows))
		}
	}
	out := make([][2]float32, n)
	for i := range n {
		for c := range 2 {
			var s float64
			for j := range d {
				s += (float64(all[i*d+j]) - mean[j]) * comp[c][j]
			}
			out[i][c] = float32(s)
		}
	}
	return out, nil
}
