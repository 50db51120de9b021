// Package gradcheck compares GoMLX gradients with central finite differences, the test
// every operation and gradient rule in package backend (and the models built on them)
// must pass.
package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

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

// Randoms returns n standard-normal values from a fixed seed: test inputs.
func Randoms(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 5))
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return v
}

// Assert checks fn's gradient at random inputs of shape dims against finite differences
// and fails t when they differ by more than 1e-6. The output is weighted by
// sin(index + 0.5) before summing, so that every output element counts differently (a
// plain sum can hide transposition mistakes).
func Assert(t testing.TB, be backends.Backend, name string, dims []int, fn func(x *Node) *Node) {
	t.Helper()
	n := 1
	for _, d := range dims {
		n *= d
	}
	res, err := Check(be, func(x *Node) *Node {
		y := fn(x)
		return Mul(y, Sin(Add(IotaFull(x.Graph(), y.Shape()), ConstAs(y, 0.5))))
	}, Randoms(n, 1), dims, 1e-5)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.MaxAbs > 1e-6 {
		t.Errorf("%s: gradient differs from finite differences by %.2g (element %d)", name, res.MaxAbs, res.Worst)
	}
}
