package images_test

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/corpus/images"
)

func Example() {
	// A tiny ImageFolder: one subfolder per label.
	root, err := os.MkdirTemp("", "images-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	for _, name := range []string{"cats/tom.png", "cats/felix.png", "dogs/rex.png", "dogs/notes.txt"} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			log.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			log.Fatal(err)
		}
		if err := png.Encode(f, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
			log.Fatal(err)
		}
		f.Close()
	}

	c, err := corpus.Open(corpus.Spec{Source: "images", Root: root})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Len(), "images")
	err = c.Batches(context.Background(), 2, func(batch []corpus.Record) error {
		for _, r := range batch {
			fmt.Printf("%s %s %v\n", r.Ref, r.Label, r.Image.Bounds().Size())
		}
		x := images.PrepareBatch([]image.Image{batch[0].Image}, 4, 4, 3, images.Crop)
		fmt.Println("  first prepared:", len(x), "values")
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Summary())
	// Output:
	// 3 images
	// cats/felix.png cats (8,8)
	// cats/tom.png cats (8,8)
	//   first prepared: 48 values
	// dogs/rex.png dogs (8,8)
	//   first prepared: 48 values
	// 3 items in 2 labels; skipped 1 non-image files
}
