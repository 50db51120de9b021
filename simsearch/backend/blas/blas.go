package blas

import (
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	_ "unsafe" // go:linkname

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

const (
	// GoMLXModule and GoMLXVersion name the only GoMLX the override engages with.
	GoMLXModule  = "github.com/gomlx/gomlx"
	GoMLXVersion = "v0.26.0"

	// EnvDisable set to "0" keeps the pure-Go kernel.
	EnvDisable = "CORPUSHUNT_BLAS"
	// EnvThreads sets OpenBLAS's thread count (default 1).
	EnvThreads = "CORPUSHUNT_BLAS_THREADS"
	// EnvLib names the OpenBLAS shared library to load (default libopenblas.so.0).
	EnvLib = "CORPUSHUNT_BLAS_LIB"

	stockExecutor = GoMLXModule + "/backends/simplego.execDotGeneral"
	selfTestTol   = 1e-5
)

// executor has the signature of simplego's nodeExecutor.
type executor func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error)

// nodeExecutors is simplego's executor table (exec.go), indexed by backends.OpType.
//
//go:linkname nodeExecutors github.com/gomlx/gomlx/backends/simplego.nodeExecutors
var nodeExecutors [backends.OpTypeLast]executor

var (
	engageOnce sync.Once
	mu         sync.Mutex // guards active, stock
	active     = "pure Go (override not engaged)"
	stock      executor
	sgemm      state
	threads    int

	// corruptForTest makes every sgemm result wrong (tests of the self-test).
	corruptForTest bool

	// bypass holds backends whose DotGenerals always take the stock kernel (the self-test's
	// reference backend).
	bypass sync.Map

	// Reflect access to node.data and to *dotGeneralNodeData.
	nodeDataField = -1
	paramsOnce    sync.Once
	paramsType    reflect.Type
	paramsErr     error
	paramsIdx     struct{ lc, lb, rc, rb, batch, lx, rx, k int }
)

// Engage installs the sgemm override if every guard passes (see the package
// documentation) and returns Active(). It is idempotent and safe to call concurrently; the
// first call decides for the whole process.
func Engage() string {
	engageOnce.Do(func() {
		reason, quiet := engage()
		mu.Lock()
		defer mu.Unlock()
		if reason != "" {
			active = "pure Go (" + reason + ")"
			if !quiet {
				fmt.Fprintf(os.Stderr, "corpushunt: matrix products stay on the pure-Go kernel: %s\n", reason)
			}
			return
		}
		active = fmt.Sprintf("OpenBLAS sgemm (%d threads)", threads)
	})
	sliceOnce.Do(engageSlice)
	ewOnce.Do(engageElementwise)
	return Active()
}

// Active describes the matrix-product path of the pure-Go backend: "OpenBLAS sgemm (N
// threads)", "pure Go (disabled by CORPUSHUNT_BLAS=0)" or "pure Go (reason)".
func Active() string {
	mu.Lock()
	defer mu.Unlock()
	return sgemm.describe(active, "pure Go (switched off by blas.Enable(false))")
}

// Engaged reports whether the override is installed and switched on.
func Engaged() bool { return sgemm.engaged() }

// Enable switches an engaged override on or off for the whole process (graphs already
// compiled follow the switch at their next execution) and returns the previous setting.
// Without an engaged override it does nothing and returns false.
func Enable(on bool) (was bool) { return sgemm.enable(on) }

// Calls is the number of DotGenerals computed by sgemm so far.
func Calls() int64 { return sgemm.calls.Load() }

// HandedBack is the number of DotGenerals the override passed to the stock kernel because
// sgemm does not cover them (dtype, layout), while switched on.
func HandedBack() int64 { return sgemm.handedBack.Load() }

// Threads is OpenBLAS's thread count (0 before engagement).
func Threads() int {
	mu.Lock()
	defer mu.Unlock()
	return threads
}

// SetThreads changes OpenBLAS's thread count of an engaged override (for measurements; the
// default is CORPUSHUNT_BLAS_THREADS or 1) and returns the previous one.
// Without an engaged override it does nothing and returns 0.
func SetThreads(n int) (was int) {
	mu.Lock()
	defer mu.Unlock()
	if !sgemm.installed.Load() || n < 1 {
		return 0
	}
	was, threads = threads, n
	setThreads(n)
	if strings.HasPrefix(active, "OpenBLAS") {
		active = fmt.Sprintf("OpenBLAS sgemm (%d threads)", n)
	}
	return was
}

func engage() (reason string, quiet bool) {
	if os.Getenv(EnvDisable) == "0" {
		return "disabled by " + EnvDisable + "=0", true
	}
	if err := checkVersion(nodeExecutors[backends.OpTypeDotGeneral]); err != nil {
		return err.Error(), false
	}
	if err := checkNode(); err != nil {
		return err.Error(), false
	}
	n := 1 // see "Threads" in the package documentation
	if s := os.Getenv(EnvThreads); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			return fmt.Sprintf("%s=%q is not a positive integer", EnvThreads, s), false
		}
		n = v
	}
	lib := os.Getenv(EnvLib)
	if err := loadOpenBLAS(lib); err != nil {
		return err.Error(), false
	}
	setThreads(n)
	mu.Lock()
	threads = n
	stock = nodeExecutors[backends.OpTypeDotGeneral]
	nodeExecutors[backends.OpTypeDotGeneral] = execDotGeneral
	mu.Unlock()
	sgemm.installed.Store(true)
	sgemm.enabled.Store(true)
	if err := selfTest(); err != nil {
		nodeExecutors[backends.OpTypeDotGeneral] = stock
		sgemm.enabled.Store(false)
		sgemm.installed.Store(false)
		return "self-test failed: " + err.Error(), false
	}
	return "", false
}

// checkVersion: the build's module list (when the binary has one) and the source file of
// fn, the table's DotGeneral entry, must both say GoMLX v0.26.0.
func checkVersion(fn executor) error { return checkExecutor(fn, stockExecutor, "DotGeneral") }

// checkExecutor: the build's module list (when the binary has one) must say GoMLX v0.26.0,
// and fn, the table's entry for op, must be the function want from GoMLX v0.26.0's source.
func checkExecutor(fn executor, want, op string) error {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path != GoMLXModule {
				continue
			}
			v := d.Version
			if d.Replace != nil {
				v = d.Replace.Version
				if d.Replace.Path != GoMLXModule {
					return fmt.Errorf("GoMLX is replaced by %s %s, not the pinned %s", d.Replace.Path, v, GoMLXVersion)
				}
			}
			if v != GoMLXVersion {
				return fmt.Errorf("GoMLX %s is not the pinned %s", v, GoMLXVersion)
			}
		}
	}
	if fn == nil {
		return fmt.Errorf("simplego has no %s executor", op)
	}
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil || f.Name() != want {
		name := "?"
		if f != nil {
			name = f.Name()
		}
		return fmt.Errorf("simplego's %s executor is %s, not %s", op, name, want)
	}
	file, _ := f.FileLine(f.Entry())
	if !strings.Contains(filepathToSlash(file), GoMLXModule+"@"+GoMLXVersion+"/backends/simplego/") {
		return fmt.Errorf("simplego's %s comes from %s, not GoMLX %s", op, file, GoMLXVersion)
	}
	return nil
}

func filepathToSlash(s string) string { return strings.ReplaceAll(s, `\`, "/") }

// checkNode finds simplego.Node's "data" field (type any).
func checkNode() error {
	f, ok := reflect.TypeFor[simplego.Node]().FieldByName("data")
	if !ok || len(f.Index) != 1 || f.Type != reflect.TypeFor[any]() {
		return errors.New("simplego.Node has no field data of type any")
	}
	nodeDataField = f.Index[0]
	return nil
}

// checkParamsType validates the dynamic type of a DotGeneral node's data:
// *simplego.dotGeneralNodeData with the fields read by readParams.
func checkParamsType(t reflect.Type) error {
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct ||
		t.Elem().Name() != "dotGeneralNodeData" || t.Elem().PkgPath() != GoMLXModule+"/backends/simplego" {
		return fmt.Errorf("DotGeneral node data is %s, not *simplego.dotGeneralNodeData", t)
	}
	s := t.Elem()
	field := func(name string, kind reflect.Kind) int {
		f, ok := s.FieldByName(name)
		if !ok || len(f.Index) != 1 || f.Type.Kind() != kind || (kind == reflect.Slice && f.Type.Elem().Kind() != reflect.Int) {
			return -1
		}
		return f.Index[0]
	}
	var idx struct{ lc, lb, rc, rb, batch, lx, rx, k int }
	for _, c := range []struct {
		dst  *int
		name string
		kind reflect.Kind
	}{
		{&idx.lc, "lhsContractingAxes", reflect.Slice}, {&idx.lb, "lhsBatchAxes", reflect.Slice},
		{&idx.rc, "rhsContractingAxes", reflect.Slice}, {&idx.rb, "rhsBatchAxes", reflect.Slice},
		{&idx.batch, "batchSize", reflect.Int}, {&idx.lx, "lhsCrossSize", reflect.Int},
		{&idx.rx, "rhsCrossSize", reflect.Int}, {&idx.k, "contractingSize", reflect.Int},
	} {
		if *c.dst = field(c.name, c.kind); *c.dst < 0 {
			return fmt.Errorf("dotGeneralNodeData has no field %s of kind %s", c.name, c.kind)
		}
	}
	paramsIdx = idx
	return nil
}

// readParams reads a DotGeneral node's parameters, or says it cannot.
func readParams(node *simplego.Node) (p dotParams, ok bool) {
	if nodeDataField < 0 || node == nil {
		return p, false
	}
	data := reflect.ValueOf(node).Elem().Field(nodeDataField)
	if data.IsNil() {
		return p, false
	}
	ptr := data.Elem()
	t := ptr.Type()
	paramsOnce.Do(func() {
		paramsErr = checkParamsType(t)
		paramsType = t
	})
	if paramsErr != nil || t != paramsType || ptr.IsNil() {
		return p, false
	}
	s := ptr.Elem()
	ints := func(i int) []int {
		f := s.Field(i)
		out := make([]int, f.Len())
		for j := range out {
			out[j] = int(f.Index(j).Int())
		}
		return out
	}
	p.lhsContracting, p.lhsBatch = ints(paramsIdx.lc), ints(paramsIdx.lb)
	p.rhsContracting, p.rhsBatch = ints(paramsIdx.rc), ints(paramsIdx.rb)
	p.batch, p.lhsCross = int(s.Field(paramsIdx.batch).Int()), int(s.Field(paramsIdx.lx).Int())
	p.rhsCross, p.contracting = int(s.Field(paramsIdx.rx).Int()), int(s.Field(paramsIdx.k).Int())
	return p, true
}

// execDotGeneral is the override: sgemm for the float32 layouts it covers, the stock
// kernel for everything else.
func execDotGeneral(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
	if !sgemm.enabled.Load() {
		return stock(backend, node, inputs, inputsOwned)
	}
	if _, skip := bypass.Load(backend); skip {
		return stock(backend, node, inputs, inputsOwned)
	}
	out, ok, err := trySgemm(backend, node, inputs)
	if err != nil {
		return nil, err
	}
	if !ok {
		sgemm.handedBack.Add(1)
		return stock(backend, node, inputs, inputsOwned)
	}
	sgemm.calls.Add(1)
	return out, nil
}

func trySgemm(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer) (*simplego.Buffer, bool, error) {
	if len(inputs) != 2 {
		return nil, false, nil
	}
	ls, err := backend.BufferShape(inputs[0])
	if err != nil {
		return nil, false, nil
	}
	rs, err := backend.BufferShape(inputs[1])
	if err != nil || ls.DType != dtypes.Float32 || rs.DType != dtypes.Float32 {
		return nil, false, nil
	}
	p, ok := readParams(node)
	if !ok {
		return nil, false, nil
	}
	g, ok := plan(ls.Dimensions, rs.Dimensions, p)
	if !ok {
		return nil, false, nil
	}
	lf, err1 := backend.BufferData(inputs[0])
	rf, err2 := backend.BufferData(inputs[1])
	if err1 != nil || err2 != nil {
		return nil, false, nil
	}
	a, okA := lf.([]float32)
	b, okB := rf.([]float32)
	if !okA || !okB || len(a) != ls.Size() || len(b) != rs.Size() {
		return nil, false, nil
	}
	out := backend.NewBuffer(shapes.Make(dtypes.Float32, p.batch, p.lhsCross, p.rhsCross))
	if out == nil {
		return nil, false, errors.New("DotGeneral: backend finalized")
	}
	of, err := backend.BufferData(out)
	if err != nil {
		return nil, false, err
	}
	c := of.([]float32)
	sgemmBatched(g, a, b, c)
	if corruptForTest {
		c[0]++
	}
	return out, true, nil
}

// selfTest runs small DotGenerals through the override and, on a bypassed backend, through
// the stock kernel, and compares.
func selfTest() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	cases := selfTestCases()
	for _, c := range cases {
		before := sgemm.calls.Load()
		got, err := runCase(c, false)
		if err != nil {
			return err
		}
		if sgemm.calls.Load() == before {
			return fmt.Errorf("%s: the override was not called (executor table not replaced)", c.name)
		}
		want, err := runCase(c, true)
		if err != nil {
			return err
		}
		if e := relErr(got, want); e > selfTestTol || math.IsNaN(e) {
			return fmt.Errorf("%s: sgemm and the stock kernel differ by %.2g relative", c.name, e)
		}
	}
	return nil
}

// relErr is max|got−want| / max|want|.
func relErr(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var diff, scale float64
	for i := range got {
		diff = max(diff, math.Abs(float64(got[i])-float64(want[i])))
		scale = max(scale, math.Abs(float64(want[i])))
	}
	if scale == 0 {
		return diff
	}
	return diff / scale
}

// state is one override's switches and counters.
type state struct {
	installed, enabled atomic.Bool
	calls, handedBack  atomic.Int64 // ops served; ops passed to the stock kernel while on
}

// describe is what the override says of itself: desc, or off when installed but
// switched off.
func (s *state) describe(desc, off string) string {
	if s.installed.Load() && !s.enabled.Load() {
		return off
	}
	return desc
}

func (s *state) engaged() bool { return s.installed.Load() && s.enabled.Load() }

// enable switches an installed override and returns the previous setting (false, doing
// nothing, when it is not installed).
func (s *state) enable(on bool) bool {
	if !s.installed.Load() {
		return false
	}
	return s.enabled.Swap(on)
}
