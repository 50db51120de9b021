package blas

import (
	"fmt"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// dgCase is one DotGeneral: operand dimensions and axes as graph.DotGeneral takes them.
type dgCase struct {
	name                  string
	lhsDims, rhsDims      []int
	lhsContract, lhsBatch []int
	rhsContract, rhsBatch []int
	float64               bool // float64 operands (never sgemm)
}

func selfTestCases() []dgCase {
	return []dgCase{
		{name: "matmul [7,9]·[9,6]", lhsDims: []int{7, 9}, rhsDims: []int{9, 6}, lhsContract: []int{1}, rhsContract: []int{0}},
		{name: "transposed [9,7]ᵀ·[6,9]ᵀ", lhsDims: []int{9, 7}, rhsDims: []int{6, 9}, lhsContract: []int{0}, rhsContract: []int{1}},
		{name: "batched [3,5,4]·[3,4,6]", lhsDims: []int{3, 5, 4}, rhsDims: []int{3, 4, 6},
			lhsContract: []int{2}, lhsBatch: []int{0}, rhsContract: []int{1}, rhsBatch: []int{0}},
		{name: "strided batch [5,3,4]·[4,3,6]", lhsDims: []int{5, 3, 4}, rhsDims: []int{4, 3, 6},
			lhsContract: []int{2}, lhsBatch: []int{1}, rhsContract: []int{0}, rhsBatch: []int{1}},
	}
}

var (
	caseBackendsOnce sync.Once
	caseBE, refBE    backends.Backend
	caseBEErr        error
)

// caseBackends: one plain simplego backend, and one whose DotGenerals always take the stock
// kernel (the reference).
func caseBackends() (be, ref backends.Backend, err error) {
	caseBackendsOnce.Do(func() {
		if caseBE, caseBEErr = simplego.New(""); caseBEErr != nil {
			return
		}
		if refBE, caseBEErr = simplego.New(""); caseBEErr != nil {
			return
		}
		sb, ok := refBE.(*simplego.Backend)
		if !ok {
			caseBEErr = fmt.Errorf("simplego.New returned %T", refBE)
			return
		}
		bypass.Store(sb, true)
	})
	return caseBE, refBE, caseBEErr
}

// caseInputs are deterministic values in [-1, 1).
func caseInputs(c dgCase) (*tensors.Tensor, *tensors.Tensor) {
	fill := func(dims []int, seed uint32) *tensors.Tensor {
		n := 1
		for _, d := range dims {
			n *= d
		}
		v := make([]float32, n)
		s := seed
		for i := range v {
			s = s*1664525 + 1013904223
			v[i] = float32(s>>8)/float32(1<<23) - 1
		}
		if c.float64 {
			w := make([]float64, n)
			for i := range v {
				w[i] = float64(v[i])
			}
			return tensors.FromFlatDataAndDimensions(w, dims...)
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
	return fill(c.lhsDims, 1), fill(c.rhsDims, 2)
}

// runCase computes c on the plain backend (reference=false: the override when engaged) or on
// the reference backend (the stock kernel).
func runCase(c dgCase, reference bool) (out []float32, err error) {
	be, ref, err := caseBackends()
	if err != nil {
		return nil, err
	}
	if reference {
		be = ref
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %v", c.name, r)
		}
	}()
	exec, err := graph.NewExec(be, func(l, r *graph.Node) *graph.Node {
		return graph.DotGeneral(l, c.lhsContract, c.lhsBatch, r, c.rhsContract, c.rhsBatch)
	})
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	l, r := caseInputs(c)
	res, err := exec.Exec(l, r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	if c.float64 {
		w, err := tensors.CopyFlatData[float64](res[0])
		out = make([]float32, len(w))
		for i := range w {
			out[i] = float32(w[i])
		}
		return out, err
	}
	return tensors.CopyFlatData[float32](res[0])
}
