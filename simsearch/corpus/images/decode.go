package images

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"

	// The decoders image.Decode dispatches to.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// MaxPixels is the largest width×height an image may declare in its header. A larger
// image is refused before its pixels are allocated. Change it only before decoding
// starts (it is read concurrently).
var MaxPixels = 40_000_000

// MaxFileBytes is the largest image file Decode and DecodeFile read. Change it only
// before decoding starts.
var MaxFileBytes int64 = 256 << 20

// DecodeFile decodes the image file at path safely (see Decode). Every failure, the file
// being missing or unreadable included, is a *corpus.ItemError naming path.
func DecodeFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &corpus.ItemError{File: path, Err: unwrapPath(err)}
	}
	defer f.Close()
	var buf bytes.Buffer
	if st, err := f.Stat(); err == nil {
		if st.Size() > MaxFileBytes {
			return nil, &corpus.ItemError{File: path, Err: fmt.Errorf("file of %d bytes is larger than the %d allowed", st.Size(), MaxFileBytes)}
		}
		buf.Grow(int(st.Size()) + bytes.MinRead)
	}
	return decodeFrom(&buf, f, path)
}

// Decode decodes an image in any of the registered formats (PNG, JPEG, GIF, BMP, TIFF,
// WebP) from r, safely: it reads at most MaxFileBytes, checks the size the header
// declares against MaxPixels (and that it is at least 1×1) before decoding, and turns a
// decoder panic into an error. name is used only in error messages. Every failure is a
// *corpus.ItemError naming name, so errors.Is(err, corpus.ErrBadItem) holds.
func Decode(r io.Reader, name string) (image.Image, error) {
	return decodeFrom(new(bytes.Buffer), r, name)
}

func decodeFrom(buf *bytes.Buffer, r io.Reader, name string) (image.Image, error) {
	limit := MaxFileBytes
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, &corpus.ItemError{File: name, Err: fmt.Errorf("read: %w", unwrapPath(err))}
	}
	if n > limit {
		return nil, &corpus.ItemError{File: name, Err: fmt.Errorf("file is larger than the %d bytes allowed", limit)}
	}
	img, err := decodeBytes(buf.Bytes())
	if err != nil {
		return nil, &corpus.ItemError{File: name, Err: err}
	}
	return img, nil
}

// decodeBytes checks the header of an encoded image, then decodes it.
func decodeBytes(data []byte) (img image.Image, err error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, errors.New("not an image in a known format (PNG, JPEG, GIF, BMP, TIFF, WebP)")
		}
		return nil, fmt.Errorf("reading the image header: %w", err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, fmt.Errorf("%s image %w", format, err)
	}
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("%s image: decoder panicked: %v", format, p)
		}
	}()
	img, _, err = image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s image: %w", format, err)
	}
	// A GIF's first frame may be smaller than the screen its header declares, so only
	// an empty result is refused.
	if img.Bounds().Empty() {
		return nil, fmt.Errorf("%s image: no pixels decoded", format)
	}
	return img, nil
}

// checkSize refuses a declared size below 1×1 or above MaxPixels.
func checkSize(w, h int) error {
	if w < 1 || h < 1 {
		return fmt.Errorf("declares %d×%d pixels, want at least 1×1", w, h)
	}
	if int64(w)*int64(h) > int64(MaxPixels) {
		return fmt.Errorf("declares %d×%d pixels, more than the %d allowed", w, h, MaxPixels)
	}
	return nil
}

// unwrapPath drops the path from a *fs.PathError, which an ItemError names already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
