package images

import (
	"fmt"
	"image"
	"image/color"
	"slices"
	"strings"
	"sync"

	"golang.org/x/image/draw"
)

// Fit says how an image of another aspect ratio is made h×w.
type Fit string

const (
	// Crop scales the image so its shorter side fits and cuts the centre out of the
	// longer side. The default.
	Crop Fit = "crop"
	// Pad scales the image so its longer side fits and pads the rest with white.
	Pad Fit = "pad"
)

// ParseFit reads "crop" or "pad" (in any case); "" is Crop.
func ParseFit(s string) (Fit, error) {
	switch f := Fit(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return Crop, nil
	case Crop, Pad:
		return f, nil
	}
	return "", fmt.Errorf("images: fit %q: want crop or pad", s)
}

// String returns "crop" or "pad".
func (f Fit) String() string {
	if f == "" {
		return string(Crop)
	}
	return string(f)
}

// unit[v] is v/255.
var unit = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// Luminance weights (ITU-R BT.601, as color.GrayModel).
const (
	lumR = 0.299
	lumG = 0.587
	lumB = 0.114
)

// scratch holds RGBA pixel buffers for resampling.
var scratch = sync.Pool{New: func() any { return new([]uint8) }}

// getRGBA returns a cleared w×h RGBA image backed by buf.
func getRGBA(buf *[]uint8, w, h int) *image.RGBA {
	n := 4 * w * h
	if cap(*buf) < n {
		*buf = make([]uint8, n)
	}
	pix := (*buf)[:n]
	clear(pix)
	return &image.RGBA{Pix: pix, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
}

// AppendHWC resizes img to exactly h×w pixels as fit says (Crop when fit is "") and
// appends its h*w*c values in [0,1] to dst, row-major HWC. c is 3 (RGB) or 1
// (luminance, 0.299R+0.587G+0.114B). Any colour model works; transparent pixels are
// composited over white. Images are resampled with Catmull-Rom; an image (or, with
// Crop, its centre) that is already h×w is copied directly. An empty or nil image gives
// white. It panics when h or w is below 1 or c is not 1 or 3.
func AppendHWC(dst []float32, img image.Image, h, w, c int, fit Fit) []float32 {
	if h < 1 || w < 1 || (c != 1 && c != 3) {
		panic(fmt.Sprintf("images: AppendHWC to %d×%d×%d: want h, w ≥ 1 and c 1 or 3", h, w, c))
	}
	n := h * w * c
	dst = slices.Grow(dst, n)
	out := dst[len(dst) : len(dst)+n]
	fill(out, img, h, w, c, fit)
	return dst[:len(dst)+n]
}

// fill writes the h×w×c values of img into out (len h*w*c).
func fill(out []float32, img image.Image, h, w, c int, fit Fit) {
	var b image.Rectangle
	if img != nil {
		b = img.Bounds()
	}
	if b.Empty() {
		for i := range out {
			out[i] = 1
		}
		return
	}
	sw, sh := b.Dx(), b.Dy()
	if fit == Pad {
		// Scale so the longer side fits; centre the result in dr.
		dw, dh := w, h
		if sw*h >= sh*w { // relatively wider: full width
			dh = clampInt(divRound(sh*w, sw), 1, h)
		} else {
			dw = clampInt(divRound(sw*h, sh), 1, w)
		}
		dr := image.Rect(0, 0, dw, dh).Add(image.Pt((w-dw)/2, (h-dh)/2))
		if dw == sw && dh == sh {
			for i := range out {
				out[i] = 1
			}
			copyDirect(out, w, c, img, b.Min, dr)
			return
		}
		buf := scratch.Get().(*[]uint8)
		defer scratch.Put(buf)
		tmp := getRGBA(buf, w, h) // transparent: the padding reads as white
		img, b = scalable(img, b)
		scaler(dw, dh, sw, sh).Scale(tmp, dr, img, b, draw.Src, nil)
		readRGBA(out, w, c, tmp, tmp.Rect.Min, tmp.Rect)
		return
	}
	// Crop: cut the centre with the aspect ratio of h×w, then scale it.
	cw, ch := sw, sh
	if sw*h > sh*w { // relatively wider: cut the sides
		cw = clampInt(divRound(sh*w, h), 1, sw)
	} else {
		ch = clampInt(divRound(sw*h, w), 1, sh)
	}
	sr := image.Rect(0, 0, cw, ch).Add(b.Min).Add(image.Pt((sw-cw)/2, (sh-ch)/2))
	full := image.Rect(0, 0, w, h)
	if cw == w && ch == h {
		copyDirect(out, w, c, img, sr.Min, full)
		return
	}
	buf := scratch.Get().(*[]uint8)
	defer scratch.Put(buf)
	tmp := getRGBA(buf, w, h)
	img, sr = scalable(img, sr)
	scaler(w, h, cw, ch).Scale(tmp, full, img, sr, draw.Src, nil)
	readRGBA(out, w, c, tmp, tmp.Rect.Min, full)
}

// scalable returns the part sr of img in a form x/image/draw resamples fast: a
// paletted image (GIF, 8-bit PNG), which it would read pixel by pixel through the
// color.Color interface, is converted to RGBA.
func scalable(img image.Image, sr image.Rectangle) (image.Image, image.Rectangle) {
	p, ok := img.(*image.Paletted)
	if !ok {
		return img, sr
	}
	tab := paletteTable(p.Palette)
	m := image.NewRGBA(image.Rect(0, 0, sr.Dx(), sr.Dy()))
	for y := range sr.Dy() {
		src := p.Pix[p.PixOffset(sr.Min.X, sr.Min.Y+y):]
		src = src[:sr.Dx():sr.Dx()]
		dst := m.Pix[y*m.Stride : y*m.Stride+4*len(src)]
		for x, i := range src {
			copy(dst[4*x:4*x+4], tab[i][:])
		}
	}
	return m, m.Rect
}

// paletteTable holds a palette's colours as premultiplied 8-bit RGBA; indices beyond
// the palette are opaque black.
func paletteTable(pal color.Palette) *[256][4]uint8 {
	var t [256][4]uint8
	for i := range t {
		if i >= len(pal) || pal[i] == nil {
			t[i] = [4]uint8{0, 0, 0, 255}
			continue
		}
		r, g, b, a := pal[i].RGBA()
		t[i] = [4]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
	}
	return &t
}

type scaleKey struct{ dw, dh, sw, sh int }

// scalers caches Catmull-Rom scalers (their precomputed kernel weights and temporary
// buffers) per destination and source size: a corpus's images mostly share a few sizes.
var scalers struct {
	sync.Mutex
	m map[scaleKey]draw.Scaler
}

const maxScalers = 64

func scaler(dw, dh, sw, sh int) draw.Scaler {
	k := scaleKey{dw, dh, sw, sh}
	scalers.Lock()
	defer scalers.Unlock()
	if s, ok := scalers.m[k]; ok {
		return s
	}
	if scalers.m == nil || len(scalers.m) >= maxScalers {
		scalers.m = make(map[scaleKey]draw.Scaler)
	}
	s := draw.CatmullRom.NewScaler(dw, dh, sw, sh)
	scalers.m[k] = s
	return s
}

func divRound(a, b int) int { return (a + b/2) / b }

func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

// copyDirect writes the pixels of img from sp on into the rectangle dr of the output (of
// width w), without resampling.
func copyDirect(out []float32, w, c int, img image.Image, sp image.Point, dr image.Rectangle) {
	switch src := img.(type) {
	case *image.RGBA:
		readRGBA(out, w, c, src, sp, dr)
	case *image.NRGBA:
		readNRGBA(out, w, c, src, sp, dr)
	case *image.Gray:
		readGray(out, w, c, src, sp, dr)
	case *image.YCbCr:
		readYCbCr(out, w, c, src, sp, dr)
	case *image.Paletted:
		readPaletted(out, w, c, src, sp, dr)
	default:
		buf := scratch.Get().(*[]uint8)
		defer scratch.Put(buf)
		tmp := getRGBA(buf, dr.Dx(), dr.Dy())
		draw.Draw(tmp, tmp.Rect, img, sp, draw.Src)
		readRGBA(out, w, c, tmp, image.Point{}, dr)
	}
}

// put writes one pixel at out[i:].
func put(out []float32, i, c int, r, g, b float32) {
	if c == 3 {
		o := out[i : i+3 : i+3]
		o[0], o[1], o[2] = r, g, b
		return
	}
	out[i] = lumR*r + lumG*g + lumB*b
}

// readRGBA reads premultiplied pixels, compositing over white: v = c + (1 - a).
func readRGBA(out []float32, w, c int, src *image.RGBA, sp image.Point, dr image.Rectangle) {
	dw := dr.Dx()
	for y := range dr.Dy() {
		p := src.Pix[src.PixOffset(sp.X, sp.Y+y):]
		p = p[: 4*dw : 4*dw]
		i := ((dr.Min.Y+y)*w + dr.Min.X) * c
		for x := 0; x < len(p); x += 4 {
			q := p[x : x+4 : x+4]
			if t := 255 - int(q[3]); t == 0 {
				put(out, i, c, unit[q[0]], unit[q[1]], unit[q[2]])
			} else {
				put(out, i, c, unit[min(int(q[0])+t, 255)], unit[min(int(q[1])+t, 255)], unit[min(int(q[2])+t, 255)])
			}
			i += c
		}
	}
}

// readNRGBA reads non-premultiplied pixels, compositing over white.
func readNRGBA(out []float32, w, c int, src *image.NRGBA, sp image.Point, dr image.Rectangle) {
	dw := dr.Dx()
	for y := range dr.Dy() {
		p := src.Pix[src.PixOffset(sp.X, sp.Y+y):]
		p = p[: 4*dw : 4*dw]
		i := ((dr.Min.Y+y)*w + dr.Min.X) * c
		for x := 0; x < len(p); x += 4 {
			q := p[x : x+4 : x+4]
			if q[3] == 255 {
				put(out, i, c, unit[q[0]], unit[q[1]], unit[q[2]])
			} else {
				a := unit[q[3]]
				t := 1 - a
				put(out, i, c, unit[q[0]]*a+t, unit[q[1]]*a+t, unit[q[2]]*a+t)
			}
			i += c
		}
	}
}

// readPaletted reads palette indices, compositing over white.
func readPaletted(out []float32, w, c int, src *image.Paletted, sp image.Point, dr image.Rectangle) {
	tab := paletteTable(src.Palette)
	var px [256][3]float32
	for i, q := range tab {
		t := 255 - int(q[3])
		px[i] = [3]float32{unit[min(int(q[0])+t, 255)], unit[min(int(q[1])+t, 255)], unit[min(int(q[2])+t, 255)]}
	}
	dw := dr.Dx()
	for y := range dr.Dy() {
		p := src.Pix[src.PixOffset(sp.X, sp.Y+y):]
		p = p[:dw:dw]
		i := ((dr.Min.Y+y)*w + dr.Min.X) * c
		for _, v := range p {
			q := &px[v]
			put(out, i, c, q[0], q[1], q[2])
			i += c
		}
	}
}

func readGray(out []float32, w, c int, src *image.Gray, sp image.Point, dr image.Rectangle) {
	dw := dr.Dx()
	for y := range dr.Dy() {
		p := src.Pix[src.PixOffset(sp.X, sp.Y+y):]
		p = p[:dw:dw]
		i := ((dr.Min.Y+y)*w + dr.Min.X) * c
		if c == 1 {
			o := out[i : i+dw : i+dw]
			for x, v := range p {
				o[x] = unit[v]
			}
			continue
		}
		o := out[i : i+3*dw : i+3*dw]
		for x, v := range p {
			u := unit[v]
			o[3*x], o[3*x+1], o[3*x+2] = u, u, u
		}
	}
}

func readYCbCr(out []float32, w, c int, src *image.YCbCr, sp image.Point, dr image.Rectangle) {
	dw := dr.Dx()
	for y := range dr.Dy() {
		i := ((dr.Min.Y+y)*w + dr.Min.X) * c
		sy := sp.Y + y
		if c == 1 { // Y is the luminance
			p := src.Y[src.YOffset(sp.X, sy):]
			o := out[i : i+dw : i+dw]
			for x := range o {
				o[x] = unit[p[x]]
			}
			continue
		}
		for x := range dw {
			sx := sp.X + x
			ci := src.COffset(sx, sy)
			r, g, b := color.YCbCrToRGB(src.Y[src.YOffset(sx, sy)], src.Cb[ci], src.Cr[ci])
			put(out, i, 3, unit[r], unit[g], unit[b])
			i += 3
		}
	}
}

// PrepareBatch returns the AppendHWC values of every image, one after another, computed
// in parallel on GOMAXPROCS goroutines: len(imgs)*h*w*c values.
func PrepareBatch(imgs []image.Image, h, w, c int, fit Fit) []float32 {
	if h < 1 || w < 1 || (c != 1 && c != 3) {
		panic(fmt.Sprintf("images: PrepareBatch to %d×%d×%d: want h, w ≥ 1 and c 1 or 3", h, w, c))
	}
	n := h * w * c
	out := make([]float32, len(imgs)*n)
	parallel(len(imgs), func(i int) {
		fill(out[i*n:(i+1)*n:(i+1)*n], imgs[i], h, w, c, fit)
	})
	return out
}
