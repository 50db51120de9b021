package text

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// fileCorpus is a single text, CSV/TSV or JSONL file.
type fileCorpus struct {
	spec    corpus.Spec
	path    string // the file, as given
	name    string // its base name, the file part of references
	format  string
	skipBad bool
	csv     *csvLayout  // CSV/TSV
	json    *jsonLayout // JSONL

	idx     index
	summary corpus.Summary // complete after Open
}

var _ corpus.Corpus = (*fileCorpus)(nil)

func (c *fileCorpus) Spec() corpus.Spec { return c.spec }
func (c *fileCorpus) Kind() corpus.Kind { return corpus.Text }
func (c *fileCorpus) Len() int          { return len(c.idx.off) }

// Summary is complete after Open, which reads the whole file.
func (c *fileCorpus) Summary() corpus.Summary {
	s := c.summary
	s.Labels = maps.Clone(s.Labels)
	s.Skipped = maps.Clone(s.Skipped)
	return s
}

// entry is one record as a scanner reads it.
type entry struct {
	num   int64 // 1-based line or row number
	off   int64 // byte offset where reading it starts
	kind  entryKind
	text  string // payload scans only
	label string
	meta  map[string]string // payload scans only
}

type entryKind uint8

const (
	itemEntry  entryKind = iota
	blankEntry           // a blank line: neither an item nor counted
	emptyEntry           // an empty text: skipped and counted as skipEmptyText
)

// scanner reads a file's records in order. next returns io.EOF at the end, a
// *corpus.ItemError for a bad record (after which it can go on), or another error (I/O)
// after which it cannot.
type scanner interface {
	next() (entry, error)
}

// newScanner returns a scanner of r, which starts at byte off of the file, whose first
// record is number num+1. payload says whether to build texts and metadata; without it
// records are only validated (and labelled).
func (c *fileCorpus) newScanner(r *bufio.Reader, off, num int64, payload bool) scanner {
	switch c.format {
	case fmtCSV, fmtTSV:
		return c.csv.scanner(c.path, r, off, num, payload)
	case fmtJSONL:
		return &jsonScanner{lr: lineReader{r: r, max: MaxJSONLine, off: off, num: num, file: c.path}, l: c.json, payload: payload}
	}
	return &lineScanner{lr: lineReader{r: r, max: MaxLine, off: off, num: num, file: c.path}, payload: payload}
}

// badReason is how bad records of the format are counted.
func (c *fileCorpus) badReason() string {
	if c.csv != nil {
		return skipBadRow
	}
	return skipBadLine
}

// scanAll reads the file once at Open: validates and counts the records and indexes the
// items' offsets.
func (c *fileCorpus) scanAll() error {
	f, err := os.Open(c.path)
	if err != nil {
		return fmt.Errorf("text: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var sc scanner
	if c.csv != nil {
		if sc, err = c.csv.readHeader(c.path, br); err != nil {
			return err
		}
	} else {
		sc = c.newScanner(br, 0, 0, false)
	}
	for {
		e, err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if c.skipBad && errors.Is(err, corpus.ErrBadItem) {
				c.skip(c.badReason())
				continue
			}
			return err
		}
		switch e.kind {
		case blankEntry:
			continue
		case emptyEntry:
			c.skip(skipEmptyText)
			continue
		}
		c.idx.add(e.num, e.off)
		c.summary.Items++
		if e.label != "" {
			if c.summary.Labels == nil {
				c.summary.Labels = map[string]int{}
			}
			c.summary.Labels[e.label]++
		}
	}
	if c.summary.Items == 0 {
		what := ""
		if len(c.summary.Skipped) > 0 {
			what = " (" + strings.TrimPrefix(c.summary.String(), "0 items; ") + ")"
		}
		return fmt.Errorf("text: %s: %w%s", c.path, corpus.ErrEmpty, what)
	}
	return nil
}

func (c *fileCorpus) skip(reason string) {
	if c.summary.Skipped == nil {
		c.summary.Skipped = map[string]int{}
	}
	c.summary.Skipped[reason]++
}

// record makes the record of an item entry.
func (c *fileCorpus) record(e entry) corpus.Record {
	return corpus.Record{
		Item: corpus.Item{Ref: c.ref(e.num), Label: e.label, Meta: e.meta},
		Text: e.text,
	}
}

// ref is the reference of the record numbered num, "NAME:NUM".
func (c *fileCorpus) ref(num int64) string {
	var a [80]byte
	b := append(a[:0], c.name...)
	b = append(b, ':')
	return string(strconv.AppendInt(b, num, 10))
}

// changed is the error for a file whose items no longer match what Open read.
func (c *fileCorpus) changed(what string) error {
	return fmt.Errorf("text: %s changed since it was opened (%s); open it again", c.path, what)
}

// Batches reads the file again from its first item, streaming, and yields the items
// Open found. Records appended to the file since Open are not read.
func (c *fileCorpus) Batches(ctx context.Context, n int, fn func(batch []corpus.Record) error) error {
	if n < 1 {
		return fmt.Errorf("text: batch size %d: want at least 1", n)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	total := c.Len()
	if total == 0 {
		return nil
	}
	f, err := os.Open(c.path)
	if err != nil {
		return fmt.Errorf("text: %w", err)
	}
	defer f.Close()
	start := c.idx.off[0]
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return fmt.Errorf("text: %w", err)
	}
	sc := c.newScanner(bufio.NewReaderSize(f, 64<<10), start, c.idx.num(0)-1, true)
	b := corpus.NewBatcher(ctx, n, total, fn)
	run := 0 // the index run of item i
	for i := 0; i < total; {
		e, err := sc.next()
		if err == io.EOF {
			return c.changed(fmt.Sprintf("%d of %d items left", i, total))
		}
		if err != nil {
			if c.skipBad && errors.Is(err, corpus.ErrBadItem) {
				continue
			}
			return err
		}
		if e.kind != itemEntry {
			continue
		}
		for run+1 < len(c.idx.runs) && c.idx.runs[run+1].first <= i {
			run++
		}
		if want := int64(i) + c.idx.runs[run].delta; e.off != c.idx.off[i] || e.num != want {
			return c.changed(fmt.Sprintf("item %d moved", i+1))
		}
		if err := b.Add(c.record(e)); err != nil {
			return err
		}
		i++
	}
	return b.Flush()
}

// Resolve reads the item a reference "NAME:N" names, seeking to it directly.
func (c *fileCorpus) Resolve(ref string) (corpus.Record, error) {
	file, numStr, ok := cutLast(ref, ":")
	if !ok {
		return corpus.Record{}, fmt.Errorf("%w: %q: want %s:N", corpus.ErrNoRef, ref, c.name)
	}
	if _, err := corpus.Resolve(".", file); err != nil {
		return corpus.Record{}, err
	}
	if file != c.name {
		return corpus.Record{}, fmt.Errorf("%w: %q is not in %s", corpus.ErrNoRef, ref, c.path)
	}
	num, err := strconv.ParseInt(numStr, 10, 64)
	if err != nil || num < 1 {
		return corpus.Record{}, fmt.Errorf("%w: %q: want %s:N with N a %s number from 1", corpus.ErrNoRef, ref, c.name, c.unit())
	}
	i, ok := c.idx.find(num)
	if !ok {
		return corpus.Record{}, fmt.Errorf("%w: %q: %s has no item at %s %d", corpus.ErrNoRef, ref, c.path, c.unit(), num)
	}
	f, err := os.Open(c.path)
	if err != nil {
		return corpus.Record{}, fmt.Errorf("text: %w", err)
	}
	defer f.Close()
	off := c.idx.off[i]
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return corpus.Record{}, fmt.Errorf("text: %w", err)
	}
	size := 4 << 10
	if c.csv == nil {
		size = 16 << 10
	}
	sc := c.newScanner(bufio.NewReaderSize(f, size), off, num-1, true)
	e, err := sc.next()
	if err == io.EOF {
		return corpus.Record{}, c.changed("truncated")
	}
	if err != nil {
		return corpus.Record{}, err
	}
	if e.kind != itemEntry || e.num != num {
		return corpus.Record{}, c.changed(fmt.Sprintf("%s %d is no longer an item", c.unit(), num))
	}
	return c.record(e), nil
}

func (c *fileCorpus) unit() string {
	if c.csv != nil {
		return "row"
	}
	return "line"
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// index holds the items' byte offsets, and their line or row numbers as runs: item i of
// a run has number i+delta. Numbers rise with i.
type index struct {
	off  []int64
	runs []numRun
}

type numRun struct {
	first int   // the run's first item
	delta int64 // number - item index
}

func (x *index) add(num, off int64) {
	i := len(x.off)
	if len(x.runs) == 0 || int64(i)+x.runs[len(x.runs)-1].delta != num {
		x.runs = append(x.runs, numRun{i, num - int64(i)})
	}
	x.off = append(x.off, off)
}

// num is item i's number.
func (x *index) num(i int) int64 {
	k := sort.Search(len(x.runs), func(k int) bool { return x.runs[k].first > i }) - 1
	return int64(i) + x.runs[k].delta
}

// find returns the item numbered num.
func (x *index) find(num int64) (int, bool) {
	k := sort.Search(len(x.runs), func(k int) bool { return int64(x.runs[k].first)+x.runs[k].delta > num }) - 1
	if k < 0 {
		return 0, false
	}
	i := num - x.runs[k].delta
	end := len(x.off)
	if k+1 < len(x.runs) {
		end = x.runs[k+1].first
	}
	if i >= int64(end) {
		return 0, false
	}
	return int(i), true
}

// lineReader reads lines of at most max bytes (line ending excluded), counting lines
// and bytes.
type lineReader struct {
	r     *bufio.Reader
	max   int
	off   int64 // offset of the next line
	num   int64 // lines read
	start int64 // offset of the line last read
	acc   []byte
	file  string // the file, as bad lines name it
}

// next returns the next line without "\n" or "\r\n" (and without a byte order mark at
// the start of the file). The slice is valid until the next call. A line longer than max
// is consumed and reported with errLineTooLong; io.EOF ends the file.
func (r *lineReader) next() ([]byte, error) {
	r.start = r.off
	r.acc = r.acc[:0]
	long := false
	for {
		chunk, err := r.r.ReadSlice('\n')
		r.off += int64(len(chunk))
		if err == bufio.ErrBufferFull {
			if !long {
				if len(r.acc)+len(chunk) > r.max+2 {
					long, r.acc = true, r.acc[:0]
				} else {
					r.acc = append(r.acc, chunk...)
				}
			}
			continue
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if err == io.EOF && r.off == r.start {
			return nil, io.EOF
		}
		r.num++
		line := chunk
		if long {
			return nil, errLineTooLong
		}
		if len(r.acc) > 0 {
			r.acc = append(r.acc, chunk...)
			line = r.acc
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if r.start == 0 {
			line = bytes.TrimPrefix(line, []byte(bom))
		}
		if len(line) > r.max {
			return nil, errLineTooLong
		}
		return line, nil
	}
}

// nextText is next for the scanners of lines of text: it also returns the line's entry
// (its number and offset), and makes a line that is too long or not valid UTF-8 a bad
// line (a *corpus.ItemError, after which reading can go on).
func (r *lineReader) nextText() ([]byte, entry, error) {
	line, err := r.next()
	e := entry{num: r.num, off: r.start}
	switch {
	case err == errLineTooLong:
		return nil, e, r.bad(fmt.Errorf("%w: over %d bytes", errLineTooLong, r.max))
	case err != nil:
		return nil, e, err
	}
	if i := invalidAt(line); i >= 0 {
		return nil, e, r.bad(fmt.Errorf("%w at byte %d", errInvalidUTF8, i+1))
	}
	return line, e, nil
}

// bad is the *corpus.ItemError of the line read last.
func (r *lineReader) bad(err error) error {
	return &corpus.ItemError{File: r.file, Record: int(r.num), What: "line", Err: err}
}

// lineScanner reads a text file, an item per non-blank line.
type lineScanner struct {
	lr      lineReader
	payload bool
}

func (s *lineScanner) next() (entry, error) {
	line, e, err := s.lr.nextText()
	if err != nil {
		return e, err
	}
	if len(bytes.TrimSpace(line)) == 0 {
		e.kind = blankEntry
		return e, nil
	}
	if s.payload {
		e.text = string(line)
	}
	return e, nil
}
