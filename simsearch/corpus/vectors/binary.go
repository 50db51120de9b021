package vectors

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// readBuf is the most a reader buffers of a file.
const readBuf = 256 << 10

// bufSize is the buffer to read left bytes with: at most readBuf, at least bufio's
// minimum.
func bufSize(left int64) int {
	return int(max(16, min(readBuf, left)))
}

// openFvecs reads the first row's dimension and checks the file's size against it.
func (c *Corpus) openFvecs(f *os.File) error {
	if c.size == 0 {
		return &corpus.ItemError{File: c.path, Err: fmt.Errorf("%w: the file is empty", corpus.ErrEmpty)}
	}
	var hdr [4]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return &corpus.ItemError{File: c.path, Err: fmt.Errorf("file of %d bytes is too short for an .fvecs row", c.size)}
	}
	d := int64(int32(binary.LittleEndian.Uint32(hdr[:])))
	if d < 1 || d > MaxDim {
		return &corpus.ItemError{File: c.path, Record: 1, What: "row", Err: fmt.Errorf("dimension %d is out of range (1 to %d)", d, MaxDim)}
	}
	rowBytes := 4 + 4*d
	if c.size%rowBytes != 0 {
		return c.fvecsRagged(f, d)
	}
	if c.size/rowBytes > int64(maxInt) {
		return &corpus.ItemError{File: c.path, Err: fmt.Errorf("file holds too many rows")}
	}
	c.n, c.dim = int(c.size/rowBytes), int(d)
	return nil
}

// fvecsRagged explains why an .fvecs file's size is not a multiple of its first row's:
// a row with another dimension, or a truncated last row.
func (c *Corpus) fvecsRagged(f *os.File, d int64) error {
	rowBytes := 4 + 4*d
	var hdr [4]byte
	row := 0
	for off := int64(0); off+4 <= c.size; off += rowBytes {
		if _, err := f.ReadAt(hdr[:], off); err != nil {
			return ioError(c.path, err)
		}
		if got := int64(int32(binary.LittleEndian.Uint32(hdr[:]))); got != d {
			return c.fvecsDimError(row, got, d)
		}
		row++
	}
	return &corpus.ItemError{File: c.path, Err: fmt.Errorf("truncated: size %d is not a multiple of the row size %d (4+4×%d): the last row is cut short", c.size, rowBytes, d)}
}

func (c *Corpus) fvecsDimError(row int, got, want int64) error {
	return &corpus.ItemError{File: c.path, Record: row + 1, What: "row",
		Err: fmt.Errorf("dimension %d, but the first row's is %d; all rows of an .fvecs file must have the same (ref %s)", got, want, c.ref(row))}
}

// binRows reads the rows of a .npy or .fvecs file.
type binRows struct {
	c        *Corpus
	f        *os.File
	br       *bufio.Reader
	buf      []byte // one row
	row, end int    // the next row, the row to stop before
}

// binRows opens a reader of count rows of a .npy or .fvecs file from row from on.
func (c *Corpus) binRows(from, count int) (*binRows, error) {
	off, rowBytes := int64(0), int64(c.dim)*c.itemSize()
	if c.format == formatFvecs {
		rowBytes = 4 + 4*int64(c.dim)
	} else {
		off = c.dataOff
	}
	f, err := os.Open(c.path)
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	off += int64(from) * rowBytes
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("vectors: %s: %w", c.path, err)
	}
	return &binRows{
		c:   c,
		f:   f,
		br:  bufio.NewReaderSize(f, bufSize(int64(count)*rowBytes)),
		buf: make([]byte, rowBytes),
		row: from,
		end: from + count,
	}, nil
}

func (r *binRows) Close() error { return r.f.Close() }

func (r *binRows) next() (row, error, error) {
	if r.row >= r.end {
		return row{}, nil, io.EOF
	}
	c, i := r.c, r.row
	if _, err := io.ReadFull(r.br, r.buf); err != nil {
		return row{}, nil, ioError(c.path, err)
	}
	r.row++
	b := r.buf
	vec := make([]float32, c.dim)
	switch {
	case c.format == formatFvecs:
		if d := int64(int32(binary.LittleEndian.Uint32(b))); d != int64(c.dim) {
			return row{}, nil, c.fvecsDimError(i, d, int64(c.dim))
		}
		b = b[4:]
		fallthrough
	case !c.f64:
		for j := range vec {
			v := math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
			if !finite32(v) {
				return row{}, c.binValueError(i, j, float64(v)), nil
			}
			vec[j] = v
		}
	default:
		for j := range vec {
			v := math.Float64frombits(binary.LittleEndian.Uint64(b[8*j:]))
			x := float32(v)
			if !finite32(x) {
				return row{}, c.binValueError(i, j, v), nil
			}
			vec[j] = x
		}
	}
	return row{vec: vec}, nil, nil
}

func (c *Corpus) binValueError(i, j int, v float64) error {
	return &corpus.ItemError{File: c.path, Record: i + 1, What: "row",
		Err: fmt.Errorf("column %d: %s (ref %s)", j, badValue(v), c.ref(i))}
}
