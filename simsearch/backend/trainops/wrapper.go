package trainops

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Extended wraps a backend, adding the operations listed in the package documentation.
// Everything else is passed through.
type Extended struct {
	backends.Backend
}

var _ backends.Backend = (*Extended)(nil)

// Capabilities reports the wrapped backend's, plus the operations added here.
func (e *Extended) Capabilities() backends.Capabilities {
	c := e.Backend.Capabilities().Clone()
	for _, op := range []backends.OpType{backends.OpTypePad, backends.OpTypeReverse, backends.OpTypeSelectAndScatterMax} {
		c.Operations[op] = true
	}
	return c
}

// Builder returns a builder with the added operations.
func (e *Extended) Builder(name string) backends.Builder {
	return &builder{Builder: e.Backend.Builder(name)}
}

type builder struct {
	backends.Builder
}

func (b *builder) shape(op backends.Op) (shapes.Shape, error) { return b.OpShape(op) }

// Pad adds Start/End elements of fillValue on each axis (negative values crop) and
// Interior elements between neighbours (the gradient of a strided Slice).
func (b *builder) Pad(x, fill backends.Op, axes ...backends.PadAxis) (backends.Op, error) {
	cur := x
	for axis, p := range axes {
		if p.Interior < 0 {
			return nil, fmt.Errorf("Pad: negative interior padding %d on axis %d", p.Interior, axis)
		}
		if p.Interior > 0 {
			var err error
			if cur, err = b.padInterior(cur, fill, axis, p.Interior); err != nil {
				return nil, err
			}
		}
		if p.Start < 0 || p.End < 0 { // cropping: a Slice
			s, err := b.shape(cur)
			if err != nil {
				return nil, err
			}
			starts, limits := make([]int, s.Rank()), slices.Clone(s.Dimensions)
			strides := make([]int, s.Rank())
			for i := range strides {
				strides[i] = 1
			}
			if p.Start < 0 {
				starts[axis] = -p.Start
				p.Start = 0
			}
			if p.End < 0 {
				limits[axis] += p.End
				p.End = 0
			}
			var err2 error
			if cur, err2 = b.Slice(cur, starts, limits, strides); err2 != nil {
				return nil, err2
			}
		}
		if p.Start == 0 && p.End == 0 {
			continue
		}
		s, err := b.shape(cur)
		if err != nil {
			return nil, err
		}
		parts := []backends.Op{}
		block := func(n int) (backends.Op, error) {
			dims := slices.Clone(s.Dimensions)
			dims[axis] = n
			return b.BroadcastInDim(fill, shapes.Make(s.DType, dims...), nil)
		}
		if p.Start > 0 {
			blk, err := block(p.Start)
			if err != nil {
				return nil, err
			}
			parts = append(parts, blk)
		}
		parts = append(parts, cur)
		if p.End > 0 {
			blk, err := block(p.End)
			if err != nil {
				return nil, err
			}
			parts = append(parts, blk)
		}
		if cur, err = b.Concatenate(axis, parts...); err != nil {
			return nil, err
		}
	}
	return cur, nil
}

// padInterior inserts k fill elements between neighbours along axis: each element gets a
// trailing block of k (via a new axis and Concatenate), then the last block is cut off.
func (b *builder) padInterior(x, fill backends.Op, axis, k int) (backends.Op, error) {
	s, err := b.shape(x)
	if err != nil {
		return nil, err
	}
	n := s.Dimensions[axis]
	if n <= 1 {
		return x, nil
	}
	expanded := slices.Insert(slices.Clone(s.Dimensions), axis+1, 1)
	xe, err := b.Reshape(x, expanded...)
	if err != nil {
		return nil, err
	}
	blockDims := slices.Clone(expanded)
	blockDims[axis+1] = k
	blk, err := b.BroadcastInDim(fill, shapes.Make(s.DType, blockDims...), nil)
	if err != nil {
		return nil, err
	}
	cat, err := b.Concatenate(axis+1, xe, blk)
	if err != nil {
		return nil, err
	}
	merged := slices.Clone(s.Dimensions)
	merged[axis] = n * (1 + k)
	if cat, err = b.Reshape(cat, merged...); err != nil {
		return nil, err
	}
	starts, limits := make([]int, len(merged)), slices.Clone(merged)
	strides := make([]int, len(merged))
	for i := range strides {
		strides[i] = 1
	}
	limits[axis] = n + (n-1)*k
	return b.Slice(cat, starts, limits, strides)
}

// Reverse reverses x along the given axes by concatenating its unit slices backwards.
func (b *builder) Reverse(x backends.Op, axes ...int) (backends.Op, error) {
	cur := x
	for _, axis := range axes {
		s, err := b.shape(cur)
		if err != nil {
			return nil, err
		}
		n := s.Dimensions[axis]
		if n <= 1 {
			continue
		}
		parts := make([]backends.Op, n)
		for i := 0; i < n; i++ {
			starts, limits := make([]int, s.Rank()), slices.Clone(s.Dimensions)
			strides := make([]int, s.Rank())
			for j := range strides {
				strides[j] = 1
			}
			starts[axis], limits[axis] = i, i+1
			if parts[n-1-i], err = b.Slice(cur, starts, limits, strides); err != nil {
				return nil, err
			}
		}
		if cur, err = b.Concatenate(axis, parts...); err != nil {
			return nil, err
		}
	}
	return cur, nil
}

// SelectAndScatterMax routes each source value to the position of its window's maximum
// (the first one on ties), for non-overlapping windows (strides equal to the window) and no
// padding: the gradient of max-pooling.
func (b *builder) SelectAndScatterMax(operand, source backends.Op, window, strides []int, paddings [][2]int) (backends.Op, error) {
	s, err := b.shape(operand)
	if err != nil {
		return nil, err
	}
	rank := s.Rank()
	for i := 0; i < rank; i++ {
		st := window[i]
		if len(strides) > 0 {
			st = strides[i]
		}
		if st != window[i] || (len(paddings) > 0 && (paddings[i][0] != 0 || paddings[i][1] != 0)) || s.Dimensions[i]%window[i] != 0 {
			return nil, fmt.Errorf("SelectAndScatterMax: only non-overlapping, unpadded windows that tile the input are supported (axis %d: dim %d, window %d, stride %d)", i, s.Dimensions[i], window[i], st)
		}
	}
	// Split every axis i into (outer_i, window_i), move the window axes last and flatten
	// them: [outer..., W] with W the window size.
	split := make([]int, 0, 2*rank)
	outer := make([]int, rank)
	wsize := 1
	for i := 0; i < rank; i++ {
		outer[i] = s.Dimensions[i] / window[i]
		split = append(split, outer[i], window[i])
		wsize *= window[i]
	}
	perm := make([]int, 0, 2*rank)
	for i := 0; i < rank; i++ {
		perm = append(perm, 2*i)
	}
	for i := 0; i < rank; i++ {
		perm = append(perm, 2*i+1)
	}
	x, err := b.Reshape(operand, split...)
	if err != nil {
		return nil, err
	}
	if x, err = b.Transpose(x, perm...); err != nil {
		return nil, err
	}
	flat := append(slices.Clone(outer), wsize)
	if x, err = b.Reshape(x, flat...); err != nil {
		return nil, err
	}
	arg, err := b.ArgMinMax(x, rank, dtypes.Int32, false)
	if err != nil {
		return nil, err
	}
	// One-hot of the arg max along the window axis, times the source value.
	iota, err := b.Iota(shapes.Make(dtypes.Int32, flat...), rank)
	if err != nil {
		return nil, err
	}
	argB, err := b.BroadcastInDim(arg, shapes.Make(dtypes.Int32, flat...), xrange(rank))
	if err != nil {
		return nil, err
	}
	hot, err := b.Equal(iota, argB)
	if err != nil {
		return nil, err
	}
	srcB, err := b.BroadcastInDim(source, shapes.Make(s.DType, flat...), xrange(rank))
	if err != nil {
		return nil, err
	}
	zeros, err := b.zeros(s.DType, flat)
	if err != nil {
		return nil, err
	}
	out, err := b.Where(hot, srcB, zeros)
	if err != nil {
		return nil, err
	}
	// Back to the operand's layout.
	permShape := make([]int, 0, 2*rank)
	permShape = append(permShape, outer...)
	permShape = append(permShape, window...)
	if out, err = b.Reshape(out, permShape...); err != nil {
		return nil, err
	}
	inv := make([]int, 2*rank)
	for i, p := range perm {
		inv[p] = i
	}
	if out, err = b.Transpose(out, inv...); err != nil {
		return nil, err
	}
	return b.Reshape(out, s.Dimensions...)
}

func (b *builder) zeros(dt dtypes.DType, dims []int) (backends.Op, error) {
	var zero any
	switch dt {
	case dtypes.Float32:
		zero = []float32{0}
	case dtypes.Float64:
		zero = []float64{0}
	default:
		return nil, fmt.Errorf("SelectAndScatterMax: dtype %s not supported", dt)
	}
	c, err := b.Constant(zero)
	if err != nil {
		return nil, err
	}
	return b.BroadcastInDim(c, shapes.Make(dt, dims...), nil)
}

// ConvGeneral fills in empty strides and dilations with ones, as the pure-Go backend
// requires them explicitly while GoMLX's convolution gradient passes none.
func (b *builder) ConvGeneral(input, kernel backends.Op, axes backends.ConvolveAxesConfig, strides []int, paddings [][2]int,
	inputDilations, kernelDilations []int, channelGroupCount, batchGroupCount int) (backends.Op, error) {
	n := len(axes.InputSpatial)
	ones := func(v []int) []int {
		if len(v) > 0 {
			return v
		}
		o := make([]int, n)
		for i := range o {
			o[i] = 1
		}
		return o
	}
	if len(paddings) == 0 {
		paddings = make([][2]int, n)
	}
	return b.Builder.ConvGeneral(input, kernel, axes, ones(strides), paddings, ones(inputDilations), ones(kernelDilations), channelGroupCount, batchGroupCount)
}

func xrange(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = i
	}
	return r
}
