package display

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestGridLayoutAndPNG(t *testing.T) {
	red := FloatImage([]float32{1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0}, 2, 2)
	blue := FloatImage([]float32{0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 2}, 2, 2) // 2 clips to 1
	g := Grid{Rows: [][]image.Image{{red, blue}, {blue}}, Scale: 3, Gap: 1}
	img, err := g.Image()
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 2*(6+1)+1 || b.Dy() != 2*(6+1)+1 {
		t.Fatalf("size %v", b)
	}
	if c := img.RGBAAt(1, 1); c != (color.RGBA{255, 0, 0, 255}) {
		t.Errorf("top-left cell %v, want red", c)
	}
	if c := img.RGBAAt(1+7+5, 1); c != (color.RGBA{0, 0, 255, 255}) {
		t.Errorf("top-right cell %v, want blue", c)
	}
	if c := img.RGBAAt(1+7+2, 1+7+2); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("missing cell %v, want background", c)
	}
	p := filepath.Join(t.TempDir(), "g.png")
	if err := g.WritePNG(p); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(p)
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("written PNG does not decode: %v", err)
	}
	if _, err := (Grid{}).Image(); err == nil {
		t.Error("empty grid accepted")
	}
}
