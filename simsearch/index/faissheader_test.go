package index

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Offsets in the FAISS 1.7.3 files this package writes (see checkFAISSHeader), checked
// against files written by Save in TestFAISSHeaderLayout.
const (
	offD         = 4  // int32
	offNtotal    = 8  // int64
	offMetric    = 33 // int32
	offFlatCodes = 37 // uint64 count of float32 values, then the values
	offNlist     = 37 // IwFl: uint64
	offNprobe    = 45 // IwFl: uint64
	offQuantizer = 53 // IwFl: the nested IxF2 / IxFI
)

// ivfOffsets returns where an IVF-Flat file's direct map and inverted lists start.
func ivfOffsets(nlist, d int) (directMap, ilar int) {
	directMap = offQuantizer + offFlatCodes + 8 + nlist*d*4
	return directMap, directMap + 1 + 8
}

// saved builds an index of n vectors (New alone when n is 0) and saves it.
func saved(t *testing.T, cfg Config, n int) (dir string, m *Manifest, faissFile string) {
	t.Helper()
	var ix *Index
	var err error
	if n == 0 {
		ix, err = New(cfg)
	} else {
		ix, err = Build(ctx, cfg, clustered(n, cfg.Dim, 4, 3), itemsFor(n), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	dir = t.TempDir()
	if err := ix.Save(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if m, err = ReadManifest(dir); err != nil {
		t.Fatal(err)
	}
	return dir, m, filepath.Join(dir, m.Files["index"].Name)
}

// rewrite replaces the FAISS file with edit(its bytes) and the manifest with editM(it),
// recomputing the file's size and SHA-256, so that the checksums match and only the
// header check stands between the file and faiss.ReadIndex.
func rewrite(t *testing.T, dir string, m *Manifest, edit func(b []byte) []byte, editM func(m *Manifest)) {
	t.Helper()
	f := m.Files["index"]
	p := filepath.Join(dir, f.Name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, edit(b), 0o644); err != nil {
		t.Fatal(err)
	}
	f.SHA256, f.Size, _ = hashFile(p)
	m.Files["index"] = f
	if editM != nil {
		editM(m)
	}
	writeManifest(t, dir, m)
}

func put32(b []byte, off int, v uint32) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b }
func put64(b []byte, off int, v uint64) []byte { binary.LittleEndian.PutUint64(b[off:], v); return b }

// The layout checkFAISSHeader reads is the one FAISS writes, for every metric and for
// trained, untrained, full and sparse IVF lists; such indexes still open.
func TestFAISSHeaderLayout(t *testing.T) {
	const d = 8
	fewLists := func() (string, *Manifest, string) {
		// Trained on many vectors, holding 2: at most 2 of 16 lists used, so FAISS
		// writes them as "sprs".
		ix, err := New(Config{Dim: d, Factory: "IVF16,Flat"})
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		if err := ix.Train(ctx, clustered(16*40, d, 16, 5)); err != nil {
			t.Fatal(err)
		}
		if err := ix.Add(ctx, clustered(2, d, 1, 6), itemsFor(2), nil); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := ix.Save(ctx, dir); err != nil {
			t.Fatal(err)
		}
		m, _ := ReadManifest(dir)
		return dir, m, filepath.Join(dir, m.Files["index"].Name)
	}
	cases := []struct {
		name, fourcc, lists string
		metric              uint32
		build               func() (string, *Manifest, string)
	}{
		{"flat l2", "IxF2", "", 1, func() (string, *Manifest, string) { return saved(t, Config{Dim: d}, 300) }},
		{"flat ip", "IxFI", "", 0, func() (string, *Manifest, string) { return saved(t, Config{Dim: d, Metric: IP}, 300) }},
		{"flat cos", "IxFI", "", 0, func() (string, *Manifest, string) { return saved(t, Config{Dim: d, Metric: Cosine}, 300) }},
		{"flat empty", "IxF2", "", 1, func() (string, *Manifest, string) { return saved(t, Config{Dim: d}, 0) }},
		{"ivf l2", "IwFl", "full", 1, func() (string, *Manifest, string) { return saved(t, Config{Dim: d, Factory: "IVF4,Flat"}, 400) }},
		{"ivf ip", "IwFl", "full", 0, func() (string, *Manifest, string) {
			return saved(t, Config{Dim: d, Factory: "IVF4,Flat", Metric: IP}, 400)
		}},
		{"ivf untrained", "IwFl", "sprs", 1, func() (string, *Manifest, string) { return saved(t, Config{Dim: d, Factory: "IVF4,Flat"}, 0) }},
		{"ivf sparse lists", "IwFl", "sprs", 1, fewLists},
		{"hnsw (left to FAISS)", "IHNf", "", 1, func() (string, *Manifest, string) { return saved(t, Config{Dim: d, Factory: "HNSW8"}, 300) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, m, p := c.build()
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(b[:4]); got != c.fourcc {
				t.Fatalf("fourcc %q, want %q", got, c.fourcc)
			}
			le := binary.LittleEndian
			if got := le.Uint32(b[offD:]); got != d {
				t.Errorf("d %d at byte %d, want %d", got, offD, d)
			}
			if got := le.Uint64(b[offNtotal:]); got != uint64(m.Count) {
				t.Errorf("ntotal %d at byte %d, want %d", got, offNtotal, m.Count)
			}
			if got := le.Uint32(b[offMetric:]); got != c.metric {
				t.Errorf("metric_type %d at byte %d, want %d", got, offMetric, c.metric)
			}
			switch c.fourcc {
			case "IxF2", "IxFI":
				if got := le.Uint64(b[offFlatCodes:]); got != uint64(m.Count*d) || len(b) != offFlatCodes+8+4*m.Count*d {
					t.Errorf("%d codes, %d bytes; want %d codes, %d bytes", got, len(b), m.Count*d, offFlatCodes+8+4*m.Count*d)
				}
			case "IwFl":
				nlist := nlistOf(m.Factory)
				if got := le.Uint64(b[offNlist:]); got != uint64(nlist) {
					t.Errorf("nlist %d, want %d", got, nlist)
				}
				if got := le.Uint64(b[offNprobe:]); got != uint64(m.Nprobe) {
					t.Errorf("nprobe %d, want %d", got, m.Nprobe)
				}
				if got := string(b[offQuantizer : offQuantizer+4]); got != "IxF2" && got != "IxFI" {
					t.Errorf("quantizer fourcc %q", got)
				}
				dm, ilar := ivfOffsets(nlist, d)
				if le.Uint64(b[offQuantizer+offNtotal:]) == 0 { // untrained: no centroids
					dm, ilar = ivfOffsets(0, d)
				}
				if b[dm] != 0 || string(b[ilar:ilar+4]) != "ilar" || string(b[ilar+20:ilar+24]) != c.lists {
					t.Errorf("direct map type %d, lists %q of type %q; want 0, ilar, %s", b[dm], b[ilar:ilar+4], b[ilar+20:ilar+24], c.lists)
				}
			}
			if err := checkFAISSHeader(p, m); err != nil {
				t.Errorf("checkFAISSHeader: %v", err)
			}
			ix, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			if ix.Len() != m.Count {
				t.Errorf("opened %d rows, want %d", ix.Len(), m.Count)
			}
			if m.Count > 0 {
				if _, err := ix.Search(ctx, clustered(1, d, 1, 9), 1, SearchOptions{}); err != nil {
					t.Errorf("search: %v", err)
				}
			}
		})
	}
}

// A FAISS file whose checksum matches but whose header declares a huge index is refused
// with ErrCorrupt naming the file, quickly and without allocating what it declares:
// faiss.ReadIndex is never called on it.
func TestFAISSHeaderRefusesHugeAllocations(t *testing.T) {
	const d = 8
	flat := func(t *testing.T) (string, *Manifest) {
		dir, m, _ := saved(t, Config{Dim: d}, 300)
		return dir, m
	}
	ivf := func(t *testing.T) (string, *Manifest) {
		dir, m, _ := saved(t, Config{Dim: d, Factory: "IVF4,Flat"}, 400)
		return dir, m
	}
	_, ilar := ivfOffsets(4, d)
	sizes := ilar + 32 // the first of the "full" list sizes
	cases := []struct {
		name  string
		build func(t *testing.T) (string, *Manifest)
		edit  func(b []byte) []byte
		editM func(m *Manifest)
		want  []error
		in    string
	}{
		{"flat ntotal 2^40", flat, func(b []byte) []byte { return put64(b, offNtotal, 1<<40) }, nil,
			[]error{ErrCorrupt, ErrDimension}, "holds 1099511627776 vectors"},
		{"flat ntotal 2^40, manifest count too", flat, func(b []byte) []byte {
			put64(b, offFlatCodes, (1<<40)*d)
			return put64(b, offNtotal, 1<<40)
		}, func(m *Manifest) { m.Count = 1 << 40 }, []error{ErrCorrupt}, "need 3.518e+13 bytes"},
		{"flat codes 2^39 floats", flat, func(b []byte) []byte { return put64(b, offFlatCodes, 1<<39) }, nil,
			[]error{ErrCorrupt}, "549755813888 float32 codes for 300 vectors"},
		{"flat dimension", flat, func(b []byte) []byte { return put32(b, offD, 1<<16) }, nil,
			[]error{ErrCorrupt, ErrDimension}, "dimension 65536"},
		{"flat truncated header", flat, func(b []byte) []byte { return b[:20] }, nil, []error{ErrCorrupt}, "truncated"},
		{"flat truncated codes", flat, func(b []byte) []byte { return b[:len(b)-1] }, nil, []error{ErrCorrupt}, "need"},
		{"ivf ntotal 2^40", ivf, func(b []byte) []byte { return put64(b, offNtotal, 1<<40) }, nil,
			[]error{ErrCorrupt, ErrDimension}, "holds 1099511627776 vectors"},
		{"ivf nlist 2^40", ivf, func(b []byte) []byte { return put64(b, offNlist, 1<<40) }, nil,
			[]error{ErrCorrupt}, "IVF lists"},
		{"ivf quantizer ntotal 2^40", ivf, func(b []byte) []byte { return put64(b, offQuantizer+offNtotal, 1<<40) }, nil,
			[]error{ErrCorrupt}, "quantizer"},
		{"ivf direct map 2^40", ivf, func(b []byte) []byte {
			dm, _ := ivfOffsets(4, d)
			return put64(b, dm+1, 1<<40)
		}, nil, []error{ErrCorrupt}, "beyond the end"},
		{"ivf inverted lists 2^60", ivf, func(b []byte) []byte { return put64(b, ilar+4, 1<<60) }, nil,
			[]error{ErrCorrupt}, "inverted lists"},
		{"ivf list size 2^36", ivf, func(b []byte) []byte { return put64(b, sizes, 1<<36) }, nil,
			[]error{ErrCorrupt}, "beyond the end"},
		{"ivf list sizes disagree with ntotal", ivf, func(b []byte) []byte {
			for i := sizes; i < sizes+4*8; i += 8 { // take one vector from the first non-empty list
				if n := binary.LittleEndian.Uint64(b[i:]); n > 0 {
					return put64(b, i, n-1)
				}
			}
			return b
		}, nil, []error{ErrCorrupt}, "inverted lists hold 399 vectors"},
		{"ivf list type", ivf, func(b []byte) []byte { copy(b[ilar+20:], "huge"); return b }, nil,
			[]error{ErrCorrupt}, "list type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, m := c.build(t)
			rewrite(t, dir, m, c.edit, c.editM)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			ix, err := Open(dir)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil {
				ix.Close()
				t.Fatal("Open accepted the crafted file")
			}
			for _, w := range c.want {
				if !errors.Is(err, w) {
					t.Errorf("Open: %v; want errors.Is %v", err, w)
				}
			}
			if !strings.Contains(err.Error(), c.in) || !strings.Contains(err.Error(), m.Files["index"].Name) || strings.Contains(err.Error(), "read_index") {
				t.Errorf("Open: %v; want it to name %s and say %q, before faiss read_index", err, m.Files["index"].Name, c.in)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 100<<20 {
				t.Errorf("Open allocated %d bytes", got)
			}
			t.Logf("refused in %v", took)
		})
	}
}
