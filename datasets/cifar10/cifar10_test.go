package cifar10

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var classNames = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n"

// record builds a binary record whose R plane is all r, G all g, B all b.
func record(label, r, g, b byte) []byte {
	rec := make([]byte, RecordSize)
	rec[0] = label
	for i := 0; i < 1024; i++ {
		rec[1+i], rec[1+1024+i], rec[1+2048+i] = r, g, b
	}
	return rec
}

func writeBinary(t *testing.T, dir string, batches map[string][][]byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "batches.meta.txt"), []byte(classNames), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, recs := range batches {
		if err := os.WriteFile(filepath.Join(dir, name), bytes.Join(recs, nil), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBinaryReadAndStream(t *testing.T) {
	dir := t.TempDir()
	writeBinary(t, dir, map[string][][]byte{
		"data_batch_1.bin":         {record(3, 10, 20, 30), record(7, 1, 2, 3), record(0, 255, 0, 0)},
		"data_batch_2.bin":         {record(9, 0, 0, 255)},
		"test_batch_first1000.bin": {record(1, 5, 5, 5)},
	})
	ds, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	train, err := ds.Split(Train)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 4 {
		t.Fatalf("train len %d, want 4", train.Len())
	}
	if !strings.Contains(train.Partial, "2 of the 5") {
		t.Errorf("train.Partial = %q, want a note on missing batches", train.Partial)
	}
	test, _ := ds.Split(Test)
	if !strings.Contains(test.Partial, "test_batch_first1000.bin") {
		t.Errorf("test.Partial = %q, want a note naming the partial file", test.Partial)
	}
	rec, err := train.Record(3)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Label != 9 || rec.Ref.Record != 0 || filepath.Base(rec.Ref.File) != "data_batch_2.bin" {
		t.Errorf("record 3 = label %d ref %v", rec.Label, rec.Ref)
	}
	if got := rec.Pixels[:3]; !bytes.Equal(got, []byte{0, 0, 255}) {
		t.Errorf("record 3 first pixel %v, want [0 0 255] (planes → HWC)", got)
	}
	if c := rec.Image().RGBAAt(31, 31); c != (color.RGBA{0, 0, 255, 255}) {
		t.Errorf("Image() pixel %v", c)
	}
	var labels []int
	var floats []float32
	for batch, err := range train.Batches(3) {
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range batch {
			labels = append(labels, r.Label)
		}
		floats = Float32HWC(batch, floats)
	}
	if fmt.Sprint(labels) != "[3 7 0 9]" {
		t.Errorf("streamed labels %v", labels)
	}
	if len(floats) != PixelBytes || floats[2] != 1 {
		t.Errorf("last batch floats len %d, B of first pixel %v, want 3072 and 1", len(floats), floats[2])
	}
	counts, err := train.ClassCounts()
	if err != nil {
		t.Fatal(err)
	}
	if counts[3] != 1 || counts[9] != 1 || counts[1] != 0 {
		t.Errorf("class counts %v", counts)
	}
}

func TestBinaryBadInput(t *testing.T) {
	t.Run("truncated", func(t *testing.T) {
		dir := t.TempDir()
		writeBinary(t, dir, map[string][][]byte{"data_batch_1.bin": {record(1, 0, 0, 0), record(2, 0, 0, 0)[:100]}})
		_, err := Open(dir, Options{})
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Record != 1 || !strings.Contains(err.Error(), "data_batch_1.bin") || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("err = %v, want truncated FormatError at record 1", err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		dir := t.TempDir()
		writeBinary(t, dir, map[string][][]byte{"data_batch_1.bin": {}})
		if _, err := Open(dir, Options{}); !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), "empty") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("label", func(t *testing.T) {
		dir := t.TempDir()
		writeBinary(t, dir, map[string][][]byte{"data_batch_1.bin": {record(1, 0, 0, 0), record(12, 0, 0, 0), record(2, 0, 0, 0)}})
		ds, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		train, _ := ds.Split(Train)
		var gotErr error
		for _, err := range train.Batches(2) {
			if err != nil {
				gotErr = err
			}
		}
		var fe *FormatError
		if !errors.As(gotErr, &fe) || fe.Record != 1 || !strings.Contains(gotErr.Error(), "label byte 12") {
			t.Fatalf("err = %v, want label error at record 1", gotErr)
		}
		// SkipBad: skipped and counted.
		ds, _ = Open(dir, Options{SkipBad: true})
		train, _ = ds.Split(Train)
		n := 0
		for b, err := range train.Batches(2) {
			if err != nil {
				t.Fatal(err)
			}
			n += len(b)
		}
		if n != 2 || train.Skipped() != 1 {
			t.Errorf("SkipBad read %d, skipped %d; want 2 and 1", n, train.Skipped())
		}
	})
	t.Run("meta", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "data_batch_1.bin"), record(1, 0, 0, 0), 0o644)
		if _, err := Open(dir, Options{}); !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), "batches.meta.txt") {
			t.Fatalf("err = %v", err)
		}
	})
}

func writePNG(t *testing.T, p string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		copy(img.Pix[4*i:], []byte{c.R, c.G, c.B, c.A})
	}
	return img
}

func TestPNGLayout(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "train"), 0o755)
	os.WriteFile(filepath.Join(dir, "labels.txt"), []byte(classNames), 0o644)
	writePNG(t, filepath.Join(dir, "train", "10_frog.png"), solid(32, 32, color.RGBA{1, 2, 3, 255}))
	writePNG(t, filepath.Join(dir, "train", "2_cat.png"), solid(32, 32, color.RGBA{9, 8, 7, 255}))
	ds, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	train, _ := ds.Split(Train)
	if train.Len() != 2 {
		t.Fatalf("len %d", train.Len())
	}
	rec, err := train.Record(0) // id 2 sorts first
	if err != nil {
		t.Fatal(err)
	}
	if rec.Label != 3 || !bytes.Equal(rec.Pixels[:3], []byte{9, 8, 7}) || rec.Ref.Record != -1 {
		t.Errorf("rec = label %d px %v ref %v", rec.Label, rec.Pixels[:3], rec.Ref)
	}
	n := 0
	for b, err := range train.Batches(1) {
		if err != nil {
			t.Fatal(err)
		}
		n += len(b)
	}
	if n != 2 {
		t.Errorf("streamed %d", n)
	}

	// Wrong size and grey images name the file.
	writePNG(t, filepath.Join(dir, "train", "11_cat.png"), solid(16, 16, color.RGBA{0, 0, 0, 255}))
	gray := image.NewGray(image.Rect(0, 0, 32, 32))
	writePNG(t, filepath.Join(dir, "train", "12_cat.png"), gray)
	ds, _ = Open(dir, Options{})
	train, _ = ds.Split(Train)
	_, err = train.Record(2)
	if !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), "11_cat.png") || !strings.Contains(err.Error(), "16×16") {
		t.Errorf("wrong-size err = %v", err)
	}
	_, err = train.Record(3)
	if !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), "12_cat.png") || !strings.Contains(err.Error(), "colour") {
		t.Errorf("grey err = %v", err)
	}

	os.Remove(filepath.Join(dir, "labels.txt"))
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), "labels.txt") {
		t.Errorf("missing labels.txt err = %v", err)
	}
}

func tarGz(t *testing.T, files map[string][]byte) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, b := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestDownload(t *testing.T) {
	archive := tarGz(t, map[string][]byte{
		"cifar-10-batches-bin/data_batch_1.bin": bytes.Join([][]byte{record(4, 1, 1, 1), record(5, 2, 2, 2)}, nil),
		"cifar-10-batches-bin/batches.meta.txt": []byte(classNames),
	})
	sum := md5.Sum(archive)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(archive)
	}))
	defer srv.Close()

	root := t.TempDir()
	var last int64
	d := &Downloader{URL: srv.URL, MD5: hex.EncodeToString(sum[:]), Client: srv.Client(), Progress: func(done, _ int64) { last = done }}
	dir, err := d.Download(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if last != int64(len(archive)) {
		t.Errorf("progress ended at %d of %d bytes", last, len(archive))
	}
	ds, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := ds.Split(Train); s.Len() != 2 {
		t.Errorf("downloaded train len %d", s.Len())
	}

	// Wrong checksum: error, and nothing left behind.
	root2 := t.TempDir()
	d.MD5 = strings.Repeat("0", 32)
	if _, err := d.Download(context.Background(), root2); !errors.Is(err, ErrChecksum) {
		t.Fatalf("err = %v, want ErrChecksum", err)
	}
	if ents, _ := os.ReadDir(root2); len(ents) != 0 {
		t.Errorf("failed download left %v", ents)
	}
}

// TestSharedCIFAR checks the real data in ../shared/datasets when it is present.
func TestSharedCIFAR(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "datasets", "cifar-10-batches-bin")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared CIFAR-10 not present at %s: %v", dir, err)
	}
	ds, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	train, _ := ds.Split(Train)
	counts, err := train.ClassCounts()
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 50000 {
		t.Errorf("train %d, want 50000", train.Len())
	}
	for c, n := range counts {
		if n != 5000 {
			t.Errorf("class %s: %d, want 5000", ds.Classes[c], n)
		}
	}
	test, _ := ds.Split(Test)
	if test.Len() != 1000 || test.Partial == "" {
		t.Errorf("test %d partial %q", test.Len(), test.Partial)
	}
	if ds.Classes[0] != "airplane" || ds.Classes[9] != "truck" {
		t.Errorf("classes %v", ds.Classes)
	}
}

func TestReadRef(t *testing.T) {
	dir := t.TempDir()
	writeBinary(t, dir, map[string][][]byte{"data_batch_1.bin": {record(3, 1, 2, 3), record(8, 7, 8, 9)}})
	ref, err := ParseRef(filepath.Join(dir, "data_batch_1.bin") + "#1")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ReadRef(ref)
	if err != nil || rec.Label != 8 || !bytes.Equal(rec.Pixels[:3], []byte{7, 8, 9}) {
		t.Errorf("ReadRef: %+v %v", rec.Ref, err)
	}
	if _, err := ReadRef(Ref{File: ref.File, Record: 5}); !errors.Is(err, ErrBadData) {
		t.Errorf("record past the end: %v", err)
	}
	if _, err := ParseRef("x.bin#-2"); err == nil {
		t.Error("negative record accepted")
	}
}
