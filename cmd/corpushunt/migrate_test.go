package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corpushunt/corpushunt/datasets/cifar10/cifar10test"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/tags"
)

// migrate between two index directories (the Weaviate direction is tested, on a real
// cluster, in simsearch/store/weaviate): rows, items, tags and the same answers; a map
// by UMAP; and the --store flags' refusals.
func TestCLIMigrateAndStoreFlags(t *testing.T) {
	quiet = true
	ctx := context.Background()
	data := cifar10test.Write(t, t.TempDir(), 300, 0)
	ix := filepath.Join(t.TempDir(), "ix")
	to := filepath.Join(t.TempDir(), "to")
	for _, s := range [][]string{
		{"index", "--data", data, "--dataset", "cifar10", "--downsample", "8", "--out", ix},
		{"tag", "--index", ix, "--tag", "boat", "--items", "3,13"},
		{"tag", "--index", ix, "--tag", "boat", "--items", "4", "--negative"},
		{"migrate", "--from", ix, "--to", to, "--check", "50"},
		{"map", "--index", to, "--method", "umap", "--out", filepath.Join(t.TempDir(), "map.html")},
	} {
		if code := run(ctx, s); code != 0 {
			t.Fatalf("corpushunt %v exited %d", s, code)
		}
	}
	a, err := index.Open(ix)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := index.Open(to)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.Len() != b.Len() || a.Encoder().Name != b.Encoder().Name || a.Corpus().Source != b.Corpus().Source {
		t.Fatalf("migrated: %d rows %s %s, from %d %s %s", b.Len(), b.Encoder().Name, b.Corpus(), a.Len(), a.Encoder().Name, a.Corpus())
	}
	for _, id := range []int64{0, 150, 299} {
		x, _ := a.Item(id)
		y, _ := b.Item(id)
		if x.Ref != y.Ref || x.Label != y.Label {
			t.Errorf("item %d: %+v became %+v", id, x, y)
		}
	}
	ov, err := TopOverlap(ctx, a, b, 100, 10)
	if err != nil || ov != 1 {
		t.Errorf("top-10 overlap of two exact indexes %v, %v; want 1", ov, err)
	}
	l, _ := tags.Open(to)
	if c := l.Tags(); len(c) != 1 || c[0].Positive != 2 || c[0].Negative != 1 || len(l.Rounds("boat")) != 2 {
		t.Errorf("migrated tags %+v, rounds %+v", c, l.Rounds("boat"))
	}
	// A second migrate into the same folder is refused, and leaves it as it was.
	if code := run(ctx, []string{"migrate", "--from", ix, "--to", to}); code == 0 {
		t.Error("migrate into an existing index: exit 0")
	}
	for _, bad := range [][]string{
		{"query", "--index", ix, "--store", "weaviate://127.0.0.1:1/A", "--item", "1"},
		{"query", "--store", ix, "--item", "1"},
		{"query", "--store", "ftp://h/A", "--item", "1"},
		{"map", "--index", ix, "--method", "tsne", "--out", filepath.Join(t.TempDir(), "m.html")},
		{"index", "--data", data, "--dataset", "cifar10", "--out", filepath.Join(t.TempDir(), "x"), "--store", "weaviate://127.0.0.1:1/A"},
	} {
		if code := run(ctx, bad); code == 0 {
			t.Errorf("corpushunt %s: exit 0", strings.Join(bad, " "))
		}
	}
	if _, err := os.Stat(filepath.Join(to, "manifest.json")); err != nil {
		t.Fatal(err)
	}
}
