package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/convae"
)

func init() {
	register("train", "train an encoder without labels: train cifar10|yelp ... --out MODELDIR", cmdTrain)
}

func cmdTrain(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "yelp" {
		return trainYelp(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "cifar10" {
		fmt.Fprintln(os.Stderr, "usage: corpushunt train cifar10|yelp [flags] --out MODELDIR   (corpushunt train cifar10 -h for flags)")
		return errUsage
	}
	fs := newFlags("train cifar10", "train cifar10 [--model parity|small|denoising] [--limit N] [--epochs E] --out MODELDIR")
	data := fs.String("data", "", "data root")
	model := fs.String("model", "parity", "architecture: parity (the tutorial's), small (half width), denoising (parity + input noise + 256-d dense code)")
	limit := fs.Int("limit", 0, "train on the first N training images (0: all 50,000, less the validation images)")
	val := fs.Int("val", 1000, "hold out this many images (the last of the split) for the validation loss")
	epochs := fs.Int("epochs", 5, "epochs (with --resume: total, including those done)")
	batch := fs.Int("batch", 128, "images per step")
	lr := fs.Float64("lr", 1e-3, "Adam learning rate")
	resume := fs.Bool("resume", false, "continue the training run in --out")
	conv := fs.String("conv", "im2col", "convolution implementation: im2col (fastest on the pure-Go backend) or native (ConvGeneral; cuDNN on XLA CUDA)")
	be := fs.String("backend", "", "GoMLX backend: go (default), xla:cuda, xla:/path/to/plugin.so (default $GOMLX_BACKEND)")
	out := fs.String("out", "", "model directory (required)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	b, err := convae.Preset(*model)
	if err != nil {
		return err
	}
	cfg, err := b.Conv(*conv).Done()
	if err != nil {
		return err
	}
	_, split, err := openSplit(*data, cifar10.Train, cifar10.Options{})
	if err != nil {
		return err
	}
	n := split.Len()
	if *val < 0 || *val >= n {
		return fmt.Errorf("--val %d: want 0 ≤ val < %d", *val, n)
	}
	trainN := n - *val
	if *limit > 0 && *limit < trainN {
		trainN = *limit
	}
	trainSet, valSet, err := loadImages(split, trainN, n-*val, *val)
	if err != nil {
		return err
	}
	backendImpl, err := backend.New(*be)
	if err != nil {
		return err
	}
	note("training %s (%d-d code, %.1f MFLOP/image forward) on %d images, validating on %d, backend %s",
		cfg.Name, cfg.CodeDim(), cfg.FLOPs()/1e6, trainSet.N, valSet.N, backendImpl.Name())
	var update func(int, int)
	var finish func()
	lastLoss := 0.0
	meta, err := convae.Train(ctx, backendImpl, *out, cfg, trainSet, valSet, convae.TrainOptions{
		Epochs: *epochs, Batch: *batch, LR: *lr, Resume: *resume,
		Progress: func(p convae.Progress) {
			if update == nil {
				update, finish = newBar(p.Total, "train", "img")
			}
			lastLoss = p.Loss
			update(p.Done, p.Total)
		},
	})
	if finish != nil {
		finish()
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

// loadImages reads the first trainN records and the records [valStart, valStart+valN) of a
// split as compact byte images.
func loadImages(split *cifar10.Split, trainN, valStart, valN int) (convae.Images, convae.Images, error) {
	tr := convae.Images{Pixels: make([]byte, 0, trainN*cifar10.PixelBytes)}
	va := convae.Images{Pixels: make([]byte, 0, valN*cifar10.PixelBytes)}
	for b, err := range split.Batches(1024) {
		if err != nil {
			return tr, va, err
		}
		for _, r := range b {
			switch {
			case r.Index < trainN:
				tr.Pixels = append(tr.Pixels, r.Pixels...)
				tr.N++
			case r.Index >= valStart && r.Index < valStart+valN:
				va.Pixels = append(va.Pixels, r.Pixels...)
				va.N++
			}
		}
	}
	return tr, va, nil
}
