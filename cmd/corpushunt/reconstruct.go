package main

import (
	"context"
	"fmt"
	"image"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/simsearch"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/corpus/images"
	"github.com/corpushunt/corpushunt/simsearch/display"
)

func init() {
	register("reconstruct", "picture what a model's code kept: originals over reconstructions (PNG)", cmdReconstruct)
}

func cmdReconstruct(ctx context.Context, args []string) error {
	fs := newFlags("reconstruct", "reconstruct --model MODELDIR [--images DIR | --dataset cifar10 --split test] [--items 0,1,2] --out grid.png")
	cf := addCorpusFlags(fs, "")
	model := fs.String("model", "", "model directory from `corpushunt train` (required)")
	items := fs.String("items", "0,1,2,3,4,5,6,7,8,9,10,11", "record numbers in the corpus, comma-separated")
	fitFlag := fs.String("fit", "crop", "images not of the model's size: crop or pad")
	scale := fs.Int("scale", 4, "pixel upscaling (1 to 16)")
	out := fs.String("out", "", "PNG to write (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "model", "out"); err != nil {
		return err
	}
	if *scale < 1 || *scale > 16 {
		return fmt.Errorf("--scale %d: want 1 to 16", *scale)
	}
	fit, err := images.ParseFit(*fitFlag)
	if err != nil {
		return err
	}
	enc, err := simsearch.LoadImageModel(*model)
	if err != nil {
		return err
	}
	if !cf.given() {
		*cf.dataset = "cifar10"
	}
	sp, err := cf.get(cifar10.Test)
	if err != nil {
		return err
	}
	c, err := openCorpus(sp)
	if err != nil {
		return err
	}
	var picks []int
	for _, f := range strings.Split(*items, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || i < 0 || i >= c.Len() {
			return fmt.Errorf("--items %q: %q is not a record number from 0 to %d", *items, f, c.Len()-1)
		}
		picks = append(picks, i)
	}
	if c.Kind() != corpus.Image {
		return fmt.Errorf("%s holds %s items, not images", sp, c.Kind())
	}
	recs, err := pickRecords(ctx, c, picks)
	if err != nil {
		return err
	}
	h, w, ch := enc.InputShape()
	var imgs []image.Image
	for _, r := range recs {
		imgs = append(imgs, r.Image)
	}
	x := images.PrepareBatch(imgs, h, w, ch, fit)
	rec, err := enc.Reconstruct(ctx, x, len(imgs))
	if err != nil {
		return err
	}
	size := h * w * ch
	var originals, recons []image.Image
	for i := range imgs {
		originals = append(originals, display.FloatImageC(x[i*size:(i+1)*size], h, w, ch))
		recons = append(recons, display.FloatImageC(rec[i*size:(i+1)*size], h, w, ch))
	}
	g := display.Grid{Rows: [][]image.Image{originals, recons}, Scale: *scale}
	if err := g.WritePNG(*out); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d originals (top) over their reconstructions (bottom) by %s\n", *out, len(originals), *model)
	return nil
}
