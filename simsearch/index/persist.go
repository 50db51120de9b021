package index

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	faiss "github.com/DataIntelligenceCrew/go-faiss"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// FormatVersion is the index directory format this package writes. Open reads it and
// the versions before it, and refuses newer ones with ErrNewerFormat. Version 2 added the
// previous generation's file list, assets and file names that never collide with a
// user's files.
const FormatVersion = 2

// ManifestName is the file that commits an index directory.
const ManifestName = "manifest.json"

// maxAssetSize bounds one asset file (an encoder's vocabulary, say): they are read whole.
const maxAssetSize = 512 << 20

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
	Corpus        *corpus.Spec       `json:"corpus,omitempty"`
	Created       time.Time          `json:"created"`
	Saved         time.Time          `json:"saved"`
	Tuning        []TunePoint        `json:"tuning,omitempty"`
	Files         map[string]FileSum `json:"files"` // "index", "items", "vectors", "asset:NAME"
	// Previous lists the files of the generation before this one. They are kept until
	// the next save, so a reader that opened the previous manifest can finish.
	Previous []string `json:"previous,omitempty"`
}

// assetRole is the Files key of an asset.
func assetRole(name string) string { return "asset:" + name }

// ReadManifest reads and checks the manifest of an index directory: every field is
// validated, and every file name must name a file inside dir.
func ReadManifest(dir string) (*Manifest, error) {
	p := filepath.Join(dir, ManifestName)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s: no %s", ErrNotIndex, dir, ManifestName)
	}
	if err != nil {
		return nil, err
	}
	return parseManifest(p, b)
}

func parseManifest(p string, b []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, p, err)
	}
	if m.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("%w: %s has format version %d, this build reads up to %d: upgrade corpushunt", ErrNewerFormat, p, m.FormatVersion, FormatVersion)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrCorrupt, p, fmt.Sprintf(format, a...))
	}
	switch {
	case m.FormatVersion < 1:
		return nil, bad("format_version %d", m.FormatVersion)
	case m.Dim < 1 || m.Dim > MaxDim:
		return nil, bad("dim %d outside 1..%d", m.Dim, MaxDim)
	case m.Count < 0:
		return nil, bad("count %d", m.Count)
	case m.Generation < 0:
		return nil, bad("generation %d", m.Generation)
	}
	if _, err := ParseMetric(string(m.Metric)); err != nil || string(m.Metric) != strings.ToLower(string(m.Metric)) {
		return nil, bad("metric %q (want l2, ip or cos)", m.Metric)
	}
	if m.Metric != L2 && m.Metric != IP && m.Metric != Cosine {
		m.Metric, _ = ParseMetric(string(m.Metric))
	}
	nlist := nlistOf(m.Factory)
	switch {
	case strings.TrimSpace(m.Factory) == "":
		return nil, bad("no factory")
	case nlist < 0:
		return nil, bad("factory %q: %d IVF lists", m.Factory, nlist)
	case nlist > 0 && (m.Nprobe < 1 || m.Nprobe > nlist):
		return nil, bad("nprobe %d outside 1..%d for %s", m.Nprobe, nlist, m.Factory)
	case nlist == 0 && m.Nprobe != 0:
		return nil, bad("nprobe %d given for %s, which has no IVF lists", m.Nprobe, m.Factory)
	}
	for _, role := range []string{"index", "items", "vectors"} {
		if _, ok := m.Files[role]; !ok {
			return nil, bad("lists no %s file", role)
		}
	}
	for role, f := range m.Files {
		if err := checkFileName(f.Name); err != nil {
			return nil, bad("%s file: %v", role, err)
		}
		if role != "index" && role != "items" && role != "vectors" {
			name, ok := strings.CutPrefix(role, "asset:")
			if !ok || checkAssetName(name) != nil {
				return nil, bad("unknown file role %q", role)
			}
		}
		if f.Size < 0 || len(f.SHA256) != 64 {
			return nil, bad("%s file %s: size %d, sha256 %q", role, f.Name, f.Size, f.SHA256)
		}
	}
	for _, n := range m.Previous {
		if err := checkFileName(n); err != nil {
			return nil, bad("previous file: %v", err)
		}
	}
	return &m, nil
}

// MaxDim bounds the vector dimension an index may declare.
const MaxDim = 1 << 16

// checkFileName confines a manifest's file names to the index folder.
func checkFileName(n string) error {
	if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\\\x00") || n != filepath.Base(n) ||
		n == ManifestName || n == LockName || n == journalName {
		return fmt.Errorf("file name %q is not a plain name inside the index folder", n)
	}
	return nil
}

// checkAssetName accepts short lower-case names with an extension, e.g. "bow.json".
func checkAssetName(n string) error {
	if len(n) == 0 || len(n) > 64 {
		return fmt.Errorf("asset name %q: 1 to 64 characters", n)
	}
	for i, r := range n {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (i > 0 && (r == '-' || r == '_' || r == '.'))
		if !ok {
			return fmt.Errorf("asset name %q: use a-z, 0-9, '-', '_' and '.'", n)
		}
	}
	return nil
}

// SetAsset attaches a file the index needs to answer queries (an encoder's vocabulary or
// parameters). Assets are saved with each generation, checksummed and verified on Open,
// so an index folder is self-contained: copy it anywhere and it answers the same way.
func (ix *Index) SetAsset(name string, data []byte) error {
	if err := checkAssetName(name); err != nil {
		return err
	}
	if len(data) > maxAssetSize {
		return fmt.Errorf("asset %s: %d bytes, at most %d", name, len(data), maxAssetSize)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.assets == nil {
		ix.assets = map[string][]byte{}
	}
	ix.assets[name] = slices.Clone(data)
	return nil
}

// Asset returns an attached file, or ErrNoAsset.
func (ix *Index) Asset(name string) ([]byte, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	b, ok := ix.assets[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoAsset, name)
	}
	return b, nil
}

// Save writes the index to dir atomically (see the package documentation). Cancelling ctx
// before the manifest is replaced leaves the previous index in dir untouched.
//
// Save takes the directory's writer lock (see Lock) unless this process already holds
// it, and fails with ErrBusy when another writer does. It refuses a folder that holds
// files but no index (ErrNotIndexDir) unless the lock was taken with AllowNonEmpty, and
// an index that another writer changed since ix was opened from it (ErrConflict). It
// deletes only files that a manifest of this index listed or that a save created.
func (ix *Index) Save(ctx context.Context, dir string) error {
	lk := heldLock(dir)
	if lk == nil {
		var err error
		if lk, err = Lock(dir, LockOptions{}); err != nil {
			return fmt.Errorf("save: %w", err)
		}
		defer lk.Close()
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	abs := lk.dir
	old, err := ReadManifest(abs)
	switch {
	case err == nil:
	case errors.Is(err, ErrNotIndex):
		old = nil
	default:
		return fmt.Errorf("save: %w; refusing to replace it: remove %s or choose another folder", err, filepath.Join(dir, ManifestName))
	}
	if old != nil && ix.dir == abs && old.Generation != ix.gen {
		return fmt.Errorf("save %s: %w: generation %d on disk, %d when opened; open it again and redo the change", dir, ErrConflict, old.Generation, ix.gen)
	}
	j := &journal{dir: abs}
	j.recover(old)

	gen := ix.gen + 1
	if old != nil && old.Generation >= gen {
		gen = old.Generation + 1
	}
	m := Manifest{
		FormatVersion: FormatVersion, Generation: gen, Dim: ix.cfg.Dim, Metric: ix.cfg.Metric,
		Factory: ix.cfg.Factory, Nprobe: ix.nprobe, Count: len(ix.items), Encoder: ix.cfg.Encoder,
		Created: ix.created, Saved: time.Now().UTC(), Tuning: ix.tuning, Files: map[string]FileSum{},
	}
	if ix.cfg.Corpus.Source != "" {
		sp := ix.cfg.Corpus
		m.Corpus = &sp
	}
	if old != nil {
		for _, f := range old.Files {
			m.Previous = append(m.Previous, f.Name)
		}
		slices.Sort(m.Previous)
	}
	step := func(role, stem, ext string, write func(path string) error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		name, err := j.create(fmt.Sprintf("%s-%d", stem, gen), ext)
		if err != nil {
			return fmt.Errorf("save: %w", err)
		}
		p := filepath.Join(abs, name)
		if err := write(p); err != nil {
			return fmt.Errorf("save %s: %w", p, err)
		}
		sum, size, err := hashFile(p)
		if err != nil {
			return fmt.Errorf("save %s: %w", p, err)
		}
		m.Files[role] = FileSum{Name: name, Size: size, SHA256: sum}
		return nil
	}
	err = step("index", "index", ".faiss", func(p string) error {
		if err := faiss.WriteIndex(ix.fx, p); err != nil {
			return fmt.Errorf("faiss write_index: %v", err)
		}
		return syncFile(p)
	})
	if err == nil {
		err = step("items", "items", ".jsonl", func(p string) error {
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
		err = step("vectors", "vectors", ".f32", func(p string) error {
			return writeFile(p, func(w io.Writer) error {
				return ix.vectors.each(func(chunk []float32) error {
					_, err := w.Write(bytesOf(chunk))
					return err
				})
			})
		})
	}
	for _, name := range slices.Sorted(maps.Keys(ix.assets)) {
		if err != nil {
			break
		}
		ext := filepath.Ext(name)
		data := ix.assets[name]
		err = step(assetRole(name), "asset-"+strings.TrimSuffix(name, ext), ext, func(p string) error {
			return writeFile(p, func(w io.Writer) error { _, err := w.Write(data); return err })
		})
	}
	var tmp string
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		if tmp, err = j.create(fmt.Sprintf(".manifest-%d", gen), ".tmp"); err == nil {
			err = writeFile(filepath.Join(abs, tmp), func(w io.Writer) error {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(&m)
			})
		}
	}
	if err == nil {
		// The commit point.
		err = os.Rename(filepath.Join(abs, tmp), filepath.Join(abs, ManifestName))
	}
	if err != nil {
		j.abort()
		return err
	}
	syncDir(abs)
	ix.gen, ix.dir = gen, abs
	// The generation before the previous one is no longer needed by any reader.
	if old != nil {
		keep := map[string]bool{}
		for _, f := range m.Files {
			keep[f.Name] = true
		}
		for _, n := range m.Previous {
			keep[n] = true
		}
		for _, n := range old.Previous {
			if !keep[n] {
				os.Remove(filepath.Join(abs, n))
			}
		}
	}
	j.done()
	return nil
}

// journal records the files a save creates before it creates them, so that a save that
// dies half way can be cleaned up by the next one, and nothing else ever is.
type journal struct {
	dir     string
	created []string
}

// recover removes the files an earlier, unfinished save created (listed in the journal
// and in no manifest). Called with the lock held.
func (j *journal) recover(m *Manifest) {
	b, err := os.ReadFile(filepath.Join(j.dir, journalName))
	if err != nil {
		return
	}
	keep := map[string]bool{}
	if m != nil {
		for _, f := range m.Files {
			keep[f.Name] = true
		}
		for _, n := range m.Previous {
			keep[n] = true
		}
	}
	for _, n := range strings.Split(string(b), "\n") {
		if checkFileName(n) == nil && !keep[n] {
			os.Remove(filepath.Join(j.dir, n))
		}
	}
	os.Remove(filepath.Join(j.dir, journalName))
}

// create picks a name stem+ext (stem+"-N"+ext when that is taken), records it in the
// journal and creates it empty, exclusively: an existing file is never reused.
func (j *journal) create(stem, ext string) (string, error) {
	for try := 0; try < 100; try++ {
		name := stem + ext
		if try > 0 {
			name = fmt.Sprintf("%s-%d%s", stem, rand.IntN(1_000_000), ext)
		}
		if _, err := os.Lstat(filepath.Join(j.dir, name)); err == nil {
			continue
		}
		if err := j.append(name); err != nil {
			return "", err
		}
		f, err := os.OpenFile(filepath.Join(j.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		f.Close()
		j.created = append(j.created, name)
		return name, nil
	}
	return "", fmt.Errorf("no free file name for %s%s in %s", stem, ext, j.dir)
}

func (j *journal) append(name string) error {
	f, err := os.OpenFile(filepath.Join(j.dir, journalName), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(name + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// abort removes what this save created.
func (j *journal) abort() {
	for _, n := range j.created {
		os.Remove(filepath.Join(j.dir, n))
	}
	os.Remove(filepath.Join(j.dir, journalName))
}

// done forgets the journal once the save committed.
func (j *journal) done() { os.Remove(filepath.Join(j.dir, journalName)) }

// Open loads an index directory, verifying every field of its manifest, the checksums
// and sizes of its files, and that the FAISS file agrees with the manifest (dimension,
// count, metric). A save that commits while Open reads is retried once: the previous
// generation's files stay until the save after that.
func Open(dir string) (*Index, error) {
	ix, gen, err := open(dir)
	if err != nil && gen >= 0 && (errors.Is(err, ErrCorrupt) || errors.Is(err, os.ErrNotExist)) {
		if m, err2 := ReadManifest(dir); err2 == nil && m.Generation != gen {
			ix, _, err = open(dir)
		}
	}
	return ix, err
}

// open returns the generation it read (-1 if none) with any error.
func open(dir string) (*Index, int, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, -1, err
	}
	ix, err := load(dir, m)
	return ix, m.Generation, err
}

func load(dir string, m *Manifest) (*Index, error) {
	for _, role := range slices.Sorted(maps.Keys(m.Files)) {
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
	// A checksum only says the file is the one the manifest names, not that it is sane:
	// its header is checked against the manifest and its own size before FAISS allocates
	// what the header declares.
	if err := checkFAISSHeader(filepath.Join(dir, m.Files["index"].Name), m); err != nil {
		return nil, err
	}
	assets := map[string][]byte{}
	for role, f := range m.Files {
		if name, ok := strings.CutPrefix(role, "asset:"); ok {
			if f.Size > maxAssetSize {
				return nil, fmt.Errorf("%w: asset %s is %d bytes, at most %d", ErrCorrupt, f.Name, f.Size, maxAssetSize)
			}
			b, err := os.ReadFile(filepath.Join(dir, f.Name))
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
			}
			if s := sha256.Sum256(b); hex.EncodeToString(s[:]) != f.SHA256 {
				return nil, fmt.Errorf("%w: %s changed while it was read", ErrCorrupt, f.Name)
			}
			assets[name] = b
		}
	}
	items, err := readItems(filepath.Join(dir, m.Files["items"].Name))
	if err != nil {
		return nil, err
	}
	if len(items) != m.Count {
		return nil, fmt.Errorf("%w: %d items, manifest count %d", ErrCorrupt, len(items), m.Count)
	}
	// The FAISS file's header was checked above (checkFAISSHeader), so FAISS allocates no
	// more than the file holds for the index types this package writes.
	ip := filepath.Join(dir, m.Files["index"].Name)
	fx, err := faiss.ReadIndex(ip, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: faiss read_index %s: %v", ErrCorrupt, ip, err)
	}
	d, n, mt := fx.D(), fx.Ntotal(), fx.MetricType()
	if d != m.Dim || n != int64(m.Count) {
		fx.Delete()
		return nil, fmt.Errorf("%w: %s holds %d vectors of dimension %d; manifest says %d of dimension %d", ErrDimension, ip, n, d, m.Count, m.Dim)
	}
	if mt != m.Metric.faiss() {
		fx.Delete()
		return nil, fmt.Errorf("%w: %s uses the FAISS metric %s; manifest says metric %s", ErrCorrupt, ip, faissMetricName(mt), m.Metric)
	}
	ix := &Index{
		fx: fx, cfg: Config{Dim: m.Dim, Metric: m.Metric, Factory: m.Factory, Encoder: m.Encoder},
		nlist: nlistOf(m.Factory), nprobe: m.Nprobe, items: items, tuning: m.Tuning,
		created: m.Created, gen: m.Generation, assets: assets,
	}
	if m.Corpus != nil {
		ix.cfg.Corpus = *m.Corpus
	}
	if abs, err := filepath.Abs(dir); err == nil {
		ix.dir = abs
	}
	ix.vectors.dim = m.Dim
	if err := ix.vectors.mapFile(filepath.Join(dir, m.Files["vectors"].Name), m.Count); err != nil {
		fx.Delete()
		return nil, err
	}
	if m.Metric == Cosine {
		// Cosine indexes store unit vectors: a manifest that says cos over vectors that
		// are not (an ip or l2 index relabelled) would answer wrongly.
		for _, i := range []int{0, m.Count / 2, m.Count - 1} {
			if i < 0 || i >= m.Count {
				continue
			}
			if n := norm(ix.vectors.row(i)); n != 0 && math.Abs(n-1) > 1e-3 {
				ix.vectors.close()
				fx.Delete()
				return nil, fmt.Errorf("%w: manifest says metric cos but row %d of %s has norm %.4f, not 1", ErrCorrupt, i, m.Files["vectors"].Name, n)
			}
		}
	}
	if err := ix.initParams(); err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}

// checkFAISSHeader reads the headers of the FAISS file p for the index types this
// package writes (FAISS 1.7.3 layout, little-endian) and refuses, with ErrCorrupt naming
// the file, one that disagrees with the manifest (dimension, count, IVF lists) or
// declares more data than the file holds, before faiss.ReadIndex would allocate what it
// declares. Other index types (fourccs other than IxF2, IxFI and IwFl) are left to FAISS.
//
//	index header:  fourcc [4]byte, d int32, ntotal int64, dummy int64, dummy int64,
//	               is_trained uint8, metric_type int32, metric_arg float32 if metric_type > 1
//	IxF2 / IxFI:   header, n uint64, n×4 bytes of float32 codes (n = ntotal·d)
//	IwFl:          header, nlist uint64, nprobe uint64, quantizer (a nested IxF2/IxFI),
//	               direct map (type uint8, n uint64, n×8 bytes, and if type 2 a hash
//	               table n uint64, n×16 bytes), inverted lists "ilar": nlist uint64,
//	               code_size uint64, "full" (n=nlist sizes) or "sprs" (n/2 (list, size)
//	               pairs) with n uint64, n×8 bytes, then per list size×code_size bytes of
//	               codes and size×8 bytes of ids.
func checkFAISSHeader(p string, m *Manifest) error {
	_, err := readFAISSHeader(p, m)
	return err
}

// readFAISSHeader is checkFAISSHeader; checked says whether the file was of a type it
// knows (and so checked through to its data), rather than left to FAISS.
func readFAISSHeader(p string, m *Manifest) (checked bool, err error) {
	f, err := os.Open(p)
	if err != nil {
		return false, fmt.Errorf("%w: %s: %v", ErrCorrupt, p, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("%w: %s: %v", ErrCorrupt, p, err)
	}
	r := &faissReader{f: f, size: st.Size()}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s: FAISS header: %s", ErrCorrupt, p, fmt.Sprintf(format, a...))
	}
	h := r.indexHeader()
	if r.err == nil && h.fourcc != "IxF2" && h.fourcc != "IxFI" && h.fourcc != "IwFl" {
		return false, nil // not a type this package writes with Flat or IVF-Flat: FAISS decides
	}
	if r.err != nil {
		return false, bad("%v", r.err)
	}
	if h.d != int64(m.Dim) || h.ntotal != int64(m.Count) {
		return false, fmt.Errorf("%w: %w: %s holds %d vectors of dimension %d; manifest says %d of dimension %d",
			ErrCorrupt, ErrDimension, p, h.ntotal, h.d, m.Count, m.Dim)
	}
	if h.fourcc != "IwFl" {
		if err := r.flatCodes(h); err != nil {
			return false, bad("%v", err)
		}
		return true, nil
	}
	nlist, _ := r.u64(), r.u64() // nlist, nprobe
	if want := nlistOf(m.Factory); r.err == nil && (want < 1 || nlist != uint64(want)) {
		return false, bad("%d IVF lists; manifest factory %q has %d", nlist, m.Factory, want)
	}
	q := r.indexHeader()
	if r.err == nil && q.fourcc != "IxF2" && q.fourcc != "IxFI" {
		return false, nil // another quantizer: FAISS decides
	}
	if r.err == nil && (q.d != h.d || q.ntotal < 0 || uint64(q.ntotal) > nlist) {
		return false, bad("quantizer of %d vectors of dimension %d for %d lists of dimension %d", q.ntotal, q.d, nlist, h.d)
	}
	if err := r.flatCodes(q); err != nil {
		return false, bad("quantizer: %v", err)
	}
	switch dm := r.u8(); {
	case r.err != nil:
	case dm > 2:
		return false, bad("direct map type %d", dm)
	default:
		r.skipArray(8) // the direct map's array
		if dm == 2 {
			r.skipArray(16) // its hash table
		}
	}
	if r.err == nil && r.fourcc() != "ilar" {
		return false, nil // other inverted lists (none, on disk): FAISS decides
	}
	ln, codeSize := r.u64(), r.u64()
	if r.err == nil && (ln != nlist || codeSize != 4*uint64(h.d)) {
		return false, bad("inverted lists: %d lists of %d-byte codes; want %d of %d", ln, codeSize, nlist, 4*h.d)
	}
	kind := r.fourcc()
	n := r.u64()
	switch {
	case r.err != nil:
	case kind != "full" && kind != "sprs":
		return false, bad("inverted lists: list type %q", kind)
	case kind == "full" && n != nlist, kind == "sprs" && (n%2 != 0 || n/2 > nlist):
		return false, bad("inverted lists: %d %s sizes for %d lists", n, kind, nlist)
	case n > uint64(r.left())/8:
		return false, bad("inverted lists: %d sizes, beyond the end of the %d-byte file", n, r.size)
	}
	per := codeSize + 8 // bytes per vector: its code and its id
	var total uint64
	lists := map[uint64]uint64{}  // sprs: the sizes FAISS will use (a repeated list replaces)
	sizes := r.read(int64(n) * 8) // n ≤ what is left of the file / 8, checked above
	for i := 0; r.err == nil && i < len(sizes); i += 8 {
		size := binary.LittleEndian.Uint64(sizes[i:])
		if kind == "sprs" {
			list := size
			i += 8
			if size = binary.LittleEndian.Uint64(sizes[i:]); list >= nlist {
				return false, bad("inverted lists: list %d of %d", list, nlist)
			}
			total -= lists[list]
			lists[list] = size
		}
		if size > uint64(r.left())/per || total+size > uint64(r.left())/per {
			return false, bad("inverted lists: list sizes beyond the end of the %d-byte file", r.size)
		}
		total += size
	}
	if r.err != nil {
		return false, bad("%v", r.err)
	}
	if total > uint64(r.left())/per {
		return false, bad("inverted lists of %d vectors need %.4g bytes; %d are left in the %d-byte file", total, float64(total)*float64(per), r.left(), r.size)
	}
	if total != uint64(h.ntotal) {
		return false, bad("inverted lists hold %d vectors, header says %d", total, h.ntotal)
	}
	return true, nil
}

// faissHeader is FAISS's index header (write_index_header).
type faissHeader struct {
	fourcc    string
	d, ntotal int64
	metric    int32
}

// faissReader reads little-endian fields from a FAISS file, remembering the first error
// (a read past the end).
type faissReader struct {
	f         *os.File
	off, size int64
	err       error
}

func (r *faissReader) left() int64 { return r.size - r.off }

func (r *faissReader) read(n int64) []byte {
	if r.err != nil {
		return make([]byte, n)
	}
	b := make([]byte, n)
	if n > r.left() {
		r.err = fmt.Errorf("truncated at byte %d of %d", r.off, r.size)
		return b
	}
	if _, err := r.f.ReadAt(b, r.off); err != nil {
		r.err = err
	}
	r.off += n
	return b
}

func (r *faissReader) fourcc() string { return string(r.read(4)) }
func (r *faissReader) u8() uint8      { return r.read(1)[0] }
func (r *faissReader) u32() uint32    { return binary.LittleEndian.Uint32(r.read(4)) }
func (r *faissReader) u64() uint64    { return binary.LittleEndian.Uint64(r.read(8)) }

// skipArray skips a FAISS vector (a uint64 count, then count elements of elem bytes).
func (r *faissReader) skipArray(elem uint64) {
	n := r.u64()
	if r.err == nil && n > uint64(r.left())/elem {
		r.err = fmt.Errorf("array of %d %d-byte elements at byte %d, beyond the end of the %d-byte file", n, elem, r.off-8, r.size)
	}
	if r.err == nil {
		r.off += int64(n * elem)
	}
}

// indexHeader reads a fourcc and the index header after it.
func (r *faissReader) indexHeader() faissHeader {
	h := faissHeader{fourcc: r.fourcc()}
	if h.fourcc != "IxF2" && h.fourcc != "IxFI" && h.fourcc != "IwFl" {
		return h
	}
	h.d = int64(int32(r.u32()))
	h.ntotal = int64(r.u64())
	r.u64() // dummy
	r.u64() // dummy
	r.u8()  // is_trained
	h.metric = int32(r.u32())
	if h.metric > 1 {
		r.u32() // metric_arg
	}
	return h
}

// flatCodes checks the codes of a Flat index: ntotal·d float32 values, in the file.
func (r *faissReader) flatCodes(h faissHeader) error {
	n := r.u64() // number of float32 values (READXBVECTOR)
	switch {
	case r.err != nil:
		return r.err
	case h.d < 1 || h.ntotal < 0:
		return fmt.Errorf("%d vectors of dimension %d", h.ntotal, h.d)
	case uint64(h.ntotal) > uint64(r.left())/4/uint64(h.d):
		return fmt.Errorf("%d vectors of dimension %d need %.4g bytes; the file has %d", h.ntotal, h.d, 4*float64(h.ntotal)*float64(h.d), r.size)
	case n != uint64(h.ntotal)*uint64(h.d):
		return fmt.Errorf("%d float32 codes for %d vectors of dimension %d", n, h.ntotal, h.d)
	}
	r.off += int64(4 * n)
	return nil
}

func faissMetricName(t int) string {
	switch t {
	case faiss.MetricL2:
		return "L2"
	case faiss.MetricInnerProduct:
		return "inner product"
	}
	return fmt.Sprintf("%d", t)
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
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
