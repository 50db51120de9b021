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

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

var ewDTypes = []dtypes.DType{dtypes.Float32, dtypes.Float64, dtypes.Int32, dtypes.Int64}

func mustEngageElementwise(t *testing.T) {
	t.Helper()
	if os.Getenv(EnvDisable) == "0" || os.Getenv(EnvFastElementwise) == "0" {
		t.Skipf("%s=0 or %s=0 in the environment", EnvDisable, EnvFastElementwise)
	}
	Engage()
	if a := ElementwiseActive(); a != "strided runs, branch-free Sign" || !ElementwiseEngaged() {
		t.Fatalf("elementwise override did not engage: %s", a)
	}
}

// broadcastPairs: operand dimensions of broadcasting binary ops (served by the override).
var broadcastPairs = [][2][]int{
	{{128, 32, 32, 16}, {1, 1, 1, 16}}, // conv bias
	{{1, 1, 1, 16}, {8, 4, 4, 16}},     // bias on the left
	{{64, 96}, {1, 96}},                // dense bias
	{{64, 1}, {64, 96}},                // per-row scale
	{{1, 5}, {4, 1}},                   // outer: both broadcast
	{{4, 1, 6}, {1, 5, 1}},             // both broadcast, alternating
	{{3, 1, 4}, {3, 5, 4}},             // middle axis
	{{2, 3, 1, 1, 5}, {2, 3, 4, 7, 5}}, // rank 5, two middle axes
	{{7, 3}, {1, 3}},                   // rows shorter than a cache line
	{{1, 9, 1}, {6, 9, 2}},
}

// handedBackPairs: same shapes or a size-1 operand (the stock kernels' own loops).
var handedBackPairs = [][2][]int{
	{{5, 1}, {1, 1}},
	{{4, 6}, {4, 6}},
	{{1}, {9}},
	{{3, 4}, {}},
}

func randomBroadcastPairs(n int) [][2][]int {
	r := rand.New(rand.NewPCG(5, 6))
	var out [][2][]int
	for len(out) < n {
		rank := 1 + r.IntN(5)
		l, rr := make([]int, rank), make([]int, rank)
		sl, sr := 1, 1
		for a := range rank {
			d := 1 + r.IntN(5)
			l[a], rr[a] = d, d
			switch r.IntN(3) {
			case 1:
				l[a] = 1
			case 2:
				rr[a] = 1
			}
			sl, sr = sl*l[a], sr*rr[a]
		}
		if sl == 1 || sr == 1 || reflect.DeepEqual(l, rr) {
			continue
		}
		out = append(out, [2][]int{l, rr})
	}
	return out
}

func checkEwCase(t *testing.T, c ewCase, wantServed bool) {
	t.Helper()
	c0, h0 := ElementwiseCalls(), ElementwiseHandedBack()
	got, reused, err := runElementwiseCaseReuse(c, false)
	if err != nil {
		t.Fatal(err)
	}
	served, handed := ElementwiseCalls()-c0, ElementwiseHandedBack()-h0
	want, wantReused, err := runElementwiseCaseReuse(c, true)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(got, want) {
		t.Errorf("%s (%s): differs from the stock kernel:\n got %v\nwant %v", c.name, c.dtype, got, want)
	}
	if reused != wantReused {
		t.Errorf("%s (%s): result written over an input: %v, stock kernel: %v", c.name, c.dtype, reused, wantReused)
	}
	if wantServed && (served != 1 || handed != 0) {
		t.Errorf("%s (%s): served %d, handed back %d; want served", c.name, c.dtype, served, handed)
	}
	if !wantServed && (served != 0 || handed != 1) {
		t.Errorf("%s (%s): served %d, handed back %d; want handed back", c.name, c.dtype, served, handed)
	}
}

// TestElementwiseAgreesWithStockKernel: broadcasting Add/Sub/Mul in every covered dtype,
// donated or not, and Sign with special values: bit-identical to the stock kernels, and
// written over a donated operand exactly when the stock kernels do.
func TestElementwiseAgreesWithStockKernel(t *testing.T) {
	mustEngageElementwise(t)
	ops := []backends.OpType{backends.OpTypeAdd, backends.OpTypeSub, backends.OpTypeMul}
	pairs := append(append([][2][]int(nil), broadcastPairs...), randomBroadcastPairs(60)...)
	for _, dt := range ewDTypes {
		t.Run(dt.String(), func(t *testing.T) {
			for i, p := range pairs {
				for _, op := range ops {
					for _, donate := range []bool{false, true} {
						if i >= len(broadcastPairs) && donate != (i%2 == 0) {
							continue // random pairs: one of the two
						}
						c := ewCase{name: fmt.Sprintf("%s %v %v donate=%v", op, p[0], p[1], donate), op: op, lhs: p[0], rhs: p[1], dtype: dt, donate: donate}
						checkEwCase(t, c, true)
					}
				}
			}
			for _, p := range handedBackPairs {
				c := ewCase{name: fmt.Sprintf("Add %v %v", p[0], p[1]), op: backends.OpTypeAdd, lhs: p[0], rhs: p[1], dtype: dt}
				checkEwCase(t, c, false)
			}
		})
	}
	t.Run("other dtypes handed back", func(t *testing.T) {
		for _, dt := range []dtypes.DType{dtypes.Uint8, dtypes.Int16, dtypes.BFloat16} {
			checkEwCase(t, ewCase{name: "Add broadcast", op: backends.OpTypeAdd, lhs: []int{4, 5}, rhs: []int{1, 5}, dtype: dt}, false)
		}
		for _, dt := range []dtypes.DType{dtypes.Int32, dtypes.Int8, dtypes.BFloat16} {
			checkEwCase(t, ewCase{name: "Sign", op: backends.OpTypeSign, lhs: []int{40}, dtype: dt}, false)
		}
	})
	t.Run("Sign", func(t *testing.T) {
		for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
			for _, dims := range [][]int{{10}, {1}, {128, 32, 32, 16}, {3, 7, 5}, {0}} {
				for _, donate := range []bool{false, true} {
					c := ewCase{name: fmt.Sprintf("Sign %v donate=%v", dims, donate), op: backends.OpTypeSign, lhs: dims, dtype: dt, donate: donate}
					checkEwCase(t, c, true)
				}
			}
		}
	})
}

// TestDonatedOperandReused: the override writes over a donated operand of the output's
// shape, as the stock kernels do (otherwise the comparison of reuse proves nothing).
func TestDonatedOperandReused(t *testing.T) {
	mustEngageElementwise(t)
	for _, c := range []ewCase{
		{name: "Add", op: backends.OpTypeAdd, lhs: []int{4, 6}, rhs: []int{1, 6}, dtype: dtypes.Float32, donate: true},
		{name: "Sub, rhs full", op: backends.OpTypeSub, lhs: []int{4, 1}, rhs: []int{4, 6}, dtype: dtypes.Float32, donate: true},
		{name: "Sign", op: backends.OpTypeSign, lhs: []int{4, 6}, dtype: dtypes.Float32, donate: true},
	} {
		n := ElementwiseCalls()
		_, reused, err := runElementwiseCaseReuse(c, false)
		if err != nil {
			t.Fatal(err)
		}
		if !reused || ElementwiseCalls() != n+1 {
			t.Errorf("%s: reused %v, served %d", c.name, reused, ElementwiseCalls()-n)
		}
	}
}

// TestPlanBroadcast: axes merged into the expected strided runs.
func TestPlanBroadcast(t *testing.T) {
	for _, tc := range []struct {
		l, r, o             []int
		count, lstep, rstep []int
		size                int
	}{
		{[]int{128, 32, 32, 16}, []int{1, 1, 1, 16}, []int{128, 32, 32, 16}, []int{128 * 32 * 32, 16}, []int{16, 1}, []int{0, 1}, 128 * 32 * 32 * 16},
		{[]int{64, 1}, []int{64, 96}, []int{64, 96}, []int{64, 96}, []int{1, 0}, []int{96, 1}, 64 * 96},
		{[]int{1, 5}, []int{4, 1}, []int{4, 5}, []int{4, 5}, []int{0, 1}, []int{1, 0}, 20},
		{[]int{3, 1, 1, 4}, []int{3, 5, 2, 4}, []int{3, 5, 2, 4}, []int{3, 10, 4}, []int{4, 0, 1}, []int{40, 4, 1}, 120},
		{[]int{1, 6, 1}, []int{2, 6, 1}, []int{2, 6, 1}, []int{2, 6}, []int{0, 1}, []int{6, 1}, 12},
	} {
		pl, ok := planBroadcast(tc.l, tc.r, tc.o)
		if !ok || pl.size != tc.size || !reflect.DeepEqual(pl.count[:pl.n], tc.count) ||
			!reflect.DeepEqual(pl.lstep[:pl.n], tc.lstep) || !reflect.DeepEqual(pl.rstep[:pl.n], tc.rstep) {
			t.Errorf("%v op %v: plan %v count %v lstep %v rstep %v size %d; want %v %v %v %d", tc.l, tc.r, ok,
				pl.count[:pl.n], pl.lstep[:pl.n], pl.rstep[:pl.n], pl.size, tc.count, tc.lstep, tc.rstep, tc.size)
		}
	}
	if _, ok := planBroadcast([]int{3, 4}, []int{2, 4}, []int{3, 4}); ok {
		t.Error("accepted incompatible dimensions")
	}
	if _, ok := planBroadcast([]int{3, 4}, []int{4}, []int{3, 4}); ok {
		t.Error("accepted a rank mismatch")
	}
}

// TestEnableElementwiseSwitch: EnableElementwise(false) sends the ops back to the stock
// kernels; the other switches are independent.
func TestEnableElementwiseSwitch(t *testing.T) {
	mustEngageElementwise(t)
	c := elementwiseSelfTestCases()[0]
	was := EnableElementwise(false)
	defer EnableElementwise(was)
	if !strings.Contains(ElementwiseActive(), "switched off") || strings.Contains(SliceActive(), "switched off") {
		t.Errorf("ElementwiseActive() = %q, SliceActive() = %q", ElementwiseActive(), SliceActive())
	}
	n0 := ElementwiseCalls()
	if _, err := runElementwiseCase(c, false); err != nil {
		t.Fatal(err)
	}
	if ElementwiseCalls() != n0 {
		t.Errorf("switched off, yet the override served %d ops", ElementwiseCalls()-n0)
	}
	EnableElementwise(true)
	if _, err := runElementwiseCase(c, false); err != nil {
		t.Fatal(err)
	}
	if ElementwiseCalls() != n0+1 {
		t.Errorf("switched on, the override served %d ops, want 1", ElementwiseCalls()-n0)
	}
}

// TestElementwiseDisabledByEnv: with CORPUSHUNT_FASTELEMENTWISE=0 the four table entries
// stay simplego's, silently; the Slice override still engages.
func TestElementwiseDisabledByEnv(t *testing.T) {
	if os.Getenv("BLAS_TEST_CHILD") == "6" {
		Engage()
		for _, o := range ewOps {
			name := runtime.FuncForPC(reflect.ValueOf(nodeExecutors[o.op]).Pointer()).Name()
			if name != o.stockName {
				fmt.Printf("FAIL %s table entry %s\n", o.op, name)
				os.Exit(1)
			}
		}
		if ElementwiseActive() != "stock (disabled by CORPUSHUNT_FASTELEMENTWISE=0)" || ElementwiseEngaged() || EnableElementwise(true) {
			fmt.Printf("FAIL ElementwiseActive() = %q\n", ElementwiseActive())
			os.Exit(1)
		}
		if _, err := runElementwiseCase(elementwiseSelfTestCases()[0], false); err != nil || ElementwiseCalls() != 0 {
			fmt.Println("FAIL", err, ElementwiseCalls())
			os.Exit(1)
		}
		fmt.Println("CHILD OK", SliceActive(), "|", ElementwiseActive())
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestElementwiseDisabledByEnv$", "-test.v")
	cmd.Env = append(childEnv(), "BLAS_TEST_CHILD=6", EnvFastElementwise+"=0")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "CHILD OK") {
		t.Fatalf("child: %v\n%s\n%s", err, out, stderr.String())
	}
	if strings.Contains(stderr.String(), "corpushunt: Add/Sub/Mul/Sign") {
		t.Errorf("disabling on purpose printed a warning: %s", stderr.String())
	}
	if !strings.Contains(string(out), "CHILD OK contiguous runs") {
		t.Errorf("the Slice override did not engage: %s", out)
	}
}

// TestElementwiseSelfTestMismatch: wrong fast results leave the stock kernels in the table,
// with one warning line.
func TestElementwiseSelfTestMismatch(t *testing.T) {
	if os.Getenv("BLAS_TEST_CHILD") == "7" {
		corruptElementwiseForTest = true
		Engage()
		a := ElementwiseActive()
		for _, o := range ewOps {
			name := runtime.FuncForPC(reflect.ValueOf(nodeExecutors[o.op]).Pointer()).Name()
			if name != o.stockName {
				fmt.Printf("FAIL %s table entry %s\n", o.op, name)
				os.Exit(1)
			}
		}
		if !strings.HasPrefix(a, "stock (self-test failed: ") || ElementwiseEngaged() {
			fmt.Printf("FAIL ElementwiseActive() = %q\n", a)
			os.Exit(1)
		}
		fmt.Println("CHILD OK", a)
		return
	}
	if os.Getenv(EnvDisable) == "0" || os.Getenv(EnvFastElementwise) == "0" {
		t.Skip("the override is switched off in this environment (CORPUSHUNT_BLAS=0 or its own switch): nothing to test")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestElementwiseSelfTestMismatch$", "-test.v")
	cmd.Env = append(childEnv(), "BLAS_TEST_CHILD=7")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "CHILD OK") {
		t.Fatalf("child: %v\n%s\n%s", err, out, stderr.String())
	}
	lines := warnings(stderr.String(), "corpushunt: Add/Sub/Mul/Sign")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "corpushunt: Add/Sub/Mul/Sign stay on the stock kernels: self-test failed") {
		t.Errorf("want one warning line on stderr, got %q", stderr.String())
	}
	t.Log(strings.TrimSpace(string(out)))
}

// TestElementwiseGuards: the table entries are the overrides after Engage, and the
// executor check refuses them as stock kernels.
func TestElementwiseGuards(t *testing.T) {
	mustEngageElementwise(t)
	for _, o := range ewOps {
		if err := checkExecutor(o.stock, o.stockName, o.op.String()); err != nil {
			t.Errorf("%s stock executor: %v", o.op, err)
		}
		if err := checkExecutor(nodeExecutors[o.op], o.stockName, o.op.String()); err == nil {
			t.Errorf("%s: the table entry passed as the stock kernel", o.op)
		}
	}
}
