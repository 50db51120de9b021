package images

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/draw"
	"golang.org/x/image/tiff"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// --- fixtures ---

var orange = color.RGBA{200, 100, 50, 255}

func uniform(img draw.Image, c color.Color) draw.Image {
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	return img
}

func rgba(w, h int, c color.Color) *image.RGBA {
	return uniform(image.NewRGBA(image.Rect(0, 0, w, h)), c).(*image.RGBA)
}

func encPNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encGIF(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encBMP(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := bmp.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encTIFF(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tiff.Encode(&b, img, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tree writes files (slash paths relative to a new temporary root) and returns the root.
func tree(t testing.TB, files map[string][]byte) string {
	t.Helper()
	root := t.TempDir()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// pngHeader is a PNG signature and an IHDR chunk declaring w×h RGBA pixels, and nothing
// else.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	data := make([]byte, 17)
	copy(data, "IHDR")
	binary.BigEndian.PutUint32(data[4:], w)
	binary.BigEndian.PutUint32(data[8:], h)
	data[12] = 8 // bit depth
	data[13] = 6 // RGBA
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(data))
	return b.Bytes()
}

func mustOpen(t testing.TB, root string, opts ...string) *Corpus {
	t.Helper()
	c, err := Open(spec(root, opts...))
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Corpus)
}

func spec(root string, opts ...string) corpus.Spec {
	s := corpus.Spec{Source: "images", Root: root, Options: map[string]string{}}
	for i := 0; i+1 < len(opts); i += 2 {
		s.Options[opts[i]] = opts[i+1]
	}
	return s
}

func collect(t testing.TB, c corpus.Corpus) []corpus.Record {
	t.Helper()
	recs, err := corpus.Collect(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func refs(recs []corpus.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Ref)
	}
	return out
}

// near reports whether every value of got is within tol of want.
func near(got []float32, want []float32, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > tol || math.IsNaN(float64(got[i])) {
			return false
		}
	}
	return true
}

// repeat returns the pixel px (c values) repeated n times.
func repeat(n int, px ...float32) []float32 {
	var out []float32
	for range n {
		out = append(out, px...)
	}
	return out
}

func rgb8(c color.RGBA) []float32 {
	return []float32{float32(c.R) / 255, float32(c.G) / 255, float32(c.B) / 255}
}

// --- the source ---

func TestRegistered(t *testing.T) {
	kind, doc, ok := corpus.Describe("images")
	if !ok || kind != corpus.Image || !strings.Contains(doc, "WebP") {
		t.Fatalf("Describe(images) = %v, %q, %v", kind, doc, ok)
	}
	root := tree(t, map[string][]byte{"a.png": encPNG(t, rgba(2, 2, orange))})
	c, err := corpus.Open(corpus.Spec{Source: "images", Root: root})
	if err != nil || c.Len() != 1 || c.Kind() != corpus.Image || c.Spec().Root != root {
		t.Fatalf("corpus.Open = %v, %v", c, err)
	}
}

func labelled(t testing.TB) string {
	return tree(t, map[string][]byte{
		"cats/a.png":      encPNG(t, rgba(4, 4, orange)),
		"cats/2019/b.png": encPNG(t, rgba(4, 4, orange)),
		"cats/c.jpg":      encJPEG(t, rgba(4, 4, orange)),
		"dogs/d.gif":      encGIF(t, rgba(4, 4, orange)),
		"dogs/e.bmp":      encBMP(t, rgba(4, 4, orange)),
	})
}

func TestLabelsFromFolders(t *testing.T) {
	root := labelled(t)
	for _, mode := range []string{"", "auto", "folders", "FOLDERS"} {
		c := mustOpen(t, root, corpus.OptLabels, mode)
		recs := collect(t, c)
		var got []string
		for _, r := range recs {
			got = append(got, r.Ref+"="+r.Label)
			if r.Image == nil {
				t.Errorf("%s: no image", r.Ref)
			}
		}
		want := []string{"cats/2019/b.png=cats", "cats/a.png=cats", "cats/c.jpg=cats", "dogs/d.gif=dogs", "dogs/e.bmp=dogs"}
		if !slices.Equal(got, want) {
			t.Errorf("labels=%q: records %v, want %v", mode, got, want)
		}
		s := c.Summary()
		if s.Items != 5 || s.Labels["cats"] != 3 || s.Labels["dogs"] != 2 || len(s.Labels) != 2 {
			t.Errorf("labels=%q: summary %+v", mode, s)
		}
	}

	c := mustOpen(t, root, corpus.OptLabels, "none")
	for _, r := range collect(t, c) {
		if r.Label != "" {
			t.Errorf("labels=none: %s labelled %q", r.Ref, r.Label)
		}
	}
	if s := c.Summary(); s.Labels != nil || s.Items != 5 {
		t.Errorf("labels=none: summary %+v", s)
	}

	// An image directly in the root: auto gives no labels, folders is an error naming it.
	if err := os.WriteFile(filepath.Join(root, "loose.png"), encPNG(t, rgba(1, 1, orange)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, r := range collect(t, mustOpen(t, root)) {
		if r.Label != "" {
			t.Errorf("labels=auto with a loose file: %s labelled %q", r.Ref, r.Label)
		}
	}
	_, err := Open(spec(root, corpus.OptLabels, "folders"))
	if err == nil || !strings.Contains(err.Error(), "loose.png") {
		t.Errorf("labels=folders with a loose file: err %v, want one naming loose.png", err)
	}
}

func TestFormatsAndColourModels(t *testing.T) {
	pal := image.NewPaletted(image.Rect(0, 0, 5, 3), color.Palette{orange, color.Black})
	gray := uniform(image.NewGray(image.Rect(0, 0, 7, 2)), color.Gray{128})
	gray16 := uniform(image.NewGray16(image.Rect(0, 0, 3, 9)), color.Gray16{0x8080})
	wide := uniform(image.NewRGBA64(image.Rect(0, 0, 6, 4)), color.RGBA64{0xc8c8, 0x6464, 0x3232, 0xffff})
	clear := image.NewNRGBA(image.Rect(0, 0, 3, 3)) // fully transparent
	opaque := uniform(image.NewNRGBA(image.Rect(0, 0, 8, 8)), orange)
	webp, err := os.ReadFile("testdata/gopher-doc.1bpp.lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	webpLossy, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	g := []float32{128.0 / 255, 128.0 / 255, 128.0 / 255}
	white := []float32{1, 1, 1}
	cases := []struct {
		name string
		data []byte
		w, h int
		want []float32 // uniform RGB, nil: not checked
		tol  float64
	}{
		{"a-gray.png", encPNG(t, gray), 7, 2, g, 1e-6},
		{"b-paletted.png", encPNG(t, pal), 5, 3, rgb8(orange), 1e-6},
		{"c-gray16.png", encPNG(t, gray16), 3, 9, g, 1e-6},
		{"d-rgba64.png", encPNG(t, wide), 6, 4, rgb8(orange), 1e-6},
		{"e-transparent.png", encPNG(t, clear), 3, 3, white, 1e-6},
		{"f-photo.jpg", encJPEG(t, rgba(16, 8, orange)), 16, 8, rgb8(orange), 0.03},
		{"g-photo.JPEG", encJPEG(t, gray), 7, 2, g, 0.03},
		{"h-anim.gif", encGIF(t, pal), 5, 3, rgb8(orange), 1e-6},
		{"i-paletted.bmp", encBMP(t, pal), 5, 3, rgb8(orange), 1e-6},
		{"j-nrgba.bmp", encBMP(t, opaque), 8, 8, rgb8(orange), 1e-6},
		{"k-rgba64.tif", encTIFF(t, wide), 6, 4, rgb8(orange), 1e-6},
		{"l-gray.TIFF", encTIFF(t, gray), 7, 2, g, 1e-6},
		{"m-gopher.webp", webp, 75, 100, nil, 0},
		{"n-lossy.webp", webpLossy, 150, 100, nil, 0},
	}
	files := map[string][]byte{}
	for _, tc := range cases {
		files[tc.name] = tc.data
	}
	c := mustOpen(t, tree(t, files))
	if c.Len() != len(cases) {
		t.Fatalf("Len %d, want %d", c.Len(), len(cases))
	}
	recs := collect(t, c)
	if len(recs) != len(cases) {
		t.Fatalf("%d records, want %d", len(recs), len(cases))
	}
	for i, tc := range cases {
		r := recs[i]
		if r.Ref != tc.name {
			t.Errorf("record %d is %s, want %s", i, r.Ref, tc.name)
			continue
		}
		if b := r.Image.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%s: %v, want %d×%d", tc.name, b, tc.w, tc.h)
		}
		for _, fit := range []Fit{Crop, Pad} {
			got := AppendHWC(nil, r.Image, 4, 4, 3, fit)
			if len(got) != 48 {
				t.Fatalf("%s: %d values", tc.name, len(got))
			}
			if tc.want == nil {
				for _, v := range got {
					if !(v >= 0 && v <= 1) {
						t.Fatalf("%s: value %v outside [0,1]", tc.name, v)
					}
				}
				continue
			}
			if fit == Pad && tc.w != tc.h {
				continue // padded with white: checked in TestCropAndPad
			}
			if !near(got, repeat(16, tc.want...), tc.tol) {
				t.Errorf("%s %s: got %v, want %v", tc.name, fit, got[:3], tc.want)
			}
		}
	}
}

func TestAppendHWCColourModels(t *testing.T) {
	y, cb, cr := color.RGBToYCbCr(orange.R, orange.G, orange.B)
	r, g, b := color.YCbCrToRGB(y, cb, cr)
	yccWant := []float32{float32(r) / 255, float32(g) / 255, float32(b) / 255}
	cc, cm, cy, ck := color.RGBToCMYK(orange.R, orange.G, orange.B)
	r, g, b = color.CMYKToRGB(cc, cm, cy, ck)
	cmykWant := []float32{float32(r) / 255, float32(g) / 255, float32(b) / 255}
	gray := []float32{0.5, 0.5, 0.5}

	ycc := func(ratio image.YCbCrSubsampleRatio) image.Image {
		m := image.NewYCbCr(image.Rect(0, 0, 8, 8), ratio)
		for i := range m.Y {
			m.Y[i] = y
		}
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = cb, cr
		}
		return m
	}
	cases := []struct {
		name string
		img  image.Image
		want []float32
	}{
		{"RGBA", rgba(8, 8, orange), rgb8(orange)},
		{"NRGBA", uniform(image.NewNRGBA(image.Rect(0, 0, 8, 8)), orange), rgb8(orange)},
		{"Gray", uniform(image.NewGray(image.Rect(0, 0, 8, 8)), color.Gray{0x80}), []float32{128. / 255, 128. / 255, 128. / 255}},
		{"Gray16", uniform(image.NewGray16(image.Rect(0, 0, 8, 8)), color.Gray16{0x8000}), gray},
		{"RGBA64", uniform(image.NewRGBA64(image.Rect(0, 0, 8, 8)), orange), rgb8(orange)},
		{"NRGBA64", uniform(image.NewNRGBA64(image.Rect(0, 0, 8, 8)), orange), rgb8(orange)},
		{"Paletted", image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{orange}), rgb8(orange)},
		{"YCbCr444", ycc(image.YCbCrSubsampleRatio444), yccWant},
		{"YCbCr420", ycc(image.YCbCrSubsampleRatio420), yccWant},
		{"YCbCr422", ycc(image.YCbCrSubsampleRatio422), yccWant},
		{"CMYK", uniform(image.NewCMYK(image.Rect(0, 0, 8, 8)), color.CMYK{cc, cm, cy, ck}), cmykWant},
		{"offset", rgba(20, 20, orange).SubImage(image.Rect(5, 7, 13, 15)), rgb8(orange)},
	}
	for _, tc := range cases {
		lum := lumR*tc.want[0] + lumG*tc.want[1] + lumB*tc.want[2]
		for _, size := range [][2]int{{8, 8}, {4, 4}, {3, 5}, {13, 11}} {
			for _, fit := range []Fit{Crop, ""} {
				got := AppendHWC(nil, tc.img, size[0], size[1], 3, fit)
				if n := size[0] * size[1]; !near(got, repeat(n, tc.want...), 1.5/255) {
					t.Errorf("%s to %v: got %v..., want %v", tc.name, size, got[:3], tc.want)
				}
				got = AppendHWC(nil, tc.img, size[0], size[1], 1, fit)
				if n := size[0] * size[1]; !near(got, repeat(n, lum), 1.5/255) {
					t.Errorf("%s to %v gray: got %v..., want %v", tc.name, size, got[:1], lum)
				}
			}
		}
	}
}

func TestAppendHWCTransparentIsWhite(t *testing.T) {
	for _, img := range []image.Image{
		image.NewNRGBA(image.Rect(0, 0, 1, 1)),
		image.NewRGBA(image.Rect(0, 0, 1, 1)),
		image.NewNRGBA64(image.Rect(0, 0, 1, 1)),
		image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.Transparent}),
	} {
		for _, c := range []int{1, 3} {
			// Direct copy (1×1) and resampled (2×2, 1×3).
			for _, size := range [][2]int{{1, 1}, {2, 2}, {1, 3}} {
				for _, fit := range []Fit{Crop, Pad} {
					got := AppendHWC(nil, img, size[0], size[1], c, fit)
					if !near(got, repeat(size[0]*size[1]*c, 1), 1e-6) {
						t.Errorf("%T to %v×%d %s: %v, want white", img, size, c, fit, got)
					}
				}
			}
		}
	}
	// Half-transparent red over white is pink.
	half := uniform(image.NewNRGBA(image.Rect(0, 0, 1, 1)), color.NRGBA{255, 0, 0, 128})
	got := AppendHWC(nil, half, 1, 1, 3, Crop)
	if want := []float32{1, 127. / 255, 127. / 255}; !near(got, want, 1.01/255) {
		t.Errorf("half-transparent red: %v, want %v", got, want)
	}
	got = AppendHWC(nil, half.(*image.NRGBA), 2, 2, 3, Crop) // resampled
	if want := repeat(4, 1, 127./255, 127./255); !near(got, want, 1.01/255) {
		t.Errorf("half-transparent red, resampled: %v, want %v", got, want)
	}
}

func TestCropAndPad(t *testing.T) {
	red, blue := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}
	R, B, W := []float32{1, 0, 0}, []float32{0, 0, 1}, []float32{1, 1, 1}
	img := image.NewRGBA(image.Rect(0, 0, 16, 8)) // left half red, right half blue
	uniform(img.SubImage(image.Rect(0, 0, 8, 8)).(*image.RGBA), red)
	uniform(img.SubImage(image.Rect(8, 0, 16, 8)).(*image.RGBA), blue)
	at := func(v []float32, w, y, x int) []float32 { i := (y*w + x) * 3; return v[i : i+3] }

	// Crop to 8×8: the centre, columns 4..11, unscaled: 4 red columns then 4 blue.
	got := AppendHWC(nil, img, 8, 8, 3, Crop)
	if len(got) != 8*8*3 {
		t.Fatalf("crop: %d values", len(got))
	}
	for y := range 8 {
		for x := range 8 {
			want := R
			if x >= 4 {
				want = B
			}
			if !near(at(got, 8, y, x), want, 0) {
				t.Fatalf("crop (%d,%d) = %v, want %v", x, y, at(got, 8, y, x), want)
			}
		}
	}
	// Pad to 8×8: scaled to 8×4 in rows 2..5, white above and below.
	got = AppendHWC(nil, img, 8, 8, 3, Pad)
	if len(got) != 8*8*3 {
		t.Fatalf("pad: %d values", len(got))
	}
	for y := range 8 {
		for x := range 8 {
			px := at(got, 8, y, x)
			switch {
			case y < 2 || y >= 6:
				if !near(px, W, 0) {
					t.Errorf("pad (%d,%d) = %v, want white", x, y, px)
				}
			case x == 0 || x == 1:
				if !near(px, R, 0.02) {
					t.Errorf("pad (%d,%d) = %v, want red", x, y, px)
				}
			case x == 6 || x == 7:
				if !near(px, B, 0.02) {
					t.Errorf("pad (%d,%d) = %v, want blue", x, y, px)
				}
			}
		}
	}
	// Non-square targets: pad 16×8 into 2 rows × 4 columns is a plain downscale; crop
	// into 8 rows × 2 columns keeps the centre columns 6..9 scaled: red then blue.
	got = AppendHWC(nil, img, 2, 4, 3, Pad)
	if len(got) != 2*4*3 || !near(at(got, 4, 0, 0), R, 0.02) || !near(at(got, 4, 1, 3), B, 0.02) {
		t.Errorf("pad to 2×4: %v", got)
	}
	// Into 2 rows × 8 columns it is scaled to 2×4 in columns 2..5, white either side.
	got = AppendHWC(nil, img, 2, 8, 3, Pad)
	if len(got) != 2*8*3 || !near(at(got, 8, 0, 0), W, 0) || !near(at(got, 8, 1, 7), W, 0) ||
		!near(at(got, 8, 0, 2), R, 0.1) || !near(at(got, 8, 1, 5), B, 0.1) {
		t.Errorf("pad to 2×8: %v", got)
	}
	got = AppendHWC(nil, img, 8, 2, 3, Crop)
	if len(got) != 8*2*3 || !near(at(got, 2, 3, 0), R, 0.1) || !near(at(got, 2, 3, 1), B, 0.1) {
		t.Errorf("crop to 8×2: %v", got)
	}
	// A tall image padded: white left and right.
	tall := rgba(4, 16, red)
	got = AppendHWC(nil, tall, 8, 8, 1, Pad)
	for y := range 8 {
		for x := range 8 {
			v := got[y*8+x]
			if x < 3 || x >= 5 {
				if v != 1 {
					t.Errorf("tall pad (%d,%d) = %v, want white", x, y, v)
				}
			} else if math.Abs(float64(v)-lumR) > 0.01 {
				t.Errorf("tall pad (%d,%d) = %v, want red's luminance %v", x, y, v, lumR)
			}
		}
	}
}

func TestAppendHWCAppendsAndPanics(t *testing.T) {
	dst := []float32{7, 8}
	dst = AppendHWC(dst, rgba(3, 3, orange), 2, 3, 3, Crop)
	if len(dst) != 2+2*3*3 || dst[0] != 7 || dst[1] != 8 {
		t.Fatalf("AppendHWC kept no prefix: %v", dst)
	}
	if got := AppendHWC(nil, nil, 2, 2, 1, Crop); !near(got, []float32{1, 1, 1, 1}, 0) {
		t.Errorf("nil image: %v, want white", got)
	}
	for _, bad := range [][3]int{{0, 1, 3}, {1, 0, 3}, {1, 1, 2}, {1, 1, 4}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AppendHWC to %v did not panic", bad)
				}
			}()
			AppendHWC(nil, rgba(1, 1, orange), bad[0], bad[1], bad[2], Crop)
		}()
	}
}

func TestPrepareBatch(t *testing.T) {
	imgs := []image.Image{
		rgba(32, 32, orange),
		uniform(image.NewGray(image.Rect(0, 0, 40, 20)), color.Gray{9}),
		image.NewNRGBA(image.Rect(0, 0, 5, 50)),
		encodeDecode(t, rgba(17, 23, color.RGBA{1, 2, 3, 255})),
	}
	for _, fit := range []Fit{Crop, Pad} {
		var want []float32
		for _, img := range imgs {
			want = AppendHWC(want, img, 16, 12, 3, fit)
		}
		if got := PrepareBatch(imgs, 16, 12, 3, fit); !slices.Equal(got, want) {
			t.Errorf("%s: PrepareBatch differs from AppendHWC", fit)
		}
	}
	if got := PrepareBatch(nil, 4, 4, 3, Crop); len(got) != 0 {
		t.Errorf("PrepareBatch(nil): %d values", len(got))
	}
}

func encodeDecode(t testing.TB, img image.Image) image.Image {
	t.Helper()
	out, err := Decode(bytes.NewReader(encJPEG(t, img)), "x.jpg")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseFit(t *testing.T) {
	for in, want := range map[string]Fit{"": Crop, "crop": Crop, "Pad": Pad, " pad ": Pad} {
		if got, err := ParseFit(in); err != nil || got != want {
			t.Errorf("ParseFit(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFit("stretch"); err == nil || !strings.Contains(err.Error(), "stretch") {
		t.Errorf("ParseFit(stretch): %v", err)
	}
	if Fit("").String() != "crop" || Pad.String() != "pad" {
		t.Error("Fit.String")
	}
}

func TestSkippedFiles(t *testing.T) {
	p := encPNG(t, rgba(2, 2, orange))
	root := tree(t, map[string][]byte{
		"a.png":           p,
		"sub/b.PNG":       p,
		".hidden.png":     p,
		"sub/._b.png":     p,
		".git/x.png":      p,
		".git/y.png":      p,
		"README.txt":      []byte("hello"),
		"sub/notes.md":    []byte("# notes"),
		"sub/deep/c.webp": mustRead(t, "testdata/gopher-doc.1bpp.lossless.webp"),
	})
	c := mustOpen(t, root)
	if got, want := c.Refs(), []string{"a.png", "sub/b.PNG", "sub/deep/c.webp"}; !slices.Equal(got, want) {
		t.Fatalf("refs %v, want %v", got, want)
	}
	if c.Len() != 3 {
		t.Errorf("Len %d", c.Len())
	}
	s := c.Summary()
	// .hidden.png, sub/._b.png and the .git folder (counted once, not descended).
	if s.Skipped["hidden files"] != 3 || s.Skipped["non-image files"] != 2 || s.SkippedTotal() != 5 {
		t.Errorf("skipped %v", s.Skipped)
	}
	if len(collect(t, c)) != 3 || c.Summary().Items != 3 {
		t.Errorf("summary after reading: %v", c.Summary())
	}
	if s := c.Summary().String(); !strings.Contains(s, "3 hidden files") {
		t.Errorf("summary %q", s)
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBadImages(t *testing.T) {
	good := encPNG(t, rgba(4, 4, orange))
	jpg := encJPEG(t, rgba(64, 64, orange))
	noise := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(i * 7919 >> 3)
	}
	body := encPNG(t, noise)
	root := tree(t, map[string][]byte{
		"1.png":           good,
		"2-corrupt.png":   append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0xAB}, 100)...),
		"3.png":           good,
		"4-truncated.jpg": jpg[:len(jpg)/2],
		"5-notimage.gif":  []byte("GIF? no, plain text"),
		"5-truncbody.png": body[:len(body)*2/3], // a sound header, pixels cut short
		"6-huge.png":      pngHeader(20000, 20000),
		"7.png":           good,
	})
	var ie *corpus.ItemError
	err := mustOpen(t, root).Batches(context.Background(), 2, func([]corpus.Record) error { return nil })
	if !errors.Is(err, corpus.ErrBadItem) || !errors.As(err, &ie) || ie.File != filepath.Join(root, "2-corrupt.png") {
		t.Fatalf("Batches: %v, want an ItemError for 2-corrupt.png", err)
	}
	if !strings.Contains(err.Error(), "2-corrupt.png") {
		t.Errorf("error %q does not name the file", err)
	}

	for _, name := range []string{"2-corrupt.png", "4-truncated.jpg", "5-notimage.gif", "5-truncbody.png", "6-huge.png"} {
		_, err := DecodeFile(filepath.Join(root, name))
		if !errors.As(err, &ie) || !errors.Is(err, corpus.ErrBadItem) || !strings.Contains(err.Error(), name) {
			t.Errorf("DecodeFile(%s): %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}

	c := mustOpen(t, root, corpus.OptSkipBad, "true")
	var sizes []int
	var got []string
	err = c.Batches(context.Background(), 2, func(b []corpus.Record) error {
		sizes = append(sizes, len(b))
		got = append(got, refs(b)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"1.png", "3.png", "7.png"}; !slices.Equal(got, want) {
		t.Errorf("skip-bad: %v, want %v", got, want)
	}
	if !slices.Equal(sizes, []int{2, 1}) {
		t.Errorf("skip-bad batch sizes %v, want [2 1]", sizes)
	}
	if s := c.Summary(); s.Skipped["bad images"] != 5 || s.Items != 3 {
		t.Errorf("skip-bad summary %+v", s)
	}
	// Resolve of a bad image is the same ItemError.
	if _, err := c.Resolve("2-corrupt.png"); !errors.Is(err, corpus.ErrBadItem) {
		t.Errorf("Resolve(bad): %v", err)
	}
}

func TestHugeHeaderRefusedBeforeAllocation(t *testing.T) {
	data := pngHeader(20000, 20000)
	if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width != 20000 {
		t.Fatalf("the fixture is not a valid PNG header: %v, %v", cfg, err)
	}
	path := filepath.Join(t.TempDir(), "huge.png")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err1 := DecodeFile(path)
	_, err2 := Decode(bytes.NewReader(data), "huge.png")
	runtime.ReadMemStats(&after)
	for _, err := range []error{err1, err2} {
		if err == nil || !strings.Contains(err.Error(), "declares 20000×20000 pixels, more than the 40000000 allowed") ||
			!strings.Contains(err.Error(), "huge.png") || !errors.Is(err, corpus.ErrBadItem) {
			t.Errorf("err %v", err)
		}
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 10<<20 {
		t.Errorf("refusing the image allocated %d bytes", n)
	}
	allocs := testing.AllocsPerRun(10, func() { Decode(bytes.NewReader(data), "huge.png") })
	if allocs > 50 {
		t.Errorf("%v allocations", allocs)
	}

	// An image within the limit decodes; lowering the limit refuses it.
	small := encPNG(t, rgba(10, 10, orange))
	defer func(m int) { MaxPixels = m }(MaxPixels)
	MaxPixels = 99
	if _, err := Decode(bytes.NewReader(small), "s.png"); err == nil || !strings.Contains(err.Error(), "10×10") {
		t.Errorf("MaxPixels=99: %v", err)
	}
	MaxPixels = 100
	if _, err := Decode(bytes.NewReader(small), "s.png"); err != nil {
		t.Errorf("MaxPixels=100: %v", err)
	}
	defer func(m int64) { MaxFileBytes = m }(MaxFileBytes)
	MaxFileBytes = int64(len(small) - 1)
	if _, err := Decode(bytes.NewReader(small), "s.png"); err == nil || !errors.Is(err, corpus.ErrBadItem) {
		t.Errorf("MaxFileBytes: %v", err)
	}
	if err := os.WriteFile(path, small, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeFile(path); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("DecodeFile over MaxFileBytes: %v", err)
	}
	if _, err := DecodeFile(filepath.Join(t.TempDir(), "missing.png")); !errors.Is(err, os.ErrNotExist) || !errors.Is(err, corpus.ErrBadItem) {
		t.Errorf("DecodeFile(missing): %v", err)
	}
}

func TestCheckSize(t *testing.T) {
	for _, wh := range [][2]int{{0, 1}, {1, 0}, {-1, 5}, {40_000_001, 1}, {1 << 31, 1 << 31}} {
		if err := checkSize(wh[0], wh[1]); err == nil {
			t.Errorf("checkSize%v accepted", wh)
		}
	}
	if err := checkSize(40_000_000, 1); err != nil {
		t.Error(err)
	}
}

func TestResolve(t *testing.T) {
	root := labelled(t)
	if err := os.WriteFile(filepath.Join(filepath.Dir(root), "outside.png"), encPNG(t, rgba(1, 1, orange)), 0o644); err != nil {
		t.Fatal(err)
	}
	c := mustOpen(t, root)
	r, err := c.Resolve("dogs/e.bmp")
	if err != nil || r.Ref != "dogs/e.bmp" || r.Label != "dogs" || r.Image.Bounds().Dx() != 4 {
		t.Fatalf("Resolve(dogs/e.bmp) = %+v, %v", r, err)
	}
	if r, err := c.Resolve("cats/./2019/../2019/b.png"); err != nil || r.Ref != "cats/2019/b.png" || r.Label != "cats" {
		t.Errorf("Resolve(unclean) = %+v, %v", r.Item, err)
	}
	for _, ref := range []string{"../x", "../outside.png", "/etc/passwd", "cats/../../outside.png", "nope.png", "cats", ""} {
		if _, err := c.Resolve(ref); !errors.Is(err, corpus.ErrNoRef) {
			t.Errorf("Resolve(%q): %v, want ErrNoRef", ref, err)
		}
	}
	// Records from Resolve match those from Batches.
	for _, rec := range collect(t, c) {
		r, err := c.Resolve(rec.Ref)
		if err != nil || r.Item.Label != rec.Label || r.Image.Bounds() != rec.Image.Bounds() {
			t.Errorf("Resolve(%s) = %+v, %v; Batches gave %+v", rec.Ref, r.Item, err, rec.Item)
		}
	}
}

func TestDeterministicOrder(t *testing.T) {
	files := map[string][]byte{}
	p := encPNG(t, rgba(2, 2, orange))
	for _, name := range []string{"b/2.png", "a.png", "b.png", "a/z.png", "a/b/c.png", "A.png", "a-b.png", "b/10.png"} {
		files[name] = p
	}
	root := tree(t, files)
	want := []string{"A.png", "a/b/c.png", "a/z.png", "a-b.png", "a.png", "b/10.png", "b/2.png", "b.png"}
	for i := range 3 {
		c := mustOpen(t, root)
		if got := refs(collect(t, c)); !slices.Equal(got, want) {
			t.Fatalf("run %d: %v, want %v", i, got, want)
		}
		if n := 1 + i; true { // any batch size gives the same order
			var got []string
			c.Batches(context.Background(), n, func(b []corpus.Record) error { got = append(got, refs(b)...); return nil })
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d: %v", n, got)
			}
		}
	}
}

func TestBatches(t *testing.T) {
	files := map[string][]byte{}
	for i := range 7 {
		files[fmt.Sprintf("%d.png", i)] = encPNG(t, rgba(3+i, 2, orange))
	}
	c := mustOpen(t, tree(t, files))
	for n, want := range map[int][]int{1: {1, 1, 1, 1, 1, 1, 1}, 3: {3, 3, 1}, 7: {7}, 100: {7}} {
		var sizes []int
		err := c.Batches(context.Background(), n, func(b []corpus.Record) error {
			sizes = append(sizes, len(b))
			for _, r := range b {
				if r.Image == nil {
					t.Fatal("nil image")
				}
			}
			return nil
		})
		if err != nil || !slices.Equal(sizes, want) {
			t.Errorf("n=%d: sizes %v, %v; want %v", n, sizes, err, want)
		}
		if c.Summary().Items != 7 {
			t.Errorf("n=%d: summary %+v", n, c.Summary())
		}
	}
	if err := c.Batches(context.Background(), 0, func([]corpus.Record) error { return nil }); err == nil {
		t.Error("n=0 accepted")
	}

	// Records keep their images after fn returns.
	var kept []corpus.Record
	c.Batches(context.Background(), 2, func(b []corpus.Record) error { kept = append(kept, b...); return nil })
	for i, r := range kept {
		if r.Ref != fmt.Sprintf("%d.png", i) || r.Image.Bounds().Dx() != 3+i {
			t.Errorf("kept record %d: %s %v", i, r.Ref, r.Image.Bounds())
		}
	}

	// An error from fn stops the walk and is returned.
	stop := errors.New("stop")
	calls := 0
	err := c.Batches(context.Background(), 2, func([]corpus.Record) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("fn error: %v after %d calls", err, calls)
	}

	// Cancellation: after the first batch, and before any.
	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	err = c.Batches(ctx, 2, func([]corpus.Record) error { calls++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("cancelled: %v after %d calls", err, calls)
	}
	calls = 0
	if err := c.Batches(ctx, 2, func([]corpus.Record) error { calls++; return nil }); !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("cancelled before: %v after %d calls", err, calls)
	}
	// No goroutine keeps decoding after Batches returns.
	deadline := time.Now().Add(2 * time.Second)
	before := runtime.NumGoroutine()
	for i := range 20 {
		c.Batches(context.Background(), 1, func([]corpus.Record) error {
			if i%2 == 0 {
				return stop
			}
			return nil
		})
	}
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after, %d before", n, before)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope")
	if _, err := Open(spec(missing)); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing root: %v", err)
	}
	file := filepath.Join(dir, "f.png")
	os.WriteFile(file, encPNG(t, rgba(1, 1, orange)), 0o644)
	if _, err := Open(spec(file)); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("file root: %v", err)
	}
	if _, err := Open(spec("")); !errors.Is(err, corpus.ErrSpec) {
		t.Errorf("empty root: %v", err)
	}
	empty := tree(t, map[string][]byte{"README.txt": []byte("x"), ".x.png": nil})
	if _, err := Open(spec(empty)); !errors.Is(err, corpus.ErrEmpty) || !strings.Contains(err.Error(), empty) {
		t.Errorf("no images: %v", err)
	}
	for _, opts := range [][]string{{corpus.OptLabels, "csv"}, {corpus.OptSkipBad, "perhaps"}} {
		if _, err := Open(spec(dir, opts...)); !errors.Is(err, corpus.ErrSpec) {
			t.Errorf("options %v: %v", opts, err)
		}
	}
	if _, err := Open(spec(dir, corpus.OptSkipBad, "false")); err != nil {
		t.Errorf("skip-bad=false: %v", err)
	}
}

func TestSymlinks(t *testing.T) {
	p := encPNG(t, rgba(2, 2, orange))
	outside := tree(t, map[string][]byte{"secret.png": p, "dir/other.png": p})
	root := tree(t, map[string][]byte{"real/a.png": p})
	links := map[string]string{
		"real/linked.png": filepath.Join(outside, "secret.png"),  // a file: followed
		"escape":          filepath.Join(outside, "dir"),         // a folder outside: not followed
		"loop":            ".",                                   // a folder inside: not followed
		"real/broken.png": filepath.Join(outside, "missing.png"), // counted
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))); err != nil {
			t.Skipf("symlinks: %v", err)
		}
	}
	c := mustOpen(t, root)
	if got, want := c.Refs(), []string{"real/a.png", "real/linked.png"}; !slices.Equal(got, want) {
		t.Errorf("refs %v, want %v", got, want)
	}
	if s := c.Summary(); s.Skipped["linked folders"] != 2 || s.Skipped["broken links"] != 1 {
		t.Errorf("skipped %v", s.Skipped)
	}
	if _, err := c.Resolve("escape/other.png"); !errors.Is(err, corpus.ErrNoRef) {
		t.Errorf("Resolve through a linked folder: %v", err)
	}
	if len(collect(t, c)) != 2 {
		t.Error("records")
	}
	// A root that is itself a link is walked.
	link := filepath.Join(t.TempDir(), "root")
	if err := os.Symlink(root, link); err != nil {
		t.Fatal(err)
	}
	lc := mustOpen(t, link)
	if !slices.Equal(lc.Refs(), c.Refs()) {
		t.Errorf("linked root: %v", lc.Refs())
	}
	if _, err := lc.Resolve("real/a.png"); err != nil {
		t.Errorf("linked root Resolve: %v", err)
	}
}

func TestShape(t *testing.T) {
	root := tree(t, map[string][]byte{
		"a.png": encPNG(t, rgba(32, 24, orange)),
		"b.jpg": encJPEG(t, rgba(32, 24, orange)),
		"c.png": encPNG(t, rgba(10, 10, orange)),
		"d.gif": encGIF(t, rgba(32, 24, orange)),
		"e.bmp": []byte("corrupt"),
	})
	c := mustOpen(t, root)
	if h, w, ch := c.Shape(); h != 24 || w != 32 || ch != 3 {
		t.Errorf("Shape = %d, %d, %d; want 24, 32, 3", h, w, ch)
	}
	if h, w, ch := ShapeOf(c); h != 24 || w != 32 || ch != 3 {
		t.Errorf("ShapeOf = %d, %d, %d", h, w, ch)
	}
	gray := image.NewGray(image.Rect(0, 0, 8, 6))
	g16 := image.NewGray16(image.Rect(0, 0, 8, 6))
	gc := mustOpen(t, tree(t, map[string][]byte{"a.png": encPNG(t, gray), "b.png": encPNG(t, g16), "c.jpg": encJPEG(t, gray)}))
	if h, w, ch := gc.Shape(); h != 6 || w != 8 || ch != 1 {
		t.Errorf("gray Shape = %d, %d, %d; want 6, 8, 1", h, w, ch)
	}
	// Another image corpus: its first batch is looked at.
	fc := fakeCorpus{imgs: []image.Image{gray, rgba(5, 7, orange), rgba(5, 7, orange)}}
	if h, w, ch := ShapeOf(fc); h != 7 || w != 5 || ch != 3 {
		t.Errorf("ShapeOf(fake) = %d, %d, %d", h, w, ch)
	}
	if h, w, ch := ShapeOf(fakeCorpus{kind: corpus.Text}); h != 0 || w != 0 || ch != 0 {
		t.Errorf("ShapeOf(text) = %d, %d, %d", h, w, ch)
	}
}

type fakeCorpus struct {
	kind corpus.Kind
	imgs []image.Image
}

func (f fakeCorpus) Spec() corpus.Spec { return corpus.Spec{} }
func (f fakeCorpus) Kind() corpus.Kind {
	if f.kind == "" {
		return corpus.Image
	}
	return f.kind
}
func (f fakeCorpus) Len() int { return len(f.imgs) }
func (f fakeCorpus) Batches(ctx context.Context, n int, fn func([]corpus.Record) error) error {
	var b []corpus.Record
	for i, img := range f.imgs {
		b = append(b, corpus.Record{Item: corpus.Item{Ref: fmt.Sprint(i)}, Image: img})
	}
	return fn(b)
}
func (f fakeCorpus) Resolve(string) (corpus.Record, error) { return corpus.Record{}, corpus.ErrNoRef }
func (f fakeCorpus) Summary() corpus.Summary               { return corpus.Summary{} }

// --- fuzzing ---

func seeds(f *testing.F) {
	pal := image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{orange, color.Transparent})
	pal.Pix[1] = 1
	f.Add(encPNG(f, rgba(3, 2, orange)))
	f.Add(encPNG(f, pal))
	f.Add(encPNG(f, image.NewGray16(image.Rect(0, 0, 2, 2))))
	f.Add(encGIF(f, pal))
	f.Add(encBMP(f, pal))
	f.Add(encBMP(f, image.NewNRGBA(image.Rect(0, 0, 2, 3))))
	f.Add(encJPEG(f, rgba(9, 9, orange)))
	f.Add(encTIFF(f, image.NewGray(image.Rect(0, 0, 2, 2))))
	f.Add(mustRead(f, "testdata/gopher-doc.1bpp.lossless.webp"))
	f.Add(pngHeader(20000, 20000))
	f.Add([]byte{})
}

// FuzzDecode: any bytes are decoded or refused with an ItemError, without panicking.
// MaxPixels is lowered so that no input can make the decoder allocate more than a few
// megabytes; the header check is what bounds it.
func FuzzDecode(f *testing.F) {
	seeds(f)
	defer func(m int) { MaxPixels = m }(MaxPixels)
	MaxPixels = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(bytes.NewReader(data), "fuzz")
		if err != nil {
			var ie *corpus.ItemError
			if !errors.As(err, &ie) || ie.File != "fuzz" {
				t.Fatalf("error %v is not an ItemError naming the input", err)
			}
			if img != nil {
				t.Fatal("an image with an error")
			}
			return
		}
		b := img.Bounds()
		if b.Empty() || b.Dx()*b.Dy() > MaxPixels {
			t.Fatalf("decoded %v", b)
		}
	})
}

// FuzzAppendHWC: whatever decodes can be prepared at any size, with values in [0,1].
func FuzzAppendHWC(f *testing.F) {
	seeds(f)
	defer func(m int) { MaxPixels = m }(MaxPixels)
	MaxPixels = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		sum := crc32.ChecksumIEEE(data)
		h, w := 1+int(sum%23), 1+int(sum/23%29)
		for _, c := range []int{1, 3} {
			for _, fit := range []Fit{Crop, Pad} {
				out := AppendHWC(nil, img, h, w, c, fit)
				if len(out) != h*w*c {
					t.Fatalf("%d values for %d×%d×%d", len(out), h, w, c)
				}
				for _, v := range out {
					if !(v >= 0 && v <= 1) {
						t.Fatalf("value %v", v)
					}
				}
			}
		}
	})
}

// --- benchmarks ---

func BenchmarkBatches(b *testing.B) {
	const count = 2000
	root := b.TempDir()
	for i := range count {
		img := rgba(32, 32, color.RGBA{uint8(i), uint8(i >> 3), 50, 255})
		img.Pix[4*(i%1024)] = 0 // not quite uniform
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("%05d.png", i)), encPNG(b, img), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	c := mustOpen(b, root)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		n := 0
		err := c.Batches(context.Background(), 256, func(batch []corpus.Record) error { n += len(batch); return nil })
		if err != nil || n != count {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(b.N*count)/time.Since(start).Seconds(), "images/s")
}

func BenchmarkAppendHWC(b *testing.B) {
	ycc := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	cases := []struct {
		name    string
		img     image.Image
		h, w, c int
		fit     Fit
	}{
		{"RGBA32-32x32x3", rgba(32, 32, orange), 32, 32, 3, Crop},
		{"NRGBA32-32x32x3", uniform(image.NewNRGBA(image.Rect(0, 0, 32, 32)), orange), 32, 32, 3, Crop},
		{"Gray28-28x28x1", image.NewGray(image.Rect(0, 0, 28, 28)), 28, 28, 1, Crop},
		{"Paletted32-32x32x3", image.NewPaletted(image.Rect(0, 0, 32, 32), color.Palette{orange}), 32, 32, 3, Crop},
		{"RGBA64-32-crop", rgba(64, 64, orange), 32, 32, 3, Crop},
		{"YCbCr640x480-224-crop", ycc, 224, 224, 3, Crop},
		{"YCbCr640x480-224-pad", ycc, 224, 224, 3, Pad},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			dst := make([]float32, 0, tc.h*tc.w*tc.c)
			b.ReportAllocs()
			for range b.N {
				dst = AppendHWC(dst[:0], tc.img, tc.h, tc.w, tc.c, tc.fit)
			}
		})
	}
}
