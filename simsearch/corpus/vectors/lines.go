package vectors

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// maxLine is the longest line read from a text or labels file.
const maxLine = 64 << 20

// markEvery is how many rows (or labels) apart the marks Resolve starts reading from
// lie, so that it reads at most markEvery lines while Open keeps Len/markEvery marks.
const markEvery = 1024

// mark is where a row or label starts.
type mark struct {
	off  int64 // byte offset of its line
	line int   // 1-based number of its line
}

var errLongLine = fmt.Errorf("line is longer than %d bytes", maxLine)

// lineReader reads lines and knows where each starts.
type lineReader struct {
	br   *bufio.Reader
	off  int64 // offset of the next line
	line int   // number of the next line
	long []byte
}

// newLineReader reads f, which is at offset m.off, the start of line m.line; left is
// how many bytes the reader may need, to size its buffer.
func newLineReader(f io.Reader, m mark, left int64) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(f, bufSize(left)), off: m.off, line: m.line}
}

// next returns the next line without its \n or \r\n (and, at the start of the file,
// without a UTF-8 byte order mark), where it starts, and its number. The bytes are
// valid until the next call. It returns io.EOF after the last line, errLongLine for a
// line over maxLine bytes.
func (r *lineReader) next() ([]byte, mark, error) {
	at := mark{r.off, r.line}
	b, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > maxLine {
				return nil, at, errLongLine
			}
			b, err = r.br.ReadSlice('\n')
			r.long = append(r.long, b...)
		}
		b = r.long
	}
	r.off += int64(len(b))
	switch {
	case err != nil && err != io.EOF:
		return nil, at, err
	case len(b) == 0:
		return nil, at, io.EOF
	case len(b) > maxLine:
		return nil, at, errLongLine
	}
	r.line++
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if at.off == 0 {
		b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	}
	return b, at, nil
}

// record returns the next line that is neither blank nor a # comment.
func (r *lineReader) record() ([]byte, mark, error) {
	for {
		b, at, err := r.next()
		if err != nil {
			return nil, at, err
		}
		if t := bytes.TrimLeft(b, " \t\r\v\f"); len(t) > 0 && t[0] != '#' {
			return b, at, nil
		}
	}
}

// lineError wraps an error of a lineReader reading path.
func lineError(path string, at mark, err error) error {
	if errors.Is(err, errLongLine) {
		return &corpus.ItemError{File: path, Record: at.line, What: "line", Err: err}
	}
	return ioError(path, err)
}

// labelsFile is a text file of labels, one per line.
type labelsFile struct {
	path  string
	size  int64
	marks []mark // of lines 0, markEvery, 2×markEvery, ...
}

// openLabels opens the labels file path for a corpus file of rows rows, checking that it
// has one line per row. A relative path not found as given is looked for next to
// corpusFile.
func openLabels(path, corpusFile string, rows int) (*labelsFile, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) && !filepath.IsAbs(path) {
		if g, err2 := os.Open(filepath.Join(filepath.Dir(corpusFile), path)); err2 == nil {
			f, err, path = g, nil, filepath.Join(filepath.Dir(corpusFile), path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("vectors: labels file (%s=%s; want auto, none or a file of labels): %w", corpus.OptLabels, path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("vectors: labels file: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%w: vectors: labels file %s is a folder", corpus.ErrSpec, path)
	}
	l := &labelsFile{path: path, size: st.Size()}
	lr := newLineReader(f, mark{0, 1}, l.size)
	lines := 0
	for {
		_, at, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, lineError(path, at, err)
		}
		if lines%markEvery == 0 {
			l.marks = append(l.marks, at)
		}
		lines++
	}
	if lines != rows {
		return nil, &corpus.ItemError{File: path, Err: fmt.Errorf("%d lines of labels, but %s has %d rows; want one label per row", lines, corpusFile, rows)}
	}
	return l, nil
}

// labelReader reads labels in order.
type labelReader struct {
	l  *labelsFile
	f  *os.File
	lr *lineReader
}

// reader opens a reader of the labels from label i on.
func (l *labelsFile) reader(i int) (*labelReader, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("vectors: labels file: %w", err)
	}
	m := l.marks[i/markEvery]
	if _, err := f.Seek(m.off, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("vectors: %s: %w", l.path, err)
	}
	r := &labelReader{l: l, f: f, lr: newLineReader(f, m, l.size-m.off)}
	for range i % markEvery {
		if _, err := r.next(); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

func (r *labelReader) Close() error { return r.f.Close() }

// next returns the next label.
func (r *labelReader) next() (string, error) {
	b, at, err := r.lr.next()
	if err != nil {
		return "", lineError(r.l.path, at, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// line returns label i.
func (l *labelsFile) line(i int) (string, error) {
	r, err := l.reader(i)
	if err != nil {
		return "", err
	}
	defer r.Close()
	return r.next()
}
