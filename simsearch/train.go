package simsearch

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/convae"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/corpus/images"
	"github.com/corpushunt/corpushunt/simsearch/display"
	"github.com/corpushunt/corpushunt/simsearch/textae"
)

// TrainOptions configure Train. Zero values take the defaults.
type TrainOptions struct {
	// Model: images "parity" (default, the tutorial's), "small" or "denoising"; texts
	// "cpu" (default, a DAAE sized for a CPU) or "paper".
	Model string
	// Size is the image input "HxW" or "HxWxC", multiples of 16 (default: the corpus's
	// most common size rounded to a multiple of 16, 16 to 64).
	Size string
	Fit  string // images not of the input size: "crop" (default) or "pad"
	// Epochs (images, default 5; texts, default as many as Minutes allows).
	Epochs  int
	Minutes float64 // texts: stop after this much training (default 20)
	Batch   int     // default 128 (images), 64 (texts)
	Limit   int     // train on at most this many items (0: all)
	Val     int     // items held out for the validation loss (default 10%, at most 1000)
	// Tokenizer and MaskLogs: how texts are split into tokens (see EncoderOptions).
	Tokenizer string
	MaskLogs  bool
	// Backend is the GoMLX backend ("" : $GOMLX_BACKEND, else pure Go).
	Backend string
	// Monitor, if set, receives every step (default in a notebook: a live loss chart).
	Monitor *display.TrainMonitor
}

// Train trains an encoder on a corpus without its labels and returns the model
// directory, which Build takes as EncoderOptions.Name: a convolutional autoencoder for
// images, a denoising adversarial text autoencoder for texts. A model already in dir is
// resumed (trained on to Epochs); Ctrl-C (ctx cancelled) saves a checkpoint first.
func Train(ctx context.Context, c corpus.Corpus, dir string, o TrainOptions) (string, error) {
	mon := o.Monitor
	if mon == nil {
		mon = display.NewTrainMonitor("training loss")
		defer mon.Done()
	}
	_, err := os.Stat(filepath.Join(dir, convae.MetaFile))
	resume := err == nil
	switch c.Kind() {
	case corpus.Image:
		return dir, trainImages(ctx, c, dir, o, resume, mon)
	case corpus.Text:
		return dir, trainTexts(ctx, c, dir, o, resume, mon)
	}
	return "", fmt.Errorf("train: %s items need no training: index them with the vectors encoder", c.Kind())
}

// TrainSize reads a size, or rounds the corpus's most common image size to multiples of
// 16 (16 to 64).
func TrainSize(s string, c corpus.Corpus) (h, w, ch int, err error) {
	h, w, ch, err = PixelSize(s, c)
	if err != nil || s != "" {
		return
	}
	round := func(x int) int { return min(64, max(16, (x+8)/16*16)) }
	return round(h), round(w), ch, nil
}

func trainImages(ctx context.Context, c corpus.Corpus, dir string, o TrainOptions, resume bool, mon *display.TrainMonitor) error {
	if o.Model == "" {
		o.Model = "parity"
	}
	b, err := convae.Preset(o.Model)
	if err != nil {
		return err
	}
	fit, err := images.ParseFit(o.Fit)
	if err != nil {
		return err
	}
	h, w, ch, err := TrainSize(o.Size, c)
	if err != nil {
		return err
	}
	cfg, err := b.Input(h, w, ch).Done()
	if err != nil {
		return err
	}
	n := c.Len()
	val := o.Val
	if val <= 0 {
		val = min(1000, n/10)
	}
	if val >= n {
		return fmt.Errorf("train: %d validation images of %d", val, n)
	}
	trainN := n - val
	if o.Limit > 0 && o.Limit < trainN {
		trainN = o.Limit
	}
	trainSet, valSet, err := ImageSets(ctx, c, cfg, fit, trainN, n-val, val, nil)
	if err != nil {
		return err
	}
	be, err := backend.New(o.Backend)
	if err != nil {
		return err
	}
	if o.Batch == 0 {
		o.Batch = convae.DefaultBatch(trainSet.N)
	}
	_, err = convae.Train(ctx, be, dir, cfg, trainSet, valSet, convae.TrainOptions{
		Epochs: o.Epochs, Batch: o.Batch, Resume: resume, Progress: mon.Progress})
	return err
}

// ImageSets reads a corpus's images at a model's input size as compact bytes: the first
// trainN for training and [valStart, valStart+valN) for validation.
func ImageSets(ctx context.Context, c corpus.Corpus, cfg convae.Config, fit images.Fit, trainN, valStart, valN int, progress func(int, int)) (convae.Images, convae.Images, error) {
	h, w, ch := cfg.InputShape()
	size := h * w * ch
	tr := convae.Images{Pixels: make([]byte, 0, trainN*size), H: h, W: w, C: ch}
	va := convae.Images{Pixels: make([]byte, 0, valN*size), H: h, W: w, C: ch}
	i := 0
	stop := errors.New("enough")
	err := c.Batches(ctx, 512, func(b []corpus.Record) error {
		imgs := make([]image.Image, len(b))
		for j, r := range b {
			imgs[j] = r.Image
		}
		px := images.PrepareBatch(imgs, h, w, ch, fit)
		for j := range b {
			var dst *convae.Images
			switch {
			case i < trainN:
				dst = &tr
			case i >= valStart && i < valStart+valN:
				dst = &va
			}
			if dst != nil {
				for _, v := range px[j*size : (j+1)*size] {
					dst.Pixels = append(dst.Pixels, byte(v*255+0.5))
				}
				dst.N++
			}
			i++
		}
		if progress != nil {
			progress(i, c.Len())
		}
		if i >= max(trainN, valStart+valN) {
			return stop
		}
		return nil
	})
	if errors.Is(err, stop) {
		err = nil
	}
	return tr, va, err
}

func trainTexts(ctx context.Context, c corpus.Corpus, dir string, o TrainOptions, resume bool, mon *display.TrainMonitor) error {
	if o.Model == "" {
		o.Model = "cpu"
	}
	b, err := textae.Preset(o.Model)
	if err != nil {
		return err
	}
	cfg, err := b.Done()
	if err != nil {
		return err
	}
	tok, err := TokenizerFor(c, o.Tokenizer, o.MaskLogs)
	if err != nil {
		return err
	}
	recs, err := corpus.Collect(ctx, c)
	if err != nil {
		return err
	}
	rand.New(rand.NewPCG(1, 3)).Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	if o.Limit > 0 && o.Limit < len(recs) {
		recs = recs[:o.Limit]
	}
	val := o.Val
	if val <= 0 {
		val = min(1000, len(recs)/10)
	}
	if val >= len(recs) {
		return fmt.Errorf("train: %d validation texts of %d", val, len(recs))
	}
	toks := make([][]string, len(recs))
	for i, r := range recs {
		toks[i] = tok.Tokens(r.Text)
	}
	var vocab *textae.Vocab
	if resume {
		meta, err := textae.ReadMeta(dir)
		if err != nil {
			return err
		}
		if vocab, err = textae.LoadVocab(filepath.Join(dir, textae.VocabFile)); err != nil {
			return err
		}
		cfg = meta.Config
	} else {
		vocab = textae.BuildVocab(toks[val:], cfg.Vocab)
		cfg.Vocab = vocab.Len() - 5
	}
	trainSet, _ := textae.Prepare(toks[val:], vocab, cfg.MaxLen)
	valSet, _ := textae.Prepare(toks[:val], vocab, cfg.MaxLen)
	be, err := backend.New(TextBackend(o.Backend))
	if err != nil {
		return err
	}
	minutes := o.Minutes
	if minutes == 0 && o.Epochs == 0 {
		minutes = 20
	}
	_, err = textae.Train(ctx, be, dir, cfg, vocab, trainSet, valSet, textae.TrainOptions{
		Minutes: minutes, Epochs: o.Epochs, Batch: o.Batch, Resume: resume,
		Tokenizer: tok.Name, MaskLogs: tok.MaskLogs, Progress: mon.TextProgress})
	return err
}
