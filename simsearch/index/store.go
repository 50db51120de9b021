package index

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// store holds the raw vectors behind the rows: a read-only memory map of the saved file
// (base) followed by vectors added since (extra). Memory for a reopened index is
// therefore paged in on demand, not read up front.
type store struct {
	dim    int
	mapped []byte    // mmap of the vectors file, nil if none
	base   []float32 // view of mapped
	extra  []float32
}

func (s *store) rows() int {
	if s.dim == 0 {
		return 0
	}
	return (len(s.base) + len(s.extra)) / s.dim
}

func (s *store) row(i int) []float32 {
	off := i * s.dim
	if off < len(s.base) {
		return s.base[off : off+s.dim]
	}
	off -= len(s.base)
	return s.extra[off : off+s.dim]
}

func (s *store) append(v []float32) { s.extra = append(s.extra, v...) }

// each calls fn with consecutive chunks covering all vectors in row order.
func (s *store) each(fn func(chunk []float32) error) error {
	if len(s.base) > 0 {
		if err := fn(s.base); err != nil {
			return err
		}
	}
	if len(s.extra) > 0 {
		return fn(s.extra)
	}
	return nil
}

// mapFile maps a little-endian float32 file read-only.
func (s *store) mapFile(path string, rows int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	want := int64(rows) * int64(s.dim) * 4
	if st.Size() != want {
		return fmt.Errorf("%w: %s is %d bytes, want %d (%d rows × %d dims × 4)", ErrCorrupt, path, st.Size(), want, rows, s.dim)
	}
	if want == 0 {
		return nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(want), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mmap %s: %w", path, err)
	}
	s.mapped = b
	s.base = unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
	return nil
}

func (s *store) close() error {
	s.base, s.extra = nil, nil
	if s.mapped != nil {
		err := syscall.Munmap(s.mapped)
		s.mapped = nil
		return err
	}
	return nil
}

// bytesOf views float32s as bytes (little-endian hosts, which is all FAISS supports).
func bytesOf(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*4)
}
