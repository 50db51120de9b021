package text

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// csvLayout is how a CSV/TSV file is read: the options, then the header.
type csvLayout struct {
	comma     rune
	lazy      bool
	textName  string // option values
	labelName string
	header    []string // names, trimmed
	text      int      // column indices; label -1 when none
	label     int
	keys      []string // Meta key per column, "" for the text and label columns
	nmeta     int      // columns that go into Meta
}

func newCSVLayout(spec corpus.Spec, format, labels string) (*csvLayout, error) {
	l := &csvLayout{comma: ',', text: -1, label: -1}
	if format == fmtTSV {
		l.comma, l.lazy = '\t', true
	}
	if d, ok := spec.Options[OptDelimiter]; ok {
		switch d {
		case "tab", `\t`, "\t":
			l.comma = '\t'
		default:
			r, size := utf8.DecodeRuneInString(d)
			if size == 0 || size != len(d) || r == utf8.RuneError || r == 0 || r == '"' || r == '\r' || r == '\n' {
				return nil, fmt.Errorf("%w: text: %s=%q: want one character other than a quote or line break (or \"tab\")", corpus.ErrSpec, OptDelimiter, d)
			}
			l.comma = r
		}
	}
	l.textName = strings.TrimSpace(spec.Option(OptTextColumn, ""))
	if labels != labelsNone {
		l.labelName = strings.TrimSpace(spec.Option(OptLabelColumn, ""))
	}
	return l, nil
}

func (l *csvLayout) reader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.Comma = l.comma
	cr.LazyQuotes = l.lazy
	cr.ReuseRecord = true
	cr.FieldsPerRecord = len(l.header) // 0 for the header: set by it
	return cr
}

// readHeader reads the header at the start of a file and returns the scanner of its
// data rows.
func (l *csvLayout) readHeader(file string, br *bufio.Reader) (scanner, error) {
	base := int64(0)
	if b, _ := br.Peek(len(bom)); string(b) == bom {
		br.Discard(len(bom))
		base = int64(len(bom))
	}
	cr := l.reader(br)
	hdr, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("text: %s: %w (no header row)", file, corpus.ErrEmpty)
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &corpus.ItemError{File: file, Record: pe.Line, What: "line", Err: fmt.Errorf("header: %w", pe.Err)}
		}
		return nil, fmt.Errorf("text: %s: %w", file, err)
	}
	line, _ := cr.FieldPos(0)
	for i, h := range hdr {
		if !utf8.ValidString(h) {
			return nil, &corpus.ItemError{File: file, Record: line, What: "line", Err: fmt.Errorf("header: %w in column %d", errInvalidUTF8, i+1)}
		}
	}
	l.header = make([]string, len(hdr))
	for i, h := range hdr {
		l.header[i] = strings.TrimSpace(h)
	}
	quoted := make([]string, len(l.header))
	for i, h := range l.header {
		quoted[i] = strconv.Quote(h)
	}
	cols := strings.Join(quoted, ", ")
	find := func(opt, name string) (int, error) {
		i := slices.Index(l.header, name)
		if i < 0 {
			return -1, fmt.Errorf("%w: text: %s=%q: %s has no such column; columns: %s", corpus.ErrSpec, opt, name, file, cols)
		}
		if slices.Index(l.header[i+1:], name) >= 0 {
			return -1, fmt.Errorf("%w: text: %s=%q: %s has two columns of that name; columns: %s", corpus.ErrSpec, opt, name, file, cols)
		}
		return i, nil
	}
	if l.textName == "" {
		return nil, fmt.Errorf("%w: text: %s needs the %s option naming the text column; columns: %s", corpus.ErrSpec, file, OptTextColumn, cols)
	}
	if l.text, err = find(OptTextColumn, l.textName); err != nil {
		return nil, err
	}
	if l.labelName != "" {
		if l.label, err = find(OptLabelColumn, l.labelName); err != nil {
			return nil, err
		}
	}
	l.keys = make([]string, len(l.header))
	for i, h := range l.header {
		switch {
		case i == l.text || i == l.label:
		case h == "":
			l.keys[i] = "column " + strconv.Itoa(i+1)
		default:
			l.keys[i] = h
		}
		if l.keys[i] != "" {
			l.nmeta++
		}
	}
	return &csvScanner{cr: cr, l: l, file: file, base: base, lines: true}, nil
}

// scanner returns a scanner of the data rows from byte off (a record boundary), the
// first of which is row num+1.
func (l *csvLayout) scanner(file string, r *bufio.Reader, off, num int64, payload bool) scanner {
	return &csvScanner{cr: l.reader(r), l: l, file: file, base: off, row: num, payload: payload}
}

// csvScanner reads data rows.
type csvScanner struct {
	cr      *csv.Reader
	l       *csvLayout
	file    string
	base    int64 // file offset of the reader's start
	row     int64
	payload bool
	lines   bool // whether the reader's line numbers are the file's
}

func (s *csvScanner) next() (entry, error) {
	off := s.base + s.cr.InputOffset()
	rec, err := s.cr.Read()
	if err == io.EOF {
		return entry{}, io.EOF
	}
	s.row++
	e := entry{num: s.row, off: off}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return e, fmt.Errorf("text: %s: %w", s.file, err)
		}
		if pe.Err == csv.ErrFieldCount {
			err = fmt.Errorf("%d fields, the header has %d", len(rec), len(s.l.header))
		} else {
			err = pe.Err
		}
		if s.lines {
			err = fmt.Errorf("line %d: %w", pe.StartLine, err)
		}
		return e, s.bad(err)
	}
	for i, v := range rec {
		if !utf8.ValidString(v) {
			return e, s.bad(fmt.Errorf("%w in column %q", errInvalidUTF8, s.l.header[i]))
		}
	}
	if strings.TrimSpace(rec[s.l.text]) == "" {
		e.kind = emptyEntry
		return e, nil
	}
	if s.l.label >= 0 {
		e.label = strings.TrimSpace(rec[s.l.label])
	}
	if s.payload {
		e.text = rec[s.l.text]
		if s.l.nmeta > 0 {
			e.meta = make(map[string]string, s.l.nmeta)
			for i, v := range rec {
				if k := s.l.keys[i]; k != "" {
					e.meta[k] = v
				}
			}
		}
	}
	return e, nil
}

func (s *csvScanner) bad(err error) error {
	return &corpus.ItemError{File: s.file, Record: int(s.row), What: "row", Err: err}
}
