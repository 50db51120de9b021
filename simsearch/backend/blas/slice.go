package blas

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"unsafe"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/dtypes/bfloat16"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// The Slice override: simplego's execSliceGeneric walks the output one element at a time
// with a per-element odometer over all axes. This executor merges the axes into as few
// strided runs as the layout allows and copies each contiguous run with copy().

const (
	// EnvFastSlice set to "0" keeps simplego's Slice kernel (CORPUSHUNT_BLAS=0 does too).
	EnvFastSlice = "CORPUSHUNT_FASTSLICE"

	stockSliceExecutor = GoMLXModule + "/backends/simplego.execSlice"

	// maxSliceRank: Slices of higher rank go to the stock kernel.
	maxSliceRank = 16

	// minCopyRun: contiguous runs shorter than this are copied element by element (a
	// memmove call costs more than a few loads and stores).
	minCopyRun = 8
)

var (
	sliceOnce   sync.Once
	sliceMu     sync.Mutex // guards sliceActive, sliceStock
	sliceActive = "stock (override not engaged)"
	sliceStock  executor
	fastSlice   state

	// corruptSliceForTest makes every fast Slice result wrong (tests of the self-test).
	corruptSliceForTest bool

	// Reflect access to node.shape and to *sliceNode.
	nodeShapeField  = -1
	sliceParamsOnce sync.Once
	sliceParamsType reflect.Type
	sliceParamsErr  error
	sliceParamsIdx  struct{ starts, limits, strides int }
)

// SliceActive describes the Slice path of the pure-Go backend: "contiguous runs",
// "stock (disabled by …)", "stock (switched off by blas.EnableSlice(false))" or
// "stock (reason)".
func SliceActive() string {
	sliceMu.Lock()
	defer sliceMu.Unlock()
	return fastSlice.describe(sliceActive, "stock (switched off by blas.EnableSlice(false))")
}

// SliceEngaged reports whether the Slice override is installed and switched on.
func SliceEngaged() bool { return fastSlice.engaged() }

// EnableSlice switches an engaged Slice override on or off for the whole process and
// returns the previous setting. Without an engaged override it does nothing and returns
// false.
func EnableSlice(on bool) (was bool) { return fastSlice.enable(on) }

// SliceCalls is the number of Slices computed by the override so far.
func SliceCalls() int64 { return fastSlice.calls.Load() }

// SliceHandedBack is the number of Slices the override passed to the stock kernel (dtype,
// rank or parameters it does not cover), while switched on.
func SliceHandedBack() int64 { return fastSlice.handedBack.Load() }

// engageSlice is run once by Engage, after the DotGeneral override's engagement.
func engageSlice() {
	reason, quiet := engageSliceGuarded()
	sliceMu.Lock()
	defer sliceMu.Unlock()
	if reason != "" {
		sliceActive = "stock (" + reason + ")"
		if !quiet {
			fmt.Fprintf(os.Stderr, "corpushunt: slices stay on the stock kernel: %s\n", reason)
		}
		return
	}
	sliceActive = "contiguous runs"
}

func engageSliceGuarded() (reason string, quiet bool) {
	if os.Getenv(EnvDisable) == "0" {
		return "disabled by " + EnvDisable + "=0", true
	}
	if os.Getenv(EnvFastSlice) == "0" {
		return "disabled by " + EnvFastSlice + "=0", true
	}
	if err := checkExecutor(nodeExecutors[backends.OpTypeSlice], stockSliceExecutor, "Slice"); err != nil {
		return err.Error(), false
	}
	if err := checkNode(); err != nil {
		return err.Error(), false
	}
	if err := checkNodeShape(); err != nil {
		return err.Error(), false
	}
	sliceMu.Lock()
	sliceStock = nodeExecutors[backends.OpTypeSlice]
	nodeExecutors[backends.OpTypeSlice] = execSlice
	sliceMu.Unlock()
	fastSlice.installed.Store(true)
	fastSlice.enabled.Store(true)
	if err := sliceSelfTest(); err != nil {
		nodeExecutors[backends.OpTypeSlice] = sliceStock
		fastSlice.enabled.Store(false)
		fastSlice.installed.Store(false)
		return "self-test failed: " + err.Error(), false
	}
	return "", false
}

// checkNodeShape finds simplego.Node's "shape" field (type shapes.Shape).
func checkNodeShape() error {
	f, ok := reflect.TypeFor[simplego.Node]().FieldByName("shape")
	if !ok || len(f.Index) != 1 || f.Type != reflect.TypeFor[shapes.Shape]() {
		return errors.New("simplego.Node has no field shape of type shapes.Shape")
	}
	nodeShapeField = f.Index[0]
	return nil
}

// checkSliceParamsType validates the dynamic type of a Slice node's data:
// *simplego.sliceNode with []int fields starts, limits and strides.
func checkSliceParamsType(t reflect.Type) error {
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct ||
		t.Elem().Name() != "sliceNode" || t.Elem().PkgPath() != GoMLXModule+"/backends/simplego" {
		return fmt.Errorf("Slice node data is %s, not *simplego.sliceNode", t)
	}
	s := t.Elem()
	var idx struct{ starts, limits, strides int }
	for _, c := range []struct {
		dst  *int
		name string
	}{{&idx.starts, "starts"}, {&idx.limits, "limits"}, {&idx.strides, "strides"}} {
		f, ok := s.FieldByName(c.name)
		if !ok || len(f.Index) != 1 || f.Type != reflect.TypeFor[[]int]() {
			return fmt.Errorf("sliceNode has no field %s of type []int", c.name)
		}
		*c.dst = f.Index[0]
	}
	sliceParamsIdx = idx
	return nil
}

// nodeShape reads node.shape (validated by checkNodeShape).
func nodeShape(node *simplego.Node) (shapes.Shape, bool) {
	if nodeShapeField < 0 || node == nil {
		return shapes.Shape{}, false
	}
	f := reflect.ValueOf(node).Elem().Field(nodeShapeField)
	return *(*shapes.Shape)(unsafe.Pointer(f.UnsafeAddr())), true
}

// sliceArgs are a Slice node's parameters, read into fixed arrays.
type sliceArgs struct {
	rank                    int
	starts, limits, strides [maxSliceRank]int
}

// readSliceParams reads a Slice node's starts, limits and strides, or says it cannot.
func readSliceParams(node *simplego.Node, rank int) (p sliceArgs, ok bool) {
	if nodeDataField < 0 || node == nil || rank > maxSliceRank {
		return p, false
	}
	data := reflect.ValueOf(node).Elem().Field(nodeDataField)
	if data.IsNil() {
		return p, false
	}
	ptr := data.Elem()
	t := ptr.Type()
	sliceParamsOnce.Do(func() {
		sliceParamsErr = checkSliceParamsType(t)
		sliceParamsType = t
	})
	if sliceParamsErr != nil || t != sliceParamsType || ptr.IsNil() {
		return p, false
	}
	s := ptr.Elem()
	p.rank = rank
	for _, c := range []struct {
		dst *[maxSliceRank]int
		idx int
	}{{&p.starts, sliceParamsIdx.starts}, {&p.limits, sliceParamsIdx.limits}, {&p.strides, sliceParamsIdx.strides}} {
		f := s.Field(c.idx)
		if f.Len() != rank {
			return p, false
		}
		for j := range rank {
			c.dst[j] = int(f.Index(j).Int())
		}
	}
	return p, true
}

// slicePlan is a Slice as nested strided loops over the operand's flat data: the output
// (dense, row-major) is count[0]×…×count[n-1] elements, element (i0, …, in-1) read at
// offset + Σ i_a·step[a]. Output axes of size 1 are dropped and neighbouring axes merged
// where the operand's layout allows, so a run of whole inner axes (or the contiguous range
// of a stride-1 axis and the whole axes inside it) is one axis of step 1.
type slicePlan struct {
	n           int
	count, step [maxSliceRank]int
	offset      int
	size        int // output elements
}

// planSlice builds the plan for an operand of dims, or says the parameters are out of range
// or disagree with the node's output dimensions.
func planSlice(dims []int, p sliceArgs, outDims []int) (pl slicePlan, ok bool) {
	rank := len(dims)
	if rank != p.rank || len(outDims) != rank || rank > maxSliceRank {
		return pl, false
	}
	var stride [maxSliceRank]int
	s := 1
	for a := rank - 1; a >= 0; a-- {
		stride[a] = s
		s *= dims[a]
	}
	pl.size = 1
	for a := range rank {
		st, lim, k := p.starts[a], p.limits[a], p.strides[a]
		if k < 1 || st < 0 || lim > dims[a] || lim < st {
			return pl, false
		}
		o := (lim - st + k - 1) / k
		if o != outDims[a] {
			return pl, false
		}
		pl.size *= o
	}
	if pl.size == 0 {
		return pl, true
	}
	for a := range rank {
		pl.offset += p.starts[a] * stride[a]
		o := outDims[a]
		if o == 1 {
			continue
		}
		step := stride[a] * p.strides[a]
		if pl.n > 0 && pl.step[pl.n-1] == o*step {
			pl.count[pl.n-1] *= o
			pl.step[pl.n-1] = step
			continue
		}
		pl.count[pl.n], pl.step[pl.n] = o, step
		pl.n++
	}
	return pl, true
}

// sliceCopy fills dst (pl.size elements) from src following pl.
func sliceCopy[T any](dst, src []T, pl *slicePlan) {
	if pl.size == 0 {
		return
	}
	if pl.n == 0 {
		dst[0] = src[pl.offset]
		return
	}
	in := pl.n - 1
	cnt, st := pl.count[in], pl.step[in]
	var idx [maxSliceRank]int
	off := pl.offset
	for o := 0; o < len(dst); o += cnt {
		d := dst[o : o+cnt]
		switch {
		case st == 1 && cnt >= minCopyRun:
			copy(d, src[off:off+cnt])
		case st == 1:
			s := src[off : off+cnt]
			for i := range d {
				d[i] = s[i]
			}
		default:
			s := src[off : off+(cnt-1)*st+1]
			for i := range d {
				d[i] = s[i*st]
			}
		}
		for a := in - 1; a >= 0; a-- {
			idx[a]++
			off += pl.step[a]
			if idx[a] < pl.count[a] {
				break
			}
			idx[a] = 0
			off -= pl.count[a] * pl.step[a]
		}
	}
}

// execSlice is the override: contiguous runs for the dtypes and parameters it covers, the
// stock kernel for everything else.
func execSlice(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
	if !fastSlice.enabled.Load() {
		return sliceStock(backend, node, inputs, inputsOwned)
	}
	if _, skip := bypass.Load(backend); skip {
		return sliceStock(backend, node, inputs, inputsOwned)
	}
	out, ok, err := trySlice(backend, node, inputs)
	if err != nil {
		return nil, err
	}
	if !ok {
		fastSlice.handedBack.Add(1)
		return sliceStock(backend, node, inputs, inputsOwned)
	}
	fastSlice.calls.Add(1)
	return out, nil
}

func trySlice(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer) (*simplego.Buffer, bool, error) {
	if len(inputs) != 1 {
		return nil, false, nil
	}
	is, err := backend.BufferShape(inputs[0])
	if err != nil {
		return nil, false, nil
	}
	outShape, ok := nodeShape(node)
	if !ok || outShape.DType != is.DType {
		return nil, false, nil
	}
	p, ok := readSliceParams(node, is.Rank())
	if !ok {
		return nil, false, nil
	}
	pl, ok := planSlice(is.Dimensions, p, outShape.Dimensions)
	if !ok {
		return nil, false, nil
	}
	src, err := backend.BufferData(inputs[0])
	if err != nil {
		return nil, false, nil
	}
	if !coveredFlat(src, is.Size()) {
		return nil, false, nil
	}
	out := backend.NewBuffer(outShape)
	if out == nil {
		return nil, false, errors.New("Slice: backend finalized")
	}
	dst, err := backend.BufferData(out)
	if err != nil {
		return nil, false, err
	}
	if !copyFlat(dst, src, &pl) {
		// Not reached: coveredFlat accepted src, and NewBuffer makes dst of the same type.
		return nil, false, fmt.Errorf("Slice: output buffer is %T for input %T", dst, src)
	}
	return out, true, nil
}

// coveredFlat: src is a flat slice of a covered element type and length n.
func coveredFlat(src any, n int) bool {
	switch s := src.(type) {
	case []float32:
		return len(s) == n
	case []float64:
		return len(s) == n
	case []int8:
		return len(s) == n
	case []int16:
		return len(s) == n
	case []int32:
		return len(s) == n
	case []int64:
		return len(s) == n
	case []uint8:
		return len(s) == n
	case []uint16:
		return len(s) == n
	case []uint32:
		return len(s) == n
	case []uint64:
		return len(s) == n
	case []bool:
		return len(s) == n
	case []bfloat16.BFloat16:
		return len(s) == n
	}
	return false
}

// copyFlat runs sliceCopy on typed slices (dst must be of src's type, with pl.size
// elements).
func copyFlat(dst, src any, pl *slicePlan) bool {
	switch s := src.(type) {
	case []float32:
		return run(dst, s, pl, func(d []float32) {
			if corruptSliceForTest && len(d) > 0 {
				d[0]++
			}
		})
	case []float64:
		return run(dst, s, pl, nil)
	case []int8:
		return run(dst, s, pl, nil)
	case []int16:
		return run(dst, s, pl, nil)
	case []int32:
		return run(dst, s, pl, nil)
	case []int64:
		return run(dst, s, pl, nil)
	case []uint8:
		return run(dst, s, pl, nil)
	case []uint16:
		return run(dst, s, pl, nil)
	case []uint32:
		return run(dst, s, pl, nil)
	case []uint64:
		return run(dst, s, pl, nil)
	case []bool:
		return run(dst, s, pl, nil)
	case []bfloat16.BFloat16:
		return run(dst, s, pl, nil)
	}
	return false
}

func run[T any](dst any, src []T, pl *slicePlan, after func([]T)) bool {
	d, ok := dst.([]T)
	if !ok || len(d) != pl.size {
		return false
	}
	sliceCopy(d, src, pl)
	if after != nil {
		after(d)
	}
	return true
}

// slCase is one Slice: operand dimensions and dtype, and the parameters as the backend's
// Builder.Slice takes them.
type slCase struct {
	name                    string
	dims                    []int
	starts, limits, strides []int
	dtype                   dtypes.DType
}

// sliceSelfTestCases cover the plan's paths: one contiguous run, runs of whole inner axes,
// a partial inner axis, strides, a dropped size-1 axis, an empty result, another dtype.
func sliceSelfTestCases() []slCase {
	return []slCase{
		{name: "im2col shift [2,6,7,3]", dims: []int{2, 6, 7, 3}, starts: []int{0, 1, 2, 0}, limits: []int{2, 5, 7, 3}, strides: []int{1, 1, 1, 1}, dtype: dtypes.Float32},
		{name: "gate [4,20]→[4,5]", dims: []int{4, 20}, starts: []int{0, 10}, limits: []int{4, 15}, strides: []int{1, 1}, dtype: dtypes.Float32},
		{name: "strided [5,9,4]", dims: []int{5, 9, 4}, starts: []int{1, 0, 1}, limits: []int{5, 9, 4}, strides: []int{2, 3, 2}, dtype: dtypes.Float32},
		{name: "unit row [6,8]", dims: []int{6, 8}, starts: []int{3, 0}, limits: []int{4, 8}, strides: []int{1, 1}, dtype: dtypes.Float32},
		{name: "empty [3,4]", dims: []int{3, 4}, starts: []int{1, 2}, limits: []int{1, 4}, strides: []int{1, 1}, dtype: dtypes.Float32},
		{name: "int64 [3,10]", dims: []int{3, 10}, starts: []int{0, 1}, limits: []int{3, 10}, strides: []int{1, 1}, dtype: dtypes.Int64},
	}
}

// sliceSelfTest runs small Slices through the override and, on a bypassed backend, through
// the stock kernel; the results must be identical (a Slice copies values).
func sliceSelfTest() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	for _, c := range sliceSelfTestCases() {
		before := fastSlice.calls.Load()
		got, err := runSliceCase(c, false)
		if err != nil {
			return err
		}
		if fastSlice.calls.Load() == before {
			return fmt.Errorf("%s: the override was not called (executor table not replaced)", c.name)
		}
		want, err := runSliceCase(c, true)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, want) {
			return fmt.Errorf("%s: the fast Slice and the stock kernel differ", c.name)
		}
	}
	return nil
}

// sliceInput is a deterministic flat slice of the dtype with n elements.
func sliceInput(dtype dtypes.DType, n int) (any, error) {
	v := make([]int64, n)
	s := uint32(7)
	for i := range v {
		s = s*1664525 + 1013904223
		v[i] = int64(s >> 20) // 0…4095
	}
	conv := func(f func(int64) any) any {
		out := reflect.MakeSlice(reflect.SliceOf(dtype.GoType()), n, n)
		for i, x := range v {
			out.Index(i).Set(reflect.ValueOf(f(x)))
		}
		return out.Interface()
	}
	switch dtype {
	case dtypes.Float32:
		return conv(func(x int64) any { return float32(x)/512 - 4 }), nil
	case dtypes.Float64:
		return conv(func(x int64) any { return float64(x)/512 - 4 }), nil
	case dtypes.BFloat16:
		return conv(func(x int64) any { return bfloat16.FromFloat32(float32(x)/512 - 4) }), nil
	case dtypes.Bool:
		return conv(func(x int64) any { return x&1 == 1 }), nil
	case dtypes.Int8:
		return conv(func(x int64) any { return int8(x) }), nil
	case dtypes.Int16:
		return conv(func(x int64) any { return int16(x - 2048) }), nil
	case dtypes.Int32:
		return conv(func(x int64) any { return int32(x - 2048) }), nil
	case dtypes.Int64:
		return conv(func(x int64) any { return x<<40 - 2048 }), nil
	case dtypes.Uint8:
		return conv(func(x int64) any { return uint8(x) }), nil
	case dtypes.Uint16:
		return conv(func(x int64) any { return uint16(x) }), nil
	case dtypes.Uint32:
		return conv(func(x int64) any { return uint32(x) << 16 }), nil
	case dtypes.Uint64:
		return conv(func(x int64) any { return uint64(x) << 48 }), nil
	}
	return nil, fmt.Errorf("no test input for %s", dtype)
}

// runSliceCase builds the Slice with the backend's own Builder (so that it is one Slice
// node, whatever the graph package would simplify) on the plain backend (reference=false:
// the override when engaged) or on the reference backend (the stock kernel), and returns
// the flat result.
func runSliceCase(c slCase, reference bool) (out any, err error) {
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
	shape := shapes.Make(c.dtype, c.dims...)
	b := be.Builder("slice-case")
	x, err := b.Parameter("x", shape, nil)
	if err != nil {
		return nil, err
	}
	y, err := b.Slice(x, c.starts, c.limits, c.strides)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	exe, err := b.Compile([]backends.Op{y}, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	defer exe.Finalize()
	in, err := sliceInput(c.dtype, shape.Size())
	if err != nil {
		return nil, err
	}
	buf, err := be.BufferFromFlatData(0, in, shape)
	if err != nil {
		return nil, err
	}
	res, err := exe.Execute([]backends.Buffer{buf}, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	rs, err := be.BufferShape(res[0])
	if err != nil {
		return nil, err
	}
	if rs.DType != c.dtype || rs.Rank() != len(c.dims) {
		return nil, fmt.Errorf("%s: result shape %s", c.name, rs)
	}
	flat := reflect.MakeSlice(reflect.SliceOf(c.dtype.GoType()), rs.Size(), rs.Size()).Interface()
	if err := be.BufferToFlatData(res[0], flat); err != nil {
		return nil, err
	}
	_ = be.BufferFinalize(res[0])
	_ = be.BufferFinalize(buf)
	return flat, nil
}
