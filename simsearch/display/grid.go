package display

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
)

// Grid lays out equally sized images in rows, each scaled up by an integer factor with
// nearest-neighbour sampling (crisp pixels), separated by a gap.
type Grid struct {
	Rows  [][]image.Image
	Scale int         // default 4
	Gap   int         // pixels between cells; default 2
	Back  color.Color // background; default white
}

// Image renders the grid.
func (g Grid) Image() (*image.RGBA, error) {
	if g.Scale <= 0 {
		g.Scale = 4
	}
	if g.Gap < 0 {
		g.Gap = 0
	} else if g.Gap == 0 {
		g.Gap = 2
	}
	if g.Back == nil {
		g.Back = color.White
	}
	if len(g.Rows) == 0 || len(g.Rows[0]) == 0 {
		return nil, fmt.Errorf("grid: no images")
	}
	cw, ch := g.Rows[0][0].Bounds().Dx()*g.Scale, g.Rows[0][0].Bounds().Dy()*g.Scale
	cols := 0
	for _, r := range g.Rows {
		cols = max(cols, len(r))
	}
	out := image.NewRGBA(image.Rect(0, 0, cols*(cw+g.Gap)+g.Gap, len(g.Rows)*(ch+g.Gap)+g.Gap))
	draw.Draw(out, out.Bounds(), image.NewUniform(g.Back), image.Point{}, draw.Src)
	for ri, r := range g.Rows {
		for ci, img := range r {
			b := img.Bounds()
			x0, y0 := g.Gap+ci*(cw+g.Gap), g.Gap+ri*(ch+g.Gap)
			for y := 0; y < ch; y++ {
				for x := 0; x < cw; x++ {
					out.Set(x0+x, y0+y, img.At(b.Min.X+x/g.Scale, b.Min.Y+y/g.Scale))
				}
			}
		}
	}
	return out, nil
}

// WritePNG renders the grid to path atomically.
func (g Grid) WritePNG(path string) error {
	img, err := g.Image()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	return writeAtomic(path, buf.Bytes())
}

// FloatImage converts one HWC float32 image in [0,1] (values outside are clipped) to an
// *image.RGBA.
func FloatImage(px []float32, h, w int) *image.RGBA { return FloatImageC(px, h, w, 3) }

// FloatImageC converts h×w×c floats in [0,1] (HWC; c 1 for grayscale or 3 for RGB) to an
// image, clipping out-of-range values.
func FloatImageC(px []float32, h, w, c int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	clip := func(v float32) uint8 {
		switch {
		case v <= 0:
			return 0
		case v >= 1:
			return 255
		}
		return uint8(v*255 + 0.5)
	}
	for i := 0; i < h*w; i++ {
		if c == 1 {
			g := clip(px[i])
			img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2] = g, g, g
		} else {
			img.Pix[4*i] = clip(px[c*i])
			img.Pix[4*i+1] = clip(px[c*i+1])
			img.Pix[4*i+2] = clip(px[c*i+2])
		}
		img.Pix[4*i+3] = 255
	}
	return img
}

// SavePNG writes one image as a PNG file, atomically.
func SavePNG(path string, img image.Image) error {
	return Grid{Rows: [][]image.Image{{img}}, Scale: 1, Gap: -1}.WritePNG(path)
}

// Thumbnail scales an image to fit size×size pixels (nearest neighbour: thumbnails of
// small images stay crisp).
func Thumbnail(img image.Image, size int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= size && h <= size || w == 0 || h == 0 {
		return img
	}
	scale := float64(size) / float64(max(w, h))
	tw, th := max(1, int(float64(w)*scale)), max(1, int(float64(h)*scale))
	out := image.NewRGBA(image.Rect(0, 0, tw, th))
	for y := range th {
		for x := range tw {
			out.Set(x, y, img.At(b.Min.X+int(float64(x)/scale), b.Min.Y+int(float64(y)/scale)))
		}
	}
	return out
}
