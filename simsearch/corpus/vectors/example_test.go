package vectors_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/corpus/vectors"
)

// A CSV file of embeddings with a header, a label column and an id column.
func Example() {
	dir, err := os.MkdirTemp("", "vectors-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "emb.csv")
	data := "id,label,x,y,z\n" +
		"a1,cat,0.5,1,-2\n" +
		"a2,dog,3,0,0.25\n" +
		"a3,cat,1e-3,2,7\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		log.Fatal(err)
	}

	c, err := corpus.Open(corpus.Spec{Source: "vectors", Root: path,
		Options: map[string]string{"label-column": "label", "id-column": "id"}})
	if err != nil {
		log.Fatal(err)
	}
	dim, _ := vectors.DimOf(c)
	fmt.Println(c.Len(), "rows of dimension", dim)
	err = c.Batches(context.Background(), 2, func(batch []corpus.Record) error {
		for _, r := range batch {
			fmt.Println(r.Ref, r.Label, r.Meta["id"], r.Vector)
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	r, err := c.Resolve("emb.csv:1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("resolved:", r.Ref, r.Label, r.Vector)
	fmt.Println(c.Summary())
	// Output:
	// 3 rows of dimension 3
	// emb.csv:0 cat a1 [0.5 1 -2]
	// emb.csv:1 dog a2 [3 0 0.25]
	// emb.csv:2 cat a3 [0.001 2 7]
	// resolved: emb.csv:1 dog [3 0 0.25]
	// 3 items in 2 labels
}
