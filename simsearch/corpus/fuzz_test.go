package corpus

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

// FuzzParseSpec: ParseSpec fails with ErrSpec or returns a spec whose String parses back
// to an equal spec (and prints the same again).
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		"images:photos/",
		"text:tickets.csv?text-column=body&label-column=team",
		"cifar10:train",
		"vectors:/data/emb.npy?skip-bad=true&labels=none",
		"text:a b.csv?text-column=the+body&x=%2F%3F%26",
		"text:C:\\data\\x.csv?id-column=1&id-column=2",
		"images:?",
		"images:a?b",
		"images:a?=x&&y",
		"images:a?b;c=d",
		"images:a?%zz=1",
		"images:a?b?c=d",
		":root",
		"noroot",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			if !errors.Is(err, ErrSpec) {
				t.Fatalf("ParseSpec(%q): %v, want ErrSpec", s, err)
			}
			return
		}
		if sp.Source == "" || strings.Contains(sp.Source, ":") || !strings.HasPrefix(s, sp.Source+":"+sp.Root) {
			t.Fatalf("ParseSpec(%q) = %+v", s, sp)
		}
		out := sp.String()
		again, err := ParseSpec(out)
		if err != nil {
			t.Fatalf("ParseSpec(%q) = %+v; its String %q does not parse: %v", s, sp, out, err)
		}
		if again.Source != sp.Source || again.Root != sp.Root || !maps.Equal(again.Options, sp.Options) {
			t.Fatalf("ParseSpec(%q) = %+v; its String %q parses as %+v", s, sp, out, again)
		}
		if out2 := again.String(); out2 != out {
			t.Fatalf("String not stable: %q then %q", out, out2)
		}
	})
}
