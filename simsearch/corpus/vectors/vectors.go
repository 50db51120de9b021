package vectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

func init() {
	corpus.Register("vectors", corpus.Vector,
		"embeddings a user brings: .npy (float32/float64, 2-D), .fvecs, or CSV of numbers; labels from a column or a parallel file",
		Open)
}

// Options this source reads besides corpus.OptLabels and corpus.OptSkipBad.
const (
	OptLabelColumn = "label-column"
	OptIDColumn    = "id-column"
)

// MaxDim is the largest vector dimension a file may have.
const MaxDim = 65536

// skipBadRows is the Summary's reason for rows skipped with skip-bad.
const skipBadRows = "bad rows"

// Label modes of corpus.OptLabels besides a file path.
const (
	labelsAuto = "auto"
	labelsNone = "none"
)

type format int

const (
	formatNpy format = iota
	formatFvecs
	formatText
)

// Corpus is an opened "vectors" corpus. Open returns it as a corpus.Corpus; assert to
// *Corpus, or use DimOf, for its dimension. It is safe for concurrent use: every
// Batches and Resolve call reads the file through a handle of its own. The Summary
// describes the most recent Batches pass.
type Corpus struct {
	spec    corpus.Spec
	path    string // the file, as Spec.Root names it
	name    string // its base name, the references' prefix
	size    int64  // its size at Open
	format  format
	n, dim  int
	skipBad bool

	// .npy
	dataOff int64 // where the array starts
	f64     bool  // '<f8' rather than '<f4'

	// text
	text *textLayout

	labels *labelsFile // a parallel labels file, or nil

	tally tally
}

var _ corpus.Corpus = (*Corpus)(nil)

// Open opens spec.Root, a .npy, .fvecs, .csv, .tsv or .txt file of vectors, reading its
// header (and counting a text file's rows). See the package documentation for the
// formats and the options.
func Open(spec corpus.Spec) (corpus.Corpus, error) {
	c, err := open(spec)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func open(spec corpus.Spec) (*Corpus, error) {
	path := spec.Root
	if path == "" {
		return nil, fmt.Errorf("%w: vectors: no file given", corpus.ErrSpec)
	}
	c := &Corpus{spec: spec, path: path, name: filepath.Base(path)}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".npy":
		c.format = formatNpy
	case ".fvecs":
		c.format = formatFvecs
	case ".csv", ".tsv", ".txt":
		c.format = formatText
	default:
		return nil, fmt.Errorf("%w: vectors: %s: unknown extension %q (want .npy, .fvecs, .csv, .tsv or .txt)", corpus.ErrSpec, path, ext)
	}
	var err error
	if c.skipBad, err = corpus.BoolOption(spec, "vectors", corpus.OptSkipBad); err != nil {
		return nil, err
	}
	labelCol := strings.TrimSpace(spec.Option(OptLabelColumn, ""))
	idCol := strings.TrimSpace(spec.Option(OptIDColumn, ""))
	hasLabelCol, hasIDCol := labelCol != "", idCol != ""
	if c.format != formatText && (hasLabelCol || hasIDCol) {
		opt := OptLabelColumn
		if !hasLabelCol {
			opt = OptIDColumn
		}
		return nil, fmt.Errorf("%w: vectors: %s applies to text files, not %s (give labels in a file with %s=FILE)", corpus.ErrSpec, opt, path, corpus.OptLabels)
	}
	mode := strings.TrimSpace(spec.Option(corpus.OptLabels, labelsAuto))
	if mode == "" {
		mode = labelsAuto
	}
	if hasLabelCol && mode != labelsAuto && mode != labelsNone {
		return nil, fmt.Errorf("%w: vectors: give either %s or %s=FILE, not both", corpus.ErrSpec, OptLabelColumn, corpus.OptLabels)
	}

	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: vectors: %s is not a regular file", corpus.ErrSpec, path)
	}
	c.size = st.Size()
	switch c.format {
	case formatNpy:
		err = c.openNpy(f)
	case formatFvecs:
		err = c.openFvecs(f)
	case formatText:
		err = c.openText(f, textOptions{
			labelCol: colOption{labelCol, hasLabelCol},
			idCol:    colOption{idCol, hasIDCol},
			labels:   mode != labelsNone,
		})
	}
	if err != nil {
		return nil, err
	}

	if mode != labelsAuto && mode != labelsNone {
		if c.labels, err = openLabels(mode, path, c.n); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Corpus) Spec() corpus.Spec { return c.spec }
func (c *Corpus) Kind() corpus.Kind { return corpus.Vector }

// Len is the number of rows in the file (rows skipped as bad included).
func (c *Corpus) Len() int { return c.n }

// Dim is the dimension of the vectors.
func (c *Corpus) Dim() int { return c.dim }

// DimOf returns the dimension of a vector corpus's vectors when the corpus knows it up
// front: a corpus of this package, or any other of Kind corpus.Vector with a Dim() int
// method.
func DimOf(c corpus.Corpus) (int, bool) {
	d, ok := c.(interface{ Dim() int })
	if !ok || c.Kind() != corpus.Vector {
		return 0, false
	}
	return d.Dim(), true
}

// Summary counts the items and labels the most recent Batches pass has yielded so far
// and the rows it skipped as bad.
func (c *Corpus) Summary() corpus.Summary { return c.tally.summary() }

// ref is the reference of row i.
func (c *Corpus) ref(i int) string {
	var buf [80]byte
	b := append(append(buf[:0], c.name...), ':')
	return string(strconv.AppendInt(b, int64(i), 10))
}

// row is one decoded row of a file.
type row struct {
	vec       []float32 // fresh
	label, id string    // from the label and id columns of a text file
}

// rowReader reads a file's rows in order.
type rowReader interface {
	// next decodes the next row. bad is a problem with that row alone (the reader has
	// moved past it, so it may be skipped); err is any other, fatal.
	next() (r row, bad, err error)
	Close() error
}

// rows opens a reader of count rows from row from on.
func (c *Corpus) rows(from, count int) (rowReader, error) {
	if c.format == formatText {
		return c.textRows(from, count)
	}
	return c.binRows(from, count)
}

// record makes the record of row i.
func (c *Corpus) record(i int, r row) corpus.Record {
	rec := corpus.Record{Item: corpus.Item{Ref: c.ref(i), Label: r.label}, Vector: r.vec}
	if c.text != nil && c.text.idCol >= 0 {
		rec.Meta = map[string]string{"id": r.id}
	}
	return rec
}

// Batches streams the rows in file order, n at a time, each record with a fresh vector.
func (c *Corpus) Batches(ctx context.Context, n int, fn func(batch []corpus.Record) error) error {
	if n < 1 {
		return fmt.Errorf("vectors: %s: batch size %d, want at least 1", c.path, n)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rows, err := c.rows(0, c.n)
	if err != nil {
		return err
	}
	defer rows.Close()
	var labels *labelReader
	if c.labels != nil {
		if labels, err = c.labels.reader(0); err != nil {
			return err
		}
		defer labels.Close()
	}

	gen := c.tally.start()
	batch := make([]corpus.Record, 0, min(n, c.n))
	for i := range c.n {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		r, bad, err := rows.next()
		if err != nil {
			return err
		}
		if labels != nil {
			if r.label, err = labels.next(); err != nil {
				return err
			}
		}
		if bad != nil {
			if !c.skipBad {
				return bad
			}
			c.tally.skip(gen, skipBadRows)
			continue
		}
		batch = append(batch, c.record(i, r))
		c.tally.item(gen, r.label)
		if len(batch) == n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(batch); err != nil {
				return err
			}
			clear(batch)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(batch)
	}
	return nil
}

// Resolve reads the row a reference "NAME:ROW" names. A bad row is a *corpus.ItemError,
// with skip-bad too.
func (c *Corpus) Resolve(ref string) (corpus.Record, error) {
	i, err := c.parseRef(ref)
	if err != nil {
		return corpus.Record{}, err
	}
	rows, err := c.rows(i, 1)
	if err != nil {
		return corpus.Record{}, err
	}
	defer rows.Close()
	r, bad, err := rows.next()
	if err == nil {
		err = bad
	}
	if err != nil {
		return corpus.Record{}, err
	}
	if c.labels != nil {
		if r.label, err = c.labels.line(i); err != nil {
			return corpus.Record{}, err
		}
	}
	return c.record(i, r), nil
}

// parseRef returns the row a reference names: exactly c.ref(i) for a row i of the file.
func (c *Corpus) parseRef(ref string) (int, error) {
	k := strings.LastIndexByte(ref, ':')
	if k < 0 {
		return 0, fmt.Errorf("%w: %q: want %s:ROW", corpus.ErrNoRef, ref, c.name)
	}
	name, num := ref[:k], ref[k+1:]
	if name != c.name {
		return 0, fmt.Errorf("%w: %q names file %q, not %s", corpus.ErrNoRef, ref, name, c.name)
	}
	i, err := strconv.Atoi(num)
	if err != nil || strconv.Itoa(i) != num {
		return 0, fmt.Errorf("%w: %q: row %q is not a row number", corpus.ErrNoRef, ref, num)
	}
	if i < 0 || i >= c.n {
		return 0, fmt.Errorf("%w: %q: %s has rows 0 to %d", corpus.ErrNoRef, ref, c.name, c.n-1)
	}
	return i, nil
}

// badValue describes a non-finite value, or a finite one float32 cannot hold.
func badValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "value is NaN"
	case math.IsInf(v, 1):
		return "value is +Inf"
	case math.IsInf(v, -1):
		return "value is -Inf"
	}
	return fmt.Sprintf("value %g is out of float32 range", v)
}

// finite32 reports whether a float32 is neither NaN nor ±Inf.
func finite32(v float32) bool { return math.Float32bits(v)&0x7f800000 != 0x7f800000 }

// ioError wraps a read error with the file's name, saying so when the file has shrunk
// since Open.
func ioError(path string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &corpus.ItemError{File: path, Err: errors.New("file ends early: did it change after it was opened?")}
	}
	return fmt.Errorf("vectors: %s: %w", path, err)
}

// tally counts what a Batches pass yields. A new pass starts the counts afresh; an older
// pass still running no longer counts.
type tally struct {
	mu  sync.Mutex
	gen int
	sum corpus.Summary
}

func (t *tally) start() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen++
	t.sum = corpus.Summary{}
	return t.gen
}

func (t *tally) item(gen int, label string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if gen != t.gen {
		return
	}
	t.sum.Items++
	if label != "" {
		if t.sum.Labels == nil {
			t.sum.Labels = map[string]int{}
		}
		t.sum.Labels[label]++
	}
}

func (t *tally) skip(gen int, reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if gen != t.gen {
		return
	}
	if t.sum.Skipped == nil {
		t.sum.Skipped = map[string]int{}
	}
	t.sum.Skipped[reason]++
}

func (t *tally) summary() corpus.Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sum
	s.Labels = maps.Clone(s.Labels)
	s.Skipped = maps.Clone(s.Skipped)
	return s
}
