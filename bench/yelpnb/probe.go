package main

import (
	"fmt"
	"math"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// probe fits a least-squares linear classifier (targets ±1, a bias, a small ridge) to the
// vectors of an index's sentences whose text is not a query's, and reports its accuracy on
// the vectors of the sentences that are: how much sentiment the codes hold linearly,
// whatever their neighbourhoods look like.
func probe(dir string, queryLabel map[string]int) error {
	ix, err := index.Open(dir)
	if err != nil {
		return err
	}
	defer ix.Close()
	d := ix.Dim() + 1
	a := make([]float64, d*d) // XᵀX
	b := make([]float64, d)   // Xᵀy
	row := func(id int) ([]float64, error) {
		v, err := ix.Vector(int64(id))
		if err != nil {
			return nil, err
		}
		x := make([]float64, d)
		for i, f := range v {
			x[i] = float64(f)
		}
		x[d-1] = 1
		return x, nil
	}
	items := ix.Items()
	var test []int
	seen := map[string]bool{}
	for id, it := range items {
		if _, ok := queryLabel[it.Text]; ok {
			if !seen[it.Text] {
				seen[it.Text] = true
				test = append(test, id)
			}
			continue
		}
		x, err := row(id)
		if err != nil {
			return err
		}
		y := -1.0
		if it.Label == "positive" {
			y = 1
		}
		for i := range d {
			b[i] += x[i] * y
			for j := range d {
				a[i*d+j] += x[i] * x[j]
			}
		}
	}
	if len(test) == 0 {
		return fmt.Errorf("%s holds none of the query sentences", dir)
	}
	for i := range d {
		a[i*d+i] += 1e-3 * float64(len(items))
	}
	w, err := solve(a, b, d)
	if err != nil {
		return err
	}
	correct := 0
	for _, id := range test {
		x, err := row(id)
		if err != nil {
			return err
		}
		var s float64
		for i := range d {
			s += w[i] * x[i]
		}
		if (s > 0) == (queryLabel[items[id].Text] == 1) {
			correct++
		}
	}
	fmt.Printf("%s (%s, %d-d): linear probe accuracy %.3f on the %d queries it holds\n",
		dir, ix.Encoder().Name, ix.Dim(), float64(correct)/float64(len(test)), len(test))
	return nil
}

// solve solves the symmetric positive-definite system a·x = b (a is n×n, row-major) by
// Cholesky decomposition.
func solve(a, b []float64, n int) ([]float64, error) {
	l := make([]float64, n*n)
	for i := range n {
		for j := 0; j <= i; j++ {
			s := a[i*n+j]
			for k := range j {
				s -= l[i*n+k] * l[j*n+k]
			}
			if i == j {
				if s <= 0 {
					return nil, fmt.Errorf("probe: matrix not positive definite at %d", i)
				}
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+j] = s / l[j*n+j]
			}
		}
	}
	y := make([]float64, n)
	for i := range n {
		s := b[i]
		for k := range i {
			s -= l[i*n+k] * y[k]
		}
		y[i] = s / l[i*n+i]
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * x[k]
		}
		x[i] = s / l[i*n+i]
	}
	return x, nil
}
