// Package eval scores encoders by how well their neighbours agree with labels the encoder
// never saw: precision@k is the fraction of a query's k nearest neighbours that share the
// query's label, averaged over queries. For CIFAR-10 this is the standard way to compare
// unsupervised image encoders; for Yelp it is sentiment agreement@k.
package eval

import (
	"context"
	"fmt"
	"slices"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Report holds precision@k for several k.
type Report struct {
	Queries   int         `json:"queries"`
	K         []int       `json:"k"`
	Precision []float64   `json:"precision"`           // mean over queries, one per K
	PerClass  [][]float64 `json:"per_class,omitempty"` // [label][k index]
	Classes   []int       `json:"classes,omitempty"`   // labels of PerClass rows
}

// At returns precision@k, or -1 if k was not measured.
func (r *Report) At(k int) float64 {
	for i, kk := range r.K {
		if kk == k {
			return r.Precision[i]
		}
	}
	return -1
}

// Precision computes precision@k for each k from ranked hits (hits[i] for the query with
// label labels[i]). Queries with fewer than k hits count the missing ones as misses.
func Precision(labels []int, hits [][]index.Hit, ks []int) (*Report, error) {
	if len(labels) != len(hits) {
		return nil, fmt.Errorf("eval: %d labels for %d queries", len(labels), len(hits))
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("eval: no queries")
	}
	ks = slices.Clone(ks)
	slices.Sort(ks)
	rep := &Report{Queries: len(labels), K: ks, Precision: make([]float64, len(ks))}
	perClass := map[int][]float64{}
	counts := map[int]int{}
	for i, hs := range hits {
		same := 0
		ki := 0
		pc := perClass[labels[i]]
		if pc == nil {
			pc = make([]float64, len(ks))
			perClass[labels[i]] = pc
		}
		counts[labels[i]]++
		for j := 0; j < ks[len(ks)-1] && ki < len(ks); j++ {
			if j < len(hs) && hs[j].Item.Label == labels[i] {
				same++
			}
			for ki < len(ks) && j+1 == ks[ki] {
				p := float64(same) / float64(ks[ki])
				rep.Precision[ki] += p
				pc[ki] += p
				ki++
			}
		}
	}
	for i := range rep.Precision {
		rep.Precision[i] /= float64(len(labels))
	}
	for l := range perClass {
		rep.Classes = append(rep.Classes, l)
	}
	slices.Sort(rep.Classes)
	for _, l := range rep.Classes {
		row := perClass[l]
		for i := range row {
			row[i] /= float64(counts[l])
		}
		rep.PerClass = append(rep.PerClass, row)
	}
	return rep, nil
}

// Run searches the index with query vectors and scores the hits against labels.
// excludeSelf drops hits whose item equals the query (use when queries come from the
// index itself); pass nil otherwise.
func Run(ctx context.Context, ix *index.Index, queries []float32, labels []int, ks []int, opts index.SearchOptions) (*Report, error) {
	if len(ks) == 0 {
		return nil, fmt.Errorf("eval: no k given")
	}
	kmax := slices.Max(ks)
	if kmax < 1 {
		return nil, fmt.Errorf("eval: %w", index.ErrBadK)
	}
	hits, err := ix.Search(ctx, queries, kmax, opts)
	if err != nil && hits == nil {
		return nil, err
	}
	return Precision(labels, hits, ks)
}
