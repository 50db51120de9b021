package vectors

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// textLayout is what Open learns of a text file.
type textLayout struct {
	sep       byte     // ',' or '\t', or 0 for runs of spaces and tabs
	fields    int      // fields per row
	header    []string // column names, or nil
	labelCol  int      // column of labels, or -1
	readLabel bool     // labels come from labelCol (else it is only left out)
	idCol     int      // column of ids, or -1
	marks     []mark   // of rows 0, markEvery, 2×markEvery, ...
}

// colOption is a label-column or id-column option.
type colOption struct {
	val string
	set bool
}

// index returns the column a numeric option names, if it is a number.
func (o colOption) index() (int, bool) {
	if !o.set {
		return 0, false
	}
	i, err := strconv.Atoi(strings.TrimSpace(o.val))
	return i, err == nil
}

type textOptions struct {
	labelCol, idCol colOption
	labels          bool // take labels from labelCol
}

// openText reads a text file's first row to learn its layout, then counts its rows.
func (c *Corpus) openText(f *os.File, opt textOptions) error {
	lr := newLineReader(f, mark{0, 1}, c.size)
	first, at, err := lr.record()
	if err == io.EOF {
		return &corpus.ItemError{File: c.path, Err: fmt.Errorf("%w: no rows", corpus.ErrEmpty)}
	}
	if err != nil {
		return lineError(c.path, at, err)
	}
	t := &textLayout{sep: detectSep(filepath.Ext(c.path), first), labelCol: -1, idCol: -1}
	fields, err := splitFields(nil, string(first), t.sep)
	if err != nil {
		return &corpus.ItemError{File: c.path, Record: at.line, What: "line", Err: err}
	}
	t.fields = len(fields)

	// The first row is a header when an option names a column by name, or when a field
	// other than the columns named by index is not a number.
	li, lnum := opt.labelCol.index()
	ii, inum := opt.idCol.index()
	header := opt.labelCol.set && !lnum || opt.idCol.set && !inum
	for j, s := range fields {
		if (lnum && j == li) || (inum && j == ii) {
			continue
		}
		if !isNumber(s) {
			header = true
			break
		}
	}
	dataStart := at
	if header {
		t.header = fields
		if dataStart, err = c.nextRecordMark(lr); err != nil {
			return err
		}
	}
	if opt.labelCol.set {
		if t.labelCol, err = t.column(OptLabelColumn, opt.labelCol.val, c.path); err != nil {
			return err
		}
	}
	if opt.idCol.set {
		if t.idCol, err = t.column(OptIDColumn, opt.idCol.val, c.path); err != nil {
			return err
		}
		if t.idCol == t.labelCol {
			return fmt.Errorf("%w: vectors: %s and %s name the same column %d", corpus.ErrSpec, OptLabelColumn, OptIDColumn, t.idCol)
		}
	}
	c.dim = t.fields
	if t.labelCol >= 0 {
		c.dim--
		t.readLabel = opt.labels
	}
	if t.idCol >= 0 {
		c.dim--
	}
	if c.dim < 1 || c.dim > MaxDim {
		return &corpus.ItemError{File: c.path, Record: at.line, What: "line", Err: fmt.Errorf("%d numeric columns; want 1 to %d", c.dim, MaxDim)}
	}

	// Count the rows, marking every markEvery-th.
	if dataStart.line == 0 { // no rows after the header
		return &corpus.ItemError{File: c.path, Err: fmt.Errorf("%w: a header but no rows", corpus.ErrEmpty)}
	}
	t.marks = append(t.marks, dataStart)
	n := 1
	for {
		_, at, err := lr.record()
		if err == io.EOF {
			break
		}
		if err != nil {
			return lineError(c.path, at, err)
		}
		if n%markEvery == 0 {
			t.marks = append(t.marks, at)
		}
		n++
	}
	c.n, c.text = n, t
	return nil
}

// nextRecordMark returns where the next record starts, or a zero mark at the end.
func (c *Corpus) nextRecordMark(lr *lineReader) (mark, error) {
	_, at, err := lr.record()
	if err == io.EOF {
		return mark{}, nil
	}
	if err != nil {
		return mark{}, lineError(c.path, at, err)
	}
	return at, nil
}

// column finds the column an option names: a header name or a 0-based index.
func (t *textLayout) column(opt, val, path string) (int, error) {
	for j, name := range t.header {
		if name == val {
			return j, nil
		}
	}
	if j, err := strconv.Atoi(strings.TrimSpace(val)); err == nil {
		if j < 0 || j >= t.fields {
			return 0, fmt.Errorf("%w: vectors: %s=%d: %s has columns 0 to %d", corpus.ErrSpec, opt, j, path, t.fields-1)
		}
		return j, nil
	}
	if t.header == nil {
		return 0, fmt.Errorf("%w: vectors: %s=%q: %s has no header row; give a 0-based column index", corpus.ErrSpec, opt, val, path)
	}
	return 0, fmt.Errorf("%w: vectors: %s=%q: no such column in the header of %s (columns: %s)", corpus.ErrSpec, opt, val, path, strings.Join(t.header, ", "))
}

// colName names column j in messages.
func (t *textLayout) colName(j int) string {
	if j < len(t.header) && t.header[j] != "" {
		return fmt.Sprintf("column %d (%q)", j, t.header[j])
	}
	return fmt.Sprintf("column %d", j)
}

// isNumber reports whether s reads as a number (out of range counts).
func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// detectSep picks the field separator from a file's extension and its first row: a tab
// for .tsv; else a comma, a tab, or (0) runs of blanks, whichever the row has first in
// that order outside quotes.
func detectSep(ext string, line []byte) byte {
	if strings.EqualFold(ext, ".tsv") {
		return '\t'
	}
	comma, tab, quoted := false, false, false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == ',':
			comma = true
		case c == '\t':
			tab = true
		}
	}
	switch {
	case comma:
		return ','
	case tab:
		return '\t'
	}
	return 0
}

// blank reports whether c is a space dropped around fields separated by sep.
func blank(c, sep byte) bool {
	return c == ' ' || c == '\r' || (c == '\t' && sep != '\t')
}

// splitFields appends the fields of line to dst[:0]. sep is ',' or '\t', or 0 for runs of
// blanks. Blanks around a field are dropped; a field starting with a double quote runs
// to the matching quote, "" inside standing for one quote.
func splitFields(dst []string, line string, sep byte) ([]string, error) {
	dst = dst[:0]
	i, n := 0, len(line)
	for {
		for i < n && blank(line[i], sep) {
			i++
		}
		if sep == 0 && i == n {
			return dst, nil
		}
		if i < n && line[i] == '"' {
			f, j, err := unquote(line, i)
			if err != nil {
				return dst, err
			}
			dst = append(dst, f)
			k := j
			for k < n && blank(line[k], sep) {
				k++
			}
			switch {
			case k == n:
				return dst, nil
			case sep == 0 && k > j:
				i = k
			case sep != 0 && line[k] == sep:
				i = k + 1
			default:
				return dst, fmt.Errorf("field %d: text after the closing quote", len(dst)-1)
			}
			continue
		}
		var j int
		if sep == 0 {
			j = i
			for j < n && !blank(line[j], sep) {
				j++
			}
		} else if j = strings.IndexByte(line[i:], sep); j < 0 {
			j = n
		} else {
			j += i
		}
		f := line[i:j]
		for len(f) > 0 && blank(f[len(f)-1], sep) {
			f = f[:len(f)-1]
		}
		dst = append(dst, f)
		if j == n {
			return dst, nil
		}
		if sep != 0 {
			j++
		}
		i = j
	}
}

// unquote reads the quoted field starting at line[i], returning it and the index after
// its closing quote.
func unquote(line string, i int) (string, int, error) {
	var b []byte
	j := i + 1
	for {
		k := strings.IndexByte(line[j:], '"')
		if k < 0 {
			return "", 0, errors.New("quoted field does not end on its line")
		}
		k += j
		if k+1 < len(line) && line[k+1] == '"' {
			b = append(b, line[j:k+1]...)
			j = k + 2
			continue
		}
		if b == nil {
			return line[i+1 : k], k + 1, nil
		}
		return string(append(b, line[j:k]...)), k + 1, nil
	}
}

// textRows reads the rows of a text file.
type textRows struct {
	c        *Corpus
	t        *textLayout
	f        *os.File
	lr       *lineReader
	fields   []string
	row, end int
}

// textRows opens a reader of count rows of a text file from row from on.
func (c *Corpus) textRows(from, count int) (*textRows, error) {
	f, err := os.Open(c.path)
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	m := c.text.marks[from/markEvery]
	if _, err := f.Seek(m.off, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("vectors: %s: %w", c.path, err)
	}
	left := c.size - m.off
	if count == 1 {
		left = min(left, 4<<10)
	}
	r := &textRows{c: c, t: c.text, f: f, lr: newLineReader(f, m, left), row: from, end: from + count}
	for range from % markEvery {
		if _, at, err := r.lr.record(); err != nil {
			f.Close()
			return nil, r.eofError(at, err)
		}
	}
	return r, nil
}

func (r *textRows) Close() error { return r.f.Close() }

// eofError wraps an error reading a row, saying so when the file has fewer rows than at
// Open.
func (r *textRows) eofError(at mark, err error) error {
	if err == io.EOF {
		return &corpus.ItemError{File: r.c.path, Err: fmt.Errorf("file has fewer than the %d rows it had when opened", r.c.n)}
	}
	return lineError(r.c.path, at, err)
}

func (r *textRows) next() (row, error, error) {
	if r.row >= r.end {
		return row{}, nil, io.EOF
	}
	c, t, i := r.c, r.t, r.row
	b, at, err := r.lr.record()
	if err != nil {
		return row{}, nil, r.eofError(at, err)
	}
	r.row++
	bad := func(format string, args ...any) error {
		return &corpus.ItemError{File: c.path, Record: at.line, What: "line",
			Err: fmt.Errorf("%s (ref %s)", fmt.Sprintf(format, args...), c.ref(i))}
	}
	r.fields, err = splitFields(r.fields, string(b), t.sep)
	if err != nil {
		return row{}, bad("%v", err), nil
	}
	if len(r.fields) != t.fields {
		return row{}, bad("%d fields, want %d as in the first row", len(r.fields), t.fields), nil
	}
	var out row
	out.vec = make([]float32, 0, c.dim)
	for j, s := range r.fields {
		switch j {
		case t.labelCol:
			if t.readLabel {
				out.label = s
			}
			continue
		case t.idCol:
			out.id = s
			continue
		}
		v, err := strconv.ParseFloat(s, 32)
		if err != nil && !(errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0)) {
			return row{}, bad("%s: %q is not a number", t.colName(j), s), nil
		}
		if x := float32(v); !finite32(x) {
			if err != nil {
				return row{}, bad("%s: value %s is out of float32 range", t.colName(j), s), nil
			}
			return row{}, bad("%s: %s", t.colName(j), badValue(v)), nil
		}
		out.vec = append(out.vec, float32(v))
	}
	return out, nil, nil
}
