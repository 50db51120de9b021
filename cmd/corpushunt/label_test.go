package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/corpushunt/corpushunt/datasets/cifar10/cifar10test"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/tags"
)

// tag → more → export → index --images reads the export back with the tags as labels;
// CIFAR-10 records (not files) are written as PNG.
func TestCLILabellingLoop(t *testing.T) {
	quiet = true
	ctx := context.Background()
	data := cifar10test.Write(t, t.TempDir(), 400, 0)
	ix := filepath.Join(t.TempDir(), "ix")
	out := filepath.Join(t.TempDir(), "export")
	backDir := filepath.Join(t.TempDir(), "back")
	for _, s := range [][]string{
		{"index", "--data", data, "--dataset", "cifar10", "--downsample", "8", "--out", ix},
		{"tag", "--index", ix, "--tag", "class d", "--items", "3,13"},
		{"tag", "--index", ix, "--tag", "class d", "--items", "4-6", "--negative"},
		{"more", "--index", ix, "--tag", "class d", "-k", "10", "--uncertain", "5"},
		{"tags", "--index", ix},
		{"clusters", "--index", ix, "-n", "5", "--out", filepath.Join(t.TempDir(), "c.html")},
		{"export", "--index", ix, "--tag", "class d", "--top", "20", "--out", out},
		{"index", "--images", out, "--out", backDir},
	} {
		if code := run(ctx, s); code != 0 {
			t.Fatalf("corpushunt %v exited %d", s, code)
		}
	}
	l, _ := tags.Open(ix)
	if c := l.Tags(); len(c) != 1 || c[0].Positive != 2 || c[0].Negative != 3 {
		t.Errorf("tags %+v", c)
	}
	pos, _ := os.ReadDir(filepath.Join(out, "class d"))
	neg, _ := os.ReadDir(filepath.Join(out, "not_class d"))
	if len(pos) != 22 || len(neg) != 3 {
		t.Errorf("export holds %d positives and %d negatives, want 22 and 3", len(pos), len(neg))
	}
	back, err := index.Open(backDir)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	labels := map[string]int{}
	for _, it := range back.Items() {
		labels[it.Label]++
	}
	if labels["class d"] != 22 || labels["not_class d"] != 3 {
		t.Errorf("the export indexed again has labels %v", labels)
	}
	if code := run(ctx, []string{"export", "--index", ix, "--tag", "class d", "--out", out}); code == 0 {
		t.Error("export into a non-empty folder succeeded")
	}
	// sample → the user answers → prevalence (the fixture: label 3 is 10% of 400).
	sheet := filepath.Join(t.TempDir(), "s.csv")
	if code := run(ctx, []string{"sample", "--index", ix, "--tag", "class d", "-n", "40", "--out", sheet}); code != 0 {
		t.Fatal("sample failed")
	}
	if code := run(ctx, []string{"sample", "--index", ix, "--tag", "class d", "-n", "40", "--out", sheet}); code == 0 {
		t.Error("sample overwrote a sheet")
	}
	rows := readCSV(t, sheet)
	idCol, ansCol := slices.Index(rows[0], "id"), slices.Index(rows[0], "answer")
	src, _ := index.Open(ix)
	defer src.Close()
	for _, r := range rows[1:] {
		id, _ := strconv.Atoi(r[idCol])
		it, _ := src.Item(int64(id))
		r[ansCol] = map[bool]string{true: "yes", false: "no"}[it.Label == "d"]
	}
	writeCSV(t, sheet, rows)
	if code := run(ctx, []string{"prevalence", "--index", ix, "--tag", "class d", "--sample", sheet}); code != 0 {
		t.Fatal("prevalence failed")
	}
	if code := run(ctx, []string{"prevalence", "--index", ix, "--tag", "other", "--sample", sheet}); code == 0 {
		t.Error("prevalence of another tag than the sample's succeeded")
	}
}

func readCSV(t *testing.T, p string) [][]string {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func writeCSV(t *testing.T, p string, rows [][]string) {
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.WriteAll(rows)
	f.Close()
}
