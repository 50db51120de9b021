package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/corpushunt/corpushunt/simsearch"
	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/convae"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/corpus/images"
)

func init() {
	register("train", "train an encoder without labels: train --images DIR | --text FILE | cifar10 | yelp ... --out MODELDIR", cmdTrain)
}

func cmdTrain(ctx context.Context, args []string) error {
	switch {
	case len(args) > 0 && args[0] == "yelp":
		return trainText(ctx, args[1:], true)
	case len(args) > 0 && args[0] == "cifar10":
		return trainImages(ctx, args[1:], "cifar10")
	case slices.ContainsFunc(args, func(a string) bool { return a == "--text" || a == "-text" || strings.HasPrefix(a, "--text=") }):
		return trainText(ctx, args, false)
	case len(args) == 0 || strings.HasPrefix(args[0], "-") && !slices.ContainsFunc(args, func(a string) bool {
		return a == "--images" || a == "-images" || strings.HasPrefix(a, "--images=") || a == "--corpus" || strings.HasPrefix(a, "--corpus=")
	}):
		if len(args) == 0 || (args[0] != "-h" && args[0] != "--help") {
			fmt.Fprintln(os.Stderr, "usage: corpushunt train (--images DIR | --text FILE | cifar10 | yelp) [flags] --out MODELDIR   (corpushunt train --images DIR -h for flags)")
			return errUsage
		}
	}
	return trainImages(ctx, args, "")
}

// trainImages trains a convolutional autoencoder on an image corpus: `train cifar10` or
// `train --images DIR`.
func trainImages(ctx context.Context, args []string, demo string) error {
	name := "train --images"
	if demo != "" {
		name = "train " + demo
	}
	fs := newFlags(name, name+" [--model parity|small|denoising] [--size 32x32] [--limit N] [--epochs E] --out MODELDIR")
	cf := addCorpusFlags(fs, demo)
	model := fs.String("model", "parity", "architecture: parity (the tutorial's), small (half width), denoising (parity + input noise + 256-d dense code)")
	size := fs.String("size", "", "input size HxW or HxWxC, multiples of 16 (default: the corpus's most common size rounded to a multiple of 16, at most 64; CIFAR-10: 32x32x3)")
	fitFlag := fs.String("fit", "crop", "images not of the input size: crop (centre) or pad (white)")
	limit := fs.Int("limit", 0, "train on the first N images (0: all, less the validation images)")
	val := fs.Int("val", -1, "hold out this many images (the last of the corpus) for the validation loss (-1: 10%, at most 1000)")
	epochs := fs.Int("epochs", 5, "epochs (with --resume: total, including those done)")
	batch := fs.Int("batch", 0, "images per step (0: 128, or fewer for small corpora so an epoch has at least 32 steps)")
	lr := fs.Float64("lr", 1e-3, "Adam learning rate")
	resume := fs.Bool("resume", false, "continue the training run in --out")
	conv := fs.String("conv", "im2col", "convolution implementation: im2col (fastest on the pure-Go backend) or native (ConvGeneral; cuDNN on XLA CUDA)")
	be := fs.String("backend", "", "GoMLX backend: go (default), xla:cuda, xla:/path/to/plugin.so (default $GOMLX_BACKEND)")
	out := fs.String("out", "", "model directory (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	if *epochs < 1 || *batch < 0 || *limit < 0 || *lr <= 0 {
		return fmt.Errorf("--epochs must be ≥ 1, --batch and --limit ≥ 0, --lr > 0")
	}
	fit, err := images.ParseFit(*fitFlag)
	if err != nil {
		return err
	}
	sp, err := cf.get("train")
	if err != nil {
		return err
	}
	c, err := openCorpus(sp)
	if err != nil {
		return err
	}
	if c.Kind() != corpus.Image {
		return fmt.Errorf("%s holds %s items; train --images needs images (text: train --text)", sp, c.Kind())
	}
	b, err := convae.Preset(*model)
	if err != nil {
		return err
	}
	h, w, ch, err := simsearch.TrainSize(*size, c)
	if err != nil {
		return err
	}
	cfg, err := b.Conv(*conv).Input(h, w, ch).Done()
	if err != nil {
		return err
	}
	n := c.Len()
	v := *val
	if v < 0 {
		v = min(1000, n/10)
	}
	if v >= n {
		return fmt.Errorf("--val %d: want 0 ≤ val < %d (the corpus's size)", v, n)
	}
	trainN := n - v
	if *limit > 0 && *limit < trainN {
		trainN = *limit
	}
	update, finish := newBar(n, "read images", "img")
	trainSet, valSet, err := simsearch.ImageSets(ctx, c, cfg, fit, trainN, n-v, v, update)
	finish()
	if err != nil {
		return err
	}
	reportSkipped(c)
	if *batch == 0 && !*resume {
		*batch = convae.DefaultBatch(trainSet.N)
	}
	backendImpl, err := backend.New(*be)
	if err != nil {
		return err
	}
	note("training %s (%d×%d×%d input, %d-d code, %.1f MFLOP/image forward) on %d images, validating on %d, backend %s",
		cfg.Name, h, w, ch, cfg.CodeDim(), cfg.FLOPs()/1e6, trainSet.N, valSet.N, backendImpl.Name())
	var bar func(int, int)
	var done func()
	lastLoss := 0.0
	meta, err := convae.Train(ctx, backendImpl, *out, cfg, trainSet, valSet, convae.TrainOptions{
		Epochs: *epochs, Batch: *batch, LR: *lr, Resume: *resume,
		Progress: func(p convae.Progress) {
			if bar == nil {
				bar, done = newBar(p.Total, "train", "img")
			}
			lastLoss = p.Loss
			bar(p.Done, p.Total)
		},
	})
	if done != nil {
		done()
	}
	if errors.Is(err, context.Canceled) && meta != nil {
		fmt.Printf("interrupted: checkpoint at step %d saved in %s; continue with --resume\n", meta.Step, *out)
		return err
	}
	if err != nil {
		return err
	}
	fmt.Printf("model %s: %.2f epochs, step %d, last train loss %.5f, validation loss %.5f, %s, last epoch %.0f images/s (%s)\n",
		*out, meta.EpochsDone, meta.Step, lastLoss, meta.LastValLoss, fmtSeconds(meta.TrainSeconds), meta.EpochImagesPerSec, meta.Backend)
	return nil
}

func fmtSeconds(s float64) string {
	if s < 120 {
		return fmt.Sprintf("%.0fs training", s)
	}
	return fmt.Sprintf("%.1f min training", s/60)
}
