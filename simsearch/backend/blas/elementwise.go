package blas

import (
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// The elementwise overrides:
//
//   - Add, Sub and Mul with broadcasting (operands of different shapes, neither of size
//     1): simplego's kernels advance a broadcastIterator (an odometer over every axis) for
//     each operand and each output element. Here the axes are merged into strided runs as
//     for Slice, and the innermost run is one tight loop (both operands contiguous, or one
//     of them a repeated scalar). Same-shape and scalar operands, where the stock kernels
//     are already plain loops, go to the stock kernels.
//   - Sign of float32 and float64 (the ReLU gradient): simplego's kernel branches on the
//     sign of each element, and the branches of a ReLU's input are unpredictable. Here the
//     result is selected by conditional moves, to the same bits (±0 and NaN give +0).
//
// Every result is bit-identical to the stock kernel's: the same operation on the same
// pair of elements, in any order.

const (
	// EnvFastElementwise set to "0" keeps simplego's Add, Sub, Mul and Sign kernels
	// (CORPUSHUNT_BLAS=0 does too).
	EnvFastElementwise = "CORPUSHUNT_FASTELEMENTWISE"

	simplegoPkg = GoMLXModule + "/backends/simplego"
)

type binKind int

const (
	binAdd binKind = iota
	binSub
	binMul
)

// ewOp is one table entry the elementwise override replaces.
type ewOp struct {
	op        backends.OpType
	stockName string
	stock     executor
	fast      executor
}

var (
	ewOnce   sync.Once
	ewMu     sync.Mutex // guards ewActive
	ewActive = "stock (override not engaged)"
	fastEW   state

	// corruptElementwiseForTest makes every fast result wrong (tests of the self-test).
	corruptElementwiseForTest bool

	ewOps []*ewOp
)

func init() {
	ewOps = []*ewOp{
		{op: backends.OpTypeAdd, stockName: simplegoPkg + ".execAdd"},
		{op: backends.OpTypeSub, stockName: simplegoPkg + ".execSub"},
		{op: backends.OpTypeMul, stockName: simplegoPkg + ".execMul"},
		{op: backends.OpTypeSign, stockName: simplegoPkg + ".execSign"},
	}
	ewOps[0].fast = binaryExecutor(binAdd, ewOps[0])
	ewOps[1].fast = binaryExecutor(binSub, ewOps[1])
	ewOps[2].fast = binaryExecutor(binMul, ewOps[2])
	ewOps[3].fast = execSignFast
}

// ElementwiseActive describes the path of broadcasting Add/Sub/Mul and of Sign: "strided
// runs, branch-free Sign", "stock (disabled by …)", "stock (switched off by
// blas.EnableElementwise(false))" or "stock (reason)".
func ElementwiseActive() string {
	ewMu.Lock()
	defer ewMu.Unlock()
	return fastEW.describe(ewActive, "stock (switched off by blas.EnableElementwise(false))")
}

// ElementwiseEngaged reports whether the elementwise override is installed and switched on.
func ElementwiseEngaged() bool { return fastEW.engaged() }

// EnableElementwise switches an engaged elementwise override on or off for the whole
// process and returns the previous setting. Without an engaged override it does nothing
// and returns false.
func EnableElementwise(on bool) (was bool) { return fastEW.enable(on) }

// ElementwiseCalls is the number of Add/Sub/Mul/Sign ops computed by the override so far.
func ElementwiseCalls() int64 { return fastEW.calls.Load() }

// ElementwiseHandedBack is the number of Add/Sub/Mul/Sign ops passed to the stock kernels
// (same shapes, a scalar operand, another dtype), while switched on.
func ElementwiseHandedBack() int64 { return fastEW.handedBack.Load() }

func engageElementwise() {
	reason, quiet := engageElementwiseGuarded()
	ewMu.Lock()
	defer ewMu.Unlock()
	if reason != "" {
		ewActive = "stock (" + reason + ")"
		if !quiet {
			fmt.Fprintf(os.Stderr, "corpushunt: Add/Sub/Mul/Sign stay on the stock kernels: %s\n", reason)
		}
		return
	}
	ewActive = "strided runs, branch-free Sign"
}

func engageElementwiseGuarded() (reason string, quiet bool) {
	if os.Getenv(EnvDisable) == "0" {
		return "disabled by " + EnvDisable + "=0", true
	}
	if os.Getenv(EnvFastElementwise) == "0" {
		return "disabled by " + EnvFastElementwise + "=0", true
	}
	for _, o := range ewOps {
		if err := checkExecutor(nodeExecutors[o.op], o.stockName, o.op.String()); err != nil {
			return err.Error(), false
		}
	}
	if err := checkNodeShape(); err != nil {
		return err.Error(), false
	}
	for _, o := range ewOps {
		o.stock = nodeExecutors[o.op]
	}
	for _, o := range ewOps {
		nodeExecutors[o.op] = o.fast
	}
	fastEW.installed.Store(true)
	fastEW.enabled.Store(true)
	if err := elementwiseSelfTest(); err != nil {
		for _, o := range ewOps {
			nodeExecutors[o.op] = o.stock
		}
		fastEW.enabled.Store(false)
		fastEW.installed.Store(false)
		return "self-test failed: " + err.Error(), false
	}
	return "", false
}

// binaryExecutor is the override of one binary op.
func binaryExecutor(kind binKind, o *ewOp) executor {
	return func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
		if !fastEW.enabled.Load() {
			return o.stock(backend, node, inputs, inputsOwned)
		}
		if _, skip := bypass.Load(backend); skip {
			return o.stock(backend, node, inputs, inputsOwned)
		}
		out, ok, err := tryBinary(kind, backend, node, inputs, inputsOwned)
		if err != nil {
			return nil, err
		}
		if !ok {
			fastEW.handedBack.Add(1)
			return o.stock(backend, node, inputs, inputsOwned)
		}
		fastEW.calls.Add(1)
		return out, nil
	}
}

// bcastPlan is a broadcasting binary op as nested strided loops: the output (dense) is
// count[0]×…×count[n-1] elements, element (i0, …) combining lhs[Σ i_a·lstep[a]] and
// rhs[Σ i_a·rstep[a]] (step 0 on a broadcast axis). Output axes of size 1 are dropped and
// neighbouring axes merged where both operands allow; the innermost steps are 0 or 1.
type bcastPlan struct {
	n                   int
	count, lstep, rstep [maxSliceRank]int
	size                int
}

// planBroadcast plans lhs op rhs → out (all of the same rank, each operand axis either the
// output's or 1), or says it cannot.
func planBroadcast(ld, rd, od []int) (pl bcastPlan, ok bool) {
	r := len(od)
	if len(ld) != r || len(rd) != r || r > maxSliceRank {
		return pl, false
	}
	var ls, rs [maxSliceRank]int
	l, rr := 1, 1
	pl.size = 1
	for a := r - 1; a >= 0; a-- {
		if (ld[a] != od[a] && ld[a] != 1) || (rd[a] != od[a] && rd[a] != 1) || od[a] < 0 {
			return pl, false
		}
		if ld[a] == od[a] {
			ls[a] = l
		}
		if rd[a] == od[a] {
			rs[a] = rr
		}
		l *= ld[a]
		rr *= rd[a]
		pl.size *= od[a]
	}
	if pl.size == 0 {
		return pl, true
	}
	for a := range r {
		o := od[a]
		if o == 1 {
			continue
		}
		if pl.n > 0 && pl.lstep[pl.n-1] == o*ls[a] && pl.rstep[pl.n-1] == o*rs[a] {
			pl.count[pl.n-1] *= o
			pl.lstep[pl.n-1], pl.rstep[pl.n-1] = ls[a], rs[a]
			continue
		}
		pl.count[pl.n], pl.lstep[pl.n], pl.rstep[pl.n] = o, ls[a], rs[a]
		pl.n++
	}
	return pl, true
}

type number interface {
	~float32 | ~float64 | ~int32 | ~int64
}

// binRow computes one innermost run: out[i] = a[i·sa] op b[i·sb], sa and sb in {0, 1}.
func binRow[T number](kind binKind, out, a, b []T, sa, sb int) {
	n := len(out)
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:n], b[:n]
		switch kind {
		case binAdd:
			for i := range out {
				out[i] = a[i] + b[i]
			}
		case binSub:
			for i := range out {
				out[i] = a[i] - b[i]
			}
		case binMul:
			for i := range out {
				out[i] = a[i] * b[i]
			}
		}
	case sa == 1:
		a = a[:n]
		c := b[0]
		switch kind {
		case binAdd:
			for i := range out {
				out[i] = a[i] + c
			}
		case binSub:
			for i := range out {
				out[i] = a[i] - c
			}
		case binMul:
			for i := range out {
				out[i] = a[i] * c
			}
		}
	case sb == 1:
		b = b[:n]
		c := a[0]
		switch kind {
		case binAdd:
			for i := range out {
				out[i] = c + b[i]
			}
		case binSub:
			for i := range out {
				out[i] = c - b[i]
			}
		case binMul:
			for i := range out {
				out[i] = c * b[i]
			}
		}
	default: // both broadcast on the innermost run: not produced by planBroadcast
		var v T
		switch kind {
		case binAdd:
			v = a[0] + b[0]
		case binSub:
			v = a[0] - b[0]
		case binMul:
			v = a[0] * b[0]
		}
		for i := range out {
			out[i] = v
		}
	}
}

// binCopy runs the plan. out may be the same slice as a or b when that operand has the
// output's shape (each element is read before it is written, at the same index).
func binCopy[T number](kind binKind, out, a, b []T, pl *bcastPlan) {
	if pl.size == 0 {
		return
	}
	if pl.n == 0 {
		binRow(kind, out[:1], a, b, 0, 0)
		return
	}
	in := pl.n - 1
	cnt, sa, sb := pl.count[in], pl.lstep[in], pl.rstep[in]
	var idx [maxSliceRank]int
	la, lb := 0, 0
	for o := 0; o < len(out); o += cnt {
		binRow(kind, out[o:o+cnt], a[la:], b[lb:], sa, sb)
		for ax := in - 1; ax >= 0; ax-- {
			idx[ax]++
			la += pl.lstep[ax]
			lb += pl.rstep[ax]
			if idx[ax] < pl.count[ax] {
				break
			}
			idx[ax] = 0
			la -= pl.count[ax] * pl.lstep[ax]
			lb -= pl.count[ax] * pl.rstep[ax]
		}
	}
}

func tryBinary(kind binKind, backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, bool, error) {
	if len(inputs) != 2 || len(inputsOwned) != 2 {
		return nil, false, nil
	}
	ls, err1 := backend.BufferShape(inputs[0])
	rs, err2 := backend.BufferShape(inputs[1])
	if err1 != nil || err2 != nil || ls.DType != rs.DType {
		return nil, false, nil
	}
	switch ls.DType {
	case dtypes.Float32, dtypes.Float64, dtypes.Int32, dtypes.Int64:
	default:
		return nil, false, nil
	}
	// The stock kernels' own fast paths: a scalar (or size-1) operand, or equal shapes.
	if ls.Size() == 1 || rs.Size() == 1 || ls.Equal(rs) {
		return nil, false, nil
	}
	outShape, ok := nodeShape(node)
	if !ok || outShape.DType != ls.DType {
		return nil, false, nil
	}
	pl, ok := planBroadcast(ls.Dimensions, rs.Dimensions, outShape.Dimensions)
	if !ok {
		return nil, false, nil
	}
	lf, err1 := backend.BufferData(inputs[0])
	rf, err2 := backend.BufferData(inputs[1])
	if err1 != nil || err2 != nil || flatLen(lf) != ls.Size() || flatLen(rf) != rs.Size() {
		return nil, false, nil
	}
	// The output: an owned operand of the output's shape (as simplego does), else a new buffer.
	var out *simplego.Buffer
	switch {
	case inputsOwned[1] && rs.Equal(outShape):
		out, inputs[1] = inputs[1], nil
	case inputsOwned[0] && ls.Equal(outShape):
		out, inputs[0] = inputs[0], nil
	default:
		if out = backend.NewBuffer(outShape); out == nil {
			return nil, false, errors.New("binary op: backend finalized")
		}
	}
	of, err := backend.BufferData(out)
	if err != nil {
		return nil, false, err
	}
	switch l := lf.(type) {
	case []float32:
		o, r := of.([]float32), rf.([]float32)
		binCopy(kind, o, l, r, &pl)
		if corruptElementwiseForTest && len(o) > 0 {
			o[0]++
		}
	case []float64:
		binCopy(kind, of.([]float64), l, rf.([]float64), &pl)
	case []int32:
		binCopy(kind, of.([]int32), l, rf.([]int32), &pl)
	case []int64:
		binCopy(kind, of.([]int64), l, rf.([]int64), &pl)
	default:
		// Not reached: the dtype was checked; the buffer may already be taken.
		return nil, false, fmt.Errorf("binary op: %s buffer holds %T", ls.DType, lf)
	}
	return out, true, nil
}

func flatLen(f any) int {
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Slice {
		return -1
	}
	return v.Len()
}

// signF32 is Sign as simplego computes it (±1, and +0 for ±0 and NaN), written so that the
// compiler selects the result with conditional moves (CMOV on amd64) instead of branching
// on each element's sign: on a ReLU's input the branches are unpredictable. Alone, on 2M
// normal or ReLU'd values: 2.1–2.5 ms against 11–12 ms for the branching loop; inside the
// conv autoencoder's training step (both loops timed on the same 144 inputs, 110M values,
// while simplego runs other ops beside them) only 233 against 265 ms: there the loop is
// bound by memory traffic more than by mispredictions.
func signF32(in, out []float32) {
	out = out[:len(in)]
	for i, x := range in {
		var r uint32 // +0
		if x > 0 {
			r = 0x3f800000 // +1
		}
		if x < 0 {
			r = 0xbf800000 // -1
		}
		out[i] = math.Float32frombits(r)
	}
}

// signF64 is signF32 for float64.
func signF64(in, out []float64) {
	out = out[:len(in)]
	for i, x := range in {
		var r uint64
		if x > 0 {
			r = 0x3ff0000000000000
		}
		if x < 0 {
			r = 0xbff0000000000000
		}
		out[i] = math.Float64frombits(r)
	}
}

// execSignFast is the Sign override: float32 and float64 branch-free, other dtypes to the
// stock kernel.
func execSignFast(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
	stock := ewOps[3].stock
	if !fastEW.enabled.Load() {
		return stock(backend, node, inputs, inputsOwned)
	}
	if _, skip := bypass.Load(backend); skip {
		return stock(backend, node, inputs, inputsOwned)
	}
	out, ok, err := trySign(backend, inputs, inputsOwned)
	if err != nil {
		return nil, err
	}
	if !ok {
		fastEW.handedBack.Add(1)
		return stock(backend, node, inputs, inputsOwned)
	}
	fastEW.calls.Add(1)
	return out, nil
}

func trySign(backend *simplego.Backend, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, bool, error) {
	if len(inputs) != 1 || len(inputsOwned) != 1 {
		return nil, false, nil
	}
	is, err := backend.BufferShape(inputs[0])
	if err != nil || (is.DType != dtypes.Float32 && is.DType != dtypes.Float64) {
		return nil, false, nil
	}
	f, err := backend.BufferData(inputs[0])
	if err != nil || flatLen(f) != is.Size() {
		return nil, false, nil
	}
	var out *simplego.Buffer
	if inputsOwned[0] {
		out, inputs[0] = inputs[0], nil // in place, as simplego does
	} else if out = backend.NewBuffer(is); out == nil {
		return nil, false, errors.New("Sign: backend finalized")
	}
	of, err := backend.BufferData(out)
	if err != nil {
		return nil, false, err
	}
	switch in := f.(type) {
	case []float32:
		o := of.([]float32)
		signF32(in, o)
		if corruptElementwiseForTest && len(o) > 0 {
			o[0]++
		}
	case []float64:
		signF64(in, of.([]float64))
	default:
		return nil, false, fmt.Errorf("Sign: %s buffer holds %T", is.DType, f)
	}
	return out, true, nil
}

// ewCase is one elementwise op: Add, Sub, Mul of operands of dims lhs and rhs, or Sign of
// an operand of dims lhs (values: the deterministic inputs, plus specials for Sign).
// donate donates the inputs to the execution, so that the kernels may write their result
// over an operand of the output's shape.
type ewCase struct {
	name     string
	op       backends.OpType
	lhs, rhs []int
	dtype    dtypes.DType
	donate   bool
}

func elementwiseSelfTestCases() []ewCase {
	return []ewCase{
		{name: "bias add [2,3,4,5]+[1,1,1,5]", op: backends.OpTypeAdd, lhs: []int{2, 3, 4, 5}, rhs: []int{1, 1, 1, 5}, dtype: dtypes.Float32},
		{name: "row sub [6,1]-[6,7]", op: backends.OpTypeSub, lhs: []int{6, 1}, rhs: []int{6, 7}, dtype: dtypes.Float32},
		{name: "outer mul [1,5]·[4,1]", op: backends.OpTypeMul, lhs: []int{1, 5}, rhs: []int{4, 1}, dtype: dtypes.Float32},
		{name: "middle axis add [3,1,4]+[3,5,4]", op: backends.OpTypeAdd, lhs: []int{3, 1, 4}, rhs: []int{3, 5, 4}, dtype: dtypes.Int32},
		{name: "bias add in place [2,3,4,5]+[1,1,1,5]", op: backends.OpTypeAdd, lhs: []int{2, 3, 4, 5}, rhs: []int{1, 1, 1, 5}, dtype: dtypes.Float32, donate: true},
		{name: "sign [64]", op: backends.OpTypeSign, lhs: []int{64}, dtype: dtypes.Float32},
		{name: "sign in place [64]", op: backends.OpTypeSign, lhs: []int{64}, dtype: dtypes.Float32, donate: true},
		{name: "sign float64 [3,20]", op: backends.OpTypeSign, lhs: []int{3, 20}, dtype: dtypes.Float64},
	}
}

// elementwiseSelfTest runs small ops through the override and the stock kernels; the
// results must be bit-identical.
func elementwiseSelfTest() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	for _, c := range elementwiseSelfTestCases() {
		before := fastEW.calls.Load()
		got, err := runElementwiseCase(c, false)
		if err != nil {
			return err
		}
		if fastEW.calls.Load() == before {
			return fmt.Errorf("%s: the override was not called (executor table not replaced)", c.name)
		}
		want, err := runElementwiseCase(c, true)
		if err != nil {
			return err
		}
		if !sameBits(got, want) {
			return fmt.Errorf("%s: the fast kernel and the stock kernel differ", c.name)
		}
	}
	return nil
}

// sameBits compares two flat slices bit for bit (NaNs included).
func sameBits(a, b any) bool {
	switch x := a.(type) {
	case []float32:
		y, ok := b.([]float32)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
		return true
	case []float64:
		y, ok := b.([]float64)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// ewInput: the deterministic inputs of sliceInput; for float Sign the first elements are
// the special values (±0, ±Inf, NaN, the smallest subnormals, ±1).
func ewInput(c ewCase, dims []int, seed int) (any, error) {
	n := 1
	for _, d := range dims {
		n *= d
	}
	in, err := sliceInput(c.dtype, n+seed)
	if err != nil {
		return nil, err
	}
	in = reflect.ValueOf(in).Slice(seed, seed+n).Interface()
	if c.op == backends.OpTypeSign {
		specials := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1, -1}
		switch v := in.(type) {
		case []float32:
			sp := append([]float32{math.Float32frombits(1), math.Float32frombits(0x80000001), math.Float32frombits(0xffc00000)}, f32s(specials)...)
			copy(v, sp)
		case []float64:
			copy(v, append([]float64{math.Float64frombits(1), math.Float64frombits(0x8000000000000001)}, specials...))
		}
	}
	return in, nil
}

func f32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// runElementwiseCase builds the op with the backend's own Builder on the plain backend
// (reference=false: the override when engaged) or on the reference backend (the stock
// kernels), and returns the flat result.
func runElementwiseCase(c ewCase, reference bool) (out any, err error) {
	out, _, err = runElementwiseCaseReuse(c, reference)
	return out, err
}

// runElementwiseCaseReuse is runElementwiseCase, and says whether the result was written
// over one of the (donated) inputs.
func runElementwiseCaseReuse(c ewCase, reference bool) (out any, reused bool, err error) {
	be, ref, err := caseBackends()
	if err != nil {
		return nil, false, err
	}
	if reference {
		be = ref
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %v", c.name, r)
		}
	}()
	b := be.Builder("elementwise-case")
	ls := shapes.Make(c.dtype, c.lhs...)
	x, err := b.Parameter("x", ls, nil)
	if err != nil {
		return nil, false, err
	}
	shps := []shapes.Shape{ls}
	var y backends.Op
	if c.op == backends.OpTypeSign {
		y, err = b.Sign(x)
	} else {
		rs := shapes.Make(c.dtype, c.rhs...)
		var z backends.Op
		if z, err = b.Parameter("y", rs, nil); err != nil {
			return nil, false, err
		}
		shps = append(shps, rs)
		switch c.op {
		case backends.OpTypeAdd:
			y, err = b.Add(x, z)
		case backends.OpTypeSub:
			y, err = b.Sub(x, z)
		case backends.OpTypeMul:
			y, err = b.Mul(x, z)
		default:
			return nil, false, fmt.Errorf("%s: op %s", c.name, c.op)
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", c.name, err)
	}
	exe, err := b.Compile([]backends.Op{y}, nil)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", c.name, err)
	}
	defer exe.Finalize()
	bufs := make([]backends.Buffer, len(shps))
	for i, s := range shps {
		in, err := ewInput(c, s.Dimensions, 17*i)
		if err != nil {
			return nil, false, err
		}
		if bufs[i], err = be.BufferFromFlatData(0, in, s); err != nil {
			return nil, false, err
		}
	}
	var donate []bool
	if c.donate {
		donate = make([]bool, len(bufs))
		for i := range donate {
			donate[i] = true
		}
	}
	res, err := exe.Execute(bufs, donate, 0)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", c.name, err)
	}
	rs, err := be.BufferShape(res[0])
	if err != nil {
		return nil, false, err
	}
	flat := reflect.MakeSlice(reflect.SliceOf(c.dtype.GoType()), rs.Size(), rs.Size()).Interface()
	if err := be.BufferToFlatData(res[0], flat); err != nil {
		return nil, false, err
	}
	for _, buf := range bufs {
		reused = reused || buf == res[0]
	}
	_ = be.BufferFinalize(res[0])
	if !c.donate {
		for _, buf := range bufs {
			_ = be.BufferFinalize(buf)
		}
	}
	return flat, reused, nil
}
