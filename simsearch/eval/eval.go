// Package eval scores encoders by how well their neighbours agree with labels the encoder
// never saw: precision@k is the fraction of a query's k nearest neighbours that share the
// query's label, averaged over queries. For CIFAR-10 this is the standard way to compare
// unsupervised image encoders; for Yelp it is sentiment agreement@k.
package eval

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Report holds precision@k for several k.
type Report struct {
	Queries   int         `json:"queries"`
	K         []int       `json:"k"`
	Precision []float64   `json:"precision"`           // mean over queries, one per K
	PerClass  [][]float64 `json:"per_class,omitempty"` // [label][k index]
	Classes   []string    `json:"classes,omitempty"`   // labels of PerClass rows
	// PerQuery[i][j] is query i's precision at K[j]: what Compare resamples.
	PerQuery [][]float64 `json:"-"`
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
// label labels[i]). Queries with fewer than k hits count the missing ones as misses. Every
// query needs a label; hits without one never match.
func Precision(labels []string, hits [][]index.Hit, ks []int) (*Report, error) {
	if len(labels) != len(hits) {
		return nil, fmt.Errorf("eval: %d labels for %d queries", len(labels), len(hits))
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("eval: no queries")
	}
	if i := slices.Index(labels, ""); i >= 0 {
		return nil, fmt.Errorf("eval: query %d has no label: precision needs labelled queries", i)
	}
	if len(ks) == 0 || slices.Min(ks) < 1 {
		return nil, fmt.Errorf("eval: %w: k values %v", index.ErrBadK, ks)
	}
	ks = slices.Clone(ks)
	slices.Sort(ks)
	rep := &Report{Queries: len(labels), K: ks, Precision: make([]float64, len(ks))}
	rep.PerQuery = make([][]float64, len(labels))
	perClass := map[string][]float64{}
	counts := map[string]int{}
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
				if rep.PerQuery[i] == nil {
					rep.PerQuery[i] = make([]float64, len(ks))
				}
				rep.PerQuery[i][ki] = p
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
func Run(ctx context.Context, ix index.Store, queries []float32, labels []string, ks []int, opts index.SearchOptions) (*Report, error) {
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

// Searcher finds each query's k nearest items; *index.Index is one.
type Searcher interface {
	Search(ctx context.Context, queries []float32, k int, opts index.SearchOptions) ([][]index.Hit, error)
	Len() int
}

var _ Searcher = (*index.Index)(nil)

// SearchExcept returns each query's k nearest hits that skip(query, hit) does not reject,
// searching deeper for the queries whose first hits had too many rejects (a query's
// near-duplicates in the corpus, say), so every query gets k hits while the index has them
// and a query's hits never depend on how deep the others were searched. queries holds
// q·dim values; skip may be nil.
func SearchExcept(ctx context.Context, s Searcher, queries []float32, dim, k int, opts index.SearchOptions, skip func(q int, h index.Hit) bool) ([][]index.Hit, error) {
	if k < 1 {
		return nil, fmt.Errorf("eval: %w (got %d)", index.ErrBadK, k)
	}
	if dim < 1 || len(queries)%dim != 0 {
		return nil, fmt.Errorf("eval: %w: %d query values are not rows of %d", index.ErrDimension, len(queries), dim)
	}
	n := len(queries) / dim
	out := make([][]index.Hit, n)
	pending := make([]int, n)
	for i := range pending {
		pending[i] = i
	}
	total := s.Len()
	for depth := k + 1; len(pending) > 0; depth *= 4 {
		depth = min(depth, total)
		q := make([]float32, 0, len(pending)*dim)
		for _, i := range pending {
			q = append(q, queries[i*dim:(i+1)*dim]...)
		}
		hits, err := s.Search(ctx, q, depth, opts)
		if err != nil && !errors.Is(err, index.ErrKTooLarge) {
			return nil, err
		}
		var next []int
		for j, i := range pending {
			kept := make([]index.Hit, 0, k)
			for _, h := range hits[j] {
				if len(kept) == k {
					break
				}
				if skip == nil || !skip(i, h) {
					kept = append(kept, h)
				}
			}
			out[i] = kept
			if len(kept) < k && depth < total {
				next = append(next, i)
			}
		}
		pending = next
	}
	return out, nil
}

// ErrNotComparable is returned by Compare for reports not made on the same queries and k.
var ErrNotComparable = errors.New("eval: reports are not comparable")

// Difference is precision@K of one encoder minus another's on the same queries, with a
// 95% paired-bootstrap interval: an interval that excludes 0 says the difference is not
// the luck of the query sample.
type Difference struct {
	K       int     `json:"k"`
	Mean    float64 `json:"mean"`
	Lo      float64 `json:"lo"`
	Hi      float64 `json:"hi"`
	Queries int     `json:"queries"`
}

// Compare returns b − a at precision@k, resampling the queries (with replacement)
// resamples times (default 2,000) with a fixed seed, so the interval is reproducible.
func Compare(a, b *Report, k, resamples int) (Difference, error) {
	ia, ib := slices.Index(a.K, k), slices.Index(b.K, k)
	switch {
	case ia < 0 || ib < 0:
		return Difference{}, fmt.Errorf("%w: precision@%d not measured in both", ErrNotComparable, k)
	case a.Queries != b.Queries || len(a.PerQuery) != a.Queries || len(b.PerQuery) != b.Queries:
		return Difference{}, fmt.Errorf("%w: %d vs %d queries (or no per-query results)", ErrNotComparable, a.Queries, b.Queries)
	}
	if resamples <= 0 {
		resamples = 2000
	}
	n := a.Queries
	d := make([]float64, n)
	var mean float64
	for i := range d {
		d[i] = b.PerQuery[i][ib] - a.PerQuery[i][ia]
		mean += d[i]
	}
	r := rand.New(rand.NewPCG(1, uint64(n)))
	means := make([]float64, resamples)
	for s := range means {
		var sum float64
		for range n {
			sum += d[r.IntN(n)]
		}
		means[s] = sum / float64(n)
	}
	slices.Sort(means)
	return Difference{K: k, Mean: mean / float64(n), Lo: means[int(0.025*float64(resamples))],
		Hi: means[int(0.975*float64(resamples))-1], Queries: n}, nil
}
