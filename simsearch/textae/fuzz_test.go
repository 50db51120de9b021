package textae

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzLoadVocab: LoadVocab (vocab.txt) fails with ErrBadVocab or returns a vocabulary
// that starts with the special tokens, maps every word to its own id, and round-trips
// through Save and LoadVocab byte for byte.
func FuzzLoadVocab(f *testing.F) {
	specialsText := strings.Join(specials, "\n") + "\n"
	f.Add([]byte(specialsText + "the\nfood\n,\n!\n"))
	f.Add([]byte(specialsText))
	f.Add([]byte(strings.TrimSuffix(specialsText, "\n")))
	f.Add([]byte(strings.ReplaceAll(specialsText+"a\n", "\n", "\r\n")))
	f.Add([]byte(specialsText + "a\n\n"))
	f.Add([]byte(specialsText + "a\nb\na\n"))
	f.Add([]byte(specialsText + "two words\n"))
	f.Add([]byte(specialsText + "<unk>\n"))
	f.Add([]byte(specialsText + "caf\xc3\xa9\n\xff\n"))
	f.Add([]byte("<pad>\n<go>\nword\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "vocab.txt")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		v, err := LoadVocab(p)
		if err != nil {
			if !errors.Is(err, ErrBadVocab) || !strings.Contains(err.Error(), p) {
				t.Fatalf("LoadVocab: %v; want ErrBadVocab naming %s", err, p)
			}
			return
		}
		if v.Len() < len(specials) || !slices.Equal(v.words[:len(specials)], specials) {
			t.Fatalf("vocabulary %q does not start with the special tokens", v.words)
		}
		for i, w := range v.words {
			if w == "" || strings.ContainsAny(w, " \t\n") || v.ID(w) != int32(i) || v.Word(int32(i)) != w {
				t.Fatalf("word %d %q: id %d", i, w, v.ID(w))
			}
		}
		q := filepath.Join(dir, "again.txt")
		if err := v.Save(q); err != nil {
			t.Fatal(err)
		}
		saved, err := os.ReadFile(q)
		if err != nil {
			t.Fatal(err)
		}
		want := data
		if !bytes.HasSuffix(want, []byte("\n")) {
			want = append(bytes.Clone(want), '\n')
		}
		if !bytes.Equal(saved, want) {
			t.Fatalf("saved %q, loaded from %q", saved, data)
		}
		w, err := LoadVocab(q)
		if err != nil || !slices.Equal(w.words, v.words) {
			t.Fatalf("saved vocabulary reloads as %q, %v; want %q", w.words, err, v.words)
		}
	})
}
