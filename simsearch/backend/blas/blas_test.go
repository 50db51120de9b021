package blas

import (
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
)

// mustEngage fails the test loudly when the override does not engage (unless the
// environment disables it on purpose).
func mustEngage(t *testing.T) {
	t.Helper()
	if os.Getenv(EnvDisable) == "0" {
		t.Skipf("%s=0 in the environment", EnvDisable)
	}
	a := Engage()
	if !strings.HasPrefix(a, "OpenBLAS sgemm") || !Engaged() {
		t.Fatalf("override did not engage: %s", a)
	}
}

// allCases: shapes and layouts, and whether sgemm must serve them (true) or hand them to
// the stock kernel (false).
func allCases() []struct {
	c     dgCase
	sgemm bool
} {
	type tc = struct {
		c     dgCase
		sgemm bool
	}
	return []tc{
		{dgCase{name: "matmul", lhsDims: []int{7, 9}, rhsDims: []int{9, 6}, lhsContract: []int{1}, rhsContract: []int{0}}, true},
		{dgCase{name: "1×1·1×1", lhsDims: []int{1, 1}, rhsDims: []int{1, 1}, lhsContract: []int{1}, rhsContract: []int{0}}, true},
		{dgCase{name: "rank-1 dot", lhsDims: []int{5}, rhsDims: []int{5}, lhsContract: []int{0}, rhsContract: []int{0}}, true},
		{dgCase{name: "matrix·vector", lhsDims: []int{4, 5}, rhsDims: []int{5}, lhsContract: []int{1}, rhsContract: []int{0}}, true},
		{dgCase{name: "vector·matrix", lhsDims: []int{5}, rhsDims: []int{5, 3}, lhsContract: []int{0}, rhsContract: []int{0}}, true},
		{dgCase{name: "outer product (no contracting axis)", lhsDims: []int{3}, rhsDims: []int{4}}, true},
		{dgCase{name: "lhs transposed", lhsDims: []int{9, 7}, rhsDims: []int{9, 6}, lhsContract: []int{0}, rhsContract: []int{0}}, true},
		{dgCase{name: "rhs transposed", lhsDims: []int{7, 9}, rhsDims: []int{6, 9}, lhsContract: []int{1}, rhsContract: []int{1}}, true},
		{dgCase{name: "both transposed", lhsDims: []int{9, 7}, rhsDims: []int{6, 9}, lhsContract: []int{0}, rhsContract: []int{1}}, true},
		{dgCase{name: "batched", lhsDims: []int{3, 5, 4}, rhsDims: []int{3, 4, 6},
			lhsContract: []int{2}, lhsBatch: []int{0}, rhsContract: []int{1}, rhsBatch: []int{0}}, true},
		{dgCase{name: "batched, both transposed", lhsDims: []int{3, 4, 5}, rhsDims: []int{3, 6, 4},
			lhsContract: []int{1}, lhsBatch: []int{0}, rhsContract: []int{2}, rhsBatch: []int{0}}, true},
		{dgCase{name: "batch axis in the middle (strided batches)", lhsDims: []int{5, 3, 4}, rhsDims: []int{4, 3, 6},
			lhsContract: []int{2}, lhsBatch: []int{1}, rhsContract: []int{0}, rhsBatch: []int{1}}, true},
		{dgCase{name: "batch axis last of the outer ones", lhsDims: []int{4, 3, 5}, rhsDims: []int{6, 3, 4},
			lhsContract: []int{0}, lhsBatch: []int{1}, rhsContract: []int{2}, rhsBatch: []int{1}}, true},
		{dgCase{name: "two batch axes", lhsDims: []int{2, 3, 4, 5}, rhsDims: []int{2, 3, 5, 6},
			lhsContract: []int{3}, lhsBatch: []int{0, 1}, rhsContract: []int{2}, rhsBatch: []int{0, 1}}, true},
		{dgCase{name: "two contracting axes", lhsDims: []int{4, 3, 5}, rhsDims: []int{3, 5, 6},
			lhsContract: []int{1, 2}, rhsContract: []int{0, 1}}, true},
		{dgCase{name: "several cross axes", lhsDims: []int{2, 3, 4}, rhsDims: []int{4, 5, 6},
			lhsContract: []int{2}, rhsContract: []int{0}}, true},
		{dgCase{name: "unit axes in between", lhsDims: []int{1, 7, 1, 9}, rhsDims: []int{9, 1, 6},
			lhsContract: []int{3}, rhsContract: []int{0}}, true},
		{dgCase{name: "batch of 1×1 products", lhsDims: []int{64, 1, 1}, rhsDims: []int{64, 1, 1},
			lhsContract: []int{2}, lhsBatch: []int{0}, rhsContract: []int{1}, rhsBatch: []int{0}}, true},
		{dgCase{name: "conv im2col [4096,144]·[144,32]", lhsDims: []int{4096, 144}, rhsDims: []int{144, 32},
			lhsContract: []int{1}, rhsContract: []int{0}}, true},
		{dgCase{name: "weight gradient [8192,144]ᵀ·[8192,32]", lhsDims: []int{8192, 144}, rhsDims: []int{8192, 32},
			lhsContract: []int{0}, rhsContract: []int{0}}, true},
		{dgCase{name: "large [512,1152]·[1152,128]", lhsDims: []int{512, 1152}, rhsDims: []int{1152, 128},
			lhsContract: []int{1}, rhsContract: []int{0}}, true},
		{dgCase{name: "input gradient [1024,128]·[1152,128]ᵀ", lhsDims: []int{1024, 128}, rhsDims: []int{1152, 128},
			lhsContract: []int{1}, rhsContract: []int{1}}, true},

		// Handed back to the stock kernel.
		{dgCase{name: "float64", lhsDims: []int{7, 9}, rhsDims: []int{9, 6}, lhsContract: []int{1}, rhsContract: []int{0}, float64: true}, false},
		{dgCase{name: "contracting axes listed out of memory order", lhsDims: []int{3, 4, 5}, rhsDims: []int{4, 3, 6},
			lhsContract: []int{1, 0}, rhsContract: []int{0, 1}}, false},
		{dgCase{name: "batch axes listed out of memory order", lhsDims: []int{2, 3, 4, 5}, rhsDims: []int{3, 2, 5, 6},
			lhsContract: []int{3}, lhsBatch: []int{1, 0}, rhsContract: []int{2}, rhsBatch: []int{0, 1}}, false},
		{dgCase{name: "batch and contracting axes interleaved", lhsDims: []int{2, 5, 3, 4}, rhsDims: []int{2, 3, 5, 4, 6},
			lhsContract: []int{1, 3}, lhsBatch: []int{0, 2}, rhsContract: []int{2, 3}, rhsBatch: []int{0, 1}}, false},
		{dgCase{name: "batch axis innermost", lhsDims: []int{4, 5, 3}, rhsDims: []int{3, 5, 6},
			lhsContract: []int{1}, lhsBatch: []int{2}, rhsContract: []int{1}, rhsBatch: []int{0}}, false},
	}
}

// TestAgreesWithStockKernel: every case through the override and through the stock kernel;
// the counters say which path served it.
func TestAgreesWithStockKernel(t *testing.T) {
	mustEngage(t)
	for _, tc := range allCases() {
		t.Run(tc.c.name, func(t *testing.T) {
			c0, h0 := Calls(), HandedBack()
			got, err := runCase(tc.c, false)
			if err != nil {
				t.Fatal(err)
			}
			served, handed := Calls()-c0, HandedBack()-h0
			want, err := runCase(tc.c, true)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(got, want); e > 1e-5 {
				t.Errorf("differs from the stock kernel by %.3g relative", e)
			}
			if tc.sgemm && (served != 1 || handed != 0) {
				t.Errorf("want sgemm: served %d, handed back %d", served, handed)
			}
			if !tc.sgemm && (served != 0 || handed != 1) {
				t.Errorf("want the stock kernel: served %d, handed back %d", served, handed)
			}
		})
	}
}

// TestPlan checks the layout analysis directly on cases whose sgemm parameters are known.
func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lhs, rhs []int
		p        dotParams
		want     gemmPlan
		wantOK   bool
	}{
		{"matmul", []int{7, 9}, []int{9, 6}, dotParams{lhsContracting: []int{1}, rhsContracting: []int{0}, batch: 1, lhsCross: 7, rhsCross: 6, contracting: 9},
			gemmPlan{batch: 1, m: 7, n: 6, k: 9, lda: 9, ldb: 6}, true},
		{"both transposed", []int{9, 7}, []int{6, 9}, dotParams{lhsContracting: []int{0}, rhsContracting: []int{1}, batch: 1, lhsCross: 7, rhsCross: 6, contracting: 9},
			gemmPlan{batch: 1, m: 7, n: 6, k: 9, transA: true, transB: true, lda: 7, ldb: 9}, true},
		{"strided batch", []int{5, 3, 4}, []int{4, 3, 6}, dotParams{lhsContracting: []int{2}, lhsBatch: []int{1}, rhsContracting: []int{0}, rhsBatch: []int{1}, batch: 3, lhsCross: 5, rhsCross: 6, contracting: 4},
			gemmPlan{batch: 3, m: 5, n: 6, k: 4, lda: 12, ldb: 18, strideA: 4, strideB: 6}, true},
		{"batch innermost", []int{4, 5, 3}, []int{3, 5, 6}, dotParams{lhsContracting: []int{1}, lhsBatch: []int{2}, rhsContracting: []int{1}, rhsBatch: []int{0}, batch: 3, lhsCross: 4, rhsCross: 6, contracting: 5},
			gemmPlan{}, false},
	} {
		got, ok := plan(tc.lhs, tc.rhs, tc.p)
		if ok != tc.wantOK || (ok && got != tc.want) {
			t.Errorf("%s: plan = %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.wantOK)
		}
	}
}

// TestEngagesAndReplacesTable: after Engage the table's DotGeneral entry is the override
// and it serves the products (counted). Speed is the benchmarks' business; the times are
// only logged.
func TestEngagesAndReplacesTable(t *testing.T) {
	mustEngage(t)
	name := runtime.FuncForPC(reflect.ValueOf(nodeExecutors[backends.OpTypeDotGeneral]).Pointer()).Name()
	if !strings.HasSuffix(name, "simsearch/backend/blas.execDotGeneral") {
		t.Fatalf("table entry is %s, not the override", name)
	}
	c := dgCase{name: "timing [1024,1152]·[1152,128]", lhsDims: []int{1024, 1152}, rhsDims: []int{1152, 128}, lhsContract: []int{1}, rhsContract: []int{0}}
	best := func(ref bool) time.Duration {
		b := time.Duration(1 << 62)
		for range 3 {
			t0 := time.Now()
			if _, err := runCase(c, ref); err != nil {
				t.Fatal(err)
			}
			b = min(b, time.Since(t0))
		}
		return b
	}
	n0 := Calls()
	fast, slow := best(false), best(true)
	if Calls()-n0 != 3 {
		t.Errorf("override served %d of 3 products", Calls()-n0)
	}
	t.Logf("%s: sgemm %v, stock %v (including graph compilation)", c.name, fast, slow)
}

// TestEnableSwitch: Enable(false) sends products back to the stock kernel.
func TestEnableSwitch(t *testing.T) {
	mustEngage(t)
	c := allCases()[0].c
	was := Enable(false)
	defer Enable(was)
	if !strings.Contains(Active(), "switched off") {
		t.Errorf("Active() = %q while switched off", Active())
	}
	n0 := Calls()
	if _, err := runCase(c, false); err != nil {
		t.Fatal(err)
	}
	if Calls() != n0 {
		t.Errorf("switched off, yet sgemm served %d products", Calls()-n0)
	}
	Enable(true)
	if _, err := runCase(c, false); err != nil {
		t.Fatal(err)
	}
	if Calls() != n0+1 {
		t.Errorf("switched on, sgemm served %d products, want 1", Calls()-n0)
	}
}

// TestSetThreads: the thread count can be changed and shows in Active.
func TestSetThreads(t *testing.T) {
	mustEngage(t)
	was := SetThreads(2)
	defer SetThreads(was)
	if was < 1 || Threads() != 2 || Active() != "OpenBLAS sgemm (2 threads)" {
		t.Errorf("SetThreads(2): was %d, now %d, Active %q", was, Threads(), Active())
	}
	c := allCases()[0].c
	got, err := runCase(c, false)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := runCase(c, true)
	if e := relErr(got, want); e > 1e-5 {
		t.Errorf("2 threads: differs by %.3g", e)
	}
}

// TestDisabledByEnv re-runs this test binary with CORPUSHUNT_BLAS=0: nothing engages, the
// stock kernel stays in the table, and nothing is printed on stderr.
func TestDisabledByEnv(t *testing.T) {
	if os.Getenv("BLAS_TEST_CHILD") == "1" {
		a := Engage()
		if a != "pure Go (disabled by CORPUSHUNT_BLAS=0)" {
			fmt.Printf("FAIL Active() = %q\n", a)
			os.Exit(1)
		}
		if _, err := runCase(allCases()[0].c, false); err != nil {
			fmt.Println("FAIL", err)
			os.Exit(1)
		}
		name := runtime.FuncForPC(reflect.ValueOf(nodeExecutors[backends.OpTypeDotGeneral]).Pointer()).Name()
		if Calls() != 0 || Engaged() || name != stockExecutor || Enable(true) {
			fmt.Printf("FAIL engaged anyway: calls=%d engaged=%v table=%s\n", Calls(), Engaged(), name)
			os.Exit(1)
		}
		fmt.Println("CHILD OK")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDisabledByEnv$", "-test.v")
	cmd.Env = append(os.Environ(), "BLAS_TEST_CHILD=1", EnvDisable+"=0")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "CHILD OK") {
		t.Fatalf("child: %v\n%s\n%s", err, out, stderr.String())
	}
	if strings.Contains(stderr.String(), "corpushunt:") {
		t.Errorf("disabling on purpose printed a warning: %s", stderr.String())
	}
}

// TestFallbackWarning: a failing guard (here: no OpenBLAS library) leaves the stock kernel
// and prints exactly one line on stderr.
func TestFallbackWarning(t *testing.T) {
	if os.Getenv("BLAS_TEST_CHILD") == "2" {
		a := Engage()
		Engage()
		if !strings.HasPrefix(a, "pure Go (") || Engaged() {
			fmt.Printf("FAIL Active() = %q\n", a)
			os.Exit(1)
		}
		if _, err := runCase(allCases()[0].c, false); err != nil || Calls() != 0 {
			fmt.Println("FAIL", err, Calls())
			os.Exit(1)
		}
		fmt.Println("CHILD OK", a)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFallbackWarning$", "-test.v")
	cmd.Env = append(childEnv(), "BLAS_TEST_CHILD=2", EnvLib+"=/nonexistent/libopenblas.so.0")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "CHILD OK") {
		t.Fatalf("child: %v\n%s\n%s", err, out, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "corpushunt: matrix products stay on the pure-Go kernel:") {
		t.Errorf("want one warning line on stderr, got %q", stderr.String())
	}
	t.Log(strings.TrimSpace(string(out)))
}

// TestSelfTestMismatch: when sgemm's results do not match the stock kernel's, engagement
// falls back to the stock kernel with one warning line.
func TestSelfTestMismatch(t *testing.T) {
	if os.Getenv("BLAS_TEST_CHILD") == "3" {
		corruptForTest = true
		a := Engage()
		name := runtime.FuncForPC(reflect.ValueOf(nodeExecutors[backends.OpTypeDotGeneral]).Pointer()).Name()
		if !strings.HasPrefix(a, "pure Go (self-test failed: ") || Engaged() || name != stockExecutor {
			fmt.Printf("FAIL Active() = %q, table %s\n", a, name)
			os.Exit(1)
		}
		n := Calls()
		if _, err := runCase(allCases()[0].c, false); err != nil || Calls() != n {
			fmt.Println("FAIL", err, Calls()-n)
			os.Exit(1)
		}
		fmt.Println("CHILD OK", a)
		return
	}
	if os.Getenv(EnvDisable) == "0" {
		t.Skip("the override is switched off in this environment (CORPUSHUNT_BLAS=0 or its own switch): nothing to test")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSelfTestMismatch$", "-test.v")
	cmd.Env = append(os.Environ(), "BLAS_TEST_CHILD=3")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "CHILD OK") {
		t.Fatalf("child: %v\n%s\n%s", err, out, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "self-test failed") {
		t.Errorf("want one warning line on stderr, got %q", stderr.String())
	}
	t.Log(strings.TrimSpace(string(out)))
}

// TestGuards: the version check passes on the stock executor and refuses anything else; the
// parameter-type check refuses a look-alike.
func TestGuards(t *testing.T) {
	mustEngage(t)
	if err := checkVersion(stock); err != nil {
		t.Errorf("stock executor: %v", err)
	}
	if err := checkVersion(execDotGeneral); err == nil {
		t.Error("the version check accepted an executor that is not simplego's")
	}
	type dotGeneralNodeData struct{ lhsContractingAxes []int }
	if err := checkParamsType(reflect.TypeFor[*dotGeneralNodeData]()); err == nil {
		t.Error("checkParamsType accepted a type from another package")
	}
	if paramsType == nil || paramsErr != nil {
		t.Errorf("parameter type not validated: %v, %v", paramsType, paramsErr)
	}
}
