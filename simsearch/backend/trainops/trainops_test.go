package trainops

import (
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/corpushunt/corpushunt/internal/gradcheck"
)

func goBackend(t *testing.T) backends.Backend {
	t.Helper()
	InstallGradients()
	inner, err := simplego.New("")
	if err != nil {
		t.Fatal(err)
	}
	return &Extended{Backend: inner}
}

func prod(d []int) int {
	p := 1
	for _, x := range d {
		p *= x
	}
	return p
}

func TestPadForward(t *testing.T) {
	be := goBackend(t)
	exec := MustNewExec(be, func(x *Node) *Node {
		return Pad(x, ConstAs(x, -1), backends.PadAxis{Start: 1, End: 2}, backends.PadAxis{Start: -1, End: 1})
	})
	out := exec.MustExec1(tensors.FromValue([][]float32{{1, 2, 3}, {4, 5, 6}}))
	got := out.Value().([][]float32)
	want := [][]float32{{-1, -1, -1}, {2, 3, -1}, {5, 6, -1}, {-1, -1, -1}, {-1, -1, -1}}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("Pad = %v, want %v", got, want)
			}
		}
	}
	inner := MustNewExec(be, func(x *Node) *Node {
		return Pad(x, ConstAs(x, 0), backends.PadAxis{Start: 1, Interior: 2})
	}).MustExec1(tensors.FromValue([]float32{1, 2, 3}))
	if fmt.Sprint(inner.Value()) != "[0 1 0 0 2 0 0 3]" {
		t.Errorf("interior Pad = %v", inner.Value())
	}
}

func TestReverseForward(t *testing.T) {
	be := goBackend(t)
	out := MustNewExec(be, func(x *Node) *Node { return Reverse(x, 0, 1) }).MustExec1(tensors.FromValue([][]float32{{1, 2, 3}, {4, 5, 6}}))
	got := out.Value().([][]float32)
	if got[0][0] != 6 || got[0][2] != 4 || got[1][0] != 3 {
		t.Errorf("Reverse = %v", got)
	}
}

func TestGradients(t *testing.T) {
	be := goBackend(t)
	gradcheck.Assert(t, be, "Slice (gradient uses Pad)", []int{4, 5}, func(x *Node) *Node {
		return Slice(x, AxisRange(1, 3), AxisRange(0, 5).Stride(2))
	})
	gradcheck.Assert(t, be, "Pad", []int{3, 2}, func(x *Node) *Node {
		return Pad(x, ConstAs(x, 0), backends.PadAxis{Start: 2, End: 1}, backends.PadAxis{End: 3, Interior: 1})
	})
	gradcheck.Assert(t, be, "Reverse", []int{3, 4}, func(x *Node) *Node { return Reverse(x, 1) })
	gradcheck.Assert(t, be, "MaxPool (SelectAndScatterMax)", []int{2, 4, 6, 3}, func(x *Node) *Node {
		return MaxPool(x).Window(2).Done()
	})
	kernel := gradcheck.Randoms(3*3*3*4, 2)
	gradcheck.Assert(t, be, "ConvGeneral 3×3 same (Reverse, empty strides)", []int{2, 5, 5, 3}, func(x *Node) *Node {
		k := Const(x.Graph(), tensors.FromFlatDataAndDimensions(kernel, 3, 3, 3, 4))
		return Convolve(x, k).PadSame().Done()
	})
	gradcheck.Assert(t, be, "ConvGeneral, gradient w.r.t. kernel", []int{3, 3, 3, 4}, func(k *Node) *Node {
		x := Const(k.Graph(), tensors.FromFlatDataAndDimensions(gradcheck.Randoms(2*5*5*3, 3), 2, 5, 5, 3))
		return Convolve(x, k).PadSame().Done()
	})
}

func TestDotGeneralVJP(t *testing.T) {
	be := goBackend(t)
	InstallGradients()
	type cfg struct {
		name             string
		lhsDims, rhsDims []int
		lc, lb, rc, rb   []int
	}
	for _, c := range []cfg{
		{"matmul", []int{3, 4}, []int{4, 5}, []int{1}, nil, []int{0}, nil},
		{"transposed both", []int{4, 3}, []int{5, 4}, []int{0}, nil, []int{1}, nil},
		{"batched", []int{2, 3, 4}, []int{2, 4, 5}, []int{2}, []int{0}, []int{1}, []int{0}},
		{"batch last, two contractions out of order", []int{4, 3, 2, 5}, []int{3, 6, 4, 2}, []int{0, 1}, []int{2}, []int{2, 0}, []int{3}},
	} {
		rhs := gradcheck.Randoms(prod(c.rhsDims), 7)
		gradcheck.Assert(t, be, c.name+" d/dlhs", c.lhsDims, func(x *Node) *Node {
			r := Const(x.Graph(), tensors.FromFlatDataAndDimensions(rhs, c.rhsDims...))
			return DotGeneral(x, c.lc, c.lb, r, c.rc, c.rb)
		})
		lhs := gradcheck.Randoms(prod(c.lhsDims), 8)
		gradcheck.Assert(t, be, c.name+" d/drhs", c.rhsDims, func(x *Node) *Node {
			l := Const(x.Graph(), tensors.FromFlatDataAndDimensions(lhs, c.lhsDims...))
			return DotGeneral(l, c.lc, c.lb, x, c.rc, c.rb)
		})
	}
	w := gradcheck.Randoms(4*5, 9)
	gradcheck.Assert(t, be, "Dot matrix×matrix", []int{3, 4}, func(x *Node) *Node {
		return Dot(x, Const(x.Graph(), tensors.FromFlatDataAndDimensions(w, 4, 5)))
	})
}

func TestParseDotAxes(t *testing.T) {
	be := goBackend(t)
	var got dotAxes
	ex := MustNewExec(be, func(x *Node) *Node {
		y := DotGeneral(x, []int{2, 1}, []int{0}, x, []int{1, 2}, []int{0})
		got = parseDotAxes(y)
		return y
	})
	ex.MustExec1(tensors.FromShape(shapes.Make(dtypes.Float32, 2, 3, 3)))
	want := dotAxes{lc: []int{2, 1}, lb: []int{0}, rc: []int{1, 2}, rb: []int{0}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parsed %+v, want %+v", got, want)
	}
}
