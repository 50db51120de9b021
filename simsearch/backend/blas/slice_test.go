package blas

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// sliceDTypes: every dtype simplego's stock Slice kernel is registered for.
var sliceDTypes = []dtypes.DType{
	dtypes.Float32, dtypes.Float64, dtypes.BFloat16, dtypes.Bool,
	dtypes.Int8, dtypes.Int16, dtypes.Int32, dtypes.Int64,
	dtypes.Uint8, dtypes.Uint16, dtypes.Uint32, dtypes.Uint64,
}

// mustEngageSlice fails the test loudly when the Slice override does not engage (unless
// the environment disables it on purpose).
func mustEngageSlice(t *testing.T) {
	t.Helper()
	if os.Getenv(EnvDisable) == "0" || os.Getenv(EnvFastSlice) == "0" {
		t.Skipf("%s=0 or %s=0 in the environment", EnvDisable, EnvFastSlice)
	}
	Engage()
	if a := SliceActive(); a != "contiguous runs" || !SliceEngaged() {
		t.Fatalf("Slice override did not engage: %s", a)
	}
}

// full is a Slice case taking the whole of every axis except as given by edit.
func full(name string, dims []int, edit func(starts, limits, strides []int)) slCase {
	c := slCase{name: name, dims: dims, starts: make([]int, len(dims)), limits: append([]int(nil), dims...), strides: make([]int, len(dims)), dtype: dtypes.Float32}
	for i := range c.strides {
		c.strides[i] = 1
	}
	if edit != nil {
		edit(c.starts, c.limits, c.strides)
	}
	return c
}

// handSliceCases: the layouts the models produce, and the plan's corner cases.
func handSliceCases() []slCase {
	return []slCase{
		full("rank 1 whole", []int{10}, nil),
		full("rank 1 range", []int{10}, func(s, l, k []int) { s[0], l[0] = 3, 9 }),
		full("rank 1 strided", []int{10}, func(s, l, k []int) { s[0], k[0] = 1, 3 }),
		full("rank 1 single element", []int{10}, func(s, l, k []int) { s[0], l[0] = 4, 5 }),
		full("rank 1 empty", []int{10}, func(s, l, k []int) { s[0], l[0] = 4, 4 }),
		full("rank 1 of size 1", []int{1}, nil),
		full("im2col shift [4,10,10,8]", []int{4, 10, 10, 8}, func(s, l, k []int) { s[1], l[1], s[2], l[2] = 2, 10, 1, 9 }),
		full("im2col shift, 1 channel [2,6,6,1]", []int{2, 6, 6, 1}, func(s, l, k []int) { s[1], l[1], s[2], l[2] = 0, 4, 2, 6 }),
		full("LSTM gate [16,4·32]→[16,32]", []int{16, 128}, func(s, l, k []int) { s[1], l[1] = 64, 96 }),
		full("LSTM gate, short rows [16,4·3]→[16,3]", []int{16, 12}, func(s, l, k []int) { s[1], l[1] = 3, 6 }),
		full("crop first axis (contiguous block) [9,5,4]", []int{9, 5, 4}, func(s, l, k []int) { s[0], l[0] = 2, 7 }),
		full("Reverse unit slice [5,7,3]", []int{5, 7, 3}, func(s, l, k []int) { s[1], l[1] = 6, 7 }),
		full("unit slice of the last axis [6,7]", []int{6, 7}, func(s, l, k []int) { s[1], l[1] = 2, 3 }),
		full("size-1 axes around [1,5,1,6,1]", []int{1, 5, 1, 6, 1}, func(s, l, k []int) { s[1], l[1] = 1, 4 }),
		full("strided inner axis [3,4,10]", []int{3, 4, 10}, func(s, l, k []int) { s[2], k[2] = 1, 2 }),
		full("strided outer axis, whole inner [10,3,4]", []int{10, 3, 4}, func(s, l, k []int) { k[0] = 3 }),
		full("strided middle axis [3,10,4]", []int{3, 10, 4}, func(s, l, k []int) { s[1], l[1], k[1] = 1, 9, 4 }),
		full("stride larger than the axis [3,5]", []int{3, 5}, func(s, l, k []int) { s[1], k[1] = 2, 7 }),
		full("strided everywhere [7,6,5,4,3]", []int{7, 6, 5, 4, 3}, func(s, l, k []int) {
			s[0], k[0], s[1], l[1], k[1], s[3], k[3], k[4] = 1, 2, 1, 6, 3, 1, 2, 2
		}),
		full("rank 5 partial [3,4,5,6,7]", []int{3, 4, 5, 6, 7}, func(s, l, k []int) { s[0], l[0], s[2], l[2], s[4], l[4] = 1, 3, 1, 4, 2, 7 }),
		full("rank 5 whole", []int{2, 3, 2, 3, 2}, nil),
		full("empty middle axis [3,4,5]", []int{3, 4, 5}, func(s, l, k []int) { s[1], l[1] = 2, 2 }),
		full("crop rows [6,7]→[5,7]", []int{6, 7}, func(s, l, k []int) { s[0], l[0] = 1, 6 }),
		full("runs of minCopyRun [5,16]→[5,8]", []int{5, 16}, func(s, l, k []int) { s[1], l[1] = 8, 16 }),
	}
}

// randomSliceCases: n random Slices of rank 1–5 with random ranges and strides 1–3.
func randomSliceCases(n int) []slCase {
	r := rand.New(rand.NewPCG(3, 4))
	out := make([]slCase, 0, n)
	for i := range n {
		rank := 1 + r.IntN(5)
		dims := make([]int, rank)
		for a := range dims {
			dims[a] = 1 + r.IntN(6)
		}
		c := full("", dims, func(s, l, k []int) {
			for a := range rank {
				switch r.IntN(4) {
				case 0: // whole
				case 1: // stride-1 range, possibly empty (start < dims: shape inference's rule)
					s[a] = r.IntN(dims[a])
					l[a] = s[a] + r.IntN(dims[a]-s[a]+1)
				default: // strided range
					s[a] = r.IntN(dims[a])
					l[a] = s[a] + 1 + r.IntN(dims[a]-s[a])
					k[a] = 1 + r.IntN(3)
				}
			}
		})
		c.name = fmt.Sprintf("random %d %v [%v:%v:%v]", i, dims, c.starts, c.limits, c.strides)
		c.dtype = sliceDTypes[i%len(sliceDTypes)]
		out = append(out, c)
	}
	return out
}

// checkSliceCase runs c through the override and the stock kernel: identical results, and
// the override served it (counted).
func checkSliceCase(t *testing.T, c slCase) {
	t.Helper()
	c0, h0 := SliceCalls(), SliceHandedBack()
	got, err := runSliceCase(c, false)
	if err != nil {
		t.Fatal(err)
	}
	served, handed := SliceCalls()-c0, SliceHandedBack()-h0
	want, err := runSliceCase(c, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s (%s): differs from the stock kernel:\n got %v\nwant %v", c.name, c.dtype, got, want)
	}
	if served != 1 || handed != 0 {
		t.Errorf("%s (%s): served %d, handed back %d; want served 1", c.name, c.dtype, served, handed)
	}
}

// TestSliceAgreesWithStockKernel: the hand cases in every dtype, and random cases.
func TestSliceAgreesWithStockKernel(t *testing.T) {
	mustEngageSlice(t)
	for _, dt := range sliceDTypes {
		t.Run(dt.String(), func(t *testing.T) {
			for _, c := range handSliceCases() {
				c.dtype = dt
				checkSliceCase(t, c)
			}
		})
	}
	t.Run("random", func(t *testing.T) {
		for _, c := range randomSliceCases(400) {
			checkSliceCase(t, c)
		}
	})
}

// TestSliceHandedBack: a Slice the override does not cover (rank above maxSliceRank) goes
// to the stock kernel, counted, with the same result.
func TestSliceHandedBack(t *testing.T) {
	mustEngageSlice(t)
	dims := make([]int, maxSliceRank+1)
	for i := range dims {
		dims[i] = 1
	}
	dims[0], dims[len(dims)-1] = 3, 4
	c := full("rank 17", dims, func(s, l, k []int) { s[len(s)-1] = 1 })
	c0, h0 := SliceCalls(), SliceHandedBack()
	got, err := runSliceCase(c, false)
	if err != nil {
		t.Fatal(err)
	}
	if SliceCalls() != c0 || SliceHandedBack() != h0+1 {
		t.Errorf("served %d, handed back %d; want handed back 1", SliceCalls()-c0, SliceHandedBack()-h0)
	}
	want, err := runSliceCase(c, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("differs: %v vs %v", got, want)
	}
}

// TestPlanSlice: axes are merged into the expected strided runs.
func TestPlanSlice(t *testing.T) {
	args := func(c slCase) sliceArgs {
		p := sliceArgs{rank: len(c.dims)}
		copy(p.starts[:], c.starts)
		copy(p.limits[:], c.limits)
		copy(p.strides[:], c.strides)
		return p
	}
	outDims := func(c slCase) []int {
		o := make([]int, len(c.dims))
		for a := range o {
			o[a] = (c.limits[a] - c.starts[a] + c.strides[a] - 1) / c.strides[a]
		}
		return o
	}
	for _, tc := range []struct {
		c            slCase
		count, step  []int
		offset, size int
	}{
		// [4,10,10,8] rows 2…9, columns 1…8: per image and row one run of 8·8.
		{full("im2col", []int{4, 10, 10, 8}, func(s, l, k []int) { s[1], l[1], s[2], l[2] = 2, 10, 1, 9 }),
			[]int{4, 8, 64}, []int{800, 80, 1}, 2*80 + 8, 4 * 8 * 8 * 8},
		{full("gate", []int{16, 128}, func(s, l, k []int) { s[1], l[1] = 64, 96 }),
			[]int{16, 32}, []int{128, 1}, 64, 16 * 32},
		{full("whole", []int{2, 3, 4}, nil), []int{24}, []int{1}, 0, 24},
		{full("crop first axis", []int{9, 5, 4}, func(s, l, k []int) { s[0], l[0] = 2, 7 }), []int{100}, []int{1}, 40, 100},
		{full("unit axes dropped", []int{1, 5, 1, 6, 1}, func(s, l, k []int) { s[1], l[1] = 1, 4 }), []int{18}, []int{1}, 6, 18},
		{full("strided outer, whole inner", []int{10, 3, 4}, func(s, l, k []int) { k[0] = 3 }), []int{4, 12}, []int{36, 1}, 0, 48},
		// Every other element of rows of even length: one run of step 2 across rows.
		{full("strided inner", []int{3, 4, 10}, func(s, l, k []int) { s[2], k[2] = 1, 2 }), []int{60}, []int{2}, 1, 60},
		{full("strided inner, odd rows", []int{3, 4, 9}, func(s, l, k []int) { s[2], k[2] = 1, 2 }), []int{12, 4}, []int{9, 2}, 1, 48},
		{full("single element", []int{4, 5}, func(s, l, k []int) { s[0], l[0], s[1], l[1] = 2, 3, 3, 4 }), []int{}, []int{}, 13, 1},
		{full("empty", []int{4, 5}, func(s, l, k []int) { s[1], l[1] = 3, 3 }), []int{}, []int{}, 0, 0},
	} {
		pl, ok := planSlice(tc.c.dims, args(tc.c), outDims(tc.c))
		if !ok {
			t.Errorf("%s: no plan", tc.c.name)
			continue
		}
		if pl.n != len(tc.count) || !reflect.DeepEqual(pl.count[:pl.n], tc.count) || !reflect.DeepEqual(pl.step[:pl.n], tc.step) ||
			pl.offset != tc.offset || pl.size != tc.size {
			t.Errorf("%s: plan count %v step %v offset %d size %d; want %v %v %d %d", tc.c.name,
				pl.count[:pl.n], pl.step[:pl.n], pl.offset, pl.size, tc.count, tc.step, tc.offset, tc.size)
		}
	}
	// Parameters that disagree with the node's output or the operand are refused.
	c := full("bad", []int{4, 5}, nil)
	if _, ok := planSlice(c.dims, args(c), []int{4, 4}); ok {
		t.Error("accepted output dimensions that disagree with the parameters")
	}
	c.limits[1] = 6
	if _, ok := planSlice(c.dims, args(c), []int{4, 6}); ok {
		t.Error("accepted a limit beyond the operand")
	}
	c = full("stride 0", []int{4, 5}, func(s, l, k []int) { k[0] = 0 })
	if _, ok := planSlice(c.dims, args(c), []int{4, 5}); ok {
		t.Error("accepted stride 0")
	}
}

// TestSliceEngagesAndReplacesTable: after Engage the table's Slice entry is the override;
// the times of a conv-sized im2col slice are logged (speed is the benchmarks' business).
func TestSliceEngagesAndReplacesTable(t *testing.T) {
	mustEngageSlice(t)
	name := runtime.FuncForPC(reflect.ValueOf(nodeExecutors[backends.OpTypeSlice]).Pointer()).Name()
	if !strings.HasSuffix(name, "simsearch/backend/blas.execSlice") {
		t.Fatalf("table entry is %s, not the override", name)
	}
	c := full("im2col [128,34,34,16]→[128,32,32,16]", []int{128, 34, 34, 16}, func(s, l, k []int) { s[1], l[1], s[2], l[2] = 1, 33, 2, 34 })
	best := func(ref bool) time.Duration {
		b := time.Duration(1 << 62)
		for range 3 {
			t0 := time.Now()
			if _, err := runSliceCase(c, ref); err != nil {
				t.Fatal(err)
			}
			b = min(b, time.Since(t0))
		}
		return b
	}
	n0 := SliceCalls()
	fast, slow := best(false), best(true)
	if SliceCalls()-n0 != 3 {
		t.Errorf("override served %d of 3 slices", SliceCalls()-n0)
	}
	t.Logf("%s: contiguous runs %v, stock %v (including graph compilation and transfers)", c.name, fast, slow)
}

// TestEnableSliceSwitch: EnableSlice(false) sends Slices back to the stock kernel, and
// the two switches are independent.
func TestEnableSliceSwitch(t *testing.T) {
	mustEngageSlice(t)
	c := handSliceCases()[6]
	was := EnableSlice(false)
	defer EnableSlice(was)
	if !strings.Contains(SliceActive(), "switched off") {
		t.Errorf("SliceActive() = %q while switched off", SliceActive())
	}
	n0 := SliceCalls()
	if _, err := runSliceCase(c, false); err != nil {
		t.Fatal(err)
	}
	if SliceCalls() != n0 {
		t.Errorf("switched off, yet the override served %d slices", SliceCalls()-n0)
	}
	if strings.Contains(Active(), "switched off") {
		t.Errorf("switching slices off switched sgemm off: %s", Active())
	}
	EnableSlice(true)
	wasDot := Enable(false)
	defer Enable(wasDot)
	if _, err := runSliceCase(c, false); err != nil {
		t.Fatal(err)
	}
	if SliceCalls() != n0+1 {
		t.Errorf("switched on (sgemm off), the override served %d slices, want 1", SliceCalls()-n0)
	}
}

// TestSliceDisabledByEnv re-runs this test binary with CORPUSHUNT_FASTSLICE=0 (the Slice
// override stays off, sgemm engages) and with CORPUSHUNT_BLAS=0 (both stay off); nothing is
// printed on stderr.
func TestSliceDisabledByEnv(t *testing.T) {
	if os.Getenv("BLAS_TEST_CHILD") == "4" {
		Engage()
		want := "stock (disabled by " + os.Getenv("WANT_SWITCH") + "=0)"
		name := runtime.FuncForPC(reflect.ValueOf(nodeExecutors[backends.OpTypeSlice]).Pointer()).Name()
		if SliceActive() != want || SliceEngaged() || name != stockSliceExecutor || EnableSlice(true) {
			fmt.Printf("FAIL SliceActive() = %q (want %q), engaged %v, table %s\n", SliceActive(), want, SliceEngaged(), name)
			os.Exit(1)
		}
		if _, err := runSliceCase(handSliceCases()[6], false); err != nil || SliceCalls() != 0 {
			fmt.Println("FAIL", err, SliceCalls())
			os.Exit(1)
		}
		fmt.Println("CHILD OK", Active(), "|", SliceActive())
		return
	}
	Engage()
	sgemm := Engaged() // then the child with CORPUSHUNT_FASTSLICE=0 must engage it too
	for _, sw := range []string{EnvFastSlice, EnvDisable} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSliceDisabledByEnv$", "-test.v")
		cmd.Env = append(childEnv(), "BLAS_TEST_CHILD=4", sw+"=0", "WANT_SWITCH="+sw)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), "CHILD OK") {
			t.Fatalf("%s=0 child: %v\n%s\n%s", sw, err, out, stderr.String())
		}
		if strings.Contains(stderr.String(), "corpushunt: slices") {
			t.Errorf("%s=0: disabling on purpose printed a warning: %s", sw, stderr.String())
		}
		if sw == EnvFastSlice && sgemm && !strings.Contains(string(out), "CHILD OK OpenBLAS sgemm") {
			t.Errorf("%s=0 kept sgemm from engaging: %s", sw, out)
		}
		t.Logf("%s=0: %s", sw, strings.TrimSpace(string(out)))
	}
}

// TestSliceSelfTestMismatch: when the fast Slice's results do not match the stock kernel's,
// engagement leaves the stock Slice kernel in the table, with one warning line.
func TestSliceSelfTestMismatch(t *testing.T) {
	if os.Getenv("BLAS_TEST_CHILD") == "5" {
		corruptSliceForTest = true
		Engage()
		a := SliceActive()
		name := runtime.FuncForPC(reflect.ValueOf(nodeExecutors[backends.OpTypeSlice]).Pointer()).Name()
		if !strings.HasPrefix(a, "stock (self-test failed: ") || SliceEngaged() || name != stockSliceExecutor {
			fmt.Printf("FAIL SliceActive() = %q, table %s\n", a, name)
			os.Exit(1)
		}
		n := SliceCalls()
		if _, err := runSliceCase(handSliceCases()[6], false); err != nil || SliceCalls() != n {
			fmt.Println("FAIL", err, SliceCalls()-n)
			os.Exit(1)
		}
		fmt.Println("CHILD OK", a)
		return
	}
	if os.Getenv(EnvDisable) == "0" || os.Getenv(EnvFastSlice) == "0" {
		t.Skip("the override is switched off in this environment (CORPUSHUNT_BLAS=0 or its own switch): nothing to test")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSliceSelfTestMismatch$", "-test.v")
	cmd.Env = append(childEnv(), "BLAS_TEST_CHILD=5")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "CHILD OK") {
		t.Fatalf("child: %v\n%s\n%s", err, out, stderr.String())
	}
	lines := warnings(stderr.String(), "corpushunt: slices")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "corpushunt: slices stay on the stock kernel: self-test failed") {
		t.Errorf("want one warning line on stderr, got %q", stderr.String())
	}
	t.Log(strings.TrimSpace(string(out)))
}

// TestSliceGuards: the executor check passes on the stock Slice executor and refuses
// anything else; the parameter-type check refuses a look-alike.
func TestSliceGuards(t *testing.T) {
	mustEngageSlice(t)
	if err := checkExecutor(sliceStock, stockSliceExecutor, "Slice"); err != nil {
		t.Errorf("stock executor: %v", err)
	}
	if err := checkExecutor(execSlice, stockSliceExecutor, "Slice"); err == nil {
		t.Error("the executor check accepted an executor that is not simplego's")
	}
	if err := checkExecutor(sliceStock, stockExecutor, "DotGeneral"); err == nil {
		t.Error("the executor check accepted execSlice as DotGeneral")
	}
	type sliceNode struct{ starts, limits, strides []int }
	if err := checkSliceParamsType(reflect.TypeFor[*sliceNode]()); err == nil {
		t.Error("checkSliceParamsType accepted a type from another package")
	}
	if sliceParamsType == nil || sliceParamsErr != nil {
		t.Errorf("parameter type not validated: %v, %v", sliceParamsType, sliceParamsErr)
	}
}

// childEnv is the environment for a child test process without this package's switches
// (each child sets the one it tests).
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k != EnvDisable && k != EnvFastSlice && k != EnvFastElementwise {
			env = append(env, kv)
		}
	}
	return env
}

// warnings are the lines of stderr that start with prefix (the other overrides may warn
// too, e.g. without OpenBLAS).
func warnings(stderr, prefix string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}
