package convae

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// Encode maps images [batch, H, W, C] (float32 in [0,1], Config.Input) to codes
// [batch, CodeDim].
// Variables live under ctx's current scope in "encoder".
func Encode(ctx *context.Context, c Config, images *Node) *Node {
	ctx = ctx.In("encoder")
	g := images.Graph()
	x := images
	if c.Noise > 0 && ctx.IsTraining(g) {
		x = Add(x, MulScalar(ctx.RandomNormal(g, x.Shape()), c.Noise))
	}
	for i, ch := range c.Channels {
		x = Conv3x3(ctx.Inf("conv%d", i), x, ch, c.Conv)
		x = activations.Relu(x)
		x = MaxPool2(x)
	}
	batch := x.Shape().Dimensions[0]
	x = Reshape(x, batch, -1)
	if c.Code > 0 {
		x = layers.DenseWithBias(ctx.In("code"), x, c.Code)
	}
	return x
}

// Decode maps codes [batch, CodeDim] back to images [batch, H, W, C].
func Decode(ctx *context.Context, c Config, code *Node) *Node {
	ctx = ctx.In("decoder")
	batch := code.Shape().Dimensions[0]
	x := code
	h, w, ch := c.InputShape()
	if c.Code > 0 {
		x = activations.Relu(layers.DenseWithBias(ctx.In("code"), x, (h/16)*(w/16)*c.Channels[3]))
	}
	x = Reshape(x, batch, h/16, w/16, c.Channels[3])
	outs := []int{c.Channels[2], c.Channels[1], c.Channels[0], ch}
	for i, o := range outs {
		x = ConvTranspose2x2(ctx.Inf("deconv%d", i), x, o)
		x = activations.Relu(x)
	}
	return x
}

// ModelFn is the training model for GoMLX's trainer: inputs[0] are images, the prediction
// is their reconstruction.
func ModelFn(c Config) func(ctx *context.Context, spec any, inputs []*Node) []*Node {
	return func(ctx *context.Context, _ any, inputs []*Node) []*Node {
		ctx = ctx.In("model")
		return []*Node{Decode(ctx, c, Encode(ctx, c, inputs[0]))}
	}
}

// Conv3x3 is a 3×3 convolution with "same" zero padding, stride 1, and a bias. Variables:
// "weights" [3, 3, in, out] and "biases" [out]. impl "im2col" gathers the nine shifted
// copies of x into patches and does one matrix product; "native" calls ConvGeneral.
func Conv3x3(ctx *context.Context, x *Node, out int, impl string) *Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	b, h, w, in := dims[0], dims[1], dims[2], dims[3]
	kernel := ctx.VariableWithShape("weights", shapes.Make(x.DType(), 3, 3, in, out)).ValueGraph(g)
	bias := ctx.WithInitializer(zeroInit).VariableWithShape("biases", shapes.Make(x.DType(), out)).ValueGraph(g)
	var y *Node
	switch impl {
	case "native":
		y = Convolve(x, kernel).PadSame().Done()
	default:
		y = Reshape(Dot(Im2Col3x3(x), Reshape(kernel, 9*in, out)), b, h, w, out)
	}
	return Add(y, Reshape(bias, 1, 1, 1, out))
}

var zeroInit = func(g *Graph, shape shapes.Shape) *Node { return Zeros(g, shape) }

// Im2Col3x3 returns the 3×3 neighbourhoods of x [b, h, w, c] (zero-padded) as rows:
// [b·h·w, 9·c], ordered (dy, dx, channel) to match a [3, 3, c, out] kernel reshaped to
// [9·c, out].
func Im2Col3x3(x *Node) *Node {
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	zr := Zeros(x.Graph(), shapes.Make(x.DType(), b, 1, w, c))
	p := Concatenate([]*Node{zr, x, zr}, 1)
	zc := Zeros(x.Graph(), shapes.Make(x.DType(), b, h+2, 1, c))
	p = Concatenate([]*Node{zc, p, zc}, 2)
	parts := make([]*Node, 0, 9)
	for dy := 0; dy < 3; dy++ {
		for dx := 0; dx < 3; dx++ {
			parts = append(parts, Slice(p, AxisRange(), AxisRange(dy, dy+h), AxisRange(dx, dx+w), AxisRange()))
		}
	}
	return Reshape(Concatenate(parts, 3), b*h*w, 9*c)
}

// MaxPool2 is 2×2 max-pooling with stride 2, as a reshape and a max-reduction.
func MaxPool2(x *Node) *Node {
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	if h%2 != 0 || w%2 != 0 {
		panic(fmt.Errorf("MaxPool2: spatial size %d×%d not even", h, w))
	}
	return ReduceMax(Reshape(x, b, h/2, 2, w/2, 2, c), 2, 4)
}

// ConvTranspose2x2 is a transposed convolution with kernel 2 and stride 2 (each input
// pixel paints a 2×2 output block): [b, h, w, in] → [b, 2h, 2w, out]. Variables:
// "weights" [in, 2, 2, out] and "biases" [out].
func ConvTranspose2x2(ctx *context.Context, x *Node, out int) *Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	b, h, w, in := dims[0], dims[1], dims[2], dims[3]
	kernel := ctx.VariableWithShape("weights", shapes.Make(x.DType(), in, 2, 2, out)).ValueGraph(g)
	bias := ctx.WithInitializer(zeroInit).VariableWithShape("biases", shapes.Make(x.DType(), out)).ValueGraph(g)
	// [b·h·w, in] × [in, 2·2·out] → [b, h, w, 2, 2, out] → [b, h, 2, w, 2, out].
	y := Dot(Reshape(x, b*h*w, in), Reshape(kernel, in, 4*out))
	y = Reshape(y, b, h, w, 2, 2, out)
	y = TransposeAllAxes(y, 0, 1, 3, 2, 4, 5)
	return Add(Reshape(y, b, 2*h, 2*w, out), Reshape(bias, 1, 1, 1, out))
}
