package text

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// fuzzFile writes data as name, opens it with and without skip-bad and reads it
// through: no panics; errors are ItemErrors, ErrEmpty or (allowSpec) ErrSpec; an opened
// corpus yields Len records of valid UTF-8 that resolve to themselves.
func fuzzFile(t *testing.T, name string, data []byte, allowSpec bool, opts ...string) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	allowed := func(err error) bool {
		return errors.Is(err, corpus.ErrBadItem) || errors.Is(err, corpus.ErrEmpty) || allowSpec && errors.Is(err, corpus.ErrSpec)
	}
	for _, skip := range []string{"false", "true"} {
		c, err := Open(spec(p, append(opts, "skip-bad", skip)...))
		if err != nil {
			if !allowed(err) {
				t.Fatalf("skip-bad=%s: Open: %T %v", skip, err, err)
			}
			continue
		}
		recs, err := corpus.Collect(context.Background(), c)
		if err != nil {
			t.Fatalf("skip-bad=%s: Collect after a successful Open: %v", skip, err)
		}
		if len(recs) != c.Len() || c.Summary().Items != c.Len() {
			t.Fatalf("skip-bad=%s: %d records, Len %d, Summary %v", skip, len(recs), c.Len(), c.Summary())
		}
		for i, r := range recs {
			if !utf8.ValidString(r.Text) || strings.TrimSpace(r.Text) == "" {
				t.Fatalf("record %s: text %q", r.Ref, r.Text)
			}
			if i < 8 {
				got, err := c.Resolve(r.Ref)
				if err != nil || !reflect.DeepEqual(got, r) {
					t.Fatalf("Resolve(%q) = %+v, %v; want %+v", r.Ref, got, err, r)
				}
			}
		}
	}
}

func FuzzLines(f *testing.F) {
	f.Add([]byte("one\ntwo\r\n\nthree"))
	f.Add([]byte("\ufeff\r\n \n\xff\n"))
	f.Add([]byte(""))
	f.Add([]byte("\r\r\n\n\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFile(t, "f.txt", data, false)
	})
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("text,label,x\n\"a, b\",l,1\n\"multi\nline\",m,2\n"))
	f.Add([]byte("text\n\"unterminated\n"))
	f.Add([]byte("text,label\nragged\n,\n\"x\"\"y\",z\n"))
	f.Add([]byte("\ufefftext\r\n\xff\r\n"))
	f.Add([]byte("a,b\n1,2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFile(t, "f.csv", data, true, "text-column", "text", "label-column", "label")
	})
}

func FuzzJSONL(f *testing.F) {
	f.Add([]byte(`{"text":"a","label":"x","n":1e3}` + "\n" + `{"text":"b"}`))
	f.Add([]byte("[1]\n\"s\"\n{\"text\":null}\n{}\n"))
	f.Add([]byte("{\"text\":\"\\ud800\"}\n{\"text\":\"\xff\"}\n"))
	f.Add([]byte("\n\n  \r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFile(t, "f.jsonl", data, false, "label-field", "label")
	})
}

func FuzzMaskVariables(f *testing.F) {
	f.Add("Jan 15 10:22:01 host app[42]: from 10.0.0.1:8080 at /var/log/x.log id=0xdeadbeef")
	f.Add("2024-01-15T10:22:01.123+02:00 [2001:db8::1]:443 3f2a1b9c-7d4e-4f6a-9b8c-0123456789ab")
	f.Add("::ffff:1.2.3.4 ::1 fe80:: a/b/c ./x ~/y HTTP/1.1 1.5e3")
	f.Add("\xff\xfe<ts>")
	f.Fuzz(func(t *testing.T, s string) {
		m := MaskVariables(s)
		if utf8.ValidString(s) && !utf8.ValidString(m) {
			t.Fatalf("MaskVariables(%q) = %q: invalid UTF-8", s, m)
		}
		if again := MaskVariables(m); utf8.ValidString(s) && !utf8.ValidString(again) {
			t.Fatalf("MaskVariables twice (%q) = %q: invalid UTF-8", s, again)
		}
	})
}

func FuzzTokenize(f *testing.F) {
	f.Add("Hello, World! <num> <NUM> <nope")
	f.Add("naïve 日本語 e\u0301 İstanbul")
	f.Add("\xff<\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range Tokenize(s) {
			if tok == "" || !utf8.ValidString(tok) {
				t.Fatalf("Tokenize(%q): token %q", s, tok)
			}
		}
	})
}
