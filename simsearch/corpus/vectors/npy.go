package vectors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// maxNpyHeader is the longest .npy header read (NumPy itself refuses headers over 10,000
// bytes unless told otherwise).
const maxNpyHeader = 1 << 20

// npyHeader is what a .npy header dict says.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []int64
}

// openNpy reads and checks the header of a .npy file.
func (c *Corpus) openNpy(f *os.File) error {
	bad := func(format string, args ...any) error {
		return &corpus.ItemError{File: c.path, Err: fmt.Errorf(format, args...)}
	}
	var pre [12]byte
	got, err := io.ReadFull(f, pre[:10])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("vectors: %s: %w", c.path, err)
	}
	switch {
	case got < len(npyMagic) || string(pre[:len(npyMagic)]) != npyMagic:
		return bad("not a .npy file (it does not start with \\x93NUMPY)")
	case got < 10:
		return bad("file ends inside the .npy preamble")
	}
	major, minor := pre[6], pre[7]
	var hdrLen, prefix int64
	switch {
	case major == 1 && minor == 0:
		hdrLen, prefix = int64(binary.LittleEndian.Uint16(pre[8:10])), 10
	case (major == 2 || major == 3) && minor == 0:
		if _, err := io.ReadFull(f, pre[10:12]); err != nil {
			return bad("file ends inside the .npy preamble")
		}
		hdrLen, prefix = int64(binary.LittleEndian.Uint32(pre[8:12])), 12
	default:
		return bad(".npy format version %d.%d is not supported (want 1.0, 2.0 or 3.0)", major, minor)
	}
	if hdrLen > maxNpyHeader {
		return bad(".npy header of %d bytes is longer than the %d allowed", hdrLen, maxNpyHeader)
	}
	if prefix+hdrLen > c.size {
		return bad("truncated: the .npy header needs %d bytes, the file has %d", prefix+hdrLen, c.size)
	}
	hdr := make([]byte, hdrLen)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return ioError(c.path, err)
	}
	h, err := parseNpyHeader(string(hdr))
	if err != nil {
		return bad("%w", err)
	}

	switch h.descr {
	case "<f4":
	case "<f8":
		c.f64 = true
	case ">f4", ">f8":
		return bad("dtype %q is big-endian; save it little-endian, e.g. np.save(path, a.astype(%q))", h.descr, "<"+h.descr[1:])
	default:
		return bad("dtype %q is not supported; want float32 ('<f4') or float64 ('<f8'), e.g. np.save(path, a.astype(\"<f4\"))", h.descr)
	}
	if h.fortran {
		return bad("the array is in Fortran order; save it in C order, e.g. np.save(path, np.ascontiguousarray(a))")
	}
	if len(h.shape) != 2 {
		return bad("shape %s is %d-D; want a 2-D array of shape (rows, dim)", formatShape(h.shape), len(h.shape))
	}
	n, d := h.shape[0], h.shape[1]
	if n < 1 {
		return &corpus.ItemError{File: c.path, Err: fmt.Errorf("%w: shape %s has no rows", corpus.ErrEmpty, formatShape(h.shape))}
	}
	if d < 1 || d > MaxDim {
		return bad("shape %s: dimension %d is out of range (1 to %d)", formatShape(h.shape), d, MaxDim)
	}
	c.dataOff = prefix + hdrLen
	rowBytes := d * c.itemSize()
	data := c.size - c.dataOff
	// Compare by dividing: n may be anything an int64 holds, n×rowBytes included.
	switch rows := data / rowBytes; {
	case rows < n:
		return bad("truncated: shape %s needs %s bytes of data after the header, the file has %d", formatShape(h.shape), mulString(n, rowBytes), data)
	case data != n*rowBytes:
		extra, s := data-n*rowBytes, "s"
		if extra == 1 {
			s = ""
		}
		return bad("%d trailing byte%s after the %d×%d array the header declares", extra, s, n, d)
	}
	if n > int64(maxInt) {
		return bad("shape %s has too many rows", formatShape(h.shape))
	}
	c.n, c.dim = int(n), int(d)
	return nil
}

const maxInt = int(^uint(0) >> 1)

func (c *Corpus) itemSize() int64 {
	if c.f64 {
		return 8
	}
	return 4
}

// mulString is a×b in decimal, exact even where it overflows int64.
func mulString(a, b int64) string {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi == 0 && lo <= 1<<63-1 {
		return strconv.FormatInt(int64(lo), 10)
	}
	return fmt.Sprintf("%d×%d", a, b)
}

// formatShape writes a shape as Python does: (3, 4), (3,), ().
func formatShape(s []int64) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.FormatInt(v, 10)
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// parseNpyHeader reads the Python dict literal of a .npy header, e.g.
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
//
// followed by padding spaces and a newline. It needs the keys descr (a string),
// fortran_order (a bool) and shape (a tuple of ints) and ignores others.
func parseNpyHeader(s string) (npyHeader, error) {
	p := pyParser{s: s}
	p.space()
	if !p.eat('{') {
		return npyHeader{}, p.errorf("want a dict")
	}
	v, err := p.dict(0)
	if err != nil {
		return npyHeader{}, err
	}
	p.space()
	if p.i != len(p.s) {
		return npyHeader{}, p.errorf("unexpected text after the dict")
	}
	var h npyHeader
	var have [3]bool
	for _, kv := range v {
		switch kv.key {
		case "descr":
			d, ok := kv.val.(string)
			if !ok {
				if _, list := kv.val.([]any); list {
					return h, errors.New("npy header: structured dtypes are not supported; want float32 or float64")
				}
				return h, fmt.Errorf("npy header: descr is %s, want a string", pyType(kv.val))
			}
			h.descr, have[0] = d, true
		case "fortran_order":
			b, ok := kv.val.(bool)
			if !ok {
				return h, fmt.Errorf("npy header: fortran_order is %s, want True or False", pyType(kv.val))
			}
			h.fortran, have[1] = b, true
		case "shape":
			t, ok := kv.val.([]any)
			if !ok {
				return h, fmt.Errorf("npy header: shape is %s, want a tuple", pyType(kv.val))
			}
			h.shape = make([]int64, len(t))
			for i, x := range t {
				n, ok := x.(int64)
				if !ok || n < 0 {
					return h, fmt.Errorf("npy header: shape has %s, want non-negative ints", pyRepr(x))
				}
				h.shape[i] = n
			}
			have[2] = true
		}
	}
	for i, key := range []string{"descr", "fortran_order", "shape"} {
		if !have[i] {
			return h, fmt.Errorf("npy header: no key %q", key)
		}
	}
	return h, nil
}

// pyParser reads the subset of Python literals .npy headers use: dicts with string
// keys, strings, ints (with an optional Python 2 L suffix), True, False, None, tuples and
// lists.
type pyParser struct {
	s string
	i int
}

type pyItem struct {
	key string
	val any
}

// maxPyDepth bounds the nesting of containers.
const maxPyDepth = 16

func (p *pyParser) errorf(format string, args ...any) error {
	return fmt.Errorf("npy header: at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *pyParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// eat skips spaces and then c, reporting whether c was there.
func (p *pyParser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// dict reads the items of a dict after its '{'.
func (p *pyParser) dict(depth int) ([]pyItem, error) {
	var items []pyItem
	for {
		if p.eat('}') {
			return items, nil
		}
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
			return nil, p.errorf("want a string key or '}'")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if it.key == key {
				return nil, p.errorf("key %q given twice", key)
			}
		}
		if !p.eat(':') {
			return nil, p.errorf("want ':' after key %q", key)
		}
		val, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		items = append(items, pyItem{key, val})
		if !p.eat(',') {
			if p.eat('}') {
				return items, nil
			}
			return nil, p.errorf("want ',' or '}'")
		}
	}
}

// seq reads the items of a tuple or list after its opening bracket, up to close.
func (p *pyParser) seq(close byte, depth int) ([]any, error) {
	items := []any{}
	for {
		if p.eat(close) {
			return items, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
		if !p.eat(',') {
			if p.eat(close) {
				return items, nil
			}
			return nil, p.errorf("want ',' or %q", close)
		}
	}
}

func (p *pyParser) value(depth int) (any, error) {
	if depth > maxPyDepth {
		return nil, p.errorf("nested too deeply")
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, p.errorf("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '\'' || c == '"':
		return p.str()
	case c == '(':
		p.i++
		return p.seq(')', depth)
	case c == '[':
		p.i++
		return p.seq(']', depth)
	case c == '{':
		p.i++
		items, err := p.dict(depth)
		return items, err
	case c == '-' || c == '+' || ('0' <= c && c <= '9'):
		return p.int()
	case isIdentByte(c):
		j := p.i
		for j < len(p.s) && isIdentByte(p.s[j]) {
			j++
		}
		word := p.s[p.i:j]
		switch word {
		case "True":
			p.i = j
			return true, nil
		case "False":
			p.i = j
			return false, nil
		case "None":
			p.i = j
			return nil, nil
		}
		return nil, p.errorf("unexpected name %q", word)
	}
	return nil, p.errorf("unexpected %q", p.s[p.i])
}

func isIdentByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// int reads an integer literal, allowing a Python 2 long suffix (3L).
func (p *pyParser) int() (int64, error) {
	j := p.i
	if p.s[j] == '-' || p.s[j] == '+' {
		j++
	}
	start := j
	for j < len(p.s) && '0' <= p.s[j] && p.s[j] <= '9' {
		j++
	}
	if j == start {
		return 0, p.errorf("want digits")
	}
	lit := p.s[p.i:j]
	if j < len(p.s) && (p.s[j] == 'L' || p.s[j] == 'l') {
		j++
	}
	if j < len(p.s) && (isIdentByte(p.s[j]) || p.s[j] == '.') {
		return 0, p.errorf("want an integer")
	}
	n, err := strconv.ParseInt(lit, 10, 64)
	if err != nil {
		return 0, p.errorf("integer %s is out of range", lit)
	}
	p.i = j
	return n, nil
}

// str reads a quoted string literal. Backslash escapes a quote, a backslash, \n and \t;
// others stand for themselves.
func (p *pyParser) str() (string, error) {
	q := p.s[p.i]
	start := p.i
	p.i++
	var b []byte
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			if b == nil {
				return p.s[start+1 : p.i-1], nil
			}
			return string(b), nil
		case c == '\\' && p.i+1 < len(p.s):
			if b == nil {
				b = append([]byte{}, p.s[start+1:p.i]...)
			}
			switch e := p.s[p.i+1]; e {
			case 'n':
				b = append(b, '\n')
			case 't':
				b = append(b, '\t')
			case '\\', '\'', '"':
				b = append(b, e)
			default:
				b = append(b, '\\', e)
			}
			p.i += 2
		default:
			if b != nil {
				b = append(b, c)
			}
			p.i++
		}
	}
	p.i = start
	return "", p.errorf("unterminated string")
}

func pyType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an int"
	case bool:
		return "a bool"
	case nil:
		return "None"
	case []any:
		return "a tuple"
	case []pyItem:
		return "a dict"
	}
	return fmt.Sprintf("%T", v)
}

func pyRepr(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return pyType(v)
}
