package weaviate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/store/weaviate"
	"github.com/corpushunt/corpushunt/simsearch/tags"
)

// TestTagsInCollection keeps a tag log in the store: rounds, last mark wins, and a
// second reader sees the same.
func TestTagsInCollection(t *testing.T) {
	host, grpc := cluster(t)
	ctx := context.Background()
	o := weaviate.Options{Host: host, GRPC: grpc, Collection: fmt.Sprintf("Tags%08x", rand.Uint32())}
	s, err := weaviate.Create(ctx, o, index.Config{Dim: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer weaviate.Drop(ctx, o)
	s.Close()
	l, err := tags.Open(o.URL())
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Tags()) != 0 {
		t.Fatalf("a new store has tags: %v", l.Tags())
	}
	if err := l.Add(tags.Mark{Tag: "ship", Ref: "a.png", Positive: true}, tags.Mark{Tag: "ship", Ref: "b.png"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(tags.Mark{Tag: "ship", Ref: "b.png", Positive: true}, tags.Mark{Tag: "ship", Ref: "c.png", Positive: true}); err != nil {
		t.Fatal(err)
	}
	l2, err := tags.Open(o.URL())
	if err != nil {
		t.Fatal(err)
	}
	got := l2.Labels("ship")
	if len(got) != 3 || !got["a.png"] || !got["b.png"] || !got["c.png"] {
		t.Errorf("labels %v: want a, b (its second mark wins), c all positive", got)
	}
	rs := l2.Rounds("ship")
	if len(rs) != 2 || rs[0].Precision() != 0.5 || rs[1].Precision() != 1 {
		t.Errorf("rounds %+v: want 2, precision 0.5 then 1", rs)
	}
	if _, err := tags.Open("weaviate://" + host + "/NoSuchStore?grpc=" + grpc); err == nil {
		t.Error("tags of a missing store: no error")
	}
}
