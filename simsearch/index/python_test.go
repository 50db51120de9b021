package index

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFAISSPythonReadsOurFiles checks that FAISS's own Python binding opens the saved
// index.faiss and returns the same neighbours as this package.
func TestFAISSPythonReadsOurFiles(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import faiss, numpy").Run(); err != nil {
		t.Skipf("python3-faiss not installed (make setup installs it): %v", err)
	}
	const n, d, k = 5000, 24, 8
	v := clustered(n, d, 30, 9)
	for _, cfg := range []Config{{Dim: d, Factory: "IVF64,Flat"}, {Dim: d, Metric: Cosine, Factory: "Flat"}} {
		t.Run(string(cfg.Metric)+cfg.Factory, func(t *testing.T) {
			ix, err := Build(ctx, cfg, v, itemsFor(n), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			if ix.NList() > 0 {
				ix.SetNprobe(4)
			}
			dir := t.TempDir()
			if err := ix.Save(ctx, dir); err != nil {
				t.Fatal(err)
			}
			q := clustered(20, d, 30, 9)
			qp := filepath.Join(dir, "q.f32")
			os.WriteFile(qp, bytesOf(q), 0o644)
			out, err := exec.Command("/usr/bin/python3", "testdata/faiss_query.py", dir, qp, strconv.Itoa(k), strconv.Itoa(ix.Nprobe())).CombinedOutput()
			if err != nil {
				t.Fatalf("python: %v\n%s", err, out)
			}
			hits, err := ix.Search(ctx, q, k, SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != len(hits) {
				t.Fatalf("python returned %d rows, want %d", len(lines), len(hits))
			}
			for i, l := range lines {
				var ours []string
				for _, h := range hits[i] {
					ours = append(ours, strconv.FormatInt(h.ID, 10))
				}
				if l != strings.Join(ours, " ") {
					t.Errorf("query %d: python %s, go %s", i, l, strings.Join(ours, " "))
				}
			}
		})
	}
}
