package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	faiss "github.com/DataIntelligenceCrew/go-faiss"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/corpushunt/corpushunt/datasets"
	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/datasets/yelp"
	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/backend/blas"
	"github.com/corpushunt/corpushunt/simsearch/store/weaviate/localcluster"
)

func init() {
	register("doctor", "check every piece of the installation and say how to fix what is missing", cmdDoctor)
}

type check struct {
	name string
	run  func() (detail string, err error)
	fix  string
	warn bool // missing is a warning, not a failure (data can be fetched or pointed at later)
}

func cmdDoctor(_ context.Context, args []string) error {
	fs := newFlags("doctor", "doctor [--data DIR]")
	data := fs.String("data", "", "data root")
	if err := parse(fs, args); err != nil {
		return err
	}
	checks := []check{
		{"Go toolchain", checkGo, "install Go ≥ 1.26 from https://go.dev/dl/", false},
		{"FAISS C API (libfaiss_c) round trip", checkFAISS, "make setup", false},
		{"goimports, gopls", checkGoTools, "make setup", false},
		{"Jupyter nbconvert", func() (string, error) { return runOut("jupyter", "nbconvert", "--version") }, "make setup (Debian jupyter-nbconvert)", false},
		{"GoNB kernel registered", checkKernel, "make setup", false},
		{"Chromium", func() (string, error) { return runOut("chromium", "--version") }, "make setup (Debian chromium)", false},
		{"GoMLX pure-Go backend (training, encoding)", checkGoBackend, "report a bug: the pure-Go backend should always work", false},
		{"Matrix products on the pure-Go backend", checkBLAS, "make setup (Debian libopenblas0); CORPUSHUNT_BLAS=0 keeps the pure-Go kernel on purpose", true},
		{"GoMLX XLA backend (optional, GPU)", checkXLA, "on a GPU machine: GOMLX_BACKEND=xla:/path/to/pjrt_c_api_cuda_plugin.so (JAX's jax_plugins/xla_cuda*/xla_cuda_plugin.so works)", true},
		{"weaviate-server (weaviate:// stores, optional)", checkWeaviate, "make setup, or " + localcluster.InstallCommand, true},
		{"CIFAR-10 data", func() (string, error) { return checkCIFAR(*data) }, "corpushunt datasets download cifar10, or --data / $CORPUSHUNT_DATA", true},
		{"Yelp data", func() (string, error) { return checkYelp(*data) }, "point --data or $CORPUSHUNT_DATA at a folder holding yelp/", true},
	}
	failed := 0
	for _, c := range checks {
		detail, err := c.run()
		if err != nil {
			mark := "✗"
			if c.warn {
				mark = "!"
			} else {
				failed++
			}
			fmt.Printf("%s %-44s %v\n    fix: %s\n", mark, c.name, firstLine(err.Error()), c.fix)
			continue
		}
		fmt.Printf("✓ %-44s %s\n", c.name, detail)
	}
	if failed > 0 {
		return fmt.Errorf("%d check(s) failed", failed)
	}
	fmt.Println("all good")
	return nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func runOut(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s: %v %s", name, err, lastLine(string(out)))
	}
	return lastLine(string(out)), nil
}

func checkGo() (string, error) {
	v, err := runOut("go", "version")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s (this binary: %s)", strings.TrimPrefix(v, "go version "), runtime.Version()), nil
}

func checkFAISS() (string, error) {
	ix, err := faiss.NewIndexFlatL2(2)
	if err != nil {
		return "", err
	}
	defer ix.Delete()
	if err := ix.Add([]float32{0, 0, 5, 5, 9, 9}); err != nil {
		return "", err
	}
	_, ids, err := ix.Search([]float32{5.1, 5}, 1)
	if err != nil {
		return "", err
	}
	if ids[0] != 1 {
		return "", fmt.Errorf("Flat search returned id %d, want 1", ids[0])
	}
	return "Flat index add+search OK", nil
}

func checkGoTools() (string, error) {
	var found []string
	for _, t := range []string{"goimports", "gopls"} {
		p, err := lookTool(t)
		if err != nil {
			return "", err
		}
		found = append(found, p)
	}
	return strings.Join(found, ", "), nil
}

// lookTool finds a Go tool on PATH or in GOPATH/bin.
func lookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	gopath, _ := runOut("go", "env", "GOPATH")
	p := filepath.Join(gopath, "bin", name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found on PATH or in %s/bin", name, gopath)
}

func checkKernel() (string, error) {
	dir := os.Getenv("JUPYTER_DATA_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".local", "share", "jupyter")
	}
	p := filepath.Join(dir, "kernels", "gonb", "kernel.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("no kernel.json: %v", err)
	}
	var k struct {
		Argv []string          `json:"argv"`
		Env  map[string]string `json:"env"`
	}
	if err := json.Unmarshal(b, &k); err != nil {
		return "", fmt.Errorf("%s: %v", p, err)
	}
	if len(k.Argv) == 0 {
		return "", fmt.Errorf("%s has no argv", p)
	}
	if _, err := os.Stat(k.Argv[0]); err != nil {
		return "", fmt.Errorf("kernel binary: %v", err)
	}
	for _, tool := range []string{"go", "goimports", "gopls"} {
		ok := false
		for _, d := range filepath.SplitList(k.Env["PATH"]) {
			if _, err := os.Stat(filepath.Join(d, tool)); err == nil {
				ok = true
				break
			}
		}
		if !ok {
			return "", fmt.Errorf("%s's PATH (%q) lacks %s", p, k.Env["PATH"], tool)
		}
	}
	return p, nil
}

func checkCIFAR(data string) (string, error) {
	ds, err := cifar10.Locate(data, cifar10.Options{})
	if err != nil {
		if errors.Is(err, datasets.ErrNotFound) {
			return "", errors.New("not found (corpushunt datasets info lists where it looked)")
		}
		return "", err
	}
	var parts []string
	for _, s := range ds.Splits() {
		parts = append(parts, fmt.Sprintf("%s %d", s.Name, s.Len()))
	}
	return ds.Dir + " (" + strings.Join(parts, ", ") + ")", nil
}

func checkYelp(data string) (string, error) {
	c, err := yelp.Locate(data)
	if err != nil {
		if errors.Is(err, datasets.ErrNotFound) {
			return "", errors.New("not found (corpushunt datasets info lists where it looked)")
		}
		return "", err
	}
	return fmt.Sprintf("%s (%d files)", c.Dir, len(c.Files)), nil
}

func checkGoBackend() (string, error) {
	be, err := backend.New("go")
	if err != nil {
		return "", err
	}
	ex, err := graph.NewExec(be, func(x *graph.Node) *graph.Node { return graph.ReduceAllSum(graph.Square(x)) })
	if err != nil {
		return "", err
	}
	out, err := ex.Exec1(tensors.FromValue([]float32{1, 2, 3}))
	if err != nil {
		return "", err
	}
	if v := out.Value().(float32); v != 14 {
		return "", fmt.Errorf("1²+2²+3² computed as %v", v)
	}
	return backend.Describe(be) + ", with corpushunt's training additions", nil
}

// checkBLAS names the matrix-product path of the pure-Go backend (OpenBLAS sgemm or pure
// Go, and why); pure Go not chosen on purpose is a warning.
func checkBLAS() (string, error) {
	if a := blas.Engage(); blas.Engaged() || os.Getenv(blas.EnvDisable) == "0" {
		return a + "; slices: " + blas.SliceActive() + "; element-wise: " + blas.ElementwiseActive(), nil
	}
	return "", errors.New(blas.Active())
}

// xlaPluginGlobs are places where a PJRT CUDA plugin is commonly installed.
var xlaPluginGlobs = []string{
	"/usr/local/lib/gomlx/pjrt/pjrt_c_api_*_plugin.so",
	"/usr/lib/python3*/site-packages/jax_plugins/xla_cuda*/xla_cuda_plugin.so",
	"/usr/local/lib/python3*/dist-packages/jax_plugins/xla_cuda*/xla_cuda_plugin.so",
	"/opt/*/.venv/lib/python3*/site-packages/jax_plugins/xla_cuda*/xla_cuda_plugin.so",
}

func checkXLA() (string, error) {
	cfg := os.Getenv(backend.EnvBackend)
	if strings.HasPrefix(cfg, "xla") {
		be, err := backend.New(cfg)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s=%s loads: %s", backend.EnvBackend, cfg, backend.Describe(be)), nil
	}
	home, _ := os.UserHomeDir()
	globs := append([]string{filepath.Join(home, ".local/lib/gomlx/pjrt/pjrt_c_api_*_plugin.so")}, xlaPluginGlobs...)
	for _, g := range globs {
		if m, _ := filepath.Glob(g); len(m) > 0 {
			return fmt.Sprintf("plugin found at %s: use it with %s=xla:%s", m[0], backend.EnvBackend, m[0]), nil
		}
	}
	return "", fmt.Errorf("no PJRT plugin found and %s does not name one; the pure-Go backend is used", backend.EnvBackend)
}

// checkWeaviate finds the weaviate-server binary local clusters run, and its version.
func checkWeaviate() (string, error) {
	bin, err := localcluster.FindBinary("")
	if err != nil {
		return "", err
	}
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		return bin, nil
	}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[0] == "mod" && f[1] == "github.com/weaviate/weaviate" {
			if f[2] != "v"+localcluster.Version {
				return "", fmt.Errorf("%s is %s, want v%s", bin, f[2], localcluster.Version)
			}
			return bin + " " + f[2], nil
		}
	}
	return bin, nil
}
