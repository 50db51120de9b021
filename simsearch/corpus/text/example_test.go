package text_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	_ "github.com/corpushunt/corpushunt/simsearch/corpus/text"
)

func Example() {
	dir, err := os.MkdirTemp("", "text-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tickets.csv")
	csv := "id,body,team\n" +
		"17,\"Refund, please\",billing\n" +
		"18,App crashes on start,support\n" +
		"19,,billing\n" +
		"20,\"Invoice\nmissing\",billing\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		panic(err)
	}

	c, err := corpus.Open(corpus.Spec{Source: "text", Root: path,
		Options: map[string]string{"text-column": "body", "label-column": "team"}})
	if err != nil {
		panic(err)
	}
	err = c.Batches(context.Background(), 2, func(batch []corpus.Record) error {
		for _, r := range batch {
			fmt.Printf("%s %s id=%s %q\n", r.Ref, r.Label, r.Meta["id"], r.Text)
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Summary())
	r, err := c.Resolve("tickets.csv:4")
	fmt.Printf("%q %v\n", r.Text, err)
	// Output:
	// tickets.csv:1 billing id=17 "Refund, please"
	// tickets.csv:2 support id=18 "App crashes on start"
	// tickets.csv:4 billing id=20 "Invoice\nmissing"
	// 3 items in 2 labels; skipped 1 empty texts
	// "Invoice\nmissing" <nil>
}
