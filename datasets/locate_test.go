package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRootsOrderAndFind(t *testing.T) {
	explicit := t.TempDir()
	env := t.TempDir()
	t.Setenv(EnvData, env)
	if roots := Roots(explicit); len(roots) != 1 || roots[0] != explicit {
		t.Fatalf("roots %v: want --data alone (a wrong --data must not fall back elsewhere)", roots)
	}
	roots := Roots("")
	if roots[0] != env {
		t.Fatalf("roots %v: want $%s first", roots, EnvData)
	}
	if roots[len(roots)-1] != CacheDir() {
		t.Errorf("last root %s, want the cache dir", roots[len(roots)-1])
	}
	os.MkdirAll(filepath.Join(env, "thing"), 0o755)
	got, err := Find("thing", roots, []string{"thing"}, func(d string) bool { _, err := os.Stat(d); return err == nil }, "")
	if err != nil || got != filepath.Join(env, "thing") {
		t.Errorf("Find = %q, %v", got, err)
	}
	_, err = Find("nothing", roots, []string{"nothing"}, func(string) bool { return false }, "provide it")
	var nf *NotFoundError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &nf) || len(nf.Looked) != len(roots) || !strings.Contains(err.Error(), "provide it") {
		t.Errorf("not found: %v", err)
	}
}

func TestModuleRootFromNotebookDir(t *testing.T) {
	root := ModuleRoot() // the test runs inside the checkout
	if root == "" {
		t.Skip("not run from a checkout")
	}
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(t.TempDir())
	t.Setenv("GONB_DIR", filepath.Join(root, "notebooks"))
	if got := ModuleRoot(); got != root {
		t.Errorf("ModuleRoot from GONB_DIR = %q, want %q", got, root)
	}
}
