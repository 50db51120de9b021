package index_test

import (
	"context"
	"fmt"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

func Example() {
	ctx := context.Background()
	// Four 2-d vectors: two near (0,0), two near (10,10).
	vectors := []float32{0, 0, 0.5, 0, 10, 10, 10, 10.5}
	items := []index.Item{
		{Ref: "a", Label: "low"}, {Ref: "b", Label: "low"}, {Ref: "c", Label: "high"}, {Ref: "d", Label: "high"},
	}
	ix, err := index.Build(ctx, index.Config{Dim: 2, Factory: "Flat"}, vectors, items, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ix.Close()
	hits, _ := ix.SearchByID(ctx, 2, 2, true, index.SearchOptions{})
	for _, h := range hits {
		fmt.Printf("%d. %s (label %s) distance %.2f\n", h.Rank, h.Item.Ref, h.Item.Label, h.Distance)
	}
	// Output:
	// 1. d (label high) distance 0.25
	// 2. b (label low) distance 190.25
}

func ExampleDefaultFactory() {
	for _, n := range []int{5000, 50000, 1000000} {
		fmt.Println(n, index.DefaultFactory(n))
	}
	// Output:
	// 5000 Flat
	// 50000 IVF1024,Flat
	// 1000000 IVF4096,Flat
}
