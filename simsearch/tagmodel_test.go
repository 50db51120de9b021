package simsearch

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/learn"
	"github.com/corpushunt/corpushunt/simsearch/tags"
)

// The hybrid's "first" part is the query by the user's first example (the earliest mark
// still positive), whatever the order of the items' references.
func TestTagModelLeadsWithTheFirstExample(t *testing.T) {
	const n, d = 60, 4
	v := make([]float32, n*d)
	items := make([]index.Item, n)
	for i := range n {
		for j := range d {
			v[i*d+j] = float32((i*7+j*3)%11) - 5
		}
		items[i] = index.Item{Ref: fmt.Sprintf("item%02d", i)}
	}
	ix, err := index.Build(context.Background(), index.Config{Dim: d}, v, items, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	l, err := tags.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// item40 first, then item05 and item20; negatives item01, item02.
	for _, m := range [][]tags.Mark{{{Tag: "x", Ref: "item40", Positive: true}}, {{Tag: "x", Ref: "item05", Positive: true},
		{Tag: "x", Ref: "item20", Positive: true}, {Tag: "x", Ref: "item01"}, {Tag: "x", Ref: "item02"}}} {
		if err := l.Add(m...); err != nil {
			t.Fatal(err)
		}
	}
	m, tagged, err := TagModel(ix, l, "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(tagged) != 5 || m.Kind != "hybrid" || len(m.Parts) != 4 {
		t.Fatalf("model %+v, %d tagged", m, len(tagged))
	}
	i := slices.IndexFunc(m.Parts, func(p *learn.Model) bool { return p.Kind == "centroid" && p.Positives == 1 })
	if i < 0 {
		t.Fatalf("no first-example part in %+v", m.Parts)
	}
	if first := m.Parts[i]; !slices.Equal(first.W, v[40*d:41*d]) {
		t.Errorf("the first-example part is %v, want item40's vector %v", first.W, v[40*d:41*d])
	}
}
