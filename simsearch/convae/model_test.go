package convae

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/corpushunt/corpushunt/internal/gradcheck"
	"github.com/corpushunt/corpushunt/simsearch/backend"
)

func goBackend(t testing.TB) backends.Backend {
	t.Helper()
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	return be
}

// TestIm2ColMatchesNativeConvolution: same variables, same output as ConvGeneral.
func TestIm2ColMatchesNativeConvolution(t *testing.T) {
	be := goBackend(t)
	ctx := context.New()
	x := tensors.FromFlatDataAndDimensions(gradcheck.Randoms(2*6*6*5, 2), 2, 6, 6, 5)
	run := func(impl string) []float64 {
		exec, err := context.NewExecAny(be, ctx.Reuse(), func(ctx *context.Context, x *Node) *Node {
			return Conv3x3(ctx.In("conv"), x, 7, impl)
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec1(x)
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float64](out)
	}
	ctx = ctx.Checked(false)
	a, b := run("native"), run("im2col")
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-8 {
			t.Fatalf("element %d: native %v, im2col %v", i, a[i], b[i])
		}
	}
}

func TestLayerGradients(t *testing.T) {
	be := goBackend(t)
	kernel := gradcheck.Randoms(3*3*3*4, 3)
	gradcheck.Assert(t, be, "im2col conv w.r.t. input", []int{2, 4, 4, 3}, func(x *Node) *Node {
		k := Const(x.Graph(), tensors.FromFlatDataAndDimensions(kernel, 3, 3, 3, 4))
		b, h, w := 2, 4, 4
		return Reshape(Dot(Im2Col3x3(x), Reshape(k, 27, 4)), b, h, w, 4)
	})
	xs := gradcheck.Randoms(2*4*4*3, 4)
	gradcheck.Assert(t, be, "im2col conv w.r.t. kernel", []int{3, 3, 3, 4}, func(k *Node) *Node {
		x := Const(k.Graph(), tensors.FromFlatDataAndDimensions(xs, 2, 4, 4, 3))
		return Dot(Im2Col3x3(x), Reshape(k, 27, 4))
	})
	gradcheck.Assert(t, be, "MaxPool2", []int{2, 4, 6, 3}, MaxPool2)
	tk := gradcheck.Randoms(3*2*2*5, 6)
	gradcheck.Assert(t, be, "ConvTranspose2x2 (Dot + transpose) w.r.t. input", []int{2, 3, 3, 3}, func(x *Node) *Node {
		k := Const(x.Graph(), tensors.FromFlatDataAndDimensions(tk, 3, 2*2*5))
		y := Reshape(Dot(Reshape(x, 18, 3), k), 2, 3, 3, 2, 2, 5)
		return TransposeAllAxes(y, 0, 1, 3, 2, 4, 5)
	})
}

// TestConvTransposeLayout: each input pixel paints its own 2×2 block.
func TestConvTransposeLayout(t *testing.T) {
	be := goBackend(t)
	ctx := context.New().WithInitializer(func(g *Graph, s shapes.Shape) *Node { return Ones(g, s) })
	exec, err := context.NewExecAny(be, ctx, func(ctx *context.Context, x *Node) *Node {
		return ConvTranspose2x2(ctx.In("t"), x, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	// One channel, 2×2 input [[1,2],[3,4]]; all-ones kernel, zero bias → each value fills a 2×2 block.
	out, err := exec.Exec1(tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4}, 1, 2, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](out)
	want := []float32{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ConvTranspose2x2 = %v, want %v", got, want)
		}
	}
}

func TestConfig(t *testing.T) {
	p, err := Parity().Done()
	if err != nil || p.CodeDim() != 512 {
		t.Fatalf("parity: %+v %v", p, err)
	}
	// Parity forward FLOPs: convs 0.88M + 3×2.36M, deconvs 3×0.26M + 0.10M ≈ 8.8 MFLOP.
	if f := p.FLOPs(); f < 8.5e6 || f > 9.1e6 {
		t.Errorf("parity FLOPs %.3g", f)
	}
	if _, err := Parity().Channels(1, 2).Done(); err == nil {
		t.Error("3 channel widths accepted")
	}
	if _, err := Preset("nope"); err == nil {
		t.Error("unknown preset accepted")
	}
	d, _ := Denoising().Done()
	if d.CodeDim() != 256 || d.Noise == 0 {
		t.Errorf("denoising %+v", d)
	}
}
