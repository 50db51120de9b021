package yelp

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenAndRead(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sentiment.dev.0", "the food was cold .\nrude staff\n")
	write(t, dir, "sentiment.dev.1", "great place !\n")
	write(t, dir, "sentiment/100.pos", "love it\n")
	write(t, dir, "valid.txt", "just a sentence")
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]int{}
	for _, f := range c.Files {
		got[f.Name] = [2]int{f.Label, f.Lines}
	}
	want := map[string][2]int{"sentiment.dev.0": {0, 2}, "sentiment.dev.1": {1, 1}, "sentiment/100.pos": {1, 1}, "valid.txt": {-1, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	f, _ := c.File("sentiment.dev.0")
	sents, _, err := Read(f, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(sents) != 2 || sents[1].Text != "rude staff" || sents[1].Label != Negative || sents[1].Ref.String() != "sentiment.dev.0:2" {
		t.Errorf("sentences %+v", sents)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sentiment.dev.0", "ok line\nbad \xff\xfe line\nfine\n")
	write(t, dir, "sentiment.dev.1", "")
	c, _ := Open(dir)
	f, _ := c.File("sentiment.dev.0")
	_, _, err := Read(f, false)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Line != 2 || !strings.Contains(err.Error(), "UTF-8") || !strings.Contains(err.Error(), "sentiment.dev.0:2") {
		t.Errorf("non-UTF-8 err = %v", err)
	}
	sents, skipped, err := Read(f, true)
	if err != nil || len(sents) != 2 || skipped != 1 {
		t.Errorf("skipBad: %d sentences, %d skipped, err %v", len(sents), skipped, err)
	}
	f, _ = c.File("sentiment.dev.1")
	if _, _, err := Read(f, false); !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), "empty file") {
		t.Errorf("empty file err = %v", err)
	}
}

func TestTokenize(t *testing.T) {
	got := Tokenize("  The food was COLD, and the waiter   was rude!")
	want := []string{"the", "food", "was", "cold", ",", "and", "the", "waiter", "was", "rude", "!"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Tokenize = %q", got)
	}
	if len(Tokenize(" \t ")) != 0 {
		t.Error("whitespace-only input should give no tokens")
	}
}

func TestSharedYelp(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "datasets", "yelp")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared Yelp not present at %s: %v", dir, err)
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"sentiment.dev.0": 25278, "sentiment.test.1": 76392, "valid.txt": 10000, "sentiment/1000.neg": 1000}
	for name, n := range want {
		f, err := c.File(name)
		if err != nil || f.Lines != n {
			t.Errorf("%s: %d lines (err %v), want %d", name, f.Lines, err, n)
		}
	}
	f, _ := c.File("sentiment.dev.1")
	sents, _, err := Read(f, false)
	if err != nil || len(sents) != 38205 {
		t.Errorf("read %d sentences, err %v", len(sents), err)
	}
}
