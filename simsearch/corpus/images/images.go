package images

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"maps"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

func init() {
	corpus.Register("images", corpus.Image,
		"a folder of image files (PNG, JPEG, GIF, BMP, TIFF, WebP), walked recursively; labels from first-level subfolders",
		Open)
}

// extensions are the file extensions (lower case) the walk keeps.
var extensions = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true,
	".bmp": true, ".tif": true, ".tiff": true, ".webp": true,
}

// Reasons for skipping, as counted in the Summary, besides corpus.SkipHidden,
// corpus.SkipLinkedFolder and corpus.SkipBrokenLink.
const (
	skipNonImage   = "non-image files"
	skipBad        = "bad images"
	skipUnreadable = "unreadable folders"
)

// Corpus is an opened "images" corpus. Open returns it as a corpus.Corpus; assert to
// *Corpus for Shape.
type Corpus struct {
	spec    corpus.Spec
	files   corpus.Files // the image files, in walk order, and their labels
	skipBad bool
	walked  map[string]int // what the walk skipped, per reason

	mu     sync.Mutex
	items  int
	labels map[string]int
	bad    int

	shapeOnce sync.Once
	shape     [3]int
}

var _ corpus.Corpus = (*Corpus)(nil)

// Open opens spec.Root, a folder of image files, walking it once (see the package
// documentation for the walk and the options).
func Open(spec corpus.Spec) (corpus.Corpus, error) {
	c, err := open(spec)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func open(spec corpus.Spec) (*Corpus, error) {
	root := spec.Root
	if root == "" {
		return nil, fmt.Errorf("%w: images: no folder given", corpus.ErrSpec)
	}
	mode, err := corpus.LabelsMode(spec, "images", corpus.LabelsAuto, corpus.LabelsNone, corpus.LabelsFolders)
	if err != nil {
		return nil, err
	}
	skip, err := corpus.BoolOption(spec, "images", corpus.OptSkipBad)
	if err != nil {
		return nil, err
	}

	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("images: corpus folder %s: %w", root, unwrapPath(err))
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("images: %s is not a folder", root)
	}
	w, err := corpus.WalkFiles(root, corpus.HasExt(extensions), corpus.WalkOptions{
		Source: "images", SkipUnreadable: skip, Unreadable: skipUnreadable, Other: skipNonImage,
	})
	if err != nil {
		return nil, err
	}
	c := &Corpus{spec: spec, files: corpus.Files{Root: root, Refs: w.Refs}, skipBad: skip, walked: w.Skipped}
	if len(w.Refs) == 0 {
		what := ""
		if n := (corpus.Summary{Skipped: c.walked}).SkippedTotal(); n > 0 {
			what = fmt.Sprintf(" (skipped %d other entries)", n)
		}
		return nil, fmt.Errorf("%w: no image files (.png .jpg .jpeg .gif .bmp .tif .tiff .webp) in %s%s", corpus.ErrEmpty, root, what)
	}
	if c.files.Labelled, err = corpus.FolderLabels("images", w.Refs, mode, root); err != nil {
		return nil, err
	}
	return c, nil
}

// Spec returns the spec the corpus was opened with.
func (c *Corpus) Spec() corpus.Spec { return c.spec }

// Kind is corpus.Image.
func (c *Corpus) Kind() corpus.Kind { return corpus.Image }

// Len is the number of image files the walk found.
func (c *Corpus) Len() int { return len(c.files.Refs) }

// Refs returns the references of the corpus's images, in order. The slice must not be
// modified.
func (c *Corpus) Refs() []string { return c.files.Refs }

// Summary counts the items and labels yielded by the latest Batches so far, what the
// walk skipped and the bad images skipped.
func (c *Corpus) Summary() corpus.Summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := corpus.Summary{Items: c.items}
	if len(c.labels) > 0 {
		s.Labels = maps.Clone(c.labels)
	}
	if len(c.walked) > 0 || c.bad > 0 {
		s.Skipped = maps.Clone(c.walked)
		if c.bad > 0 {
			s.Skipped[skipBad] = c.bad
		}
	}
	return s
}

// Resolve decodes the image a reference names. The reference must be one of the
// corpus's images: references outside the root, to hidden or non-image files or to
// files added since Open are refused with corpus.ErrNoRef.
func (c *Corpus) Resolve(ref string) (corpus.Record, error) {
	clean, i, err := c.files.Find(ref)
	if err != nil {
		return corpus.Record{}, err
	}
	if i < 0 {
		return corpus.Record{}, fmt.Errorf("%w: %q is not an image of %s", corpus.ErrNoRef, ref, c.files.Root)
	}
	img, err := DecodeFile(c.files.Path(clean))
	if err != nil {
		return corpus.Record{}, err
	}
	return corpus.Record{Item: corpus.Item{Ref: clean, Label: c.files.Label(clean)}, Image: img}, nil
}

// decoded is one file's outcome.
type decoded struct {
	img image.Image
	err error
}

// Batches decodes the images in order, n at a time, decoding in parallel on
// runtime.GOMAXPROCS(0) goroutines one batch ahead of fn. With skip-bad, bad images are
// skipped and counted, and batches stay n long. Summary's item and label counts start
// again at every call.
func (c *Corpus) Batches(ctx context.Context, n int, fn func(batch []corpus.Record) error) error {
	if n < 1 {
		return fmt.Errorf("images: batch size %d: want at least 1", n)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.items, c.labels, c.bad = 0, nil, 0
	c.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	chunks := make(chan []decoded) // unbuffered: at most one decoded batch waits for fn
	go func() {
		defer close(chunks)
		for start := 0; start < len(c.files.Refs); start += n {
			out := c.decodeAll(ctx, c.files.Refs[start:min(start+n, len(c.files.Refs))])
			select {
			case chunks <- out:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() {
		cancel()
		for range chunks { // wait for the decoder to stop
		}
	}()

	emit := func(batch []corpus.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.mu.Lock()
		c.items += len(batch)
		for _, r := range batch {
			if r.Label != "" {
				if c.labels == nil {
					c.labels = map[string]int{}
				}
				c.labels[r.Label]++
			}
		}
		c.mu.Unlock()
		return fn(batch)
	}

	pending := make([]corpus.Record, 0, 2*n)
	next := 0 // index in c.files.Refs of the next outcome
	for chunk := range chunks {
		for _, d := range chunk {
			ref := c.files.Refs[next]
			next++
			if d.err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if c.skipBad && errors.Is(d.err, corpus.ErrBadItem) {
					c.mu.Lock()
					c.bad++
					c.mu.Unlock()
					continue
				}
				return d.err
			}
			pending = append(pending, corpus.Record{Item: corpus.Item{Ref: ref, Label: c.files.Label(ref)}, Image: d.img})
		}
		for len(pending) >= n {
			if err := emit(pending[:n]); err != nil {
				return err
			}
			pending = append(pending[:0], pending[n:]...)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(pending) > 0 {
		return emit(pending)
	}
	return nil
}

// decodeAll decodes the files refs names in parallel, checking ctx before each.
func (c *Corpus) decodeAll(ctx context.Context, refs []string) []decoded {
	out := make([]decoded, len(refs))
	parallel(len(refs), func(i int) {
		if err := ctx.Err(); err != nil {
			out[i].err = err
			return
		}
		out[i].img, out[i].err = DecodeFile(c.files.Path(refs[i]))
	})
	return out
}

// parallel calls f(0), ..., f(n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

// shapeProbe is how many files Shape reads headers from.
const shapeProbe = 2000

// Shape returns the most common height and width among the corpus's images (the first
// one in order on a tie) and ch = 1 when every probed image is grayscale, else 3. It
// reads only the headers of the first 2000 files, once. Unreadable files are ignored;
// when none is readable the shape is 0, 0, 3.
func (c *Corpus) Shape() (h, w, ch int) {
	c.shapeOnce.Do(func() {
		refs := c.files.Refs[:min(len(c.files.Refs), shapeProbe)]
		cfgs := make([]image.Config, len(refs))
		ok := make([]bool, len(refs))
		parallel(len(refs), func(i int) {
			cfg, err := decodeConfigFile(c.files.Path(refs[i]))
			cfgs[i], ok[i] = cfg, err == nil
		})
		c.shape = mostCommon(cfgs, ok)
	})
	return c.shape[0], c.shape[1], c.shape[2]
}

func decodeConfigFile(path string) (image.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return image.Config{}, err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	return cfg, err
}

// mostCommon returns [h, w, ch] for the configs marked ok.
func mostCommon(cfgs []image.Config, ok []bool) [3]int {
	type size struct{ w, h int }
	count := map[size]int{}
	var best size
	bestN, gray, seen := 0, true, false
	for i, cfg := range cfgs {
		if !ok[i] || cfg.Width < 1 || cfg.Height < 1 {
			continue
		}
		seen = true
		s := size{cfg.Width, cfg.Height}
		count[s]++
		if count[s] > bestN {
			best, bestN = s, count[s]
		}
		if cfg.ColorModel != color.GrayModel && cfg.ColorModel != color.Gray16Model {
			gray = false
		}
	}
	if !seen {
		return [3]int{0, 0, 3}
	}
	ch := 3
	if gray {
		ch = 1
	}
	return [3]int{best.h, best.w, ch}
}

// errStop ends ShapeOf's look at a corpus's first batch.
var errStop = errors.New("stop")

// ShapeOf returns the most common height and width of an image corpus's images and ch = 1
// when they are all grayscale, else 3. For a corpus of this package it is Shape; for any
// other corpus with a Shape() (h, w, ch int) method, that method; for other image corpora
// it decodes the first batch of up to 64 records. It returns 0, 0, 0 for a corpus that is
// not of kind corpus.Image, and 0, 0, 3 when nothing could be read.
func ShapeOf(c corpus.Corpus) (h, w, ch int) {
	if s, ok := c.(interface{ Shape() (int, int, int) }); ok {
		return s.Shape()
	}
	if c.Kind() != corpus.Image {
		return 0, 0, 0
	}
	var cfgs []image.Config
	_ = c.Batches(context.Background(), 64, func(b []corpus.Record) error {
		for _, r := range b {
			if r.Image == nil {
				continue
			}
			bd := r.Image.Bounds()
			cfgs = append(cfgs, image.Config{ColorModel: r.Image.ColorModel(), Width: bd.Dx(), Height: bd.Dy()})
		}
		return errStop
	})
	ok := make([]bool, len(cfgs))
	for i := range ok {
		ok[i] = true
	}
	s := mostCommon(cfgs, ok)
	return s[0], s[1], s[2]
}
