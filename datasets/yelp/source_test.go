package yelp

import "testing"

func TestWithout(t *testing.T) {
	s := func(texts ...string) []Sentence {
		var out []Sentence
		for i, x := range texts {
			out = append(out, Sentence{Text: x, Ref: Ref{File: "f", Line: i + 1}})
		}
		return out
	}
	kept, n := Without(s("a b .", "c .", "a b .", "d ."), s("a b .", "z ."))
	if n != 2 || len(kept) != 2 || kept[0].Text != "c ." || kept[1].Text != "d ." || kept[1].Ref.Line != 4 {
		t.Errorf("Without dropped %d, kept %+v", n, kept)
	}
	if kept, n := Without(s("a", "b"), nil); n != 0 || len(kept) != 2 {
		t.Errorf("nothing held out: dropped %d, kept %d", n, len(kept))
	}
}
