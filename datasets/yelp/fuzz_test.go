package yelp

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzRead: Read either fails with a *FormatError (ErrBadData) naming the file, or
// returns valid, trimmed, non-empty sentences whose references count the file's lines;
// with skipBad the sentences and the skipped lines together are every line of the file.
func FuzzRead(f *testing.F) {
	f.Add([]byte("the food was cold .\nrude staff\n"), "sentiment.dev.0")
	f.Add([]byte("great place !\r\nlove it"), "sentiment/100.pos")
	f.Add([]byte("ok line\nbad \xff\xfe line\nfine\n"), "sentiment.test.1")
	f.Add([]byte("a\n\n \t \nb\n"), "valid.txt")
	f.Add([]byte("\n"), "sentiment.dev.1")
	f.Add([]byte{}, "sentiment.dev.1")
	f.Add([]byte("\u00a0\u2003\n\ufeffword\n"), "test.txt")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		p := filepath.Join(t.TempDir(), "sentences.txt")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		lines, err := countLines(p)
		if err != nil {
			t.Fatal(err)
		}
		file := File{Path: p, Name: name, Label: LabelOf(name), Lines: lines}
		for _, skipBad := range []bool{false, true} {
			sents, skipped, err := Read(file, skipBad)
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) || !errors.Is(err, ErrBadData) || fe.File != p || fe.Line < 0 || fe.Line > lines+1 {
					t.Fatalf("Read(skipBad %v): %v; want a *FormatError naming %s", skipBad, err, p)
				}
				if skipBad && lines > 0 && len(data) < 1<<20 {
					t.Fatalf("Read(skipBad) of a %d-line file failed: %v", lines, err)
				}
				continue
			}
			if skipped != 0 && !skipBad {
				t.Fatalf("%d lines skipped without skipBad", skipped)
			}
			if len(sents)+skipped != lines {
				t.Fatalf("%d sentences + %d skipped, file has %d lines", len(sents), skipped, lines)
			}
			last := 0
			for _, s := range sents {
				if !utf8.ValidString(s.Text) || s.Text == "" || strings.TrimSpace(s.Text) != s.Text {
					t.Fatalf("sentence %q", s.Text)
				}
				if s.Label != file.Label || s.Ref.File != name || s.Ref.Line <= last || s.Ref.Line > lines {
					t.Fatalf("sentence %+v after line %d of %d", s, last, lines)
				}
				last = s.Ref.Line
			}
		}
	})
}

// FuzzTokenize: tokens are non-empty and hold no white space; valid UTF-8 in gives valid
// UTF-8 out; tokenising the tokens joined by spaces gives them back.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"  The food was COLD, and the waiter   was rude!",
		"i'd give it 5/5 :) (maybe)",
		"\"quoted\"\t\ttabs\r\nand lines",
		"ÉTÉ À PARIS … ok?",
		"no\u00a0break\u2003em\vvertical\ffeed\u0085next",
		"bad \xff\xfe utf8",
		"İstanbul ǅ ß",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokenize(s)
		for _, tok := range toks {
			if tok == "" || strings.IndexFunc(tok, unicode.IsSpace) >= 0 {
				t.Fatalf("Tokenize(%q) = %q: token %q is empty or holds white space", s, toks, tok)
			}
			if !utf8.ValidString(tok) {
				t.Fatalf("Tokenize(%q): token %q is not valid UTF-8", s, tok)
			}
		}
		if utf8.ValidString(s) {
			// Lower-casing maps rune to rune; only white space goes.
			if got := strings.Join(toks, ""); utf8.RuneCountInString(got) > utf8.RuneCountInString(s) {
				t.Fatalf("Tokenize(%q) = %q: output grew", s, toks)
			}
		}
		if again := Tokenize(strings.Join(toks, " ")); !slices.Equal(again, toks) {
			t.Fatalf("Tokenize(%q) = %q; tokenised again %q", s, toks, again)
		}
	})
}
