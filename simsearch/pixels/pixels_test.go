package pixels

import (
	"context"
	"testing"
)

func TestDownsampleAverages(t *testing.T) {
	e, err := New(4, 4, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	img := []float32{
		1, 1, 0, 0,
		1, 1, 0, 0,
		0, 0, 0.5, 0.5,
		0, 0, 0.5, 1.5,
	}
	out, err := e.EncodeImages(context.Background(), img, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 0, 0, 0.75}
	for i := range want {
		if out[i] != want[i] {
			t.Fatalf("out %v, want %v", out, want)
		}
	}
	if e.Dim() != 4 {
		t.Errorf("dim %d", e.Dim())
	}
	if _, err := New(32, 32, 3, 5); err == nil {
		t.Error("factor 5 accepted for 32×32")
	}
	back, err := FromInfo(e.Info())
	if err != nil || back.Factor != 2 {
		t.Errorf("FromInfo: %+v %v", back, err)
	}
}

func TestIdentityNoCopy(t *testing.T) {
	e, _ := New(2, 2, 3, 1)
	img := make([]float32, 2*12)
	out, _ := e.EncodeImages(context.Background(), img, 2)
	if &out[0] != &img[0] {
		t.Error("factor 1 copied the input")
	}
	if _, err := e.EncodeImages(context.Background(), img[:5], 2); err == nil {
		t.Error("wrong length accepted")
	}
}
