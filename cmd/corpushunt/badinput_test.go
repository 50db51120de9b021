package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corpushunt/corpushunt/datasets/cifar10/cifar10test"
)

// hugePNG writes a PNG whose header declares w×h pixels and holds no image data.
func hugePNG(t *testing.T, p string, w, h uint32) {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Bad flags and inputs exit non-zero with a message that says what is wrong, in a real
// process (stderr is what a user reads).
func TestCLIBadInputsSayWhy(t *testing.T) {
	quiet = true
	data := cifar10test.Write(t, t.TempDir(), 300, 30)
	ix := filepath.Join(t.TempDir(), "ix")
	ctx := context.Background()
	if code := run(ctx, []string{"index", "--data", data, "--dataset", "cifar10", "--downsample", "8", "--out", ix}); code != 0 {
		t.Fatalf("index exited %d", code)
	}
	txt := filepath.Join(t.TempDir(), "lines.txt")
	os.WriteFile(txt, []byte("the printer is jammed\nthe vpn is down\nthe printer is out of toner\n"), 0o644)
	tix := filepath.Join(t.TempDir(), "tix")
	if code := run(ctx, []string{"index", "--text", txt, "--out", tix}); code != 0 {
		t.Fatalf("text index exited %d", code)
	}
	huge := filepath.Join(t.TempDir(), "huge.png")
	hugePNG(t, huge, 20000, 20000)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"query", "--index", ix, "--item", "-1"}, "row id from 0 to 299"},
		{[]string{"query", "--index", ix, "--item", "5", "-k", "9223372036854775807"}, "-k 9223372036854775807: want 1 to"},
		{[]string{"query", "--index", ix, "--image", huge}, "20000×20000"},
		{[]string{"index", "--data", data, "--dataset", "cifar10", "--limit", "-5", "--out", filepath.Join(t.TempDir(), "x")}, "--limit -5"},
		{[]string{"train", "--images", data, "--epochs", "0", "--out", filepath.Join(t.TempDir(), "m")}, "--epochs"},
		{[]string{"eval", "--data", data, "--index", ix, "-k", "5000"}, "the index holds 300 items"},
		{[]string{"eval", "--data", data, "--index", ix, "--queries", "cifar10:train"}, "the indexed items themselves"},
		{[]string{"index", "--data", "/nonexistent", "--dataset", "cifar10", "--out", filepath.Join(t.TempDir(), "x")}, "/nonexistent"},
		{[]string{"tune", "--index", ix, "--queries", "-1"}, "-1 queries"},
		{[]string{"query", "--index", tix, "--text", "zebra quokka"}, "none of the query's words"},
		{[]string{"query", "--index", tix, "--image", huge}, "which take no images"},
		{[]string{"index", "--images", "/nonexistent/photos", "--out", filepath.Join(t.TempDir(), "x")}, "/nonexistent/photos"},
		{[]string{"index", "--text", txt, "--encoder", "pixels", "--out", filepath.Join(t.TempDir(), "x")}, "encodes image items"},
	}
	for _, c := range cases {
		cmd := cli(t, c.args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if err == nil {
			t.Errorf("corpushunt %v exited 0", c.args)
			continue
		}
		if !strings.Contains(stderr.String(), c.want) {
			t.Errorf("corpushunt %v: stderr %q lacks %q", c.args, stderr.String(), c.want)
		}
		if strings.Contains(stderr.String(), "panic") {
			t.Errorf("corpushunt %v panicked: %s", c.args, stderr.String())
		}
	}
	// Invalid UTF-8 (in-process: the child's JSON-encoded arguments cannot carry it).
	if code := run(ctx, []string{"query", "--index", tix, "--text", "\xff\xfeprinter"}); code == 0 {
		t.Error("a query of invalid UTF-8 exited 0")
	}
	// A text index's report works (it has no model history to draw).
	if code := run(ctx, []string{"report", "--index", tix, "--out", filepath.Join(t.TempDir(), "r.html")}); code != 0 {
		t.Errorf("report on a text index exited %d", code)
	}
}

// A failed re-index of a text index (a bad factory, a different corpus) leaves the old
// index answering exactly as before: its vocabulary belongs to its generation.
func TestCLIFailedReindexKeepsTheOldEncoder(t *testing.T) {
	quiet = true
	ctx := context.Background()
	a := filepath.Join(t.TempDir(), "a.txt")
	os.WriteFile(a, []byte("the printer is jammed\nthe vpn is down\nthe printer is out of toner\nmy disk is full\n"), 0o644)
	b := filepath.Join(t.TempDir(), "b.txt")
	os.WriteFile(b, []byte("completely other words here\nnothing about printers\n"), 0o644)
	ix := filepath.Join(t.TempDir(), "ix")
	if code := run(ctx, []string{"index", "--text", a, "--out", ix}); code != 0 {
		t.Fatal("index failed")
	}
	query := func() string {
		c := cli(t, "query", "--index", ix, "--text", "printer jammed", "--json")
		out, err := c.Output()
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		return string(out)
	}
	before := query()
	if code := run(ctx, []string{"index", "--text", b, "--factory", "IVFnope", "--out", ix}); code == 0 {
		t.Fatal("a bad factory was accepted")
	}
	if after := query(); after != before {
		t.Errorf("the old index answers differently after a failed re-index:\nbefore %s\nafter %s", before, after)
	}
	// Copied elsewhere, the index answers the same (nothing refers outside its folder).
	cp := filepath.Join(t.TempDir(), "copy")
	os.MkdirAll(cp, 0o755)
	ents, _ := os.ReadDir(ix)
	for _, e := range ents {
		data, _ := os.ReadFile(filepath.Join(ix, e.Name()))
		os.WriteFile(filepath.Join(cp, e.Name()), data, 0o644)
	}
	c := cli(t, "query", "--index", cp, "--text", "printer jammed", "--json")
	out, err := c.Output()
	if err != nil || string(out) != before {
		t.Errorf("a copied index answers differently (%v):\n%s", err, out)
	}
}

// A model trained on after indexing is another model: add and queries refuse it rather
// than mixing or comparing vectors of two versions.
func TestCLIRetrainedModelIsRefused(t *testing.T) {
	quiet = true
	ctx := context.Background()
	data := t.TempDir()
	writeGrayShapes(t, data, 24)
	model := filepath.Join(t.TempDir(), "m")
	ix := filepath.Join(t.TempDir(), "ix")
	train := []string{"train", "--images", data, "--model", "small", "--size", "16x16", "--batch", "16", "--out", model}
	steps := [][]string{
		append(train, "--epochs", "1"),
		{"index", "--images", data, "--encoder", model, "--out", ix},
		{"query", "--index", ix, "--image", filepath.Join(data, "dark", "000.png"), "-k", "2"},
		append(train, "--epochs", "2", "--resume"),
	}
	for _, s := range steps {
		if code := run(ctx, s); code != 0 {
			t.Fatalf("corpushunt %v exited %d", s, code)
		}
	}
	for _, s := range [][]string{
		{"add", "--index", ix, "--images", data},
		{"query", "--index", ix, "--image", filepath.Join(data, "dark", "000.png"), "-k", "2"},
	} {
		c := cli(t, s...)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		if err := c.Run(); err == nil || !strings.Contains(stderr.String(), "weights changed since indexing") {
			t.Errorf("corpushunt %v with a retrained model: %v, %s", s, err, stderr.String())
		}
	}
}
