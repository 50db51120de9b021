package blas_test

import (
	"os"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/backend/blas"
)

// TestBackendNewEngages: the project's backend.New("go") engages the override, and a
// product on it (through the trainops wrapper) is served by sgemm.
func TestBackendNewEngages(t *testing.T) {
	if os.Getenv(blas.EnvDisable) == "0" {
		t.Skip("the override is switched off in this environment (CORPUSHUNT_BLAS=0 or its own switch): nothing to test")
	}
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	if a := blas.Active(); !strings.HasPrefix(a, "OpenBLAS sgemm") {
		t.Fatalf("backend.New(\"go\") did not engage the override: %s", a)
	}
	n := blas.Calls()
	out, err := graph.MustNewExec(be, func(a, b *graph.Node) *graph.Node { return graph.Dot(a, b) }).Exec1(
		tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4}, 2, 2),
		tensors.FromFlatDataAndDimensions([]float32{5, 6, 7, 8}, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.MustCopyFlatData[float32](out); got[0] != 19 || got[1] != 22 || got[2] != 43 || got[3] != 50 {
		t.Errorf("[[1,2],[3,4]]·[[5,6],[7,8]] = %v", got)
	}
	if blas.Calls() != n+1 {
		t.Errorf("sgemm served %d products, want 1", blas.Calls()-n)
	}
}
