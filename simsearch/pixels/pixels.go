// Package pixels is the baseline encoder: an image's raw pixels, scaled to [0,1],
// optionally downsampled by averaging f×f blocks. It needs no training, makes the search
// path work before any model exists, and is the figure every learned encoder must beat.
package pixels

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Name and Version identify the encoder in index manifests.
const (
	Name    = "pixels"
	Version = "1"
)

// Encoder encodes HWC float images.
type Encoder struct {
	H, W, C int // input geometry
	Factor  int // downsampling factor (1: none); must divide H and W
}

// New returns an encoder for h×w×c images downsampled by factor (1 keeps every pixel).
func New(h, w, c, factor int) (*Encoder, error) {
	if h < 1 || w < 1 || (c != 1 && c != 3) {
		return nil, fmt.Errorf("pixels: input %d×%d×%d: want a positive size and 1 or 3 channels", h, w, c)
	}
	if factor < 1 || h%factor != 0 || w%factor != 0 {
		return nil, fmt.Errorf("pixels: downsampling factor %d must be ≥ 1 and divide %d×%d", factor, h, w)
	}
	return &Encoder{H: h, W: w, C: c, Factor: factor}, nil
}

// FromInfo rebuilds the encoder recorded in an index manifest. Indexes of format 1
// recorded no input size: they were CIFAR-10's 32×32×3.
func FromInfo(info index.EncoderInfo) (*Encoder, error) {
	if info.Name != Name {
		return nil, fmt.Errorf("pixels: encoder %q is not %q", info.Name, Name)
	}
	f := 1
	if s, ok := info.Params["downsample"]; ok {
		var err error
		if f, err = strconv.Atoi(s); err != nil {
			return nil, fmt.Errorf("pixels: downsample %q: %v", s, err)
		}
	}
	h, w, c := 32, 32, 3
	if s, ok := info.Params["input"]; ok {
		// Exactly three whole numbers, as Info writes them (Sscanf would ignore trailing
		// text), and at most 2^24 pixels, checked without overflowing h·w.
		var err error
		parts := strings.Split(s, "x")
		if len(parts) == 3 {
			h, err = strconv.Atoi(parts[0])
			if err == nil {
				w, err = strconv.Atoi(parts[1])
			}
			if err == nil {
				c, err = strconv.Atoi(parts[2])
			}
		}
		if len(parts) != 3 || err != nil || h < 1 || w < 1 || (c != 1 && c != 3) || h > 1<<24 || w > (1<<24)/h {
			return nil, fmt.Errorf("pixels: input %q: want HxWxC with C 1 or 3 and at most 2^24 pixels", s)
		}
	}
	return New(h, w, c, f)
}

// Dim is the vector length: (H/f)·(W/f)·C.
func (e *Encoder) Dim() int { return (e.H / e.Factor) * (e.W / e.Factor) * e.C }

// InputShape is the image size the encoder takes.
func (e *Encoder) InputShape() (h, w, c int) { return e.H, e.W, e.C }

// Info describes the encoder for the index manifest.
func (e *Encoder) Info() index.EncoderInfo {
	return index.EncoderInfo{Name: Name, Version: Version, Params: map[string]string{
		"downsample": strconv.Itoa(e.Factor), "input": fmt.Sprintf("%dx%dx%d", e.H, e.W, e.C)}}
}

// EncodeImages maps n images (n·H·W·C floats, HWC) to n·Dim floats. With Factor 1 the
// input slice itself is returned: no copy.
func (e *Encoder) EncodeImages(_ context.Context, images []float32, n int) ([]float32, error) {
	in := e.H * e.W * e.C
	if len(images) != n*in {
		return nil, fmt.Errorf("pixels: %d values for %d images of %d×%d×%d", len(images), n, e.H, e.W, e.C)
	}
	if e.Factor == 1 {
		return images, nil
	}
	f, ow := e.Factor, e.W/e.Factor
	out := make([]float32, n*e.Dim())
	scale := 1 / float32(f*f)
	for i := 0; i < n; i++ {
		img := images[i*in : (i+1)*in]
		o := out[i*e.Dim() : (i+1)*e.Dim()]
		for y := 0; y < e.H; y++ {
			for x := 0; x < e.W; x++ {
				dst := ((y/f)*ow + x/f) * e.C
				src := (y*e.W + x) * e.C
				for c := 0; c < e.C; c++ {
					o[dst+c] += img[src+c] * scale
				}
			}
		}
	}
	return out, nil
}
