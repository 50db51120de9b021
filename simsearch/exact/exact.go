// Package exact is brute-force k-nearest-neighbour search (squared L2) as a GoMLX graph: a
// matrix product for all distances, then k rounds of arg-min. On XLA CUDA it runs on the
// GPU; it is the fallback where FAISS has no GPU build, and a reference on any backend.
package exact

import (
	"context"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Searcher holds base vectors for exact search on a backend.
type Searcher struct {
	n, d  int
	base  *tensors.Tensor
	norms *tensors.Tensor
	execs map[int]*Exec // by k
	be    backends.Backend
	// QueryBatch is how many queries one graph call handles (the distance matrix is
	// QueryBatch × n floats); default 256.
	QueryBatch int
}

// New uploads n×d base vectors (flat, row-major).
func New(be backends.Backend, base []float32, d int) (*Searcher, error) {
	if d < 1 || len(base) == 0 || len(base)%d != 0 {
		return nil, fmt.Errorf("exact: %d values is not a non-empty set of %d-dimensional vectors", len(base), d)
	}
	n := len(base) / d
	norms := make([]float32, n)
	for i := 0; i < n; i++ {
		var s float32
		for _, x := range base[i*d : (i+1)*d] {
			s += x * x
		}
		norms[i] = s
	}
	return &Searcher{n: n, d: d, be: be, base: tensors.FromFlatDataAndDimensions(base, n, d),
		norms: tensors.FromFlatDataAndDimensions(norms, n), execs: map[int]*Exec{}, QueryBatch: 256}, nil
}

// Len is the number of base vectors.
func (s *Searcher) Len() int { return s.n }

func (s *Searcher) exec(k int) (*Exec, error) {
	if e, ok := s.execs[k]; ok {
		return e, nil
	}
	e, err := NewExec(s.be, func(q, base, norms *Node) (*Node, *Node) {
		return topK(q, base, norms, k)
	})
	if err != nil {
		return nil, err
	}
	s.execs[k] = e
	return e, nil
}

// topK returns the ids [nq,k] (int32) and squared distances [nq,k] of the k closest rows.
func topK(q, base, norms *Node, k int) (*Node, *Node) {
	g := q.Graph()
	nq, n := q.Shape().Dimensions[0], base.Shape().Dimensions[0]
	qn := ReduceSum(Square(q), 1)                                                 // [nq]
	dots := DotGeneral(q, []int{1}, nil, base, []int{1}, nil)                     // [nq, n]
	neg := Sub(MulScalar(dots, 2), Add(InsertAxes(qn, -1), InsertAxes(norms, 0))) // -distance
	iota := Iota(g, shapes.Make(dtypes.Int32, nq, n), 1)
	lowest := Infinity(g, neg.DType(), -1)
	var ids, vals []*Node
	for i := 0; i < k; i++ {
		idx := ArgMax(neg, 1, dtypes.Int32) // [nq]
		hit := Equal(iota, InsertAxes(idx, -1))
		vals = append(vals, InsertAxes(Neg(ReduceMax(Where(hit, neg, BroadcastToShape(lowest, neg.Shape())), 1)), -1))
		ids = append(ids, InsertAxes(idx, -1))
		neg = Where(hit, BroadcastToShape(lowest, neg.Shape()), neg)
	}
	return Concatenate(ids, 1), Concatenate(vals, 1)
}

// Search returns, for each of the nq queries (flat nq×d), the ids and squared L2
// distances of its k nearest base vectors, nearest first.
func (s *Searcher) Search(ctx context.Context, queries []float32, k int) ([]int64, []float32, error) {
	if k < 1 || k > s.n {
		return nil, nil, fmt.Errorf("exact: k=%d outside 1..%d", k, s.n)
	}
	if len(queries)%s.d != 0 {
		return nil, nil, fmt.Errorf("exact: dimension mismatch: %d values for %d-dimensional queries", len(queries), s.d)
	}
	e, err := s.exec(k)
	if err != nil {
		return nil, nil, err
	}
	nq := len(queries) / s.d
	ids := make([]int64, 0, nq*k)
	dists := make([]float32, 0, nq*k)
	for start := 0; start < nq; start += s.QueryBatch {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		end := min(start+s.QueryBatch, nq)
		// Every call has QueryBatch rows (the last one zero-padded): one compiled graph.
		batch := queries[start*s.d : end*s.d]
		if end-start < s.QueryBatch && nq > s.QueryBatch {
			batch = append(make([]float32, 0, s.QueryBatch*s.d), batch...)
			batch = batch[:s.QueryBatch*s.d]
		}
		rows := len(batch) / s.d
		out, err := e.Exec(tensors.FromFlatDataAndDimensions(batch, rows, s.d), s.base, s.norms)
		if err != nil {
			return nil, nil, fmt.Errorf("exact: %w", err)
		}
		idv := tensors.MustCopyFlatData[int32](out[0])
		dv := tensors.MustCopyFlatData[float32](out[1])
		for i, id := range idv[:(end-start)*k] {
			ids = append(ids, int64(id))
			dists = append(dists, float32(math.Max(0, float64(dv[i]))))
		}
		out[0].FinalizeAll()
		out[1].FinalizeAll()
	}
	return ids, dists, nil
}
