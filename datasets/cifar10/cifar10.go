package cifar10

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/datasets"
	"github.com/corpushunt/corpushunt/simsearch/corpus/images"
)

// Image geometry.
const (
	Height     = 32
	Width      = 32
	Channels   = 3
	PixelBytes = Height * Width * Channels // 3072
	RecordSize = 1 + PixelBytes            // 3073 bytes per binary record
	NumClasses = 10
)

// Layout names the on-disk format of a dataset.
type Layout string

const (
	Binary Layout = "binary" // cifar-10-batches-bin/*.bin
	PNG    Layout = "png"    // cifar/{train,test}/<id>_<label>.png
)

// ErrBadData is matched (errors.Is) by every *FormatError.
var ErrBadData = errors.New("bad CIFAR-10 data")

// FormatError reports malformed input: the file, the record (-1 when not applicable) and
// what is wrong with it.
type FormatError struct {
	File   string
	Record int
	Reason string
}

func (e *FormatError) Error() string {
	if e.Record >= 0 {
		return fmt.Sprintf("cifar10: %s: record %d: %s", e.File, e.Record, e.Reason)
	}
	return fmt.Sprintf("cifar10: %s: %s", e.File, e.Reason)
}

// Is makes errors.Is(err, ErrBadData) true.
func (e *FormatError) Is(target error) bool { return target == ErrBadData }

// Ref is a stable reference to one image: a binary batch file and record number, or a
// PNG path (Record is then -1).
type Ref struct {
	File   string `json:"file"`
	Record int    `json:"record"`
}

func (r Ref) String() string {
	if r.Record < 0 {
		return r.File
	}
	return fmt.Sprintf("%s#%d", r.File, r.Record)
}

// Record is one image with its label.
type Record struct {
	Index  int    // position within its split
	Label  int    // 0..9
	Ref    Ref    // where it came from
	Pixels []byte // Height×Width×Channels bytes, HWC order (RGB interleaved)
}

// Image returns the record as an *image.RGBA (a copy).
func (r *Record) Image() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	for i := 0; i < Height*Width; i++ {
		img.Pix[4*i+0] = r.Pixels[3*i+0]
		img.Pix[4*i+1] = r.Pixels[3*i+1]
		img.Pix[4*i+2] = r.Pixels[3*i+2]
		img.Pix[4*i+3] = 255
	}
	return img
}

// AppendFloat32 appends the record's pixels scaled to [0,1], HWC order, to dst.
func (r *Record) AppendFloat32(dst []float32) []float32 {
	for _, p := range r.Pixels {
		dst = append(dst, float32(p)/255)
	}
	return dst
}

// Float32HWC returns the records as one flat float32 batch [n, 32, 32, 3] in [0,1],
// reusing dst's storage when it is large enough.
func Float32HWC(recs []Record, dst []float32) []float32 {
	dst = dst[:0]
	for i := range recs {
		dst = recs[i].AppendFloat32(dst)
	}
	return dst
}

// PixelsFromImage converts any 32×32 image to HWC RGB bytes. It is how query images
// from files enter the same path as dataset records.
func PixelsFromImage(img image.Image) ([]byte, error) {
	b := img.Bounds()
	if b.Dx() != Width || b.Dy() != Height {
		return nil, fmt.Errorf("image is %d×%d, want %d×%d", b.Dx(), b.Dy(), Width, Height)
	}
	switch img.ColorModel() {
	case color.GrayModel, color.Gray16Model, color.AlphaModel, color.Alpha16Model:
		return nil, fmt.Errorf("image has a grey/alpha-only colour model, want RGB")
	}
	out := make([]byte, PixelBytes)
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			o := 3 * (y*Width + x)
			out[o], out[o+1], out[o+2] = c.R, c.G, c.B
		}
	}
	return out, nil
}

// Options tune how a dataset is read.
type Options struct {
	// SkipBad skips malformed records instead of failing; Split.Skipped counts them.
	// Default false: the first bad record is an error.
	SkipBad bool
}

// Dataset is an opened CIFAR-10 directory.
type Dataset struct {
	Dir     string
	Layout  Layout
	Classes []string // class names, index = label
	opts    Options
	splits  map[string]*Split
}

// Split names.
const (
	Train = "train"
	Test  = "test"
)

// Split is one part of the dataset (train or test).
type Split struct {
	Name string
	// Partial is non-empty when the split is knowingly incomplete, and says why (e.g. the
	// shared copy's first 1,000 test records standing in for test_batch.bin).
	Partial string
	Files   []string // batch files (Binary) or image paths (PNG), in order
	ds      *Dataset
	counts  []int // records per file (Binary)
	labels  []int // labels parsed from names (PNG)
	n       int
	skipped int
}

// Len is the number of records in the split.
func (s *Split) Len() int { return s.n }

// Skipped is how many bad records were skipped so far (only with Options.SkipBad).
func (s *Split) Skipped() int { return s.skipped }

// Split returns the named split ("train" or "test"), or an error naming those present.
func (d *Dataset) Split(name string) (*Split, error) {
	s, ok := d.splits[name]
	if !ok {
		var have []string
		for k := range d.splits {
			have = append(have, k)
		}
		sort.Strings(have)
		return nil, fmt.Errorf("cifar10: %s has no %q split (have %v)", d.Dir, name, have)
	}
	return s, nil
}

// Splits returns the splits present, train first.
func (d *Dataset) Splits() []*Split {
	var out []*Split
	for _, n := range []string{Train, Test} {
		if s, ok := d.splits[n]; ok {
			out = append(out, s)
		}
	}
	return out
}

// Subdirectories of a data root where CIFAR-10 may live.
var searchSubdirs = []string{"cifar-10-batches-bin", "cifar10/cifar-10-batches-bin", "cifar", "."}

// Hint tells users how to provide CIFAR-10 when it is not found.
const Hint = "Provide CIFAR-10 with --data DIR or $CORPUSHUNT_DATA pointing at a folder holding " +
	"cifar-10-batches-bin/ (from https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz), " +
	"or run `corpushunt datasets download cifar10`."

// Find locates a CIFAR-10 directory among datasets.Roots(explicit).
func Find(explicit string) (string, error) {
	return datasets.Find("CIFAR-10", datasets.Roots(explicit), searchSubdirs, looksLikeCIFAR, Hint)
}

func looksLikeCIFAR(dir string) bool {
	if fileExists(filepath.Join(dir, "data_batch_1.bin")) {
		return true
	}
	return fileExists(filepath.Join(dir, "labels.txt")) && dirExists(filepath.Join(dir, "train"))
}

// Locate finds CIFAR-10 (see Find) and opens it.
func Locate(explicit string, opts Options) (*Dataset, error) {
	dir, err := Find(explicit)
	if err != nil {
		return nil, err
	}
	return Open(dir, opts)
}

// Open reads a CIFAR-10 directory in either layout.
func Open(dir string, opts Options) (*Dataset, error) {
	if fileExists(filepath.Join(dir, "data_batch_1.bin")) || fileExists(filepath.Join(dir, "test_batch.bin")) {
		return openBinary(dir, opts)
	}
	if fileExists(filepath.Join(dir, "labels.txt")) {
		return openPNG(dir, opts)
	}
	if fileExists(filepath.Join(dir, "train", "labels.txt")) || dirExists(filepath.Join(dir, "train")) {
		return nil, &FormatError{File: filepath.Join(dir, "labels.txt"), Record: -1, Reason: "missing: the PNG layout needs labels.txt (class names, one per line)"}
	}
	return nil, &FormatError{File: dir, Record: -1, Reason: "neither binary batches (data_batch_1.bin) nor the PNG layout (labels.txt, train/) found"}
}

func openBinary(dir string, opts Options) (*Dataset, error) {
	d := &Dataset{Dir: dir, Layout: Binary, opts: opts, splits: map[string]*Split{}}
	classes, err := readClassNames(filepath.Join(dir, "batches.meta.txt"))
	if err != nil {
		return nil, err
	}
	d.Classes = classes
	train := &Split{Name: Train, ds: d}
	for i := 1; i <= 5; i++ {
		p := filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", i))
		if !fileExists(p) {
			continue
		}
		if err := train.addBatchFile(p); err != nil {
			return nil, err
		}
	}
	if train.n > 0 {
		if len(train.Files) < 5 {
			train.Partial = fmt.Sprintf("%d of the 5 training batches present", len(train.Files))
		}
		d.splits[Train] = train
	}
	test := &Split{Name: Test, ds: d}
	if p := filepath.Join(dir, "test_batch.bin"); fileExists(p) {
		if err := test.addBatchFile(p); err != nil {
			return nil, err
		}
	} else if p := filepath.Join(dir, "test_batch_first1000.bin"); fileExists(p) {
		if err := test.addBatchFile(p); err != nil {
			return nil, err
		}
		test.Partial = fmt.Sprintf("test_batch.bin absent: using test_batch_first1000.bin (the first %d of 10,000 official test records)", test.n)
	}
	if test.n > 0 {
		d.splits[Test] = test
	}
	if len(d.splits) == 0 {
		return nil, &FormatError{File: dir, Record: -1, Reason: "no batch files (data_batch_N.bin, test_batch.bin)"}
	}
	return d, nil
}

func (s *Split) addBatchFile(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("cifar10: %w", err)
	}
	if st.Size() == 0 {
		return &FormatError{File: p, Record: -1, Reason: "empty file"}
	}
	if st.Size()%RecordSize != 0 {
		full := int(st.Size() / RecordSize)
		return &FormatError{File: p, Record: full, Reason: fmt.Sprintf("truncated: %d bytes is not a whole number of %d-byte records (record %d has only %d bytes)", st.Size(), RecordSize, full, st.Size()%RecordSize)}
	}
	n := int(st.Size() / RecordSize)
	s.Files = append(s.Files, p)
	s.counts = append(s.counts, n)
	s.n += n
	return nil
}

func readClassNames(p string) ([]string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &FormatError{File: p, Record: -1, Reason: "missing: class names file not found"}
		}
		return nil, fmt.Errorf("cifar10: %w", err)
	}
	var names []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			names = append(names, l)
		}
	}
	if len(names) != NumClasses {
		return nil, &FormatError{File: p, Record: -1, Reason: fmt.Sprintf("%d class names, want %d", len(names), NumClasses)}
	}
	return names, nil
}

func openPNG(dir string, opts Options) (*Dataset, error) {
	d := &Dataset{Dir: dir, Layout: PNG, opts: opts, splits: map[string]*Split{}}
	classes, err := readClassNames(filepath.Join(dir, "labels.txt"))
	if err != nil {
		return nil, err
	}
	d.Classes = classes
	for _, name := range []string{Train, Test} {
		sd := filepath.Join(dir, name)
		ents, err := os.ReadDir(sd)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cifar10: %w", err)
		}
		type entry struct {
			id    int
			path  string
			label int
		}
		var es []entry
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".png") {
				continue
			}
			p := filepath.Join(sd, e.Name())
			id, label, err := parsePNGName(e.Name(), classes)
			if err != nil {
				if opts.SkipBad {
					continue
				}
				return nil, &FormatError{File: p, Record: -1, Reason: err.Error()}
			}
			es = append(es, entry{id, p, label})
		}
		sort.Slice(es, func(i, j int) bool { return es[i].id < es[j].id })
		s := &Split{Name: name, ds: d}
		for _, e := range es {
			s.Files = append(s.Files, e.path)
			s.labels = append(s.labels, e.label)
		}
		s.n = len(es)
		if s.n > 0 {
			d.splits[name] = s
		}
	}
	if len(d.splits) == 0 {
		return nil, &FormatError{File: dir, Record: -1, Reason: "no <id>_<label>.png files under train/ or test/"}
	}
	return d, nil
}

// parsePNGName parses "<id>_<label>.png" where label is a class name or a digit.
func parsePNGName(name string, classes []string) (id, label int, err error) {
	base := strings.TrimSuffix(name, ".png")
	i := strings.IndexByte(base, '_')
	if i <= 0 {
		return 0, 0, fmt.Errorf("file name %q is not <id>_<label>.png", name)
	}
	id, err = strconv.Atoi(base[:i])
	if err != nil {
		return 0, 0, fmt.Errorf("file name %q: id %q is not a number", name, base[:i])
	}
	lab := base[i+1:]
	for c, n := range classes {
		if n == lab {
			return id, c, nil
		}
	}
	if l, err := strconv.Atoi(lab); err == nil && l >= 0 && l < len(classes) {
		return id, l, nil
	}
	return 0, 0, fmt.Errorf("file name %q: label %q is not a class in labels.txt", name, lab)
}

// Record reads the i-th record of the split (random access).
func (s *Split) Record(i int) (Record, error) {
	if i < 0 || i >= s.n {
		return Record{}, fmt.Errorf("cifar10: %s record %d out of range [0,%d)", s.Name, i, s.n)
	}
	if s.ds.Layout == PNG {
		return s.readPNG(i)
	}
	fi, r := s.locate(i)
	f, err := os.Open(s.Files[fi])
	if err != nil {
		return Record{}, fmt.Errorf("cifar10: %w", err)
	}
	defer f.Close()
	buf := make([]byte, RecordSize)
	if _, err := f.ReadAt(buf, int64(r)*RecordSize); err != nil {
		return Record{}, &FormatError{File: s.Files[fi], Record: r, Reason: err.Error()}
	}
	rec := Record{Index: i, Ref: Ref{File: s.Files[fi], Record: r}, Pixels: make([]byte, PixelBytes)}
	if err := decodeBinary(buf, &rec); err != nil {
		return Record{}, err
	}
	return rec, nil
}

func (s *Split) locate(i int) (file, rec int) {
	for fi, c := range s.counts {
		if i < c {
			return fi, i
		}
		i -= c
	}
	panic("unreachable: index checked by caller")
}

func decodeBinary(buf []byte, rec *Record) error {
	if buf[0] >= NumClasses {
		return &FormatError{File: rec.Ref.File, Record: rec.Ref.Record, Reason: fmt.Sprintf("label byte %d > 9", buf[0])}
	}
	rec.Label = int(buf[0])
	planes := buf[1:]
	const plane = Height * Width
	for p := 0; p < plane; p++ {
		rec.Pixels[3*p+0] = planes[p]
		rec.Pixels[3*p+1] = planes[plane+p]
		rec.Pixels[3*p+2] = planes[2*plane+p]
	}
	return nil
}

func (s *Split) readPNG(i int) (Record, error) {
	p := s.Files[i]
	rec := Record{Index: i, Label: s.labels[i], Ref: Ref{File: p, Record: -1}}
	px, err := ReadImageFile(p)
	if err != nil {
		return Record{}, err
	}
	rec.Pixels = px
	return rec, nil
}

// ReadImageFile reads a 32×32 RGB PNG (or any format package images reads) and returns
// its HWC pixels; errors are *FormatError naming the file. The image's declared size is
// checked before it is decoded (images.MaxPixels).
func ReadImageFile(p string) ([]byte, error) {
	img, err := images.DecodeFile(p)
	if err != nil {
		return nil, &FormatError{File: p, Record: -1, Reason: "not a decodable image: " + err.Error()}
	}
	px, err := PixelsFromImage(img)
	if err != nil {
		return nil, &FormatError{File: p, Record: -1, Reason: err.Error()}
	}
	return px, nil
}

var _ = png.Decode // register the PNG decoder for image.Decode

// Batches streams the split in order, batchSize records at a time (the last batch may be
// shorter). The yielded slice and its pixel buffers are reused: copy what you keep.
// Iteration stops at the first error, which is yielded with a nil batch.
func (s *Split) Batches(batchSize int) iter.Seq2[[]Record, error] {
	return func(yield func([]Record, error) bool) {
		if batchSize < 1 {
			yield(nil, fmt.Errorf("cifar10: batch size %d < 1", batchSize))
			return
		}
		s.skipped = 0
		batch := make([]Record, 0, batchSize)
		pix := make([]byte, batchSize*PixelBytes)
		idx := 0
		emit := func() bool {
			if len(batch) == 0 {
				return true
			}
			ok := yield(batch, nil)
			batch = batch[:0]
			return ok
		}
		if s.ds.Layout == PNG {
			for i := range s.n {
				rec, err := s.readPNG(i)
				if err != nil {
					if s.ds.opts.SkipBad && errors.Is(err, ErrBadData) {
						s.skipped++
						continue
					}
					yield(nil, err)
					return
				}
				slot := pix[len(batch)*PixelBytes : (len(batch)+1)*PixelBytes]
				copy(slot, rec.Pixels)
				rec.Pixels = slot
				batch = append(batch, rec)
				if len(batch) == batchSize && !emit() {
					return
				}
			}
			emit()
			return
		}
		buf := make([]byte, RecordSize)
		for fi, path := range s.Files {
			f, err := os.Open(path)
			if err != nil {
				yield(nil, fmt.Errorf("cifar10: %w", err))
				return
			}
			br := bufio.NewReaderSize(f, 1<<20)
			for r := 0; r < s.counts[fi]; r++ {
				if _, err := io.ReadFull(br, buf); err != nil {
					f.Close()
					yield(nil, &FormatError{File: path, Record: r, Reason: "read: " + err.Error()})
					return
				}
				slot := pix[len(batch)*PixelBytes : (len(batch)+1)*PixelBytes]
				rec := Record{Index: idx, Ref: Ref{File: path, Record: r}, Pixels: slot}
				idx++
				if err := decodeBinary(buf, &rec); err != nil {
					if s.ds.opts.SkipBad {
						s.skipped++
						continue
					}
					f.Close()
					yield(nil, err)
					return
				}
				batch = append(batch, rec)
				if len(batch) == batchSize && !emit() {
					f.Close()
					return
				}
			}
			f.Close()
		}
		emit()
	}
}

// ClassCounts reads the whole split and counts records per label. For binary batches it
// reads only the label bytes.
func (s *Split) ClassCounts() ([]int, error) {
	counts := make([]int, NumClasses)
	if s.ds.Layout == PNG {
		for _, l := range s.labels {
			counts[l]++
		}
		return counts, nil
	}
	b := make([]byte, 1)
	for fi, path := range s.Files {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("cifar10: %w", err)
		}
		for r := 0; r < s.counts[fi]; r++ {
			if _, err := f.ReadAt(b, int64(r)*RecordSize); err != nil {
				f.Close()
				return nil, &FormatError{File: path, Record: r, Reason: err.Error()}
			}
			if b[0] >= NumClasses {
				if s.ds.opts.SkipBad {
					continue
				}
				f.Close()
				return nil, &FormatError{File: path, Record: r, Reason: fmt.Sprintf("label byte %d > 9", b[0])}
			}
			counts[b[0]]++
		}
		f.Close()
	}
	return counts, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// ParseRef parses a Ref's string form: "file#record" (binary batch) or a path.
func ParseRef(s string) (Ref, error) {
	if i := strings.LastIndexByte(s, '#'); i > 0 {
		n, err := strconv.Atoi(s[i+1:])
		if err != nil || n < 0 {
			return Ref{}, fmt.Errorf("cifar10: ref %q: bad record number", s)
		}
		return Ref{File: s[:i], Record: n}, nil
	}
	if s == "" {
		return Ref{}, fmt.Errorf("cifar10: empty ref")
	}
	return Ref{File: s, Record: -1}, nil
}

// ReadRef reads the one image a Ref points at, without opening the dataset: a record of a
// binary batch file, or a PNG file. Index hits carry refs, so galleries use this.
func ReadRef(ref Ref) (Record, error) {
	if ref.Record < 0 {
		px, err := ReadImageFile(ref.File)
		if err != nil {
			return Record{}, err
		}
		return Record{Index: -1, Label: -1, Ref: ref, Pixels: px}, nil
	}
	f, err := os.Open(ref.File)
	if err != nil {
		return Record{}, fmt.Errorf("cifar10: %w", err)
	}
	defer f.Close()
	buf := make([]byte, RecordSize)
	if _, err := f.ReadAt(buf, int64(ref.Record)*RecordSize); err != nil {
		return Record{}, &FormatError{File: ref.File, Record: ref.Record, Reason: "read: " + err.Error()}
	}
	rec := Record{Index: -1, Ref: ref, Pixels: make([]byte, PixelBytes)}
	if err := decodeBinary(buf, &rec); err != nil {
		return Record{}, err
	}
	return rec, nil
}
