// Package gradcheck compares GoMLX gradients with central finite differences, the test
// every operation and gradient rule in package backend (and the models built on them)
// must pass.
package gradcheck

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Result holds the largest absolute and relative differences found.
type Result struct {
	MaxAbs, MaxRel float64
	Worst          int // index of the worst element
}

// Check evaluates fn (which must reduce to a scalar; Check sums its output otherwise) at
// x0 (float64, shape dims), and compares the analytic gradient with central differences
// (step eps). It returns the differences; callers assert a tolerance.
func Check(be backends.Backend, fn func(x *Node) *Node, x0 []float64, dims []int, eps float64) (Result, error) {
	value, err := NewExec(be, func(x *Node) *Node { return ReduceAllSum(fn(x)) })
	if err != nil {
		return Result{}, err
	}
	grad, err := NewExec(be, func(x *Node) *Node { return Gradient(ReduceAllSum(fn(x)), x)[0] })
	if err != nil {
		return Result{}, err
	}
	at := func(v []float64) (float64, error) {
		out, err := value.Exec1(tensors.FromFlatDataAndDimensions(v, dims...))
		if err != nil {
			return 0, err
		}
		return out.Value().(float64), nil
	}
	gt, err := grad.Exec1(tensors.FromFlatDataAndDimensions(x0, dims...))
	if err != nil {
		return Result{}, err
	}
	analytic, err := tensors.CopyFlatData[float64](gt)
	if err != nil {
		return Result{}, err
	}
	if len(analytic) != len(x0) {
		return Result{}, fmt.Errorf("gradient has %d values for %d inputs", len(analytic), len(x0))
	}
	var res Result
	x := append([]float64(nil), x0...)
	for i := range x {
		orig := x[i]
		x[i] = orig + eps
		plus, err := at(x)
		if err != nil {
			return res, err
		}
		x[i] = orig - eps
		minus, err := at(x)
		if err != nil {
			return res, err
		}
		x[i] = orig
		numeric := (plus - minus) / (2 * eps)
		abs := math.Abs(numeric - analytic[i])
		rel := abs / math.Max(1e-3, math.Max(math.Abs(numeric), math.Abs(analytic[i])))
		if abs > res.MaxAbs {
			res.MaxAbs, res.Worst = abs, i
		}
		res.MaxRel = math.Max(res.MaxRel, rel)
	}
	return res, nil
}
