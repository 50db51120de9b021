package explore

import (
	"context"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

func TestOutliersAndDuplicates(t *testing.T) {
	ctx := context.Background()
	// A tight cluster, one far point (id 5) and one exact duplicate pair (ids 2 and 6).
	v := []float32{0, 0, 1, 0, 0, 1, 1, 1, 0.5, 0.5, 50, 50, 0, 1}
	items := make([]index.Item, 7)
	ix, err := index.Build(ctx, index.Config{Dim: 2}, v, items, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	out, err := Outliers(ctx, ix, 2, 1)
	if err != nil || len(out) != 1 || out[0].ID != 5 {
		t.Fatalf("outliers %+v %v", out, err)
	}
	pairs, err := NearDuplicates(ctx, ix, 1)
	if err != nil || len(pairs) != 1 || pairs[0].Distance != 0 {
		t.Fatalf("pairs %+v %v", pairs, err)
	}
	if a, b := pairs[0].A.ID, pairs[0].B.ID; !(a == 2 && b == 6 || a == 6 && b == 2) {
		t.Errorf("closest pair %d,%d, want 2,6", a, b)
	}
}
