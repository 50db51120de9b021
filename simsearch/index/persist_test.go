package index

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// small builds a 300×8 Flat index.
func small(t *testing.T, cfg Config) *Index {
	t.Helper()
	if cfg.Dim == 0 {
		cfg.Dim = 8
	}
	ix, err := Build(ctx, cfg, clustered(300, cfg.Dim, 4, 9), itemsFor(300), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func writeManifest(t *testing.T, dir string, m *Manifest) {
	t.Helper()
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, ManifestName), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A folder of the user's own files is refused, and when writing beside them is allowed,
// no save ever deletes or changes one of them, whatever its name.
func TestSaveNeverTouchesUserFiles(t *testing.T) {
	dir := t.TempDir()
	user := map[string]string{
		"index-of-my-photos.html": "<html>", "items-todo.txt": "milk", "vectors-notes.md": "# notes",
		"thesis.tmp": "chapter 1", "keep.txt": "keep", "index-1.faiss": "my own faiss file",
		"items-2.jsonl": "{}", "manifest.json.tmp": "not yours",
	}
	for n, body := range user {
		os.WriteFile(filepath.Join(dir, n), []byte(body), 0o644)
	}
	ix := small(t, Config{})
	if err := ix.Save(ctx, dir); !errors.Is(err, ErrNotIndexDir) {
		t.Fatalf("save into a folder of other files: %v, want ErrNotIndexDir", err)
	}
	lk, err := Lock(dir, LockOptions{AllowNonEmpty: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := ix.Add(ctx, clustered(1, 8, 1, 3), itemsFor(1), nil); err != nil {
			t.Fatal(err)
		}
		if err := ix.Save(ctx, dir); err != nil {
			t.Fatal(err)
		}
	}
	lk.Close()
	for n, body := range user {
		if b, err := os.ReadFile(filepath.Join(dir, n)); err != nil || string(b) != body {
			t.Errorf("user file %s: %q, %v; want %q untouched", n, b, err, body)
		}
	}
	re, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	if re.Len() != 303 {
		t.Errorf("reopened %d rows, want 303", re.Len())
	}
	// Once it holds an index, the folder is accepted without the option.
	if err := re.Save(ctx, dir); err != nil {
		t.Errorf("save over an index beside user files: %v", err)
	}
}

func TestSecondWriterIsBusy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ix")
	lk, err := Lock(dir, LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir, LockOptions{}); !errors.Is(err, ErrBusy) {
		t.Errorf("second lock: %v, want ErrBusy", err)
	}
	ix := small(t, Config{})
	if err := ix.Save(ctx, dir); err != nil {
		t.Fatalf("save under this process's lock: %v", err)
	}
	lk.Close()
	if err := ix.Save(ctx, dir); err != nil {
		t.Fatalf("save after the lock is released: %v", err)
	}
}

// A writer that opened generation N does not overwrite a generation another writer
// committed meanwhile.
func TestLostUpdateIsAConflict(t *testing.T) {
	dir := t.TempDir()
	small(t, Config{}).Save(ctx, dir)
	a, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.Add(ctx, clustered(1, 8, 1, 3), itemsFor(1), nil)
	b.Add(ctx, clustered(2, 8, 1, 3), itemsFor(2), nil)
	if err := a.Save(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(ctx, dir); !errors.Is(err, ErrConflict) {
		t.Fatalf("second save of a stale index: %v, want ErrConflict", err)
	}
	re, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	if re.Len() != 301 {
		t.Errorf("%d rows on disk, want the first writer's 301", re.Len())
	}
}

// A reader that read manifest N can still load N's files after N+1 is committed; they go
// when N+2 is.
func TestPreviousGenerationKeptForReaders(t *testing.T) {
	dir := t.TempDir()
	ix := small(t, Config{})
	ix.Save(ctx, dir)
	m1, _ := ReadManifest(dir)
	ix.Save(ctx, dir)
	r, err := load(dir, m1)
	if err != nil {
		t.Fatalf("generation 1 after generation 2 committed: %v", err)
	}
	r.Close()
	ix.Save(ctx, dir)
	if _, err := os.Stat(filepath.Join(dir, m1.Files["index"].Name)); !os.IsNotExist(err) {
		t.Errorf("generation 1's files still there after generation 3: %v", err)
	}
}

func TestManifestFieldsValidated(t *testing.T) {
	ivf := func(t *testing.T) (string, *Manifest) {
		dir := t.TempDir()
		ix, err := Build(ctx, Config{Dim: 8, Factory: "IVF4,Flat"}, clustered(400, 8, 4, 1), itemsFor(400), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		if err := ix.Save(ctx, dir); err != nil {
			t.Fatal(err)
		}
		m, _ := ReadManifest(dir)
		return dir, m
	}
	cases := []struct {
		name string
		edit func(m *Manifest)
		want error
		in   string
	}{
		{"l2 relabelled cos", func(m *Manifest) { m.Metric = Cosine }, ErrCorrupt, "metric"},
		{"unknown metric", func(m *Manifest) { m.Metric = "manhattan" }, ErrCorrupt, "metric"},
		{"file outside the folder", func(m *Manifest) { f := m.Files["items"]; f.Name = "../items-1.jsonl"; m.Files["items"] = f }, ErrCorrupt, "inside the index folder"},
		{"absolute file name", func(m *Manifest) { f := m.Files["items"]; f.Name = "/etc/passwd"; m.Files["items"] = f }, ErrCorrupt, "inside the index folder"},
		{"nprobe 0 on IVF", func(m *Manifest) { m.Nprobe = 0 }, ErrCorrupt, "nprobe 0"},
		{"nprobe above nlist", func(m *Manifest) { m.Nprobe = 5 }, ErrCorrupt, "nprobe 5"},
		{"wrong dimension", func(m *Manifest) { m.Dim = 9 }, ErrDimension, "dimension 8"},
		{"huge dimension", func(m *Manifest) { m.Dim = 1 << 30 }, ErrCorrupt, "dim"},
		{"unknown role", func(m *Manifest) { m.Files["script"] = m.Files["items"] }, ErrCorrupt, "role"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, m := ivf(t)
			c.edit(m)
			writeManifest(t, dir, m)
			_, err := Open(dir)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.in) {
				t.Errorf("Open: %v; want %v mentioning %q", err, c.want, c.in)
			}
		})
	}
	t.Run("ip relabelled cos", func(t *testing.T) {
		dir := t.TempDir()
		ix := small(t, Config{Metric: IP})
		ix.Save(ctx, dir)
		m, _ := ReadManifest(dir)
		m.Metric = Cosine
		writeManifest(t, dir, m)
		if _, err := Open(dir); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "norm") {
			t.Errorf("Open: %v; want ErrCorrupt naming the norm", err)
		}
	})
}

func TestAssetsTravelWithTheGeneration(t *testing.T) {
	dir := t.TempDir()
	ix := small(t, Config{})
	if err := ix.SetAsset("../evil", []byte("x")); err == nil {
		t.Error("asset name with a path accepted")
	}
	ix.SetAsset("bow.json", []byte(`{"v":1}`))
	if err := ix.Save(ctx, dir); err != nil {
		t.Fatal(err)
	}
	// A copy of the folder elsewhere answers with its own assets.
	cp := t.TempDir()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		os.WriteFile(filepath.Join(cp, e.Name()), b, 0o644)
	}
	ix.SetAsset("bow.json", []byte(`{"v":2}`))
	ix.Save(ctx, dir)
	re, err := Open(cp)
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	if b, err := re.Asset("bow.json"); err != nil || string(b) != `{"v":1}` {
		t.Errorf("asset of the copy: %q, %v", b, err)
	}
	if _, err := re.Asset("nope.json"); !errors.Is(err, ErrNoAsset) {
		t.Errorf("missing asset: %v", err)
	}
	m, _ := ReadManifest(cp)
	p := filepath.Join(cp, m.Files["asset:bow.json"].Name)
	os.WriteFile(p, []byte(`{"v":3}`), 0o644)
	if _, err := Open(cp); !errors.Is(err, ErrCorrupt) {
		t.Errorf("changed asset: %v, want ErrCorrupt", err)
	}
}

// An index written by format 1 (numeric labels beside label names, dataset and split
// fields) still opens, its labels read as names.
func TestFormat1ItemsStillOpen(t *testing.T) {
	dir := t.TempDir()
	ix := small(t, Config{})
	ix.Save(ctx, dir)
	m, _ := ReadManifest(dir)
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, `{"dataset":"cifar10","split":"train","ref":"/data/cifar-10-batches-bin/data_batch_1.bin#%d","label":%d,"label_name":"class%d"}`+"\n", i, i%3, i%3)
	}
	p := filepath.Join(dir, m.Files["items"].Name)
	os.WriteFile(p, []byte(b.String()), 0o644)
	sum, size, _ := hashFile(p)
	m.Files["items"] = FileSum{Name: m.Files["items"].Name, Size: size, SHA256: sum}
	m.FormatVersion = 1
	writeManifest(t, dir, m)
	re, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	it, _ := re.Item(4)
	if it.Label != "class1" || it.Meta["dataset"] != "cifar10" || it.Meta["split"] != "train" {
		t.Errorf("format-1 item read as %+v", it)
	}
}

func TestRebuildRetrainsAndKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	ix, err := Build(ctx, Config{Dim: 8, Metric: Cosine, Factory: "IVF4,Flat", Encoder: EncoderInfo{Name: "e"}}, clustered(600, 8, 4, 1), itemsFor(600), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	ix.SetAsset("bow.json", []byte("{}"))
	if err := ix.Save(ctx, dir); err != nil {
		t.Fatal(err)
	}
	re, err := ix.Rebuild(ctx, "IVF8,Flat", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	if re.Len() != 600 || re.NList() != 8 || re.Metric() != Cosine || re.Encoder().Name != "e" || len(re.Tuning()) == 0 {
		t.Errorf("rebuilt: len %d nlist %d metric %s enc %+v tuning %d", re.Len(), re.NList(), re.Metric(), re.Encoder(), len(re.Tuning()))
	}
	if b, err := re.Asset("bow.json"); err != nil || string(b) != "{}" {
		t.Errorf("asset lost: %q %v", b, err)
	}
	hits, _ := re.SearchByID(ctx, 5, 1, false, SearchOptions{})
	if len(hits) != 1 || hits[0].ID != 5 {
		t.Errorf("rebuilt index does not find row 5 first: %+v", hits)
	}
	// It commits in place of the original (no conflict: same lineage).
	if err := re.Save(ctx, dir); err != nil {
		t.Fatal(err)
	}
}
