package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvData names the environment variable that points at a data root.
const EnvData = "CORPUSHUNT_DATA"

// ErrNotFound is matched (errors.Is) by every *NotFoundError.
var ErrNotFound = errors.New("dataset not found")

// NotFoundError says which dataset was missing, every place that was looked at, and how
// to provide it.
type NotFoundError struct {
	Dataset string
	Looked  []string
	Hint    string
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s not found; looked in:", e.Dataset)
	for _, l := range e.Looked {
		fmt.Fprintf(&b, "\n  %s", l)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, "\n%s", e.Hint)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// Roots returns the data roots to search, most specific first, without duplicates and
// without checking that they exist. explicit is the --data flag ("" when not given): when
// given, it is the only root, so a mistyped --data is an error rather than a silent
// fall-back to data found elsewhere.
func Roots(explicit string) []string {
	var roots []string
	add := func(d string) {
		if d == "" {
			return
		}
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		for _, r := range roots {
			if r == d {
				return
			}
		}
		roots = append(roots, d)
	}
	add(explicit)
	if explicit != "" {
		return roots
	}
	add(os.Getenv(EnvData))
	if root := ModuleRoot(); root != "" {
		add(filepath.Join(root, "..", "shared", "datasets"))
		add(filepath.Join(root, "data"))
	}
	add(filepath.Join("..", "shared", "datasets"))
	add("data")
	add(CacheDir())
	return roots
}

// CacheDir is where downloaded datasets are stored: $XDG_CACHE_HOME/corpushunt/datasets
// or ~/.cache/corpushunt/datasets.
func CacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "corpushunt", "datasets")
	}
	return filepath.Join(d, "corpushunt", "datasets")
}

// ModuleRoot walks up from the working directory (and, in a GoNB notebook, from the
// notebook's folder $GONB_DIR, since cells run elsewhere) to the corpushunt checkout (the
// folder whose go.mod declares this module) and returns it, or "" outside a checkout.
func ModuleRoot() string {
	if dir, err := os.Getwd(); err == nil {
		if root := moduleRootFrom(dir); root != "" {
			return root
		}
	}
	if dir := os.Getenv("GONB_DIR"); dir != "" {
		return moduleRootFrom(dir)
	}
	return ""
}

func moduleRootFrom(dir string) string {
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/corpushunt/corpushunt\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Find returns the first candidate directory root/sub (for each root in roots) for which
// ok returns true. On failure the error is a *NotFoundError listing every path tried.
func Find(name string, roots []string, subs []string, ok func(dir string) bool, hint string) (string, error) {
	var looked []string
	for _, r := range roots {
		for _, s := range subs {
			d := filepath.Join(r, s)
			looked = append(looked, d)
			if ok(d) {
				return d, nil
			}
		}
	}
	return "", &NotFoundError{Dataset: name, Looked: looked, Hint: hint}
}
