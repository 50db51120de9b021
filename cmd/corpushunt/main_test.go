package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/datasets/cifar10/cifar10test"
	"github.com/corpushunt/corpushunt/datasets/yelp"
	"github.com/corpushunt/corpushunt/internal/browsercheck"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/textae"
)

func TestCLIIndexTuneQueryEvalAdd(t *testing.T) {
	quiet = true
	data := cifar10test.Write(t, t.TempDir(), 2000, 100)
	out := filepath.Join(t.TempDir(), "idx")
	ctx := context.Background()
	steps := [][]string{
		{"index", "--data", data, "--dataset", "cifar10", "--encoder", "pixels", "--downsample", "4", "--factory", "IVF16,Flat", "--out", out},
		{"tune", "--index", out, "--queries", "200"},
		{"query", "--index", out, "--item", "5", "-k", "3", "--json"},
		{"eval", "--data", data, "--index", out, "--queries", "cifar10:test", "-k", "1,10"},
		{"add", "--data", data, "--index", out, "--split", "test", "--limit", "40"},
		{"datasets", "info", "--data", data},
	}
	for _, s := range steps {
		if code := run(ctx, s); code != 0 {
			t.Fatalf("corpushunt %v exited %d", s, code)
		}
	}
	ix, err := index.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ix.Len() != 2040 || ix.Nprobe() < 1 || len(ix.Tuning()) == 0 {
		t.Errorf("after add: len %d nprobe %d tuning %d", ix.Len(), ix.Nprobe(), len(ix.Tuning()))
	}
	// A report with a training history renders in Chromium: every image, and the loss,
	// recall and distance charts drawn.
	model := t.TempDir()
	hist := `{"step":1,"epoch":1,"train_loss":0.2,"time":"x"}` + "\n" + `{"step":2,"epoch":1,"train_loss":0.1,"val_loss":0.12,"time":"x"}` + "\n"
	os.WriteFile(filepath.Join(model, "history.jsonl"), []byte(hist), 0o644)
	report := filepath.Join(t.TempDir(), "r.html")
	if code := run(ctx, []string{"report", "--data", data, "--index", out, "--model", model, "--out", report}); code != 0 {
		t.Fatalf("report exited %d", code)
	}
	if _, err := browsercheck.Chromium(); err == nil {
		r, err := browsercheck.Check(ctx, report)
		if err != nil {
			t.Fatal(err)
		}
		if r.Images != 66 || r.Loaded != 66 || r.Charts != 3 || r.Drawn != 3 {
			t.Errorf("report in Chromium: %+v, want 66 images loaded and 3 charts drawn", r)
		}
	} else {
		t.Logf("skipping the browser check: %v", err)
	}

	// Bad usage and missing index exit non-zero.
	for _, s := range [][]string{{"query", "--index", out}, {"nosuch"}, {"query", "--index", filepath.Join(out, "missing"), "--item", "1"}} {
		if code := run(ctx, s); code == 0 {
			t.Errorf("corpushunt %v exited 0", s)
		}
	}
}

func TestCLIYelpTextSearch(t *testing.T) {
	quiet = true
	root := t.TempDir()
	dir := filepath.Join(root, "yelp")
	os.MkdirAll(filepath.Join(dir, "sentiment"), 0o755)
	neg := "the food was cold .\nthe waiter was rude .\nterrible service , cold food .\nrude staff and dirty tables .\n"
	pos := "great food and friendly staff .\nthe waiter was lovely .\nwonderful service , great food .\nfriendly staff and clean tables .\ngreat friendly service .\n"
	for name, body := range map[string]string{
		"sentiment.dev.0": neg, "sentiment.test.0": neg, "sentiment.dev.1": pos, "sentiment.test.1": pos,
		"sentiment/1000.neg": "cold food and rude waiter .\n", "sentiment/1000.pos": "great friendly service .\n",
	} {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	out := filepath.Join(t.TempDir(), "idx")
	ctx := context.Background()
	for _, s := range [][]string{
		{"index", "--data", root, "--dataset", "yelp", "--encoder", "bow", "--dim", "64", "--out", out},
		{"query", "--index", out, "--text", "The food was COLD!", "-k", "3"},
		{"eval", "--data", root, "--index", out, "--queries", "yelp", "-k", "1,3"},
	} {
		if code := run(ctx, s); code != 0 {
			t.Fatalf("corpushunt %v exited %d", s, code)
		}
	}
	rep, ix, _, err := evalOne(ctx, root, out, "", 0, 1, []int{3}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ix.Len() != 18 || rep.Queries != 2 || rep.At(3) < 0.66 {
		t.Errorf("yelp index %d items; agreement@3 over %d queries = %.2f, want ≥ 0.66", ix.Len(), rep.Queries, rep.At(3))
	}
	// The text autoencoder path: a few steps of the CPU-size DAAE, then index, query, eval.
	model := filepath.Join(t.TempDir(), "daae")
	idx2 := filepath.Join(t.TempDir(), "idx2")
	for _, s := range [][]string{
		{"train", "yelp", "--data", root, "--batch", "4", "--val", "2", "--epochs", "1", "--minutes", "0", "--out", model},
		{"index", "--data", root, "--dataset", "yelp", "--encoder", model, "--factory", "Flat", "--out", idx2},
		{"query", "--index", idx2, "--text", "rude waiter", "-k", "2", "--json"},
		{"eval", "--data", root, "--index", idx2 + "," + out, "--queries", "yelp", "-k", "1"},
	} {
		if code := run(ctx, s); code != 0 {
			t.Fatalf("corpushunt %v exited %d", s, code)
		}
	}
	// The query "great friendly service ." is in both positive files: training leaves both
	// copies out (18 sentences, 2 held out, 2 for validation).
	meta, err := textae.ReadMeta(model)
	if err != nil {
		t.Fatal(err)
	}
	if meta.TrainSents != 14 || !slices.Equal(meta.HeldOut, yelp.QueryFiles) {
		t.Errorf("trained on %d sentences holding out %v; want 14 and the query files", meta.TrainSents, meta.HeldOut)
	}
	if code := run(ctx, []string{"train", "yelp", "--data", root, "--batch", "4", "--val", "2", "--out", model}); code == 0 {
		t.Error("training into an existing model directory succeeded")
	}
	if code := run(ctx, []string{"train", "yelp", "--data", root, "--val", "2", "--epochs", "2", "--minutes", "0", "--resume", "--out", model}); code != 0 {
		t.Errorf("train yelp --resume exited %d", code)
	}
	for _, s := range [][]string{{"query", "--index", out, "--text", "  \t "}, {"query", "--index", out, "--image", "x.png"},
		{"query", "--index", out, "--text", "zzzz qqqq"}, {"query", "--index", out, "--text", "\xff\xfe"}} {
		if code := run(ctx, s); code == 0 {
			t.Errorf("corpushunt %v exited 0", s)
		}
	}
}

func TestCLISkipBad(t *testing.T) {
	quiet = true
	root := cifar10test.Write(t, t.TempDir(), 300, 0)
	p := filepath.Join(root, "cifar-10-batches-bin", "data_batch_1.bin")
	b, _ := os.ReadFile(p)
	b[5*cifar10.RecordSize] = 42 // record 5: label byte 42
	os.WriteFile(p, b, 0o644)
	out := filepath.Join(t.TempDir(), "idx")
	ctx := context.Background()
	if code := run(ctx, []string{"index", "--data", root, "--dataset", "cifar10", "--encoder", "pixels", "--downsample", "8", "--out", out}); code == 0 {
		t.Fatal("a bad label byte was accepted without --skip-bad")
	}
	if code := run(ctx, []string{"index", "--data", root, "--dataset", "cifar10", "--encoder", "pixels", "--downsample", "8", "--skip-bad", "--out", out}); code != 0 {
		t.Fatalf("--skip-bad run exited %d", code)
	}
	ix, err := index.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ix.Len() != 299 {
		t.Errorf("indexed %d, want 299 (one skipped)", ix.Len())
	}
}
