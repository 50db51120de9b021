package index

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// manifestSeed is a manifest as Save writes it.
const manifestSeed = `{
  "format_version": 2,
  "generation": 3,
  "dim": 8,
  "metric": "l2",
  "factory": "IVF4,Flat",
  "nprobe": 2,
  "count": 400,
  "encoder": {"name": "pixels", "version": "1", "params": {"downsample": "1", "input": "32x32x3"}},
  "corpus": {"source": "images", "root": "/data/photos", "options": {"skip-bad": "true"}},
  "created": "2024-05-01T10:00:00Z",
  "saved": "2024-05-02T11:30:00.123456789+02:00",
  "tuning": [{"nprobe": 1, "recall": 0.81, "qps": 12000, "qps1": 900}, {"nprobe": 0, "recall": 1, "qps": 800, "qps1": 75.5}],
  "files": {
    "index": {"name": "index-3.faiss", "size": 13491, "sha256": "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"},
    "items": {"name": "items-3.jsonl", "size": 9000, "sha256": "1a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"},
    "vectors": {"name": "vectors-3.f32", "size": 12800, "sha256": "2a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"},
    "asset:bow.json": {"name": "asset-bow-3.json", "size": 12, "sha256": "3a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"}
  },
  "previous": ["index-2.faiss", "items-2.jsonl", "vectors-2.f32"]
}`

// FuzzParseManifest: parseManifest accepts or refuses with ErrCorrupt / ErrNewerFormat
// naming the file; what it accepts satisfies the manifest's invariants, and re-encoding
// it (as Save does) gives a manifest that parses to the same encoding.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(manifestSeed))
	f.Add([]byte(strings.Replace(manifestSeed, `"format_version": 2`, `"format_version": 1`, 1)))
	f.Add([]byte(strings.Replace(manifestSeed, `"format_version": 2`, `"format_version": 3`, 1)))
	f.Add([]byte(strings.Replace(manifestSeed, `"IVF4,Flat"`, `"Flat"`, 1)))
	f.Add([]byte(strings.Replace(manifestSeed, `"IVF4,Flat"`, `"IVF-5,Flat"`, 1)))
	f.Add([]byte(strings.Replace(manifestSeed, `"l2"`, `"Cosine"`, 1)))
	f.Add([]byte(strings.Replace(manifestSeed, `"l2"`, `"euclidean"`, 1)))
	f.Add([]byte(strings.Replace(manifestSeed, `index-3.faiss`, `../index-3.faiss`, 1)))
	f.Add([]byte(strings.Replace(manifestSeed, `"dim": 8`, `"dim": 1e9`, 1)))
	f.Add([]byte(strings.Replace(manifestSeed, `"count": 400`, `"count": -1`, 1)))
	f.Add([]byte(strings.Replace(manifestSeed, `asset:bow.json`, `asset:../x`, 1)))
	f.Add([]byte(manifestSeed[:len(manifestSeed)/2]))
	f.Add([]byte(`{"format_version": 1, "dim": 3, "metric": "ip", "factory": "Flat", "count": 0, "files": {}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		const p = "dir/manifest.json"
		m, err := parseManifest(p, b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNewerFormat) {
				t.Fatalf("error %v matches neither ErrCorrupt nor ErrNewerFormat", err)
			}
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("error %v does not name %s", err, p)
			}
			return
		}
		checkManifestInvariants(t, m)
		enc, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("accepted manifest does not re-encode: %v", err)
		}
		m2, err := parseManifest(p, enc)
		if err != nil {
			t.Fatalf("re-encoded manifest %s refused: %v", enc, err)
		}
		enc2, _ := json.Marshal(m2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("re-encoded manifest changes on a second round:\n%s\n%s", enc, enc2)
		}
	})
}

func checkManifestInvariants(t *testing.T, m *Manifest) {
	t.Helper()
	nlist := nlistOf(m.Factory)
	switch {
	case m.FormatVersion < 1 || m.FormatVersion > FormatVersion:
		t.Fatalf("format_version %d accepted", m.FormatVersion)
	case m.Dim < 1 || m.Dim > MaxDim || m.Count < 0 || m.Generation < 0:
		t.Fatalf("dim %d, count %d, generation %d accepted", m.Dim, m.Count, m.Generation)
	case m.Metric != L2 && m.Metric != IP && m.Metric != Cosine:
		t.Fatalf("metric %q accepted", m.Metric)
	case strings.TrimSpace(m.Factory) == "":
		t.Fatal("empty factory accepted")
	case nlist < 0:
		t.Fatalf("factory %q (%d IVF lists) accepted", m.Factory, nlist)
	case nlist > 0 && (m.Nprobe < 1 || m.Nprobe > nlist), nlist == 0 && m.Nprobe != 0:
		t.Fatalf("nprobe %d accepted for factory %q", m.Nprobe, m.Factory)
	}
	for _, role := range []string{"index", "items", "vectors"} {
		if _, ok := m.Files[role]; !ok {
			t.Fatalf("no %s file accepted", role)
		}
	}
	for role, f := range m.Files {
		if checkFileName(f.Name) != nil || f.Size < 0 || len(f.SHA256) != 64 ||
			filepath.Join("dir", f.Name) != "dir/"+f.Name {
			t.Fatalf("%s file %+v accepted", role, f)
		}
	}
}

// itemsSeed holds format-2 and format-1 items as readItems meets them.
const itemsSeed = `{"ref":"cats/001.png","label":"cat"}
{"ref":"tickets.csv:12","text":"printer on fire","meta":{"team":"ops"}}
{"ref":"app.log:42"}
{"dataset":"cifar10","split":"train","ref":"/data/cifar-10-batches-bin/data_batch_1.bin#5","label":3,"label_name":"cat"}
`

// FuzzReadItems: readItems (an items-N.jsonl file) either reads one item per line or fails
// with ErrCorrupt naming the file; the items it reads, written back as Save writes them,
// read back the same.
func FuzzReadItems(f *testing.F) {
	f.Add([]byte(itemsSeed))
	f.Add([]byte(strings.ReplaceAll(itemsSeed, "\n", "\r\n")))
	f.Add([]byte(`{"ref":"a","label":null,"label_name":"x","meta":{}}` + "\n"))
	f.Add([]byte(`{"ref":"a","label":{"x":1},"meta":{"dataset":"m"},"dataset":"d"}`))
	f.Add([]byte(`{"ref":"a","label":"\ud800\udc00 \xff"}`))
	f.Add([]byte(`{"ref":"a","label":"unterminated}` + "\n"))
	f.Add([]byte("{\"ref\":\"a\"}\n\n{\"ref\":\"b\"}\n"))
	f.Add([]byte(`{"ref":1}`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "items-1.jsonl")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		items, err := readItems(p)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) {
				t.Fatalf("error %v: want ErrCorrupt naming %s", err, p)
			}
			return
		}
		if lines := countScannerLines(data); len(items) != lines {
			t.Fatalf("%d items from %d lines", len(items), lines)
		}
		// Written back as Save writes them, they read back the same.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for i := range items {
			if err := enc.Encode(&items[i]); err != nil {
				t.Fatalf("item %d %+v does not encode: %v", i, items[i], err)
			}
		}
		p2 := filepath.Join(dir, "items-2.jsonl")
		if err := os.WriteFile(p2, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		again, err := readItems(p2)
		if err != nil || len(again) != len(items) {
			t.Fatalf("re-written items: %d, %v; want %d", len(again), err, len(items))
		}
		for i := range items {
			a, b := items[i], again[i]
			if a.Ref != b.Ref || a.Label != b.Label || a.Text != b.Text || !maps.Equal(a.Meta, b.Meta) {
				t.Fatalf("item %d reads %+v, re-written reads %+v", i, a, b)
			}
		}
	})
}

func countScannerLines(data []byte) int {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	n := 0
	for sc.Scan() {
		n++
	}
	return n
}

// FuzzFAISSHeader: checkFAISSHeader never panics, refuses with ErrCorrupt naming the
// file, reads a bounded amount whatever the header declares, and what it accepts of the
// types it knows holds the data its header declares.
func FuzzFAISSHeader(f *testing.F) {
	for _, c := range []struct {
		cfg Config
		n   int
	}{
		{Config{Dim: 4}, 6},
		{Config{Dim: 4, Metric: IP}, 6},
		{Config{Dim: 2, Factory: "IVF2,Flat"}, 6},
		{Config{Dim: 2, Factory: "IVF2,Flat"}, 0},
	} {
		ix, err := New(c.cfg)
		if err == nil && c.n > 0 {
			ix.Close()
			ix, err = Build(ctx, c.cfg, clustered(c.n, c.cfg.Dim, 2, 1), itemsFor(c.n), nil)
		}
		if err != nil {
			f.Fatal(err)
		}
		dir := f.TempDir()
		if err := ix.Save(ctx, dir); err != nil {
			f.Fatal(err)
		}
		ix.Close()
		m, _ := ReadManifest(dir)
		b, err := os.ReadFile(filepath.Join(dir, m.Files["index"].Name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true, c.cfg.Factory)
		huge := bytes.Clone(b)
		binary.LittleEndian.PutUint64(huge[8:], 1<<40)
		f.Add(huge, true, c.cfg.Factory)
		f.Add(b[:len(b)/2], true, c.cfg.Factory)
		f.Add(b, false, "Flat")
	}
	f.Add([]byte("IHNf"), true, "HNSW8")
	f.Add([]byte("IxF"), true, "Flat")
	f.Fuzz(func(t *testing.T, data []byte, match bool, factory string) {
		p := filepath.Join(t.TempDir(), "index-1.faiss")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		le := binary.LittleEndian
		m := &Manifest{Dim: 4, Count: 6, Factory: factory}
		if match && len(data) >= 16 { // agree with the header, to reach what follows it
			m.Dim, m.Count = int(int32(le.Uint32(data[4:]))), int(le.Uint64(data[8:]))
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		checked, err := readFAISSHeader(p, m)
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20+8*uint64(len(data)) {
			t.Fatalf("allocated %d bytes for a %d-byte file", got, len(data))
		}
		if err != nil {
			if checked || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) {
				t.Fatalf("error %v (checked %v): want ErrCorrupt naming %s", err, checked, p)
			}
			return
		}
		fourcc := ""
		if len(data) >= 4 {
			fourcc = string(data[:4])
		}
		known := fourcc == "IxF2" || fourcc == "IxFI" || fourcc == "IwFl"
		if len(data) < 4 || (!known && checked) || (known && fourcc != "IwFl" && !checked) {
			t.Fatalf("%d-byte file with fourcc %q accepted, checked %v", len(data), fourcc, checked)
		}
		// What was checked holds the data its header declares: the codes of n vectors of
		// dimension d (and for IVF their ids).
		d, n := uint64(m.Dim), uint64(m.Count)
		per := 4 * d
		if fourcc == "IwFl" {
			per += 8
		}
		if checked && (m.Dim < 1 || m.Count < 0 || n > uint64(len(data))/per) {
			t.Fatalf("%d-byte %s file accepted for %d vectors of dimension %d", len(data), fourcc, m.Count, m.Dim)
		}
	})
}
