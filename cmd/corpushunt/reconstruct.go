package main

import (
	"context"
	"fmt"
	"image"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/simsearch/convae"
	"github.com/corpushunt/corpushunt/simsearch/display"
)

func init() {
	register("reconstruct", "picture what a model's code kept: originals over reconstructions (PNG)", cmdReconstruct)
}

func cmdReconstruct(ctx context.Context, args []string) error {
	fs := newFlags("reconstruct", "reconstruct --model MODELDIR [--split test] [--items 0,1,2] --out grid.png")
	data := fs.String("data", "", "data root")
	model := fs.String("model", "", "model directory from `corpushunt train` (required)")
	split := fs.String("split", "test", "cifar10 split the items come from")
	items := fs.String("items", "0,1,2,3,4,5,6,7,8,9,10,11", "record numbers in the split, comma-separated")
	scale := fs.Int("scale", 4, "pixel upscaling")
	out := fs.String("out", "", "PNG to write (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "model", "out"); err != nil {
		return err
	}
	enc, err := loadModel(*model)
	if err != nil {
		return err
	}
	_, s, err := openSplit(*data, *split, cifar10.Options{})
	if err != nil {
		return err
	}
	var originals []image.Image
	var batch []float32
	for _, f := range strings.Split(*items, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("--items %q: %q is not a record number", *items, f)
		}
		rec, err := s.Record(i)
		if err != nil {
			return err
		}
		originals = append(originals, rec.Image())
		batch = rec.AppendFloat32(batch)
	}
	rec, err := enc.Reconstruct(ctx, batch, len(originals))
	if err != nil {
		return err
	}
	var recons []image.Image
	for i := range originals {
		recons = append(recons, display.FloatImage(rec[i*convae.ImageBytes:(i+1)*convae.ImageBytes], convae.Height, convae.Width))
	}
	g := display.Grid{Rows: [][]image.Image{originals, recons}, Scale: *scale}
	if err := g.WritePNG(*out); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d originals (top) over their reconstructions (bottom) by %s\n", *out, len(originals), *model)
	return nil
}
