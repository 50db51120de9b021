package simsearch_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
)

// writeShapes writes n small grayscale PNGs per class (a bright disc or a bright bar on
// dark noise) into class subfolders.
func writeShapes(t testing.TB, dir string, n int) {
	for _, class := range []string{"disc", "bar"} {
		os.MkdirAll(filepath.Join(dir, class), 0o755)
		for i := range n {
			img := image.NewGray(image.Rect(0, 0, 20, 20))
			for y := range 20 {
				for x := range 20 {
					v := uint8((x*7 + y*13 + i*5) % 40)
					in := (x-10)*(x-10)+(y-10)*(y-10) < 30+i%8
					if class == "bar" {
						in = x > 8+i%3 && x < 12+i%3
					}
					if in {
						v = 220
					}
					img.SetGray(x, y, color.Gray{v})
				}
			}
			f, _ := os.Create(filepath.Join(dir, class, fmt.Sprintf("%02d.png", i)))
			png.Encode(f, img)
			f.Close()
		}
	}
}

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "simsearch-example")
	defer os.RemoveAll(dir)
	tickets := "body,team\n" +
		"printer on floor 3 is jammed,facilities\n" +
		"the printer is out of toner,facilities\n" +
		"cannot log in to the vpn,it\n" +
		"vpn password expired,it\n"
	os.WriteFile(filepath.Join(dir, "tickets.csv"), []byte(tickets), 0o644)

	c, err := simsearch.Open(filepath.Join(dir, "tickets.csv"), simsearch.Opt("text-column", "body"), simsearch.Opt("label-column", "team"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ix, err := simsearch.Build(ctx, c, filepath.Join(dir, "ix"), simsearch.BuildOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ix.Close()
	ix, _ = simsearch.Load(filepath.Join(dir, "ix"))
	defer ix.Close()
	hits, _ := ix.SearchText(ctx, "my printer is jammed", 2)
	for _, h := range hits {
		fmt.Printf("%d. [%s] %s\n", h.Rank, h.Item.Label, h.Item.Text)
	}
	// Output:
	// 1. [facilities] printer on floor 3 is jammed
	// 2. [facilities] the printer is out of toner
}

func TestImagesLifeCycle(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	writeShapes(t, data, 30)
	c, err := simsearch.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Spec().Source != "images" || c.Len() != 60 {
		t.Fatalf("opened %+v with %d items", c.Spec(), c.Len())
	}
	dir := filepath.Join(t.TempDir(), "ix")
	ix, err := simsearch.Build(ctx, c, dir, simsearch.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	ix, err = simsearch.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	hits, err := ix.SearchImageFile(ctx, filepath.Join(data, "bar", "03.png"), 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.Item.Label != "bar" {
			t.Errorf("a bar's neighbour %+v", h)
		}
	}
	if _, err := ix.View("t", int64(0), hits); err != nil {
		t.Errorf("gallery: %v", err)
	}
	rep, err := ix.Eval(ctx, nil, 40, 1, 5)
	if err != nil || rep.At(5) < 0.9 {
		t.Errorf("self eval %+v %v", rep, err)
	}
	if _, err := ix.SearchText(ctx, "a bar", 3); !errors.Is(err, ingest.ErrKind) {
		t.Errorf("text query on an image index: %v", err)
	}
	// The data moves: the index says so, and SetRoot re-points it.
	moved := data + "-moved"
	if err := os.Rename(data, moved); err != nil {
		t.Fatal(err)
	}
	ix2, err := simsearch.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix2.Close()
	if ix2.Corpus != nil {
		t.Error("corpus opened from where it no longer is")
	}
	if err := ix2.SetRoot(moved); err != nil {
		t.Fatal(err)
	}
	if _, err := ix2.Corpus.Resolve(hits[0].Item.Ref); err != nil {
		t.Errorf("ref %s after SetRoot: %v", hits[0].Item.Ref, err)
	}
}

func TestTextQueriesOfUnknownWordsAreRefused(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "log.txt")
	os.WriteFile(p, []byte("disk full on /var\nuser 12 logged in\nuser 99 logged in\n"), 0o644)
	c, err := simsearch.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := simsearch.Build(ctx, c, filepath.Join(t.TempDir(), "ix"), simsearch.BuildOptions{Encoder: simsearch.EncoderOptions{MaskLogs: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if _, err := ix.SearchText(ctx, "zebra quokka", 1); !errors.Is(err, simsearch.ErrUnknownWords) {
		t.Errorf("unknown words: %v", err)
	}
	if _, err := ix.SearchText(ctx, " \t ", 1); !errors.Is(err, simsearch.ErrEmptyQuery) {
		t.Errorf("empty query: %v", err)
	}
	hits, err := ix.SearchText(ctx, "user 5 logged in", 2)
	if err != nil || len(hits) != 2 || hits[0].Item.Text[:4] != "user" {
		t.Errorf("hits %+v %v", hits, err)
	}
}

// The labelling loop through the package: tag, more like these, export, sample and
// prevalence, clusters, map.
func TestLabellingLoop(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	writeShapes(t, data, 30) // disc: ids 30..59 (folders sorted: bar, disc), bar: 0..29
	c, err := simsearch.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := simsearch.Build(ctx, c, filepath.Join(t.TempDir(), "ix"), simsearch.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if err := ix.Tag("round", true, 31, 35); err != nil {
		t.Fatal(err)
	}
	if err := ix.Tag("round", false, 2); err != nil {
		t.Fatal(err)
	}
	top, unsure, err := ix.More(ctx, "round", 10, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range top {
		if h.Item.Label != "disc" {
			t.Errorf("more like the discs: %+v", h)
		}
	}
	if len(unsure) != 5 {
		t.Errorf("%d uncertain items", len(unsure))
	}
	m, err := ix.Export(ctx, "round", 10, filepath.Join(t.TempDir(), "export"))
	if err != nil || m.Counts["round"] != 12 || m.Counts["not_round"] != 1 {
		t.Fatalf("export %+v %v", m, err)
	}
	d, err := ix.Sample(ctx, "round", 20, 1)
	if err != nil {
		t.Fatal(err)
	}
	answers := map[int]bool{}
	for _, s := range d.Sample {
		it, _ := ix.Item(int64(s.Item))
		answers[s.Item] = it.Label == "disc"
	}
	r, err := simsearch.Prevalence(d, answers)
	if err != nil || r.Lo > 0.5 || r.Hi < 0.5 {
		t.Errorf("prevalence of discs (half the corpus): %+v %v", r, err)
	}
	cl, err := ix.Clusters(ctx, 2)
	if err != nil || len(cl) != 2 {
		t.Errorf("clusters %v %v", len(cl), err)
	}
	if _, err := ix.MapChart(ctx, simsearch.MapOptions{Color: "tag:round"}); err != nil {
		t.Errorf("map: %v", err)
	}
}
