// Package cifar10test writes small CIFAR-10 fixtures in the official binary format for
// tests of packages that read CIFAR-10.
package cifar10test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
)

// Classes is the fixture's batches.meta.txt content: ten one-letter class names.
const Classes = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"

// Write creates dir/cifar-10-batches-bin with data_batch_1.bin holding n images and
// test_batch.bin holding the first nTest of them, and returns dir. Image i has label i%10
// and pixels 20·label plus small deterministic noise, so images of a label are each
// other's nearest neighbours.
func Write(t testing.TB, dir string, n, nTest int) string {
	t.Helper()
	bin := filepath.Join(dir, "cifar-10-batches-bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		label := byte(i % 10)
		buf.WriteByte(label)
		for p := 0; p < cifar10.PixelBytes; p++ {
			buf.WriteByte(20*label + byte((i*7+p*13)%9))
		}
	}
	files := map[string][]byte{
		"batches.meta.txt": []byte(Classes),
		"data_batch_1.bin": buf.Bytes(),
	}
	if nTest > 0 {
		files["test_batch.bin"] = buf.Bytes()[:nTest*cifar10.RecordSize]
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(bin, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
