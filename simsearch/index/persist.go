package index

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	faiss "github.com/DataIntelligenceCrew/go-faiss"
)

// FormatVersion is the index directory format this package writes. Open refuses newer
// ones with ErrNewerFormat.
const FormatVersion = 1

// ManifestName is the file that commits an index directory.
const ManifestName = "manifest.json"

// FileSum records one data file of an index directory.
type FileSum struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest is the JSON document that describes (and commits) an index directory.
type Manifest struct {
	FormatVersion int                `json:"format_version"`
	Generation    int                `json:"generation"`
	Dim           int                `json:"dim"`
	Metric        Metric             `json:"metric"`
	Factory       string             `json:"factory"`
	Nprobe        int                `json:"nprobe,omitempty"`
	Count         int                `json:"count"`
	Encoder       EncoderInfo        `json:"encoder"`
	Created       time.Time          `json:"created"`
	Saved         time.Time          `json:"saved"`
	Tuning        []TunePoint        `json:"tuning,omitempty"`
	Files         map[string]FileSum `json:"files"` // "index", "items", "vectors"
}

var saveMu sync.Mutex // one Save at a time per process: generations must not collide

// ReadManifest reads and checks the manifest of an index directory.
func ReadManifest(dir string) (*Manifest, error) {
	p := filepath.Join(dir, ManifestName)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: not an index directory (no %s)", dir, ManifestName)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, p, err)
	}
	if m.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("%w: %s has format version %d, this build reads up to %d: upgrade corpushunt", ErrNewerFormat, p, m.FormatVersion, FormatVersion)
	}
	if m.FormatVersion < 1 || m.Dim < 1 || m.Count < 0 {
		return nil, fmt.Errorf("%w: %s: format %d, dim %d, count %d", ErrCorrupt, p, m.FormatVersion, m.Dim, m.Count)
	}
	for _, role := range []string{"index", "items", "vectors"} {
		if _, ok := m.Files[role]; !ok {
			return nil, fmt.Errorf("%w: %s lists no %s file", ErrCorrupt, p, role)
		}
	}
	return &m, nil
}

// Save writes the index to dir atomically (see the package documentation). Cancelling ctx
// before the manifest is replaced leaves the previous index in dir untouched.
func (ix *Index) Save(ctx context.Context, dir string) error {
	saveMu.Lock()
	defer saveMu.Unlock()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	gen := ix.gen + 1
	if old, err := ReadManifest(dir); err == nil && old.Generation >= gen {
		gen = old.Generation + 1
	}
	m := Manifest{
		FormatVersion: FormatVersion, Generation: gen, Dim: ix.cfg.Dim, Metric: ix.cfg.Metric,
		Factory: ix.cfg.Factory, Nprobe: ix.nprobe, Count: len(ix.items), Encoder: ix.cfg.Encoder,
		Created: ix.created, Saved: time.Now().UTC(), Tuning: ix.tuning, Files: map[string]FileSum{},
	}
	var written []string
	cleanup := func() {
		for _, p := range written {
			os.Remove(p)
		}
	}
	step := func(role, name string, write func(path string) error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		final := filepath.Join(dir, name)
		tmp := final + ".tmp"
		written = append(written, tmp, final)
		if err := write(tmp); err != nil {
			return fmt.Errorf("save %s: %w", final, err)
		}
		sum, size, err := hashFile(tmp)
		if err != nil {
			return fmt.Errorf("save %s: %w", final, err)
		}
		if err := os.Rename(tmp, final); err != nil {
			return fmt.Errorf("save: %w", err)
		}
		m.Files[role] = FileSum{Name: name, Size: size, SHA256: sum}
		return nil
	}
	err := step("index", fmt.Sprintf("index-%d.faiss", gen), func(p string) error {
		if err := faiss.WriteIndex(ix.fx, p); err != nil {
			return fmt.Errorf("faiss write_index: %v", err)
		}
		return syncFile(p)
	})
	if err == nil {
		err = step("items", fmt.Sprintf("items-%d.jsonl", gen), func(p string) error {
			return writeFile(p, func(w io.Writer) error {
				enc := json.NewEncoder(w)
				for i := range ix.items {
					if err := enc.Encode(&ix.items[i]); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
	if err == nil {
		err = step("vectors", fmt.Sprintf("vectors-%d.f32", gen), func(p string) error {
			return writeFile(p, func(w io.Writer) error {
				return ix.vectors.each(func(chunk []float32) error {
					_, err := w.Write(bytesOf(chunk))
					return err
				})
			})
		})
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = writeFile(filepath.Join(dir, ManifestName+".tmp"), func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(&m)
		})
		written = append(written, filepath.Join(dir, ManifestName+".tmp"))
	}
	if err == nil {
		// The commit point.
		err = os.Rename(filepath.Join(dir, ManifestName+".tmp"), filepath.Join(dir, ManifestName))
	}
	if err != nil {
		cleanup()
		return err
	}
	syncDir(dir)
	ix.gen = gen
	removeStale(dir, m)
	return nil
}

// removeStale deletes data files of other generations and leftover temp files.
func removeStale(dir string, m Manifest) {
	keep := map[string]bool{ManifestName: true}
	for _, f := range m.Files {
		keep[f.Name] = true
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		n := e.Name()
		if keep[n] || e.IsDir() {
			continue
		}
		if strings.HasSuffix(n, ".tmp") || strings.HasPrefix(n, "index-") || strings.HasPrefix(n, "items-") || strings.HasPrefix(n, "vectors-") {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

// Open loads an index directory, verifying checksums, sizes and dimensions first.
func Open(dir string) (*Index, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	for _, role := range []string{"index", "items", "vectors"} {
		f := m.Files[role]
		p := filepath.Join(dir, f.Name)
		sum, size, err := hashFile(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, p, err)
		}
		if size != f.Size {
			return nil, fmt.Errorf("%w: %s is %d bytes, manifest says %d (truncated?)", ErrCorrupt, p, size, f.Size)
		}
		if sum != f.SHA256 {
			return nil, fmt.Errorf("%w: %s fails its checksum (sha256 %s, manifest says %s)", ErrCorrupt, p, sum[:12], f.SHA256[:min(12, len(f.SHA256))])
		}
	}
	items, err := readItems(filepath.Join(dir, m.Files["items"].Name))
	if err != nil {
		return nil, err
	}
	if len(items) != m.Count {
		return nil, fmt.Errorf("%w: %d items, manifest count %d", ErrCorrupt, len(items), m.Count)
	}
	ip := filepath.Join(dir, m.Files["index"].Name)
	fx, err := faiss.ReadIndex(ip, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: faiss read_index %s: %v", ErrCorrupt, ip, err)
	}
	if fx.D() != m.Dim || fx.Ntotal() != int64(m.Count) {
		fx.Delete()
		return nil, fmt.Errorf("%w: %s holds %d vectors of dimension %d, manifest says %d of dimension %d", ErrDimension, ip, fx.Ntotal(), fx.D(), m.Count, m.Dim)
	}
	ix := &Index{
		fx: fx, cfg: Config{Dim: m.Dim, Metric: m.Metric, Factory: m.Factory, Encoder: m.Encoder},
		nlist: nlistOf(m.Factory), nprobe: m.Nprobe, items: items, tuning: m.Tuning,
		created: m.Created, gen: m.Generation,
	}
	ix.vectors.dim = m.Dim
	if err := ix.vectors.mapFile(filepath.Join(dir, m.Files["vectors"].Name), m.Count); err != nil {
		fx.Delete()
		return nil, err
	}
	if err := ix.initParams(); err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}

func readItems(p string) ([]Item, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var items []Item
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for line := 1; sc.Scan(); line++ {
		var it Item
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return nil, fmt.Errorf("%w: %s:%d: %v", ErrCorrupt, p, line, err)
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, p, err)
	}
	return items, nil
}

func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func writeFile(p string, fill func(io.Writer) error) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fill(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
