package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"

	"github.com/corpushunt/corpushunt/datasets/yelp"
	"github.com/corpushunt/corpushunt/simsearch"
	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/textae"
)

// trainText trains a text autoencoder on a text corpus: `train yelp` (the demo, eval
// queries held out) or `train --text FILE`.
func trainText(ctx context.Context, args []string, demo bool) error {
	name := "train --text"
	if demo {
		name = "train yelp"
	}
	fs := newFlags(name, name+" [FILE] [--size cpu|paper] [--kind daae] [--minutes 20] --out MODELDIR")
	cf := addCorpusFlags(fs, map[bool]string{true: "yelp", false: ""}[demo])
	tokName := fs.String("tokenizer", "", "words (default) or fields (split on spaces only); the yelp demo uses its own")
	maskLogs := fs.Bool("mask-logs", false, "mask numbers, ids, addresses, times and paths before tokenising (log lines)")
	size := fs.String("size", "cpu", "cpu (reduced, ~20 min on 2 cores) or paper (the published sizes, for GPUs)")
	kind := fs.String("kind", "daae", "daae, aae, ae or vae")
	vocabN := fs.Int("vocab", 0, "words kept, overriding the size preset (0: the preset's)")
	emb := fs.Int("emb", 0, "word embedding size, overriding the preset (0: the preset's)")
	hidden := fs.Int("hidden", 0, "LSTM size per direction, overriding the preset (0: the preset's)")
	latent := fs.Int("latent", 0, "code size, overriding the preset (0: the preset's)")
	sampled := fs.Int("sampled", -1, "sampled-softmax candidate words in training (0: full softmax; -1: the preset's)")
	dropout := fs.Float64("dropout", -1, "dropout on embeddings and decoder outputs (-1: the preset's)")
	lambdaAdv := fs.Float64("lambda-adv", -1, "adversarial weight for daae/aae (-1: the preset's)")
	wordDrop := fs.Float64("word-drop", -1, "encoder-input word dropout of the daae (-1: the preset's, 0.3)")
	blank := fs.Float64("blank", 0, "probability of replacing an encoder-input word with <blank> (daae)")
	substitute := fs.Float64("substitute", 0, "probability of replacing an encoder-input word with a random word (daae)")
	shuffle := fs.Float64("shuffle", 0, "places an encoder-input word may move (daae; 0: no shuffle)")
	minutes := fs.Float64("minutes", 20, "stop after this many minutes of training (0: no limit)")
	epochs := fs.Int("epochs", 0, "epochs over the training sentences (0: as many as --minutes allows, 1 when --minutes is 0)")
	batch := fs.Int("batch", 64, "sentences per step (the paper: 256)")
	lr := fs.Float64("lr", 0, "Adam learning rate, betas 0.5, 0.999 (0: the preset's: cpu 2e-3, paper 5e-4)")
	seed := fs.Uint64("seed", 1, "random seed: initial weights, batch order, noise and the validation split")
	val := fs.Int("val", 1000, "sentences held out for the validation loss and token accuracy")
	holdOut := fs.String("hold-out", "queries", "yelp: files whose sentences are kept out of training: queries (the eval queries, "+strings.Join(yelp.QueryFiles, ",")+"), none, or a comma-separated list")
	limit := fs.Int("limit", 0, "use at most N sentences (0: all labelled dev/test sentences; labels are not used)")
	be := fs.String("backend", "", "GoMLX backend (default $GOMLX_BACKEND, else pure Go)")
	resume := fs.Bool("resume", false, "continue the model in --out (its size, vocabulary and step), for another --minutes")
	out := fs.String("out", "", "model directory (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	b, err := textae.Preset(*size)
	if err != nil {
		return err
	}
	pre, _ := b.Done()
	if *vocabN > 0 {
		b.Vocab(*vocabN)
	}
	b.Sizes(pick(*emb, pre.Emb), pick(*hidden, pre.Hidden), pick(*latent, pre.Latent))
	if *sampled >= 0 {
		b.SampledSoftmax(*sampled)
	}
	if *dropout >= 0 {
		b.Dropout(*dropout)
	}
	if *lambdaAdv >= 0 {
		b.LambdaAdv(*lambdaAdv)
	}
	if *wordDrop >= 0 {
		b.WordDrop(*wordDrop)
	}
	cfg, err := b.Blank(*blank).Substitute(*substitute).Shuffle(*shuffle).Kind(*kind).Done()
	if err != nil {
		return err
	}
	sp, err := cf.get("")
	if err != nil {
		return err
	}
	var held []string
	if sp.Source == yelp.SourceName {
		switch *holdOut {
		case "none", "":
		case "queries":
			held = yelp.QueryFiles
		default:
			held = strings.Split(*holdOut, ",")
		}
		if len(held) > 0 {
			sp.Options["without"] = strings.Join(held, ",")
		}
	}
	c, err := openCorpus(sp)
	if err != nil {
		return fmt.Errorf("%w (yelp: --hold-out none trains on every sentence)", err)
	}
	if c.Kind() != corpus.Text {
		return fmt.Errorf("train --text: %s holds %s items, not texts", sp, c.Kind())
	}
	tok, err := simsearch.TokenizerFor(c, *tokName, *maskLogs)
	if err != nil {
		return err
	}
	recs, err := corpus.Collect(ctx, c)
	if err != nil {
		return err
	}
	if s := c.Summary(); s.SkippedTotal() > 0 {
		note("corpus: %s", s)
	}
	r := rand.New(rand.NewPCG(*seed, 3))
	r.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	if *limit > 0 && *limit < len(recs) {
		recs = recs[:*limit]
	}
	if *val >= len(recs) {
		return fmt.Errorf("--val %d: only %d texts", *val, len(recs))
	}
	if *val < 0 || *limit < 0 || *minutes < 0 || *epochs < 0 || *batch < 1 {
		return fmt.Errorf("--val, --limit, --minutes and --epochs must be ≥ 0, --batch ≥ 1")
	}
	toks := make([][]string, len(recs))
	for i, rec := range recs {
		toks[i] = tok.Tokens(rec.Text)
	}
	trainToks, valToks := toks[*val:], toks[:*val]
	var vocab *textae.Vocab
	if *resume {
		meta, err := textae.ReadMeta(*out)
		if err != nil {
			return err
		}
		if vocab, err = textae.LoadVocab(filepath.Join(*out, textae.VocabFile)); err != nil {
			return err
		}
		cfg = meta.Config
	} else {
		vocab = textae.BuildVocab(trainToks, cfg.Vocab)
		cfg.Vocab = vocab.Len() - 5
	}
	trainSet, _ := textae.Prepare(trainToks, vocab, cfg.MaxLen)
	valSet, _ := textae.Prepare(valToks, vocab, cfg.MaxLen)
	bk, err := backend.New(simsearch.TextBackend(*be))
	if err != nil {
		return err
	}
	note("training %s %s (vocab %d, emb %d, hidden %d, code %d) on %d sentences, validating on %d, backend %s",
		cfg.Kind, cfg.Name, cfg.Vocab, cfg.Emb, cfg.Hidden, cfg.Latent, len(trainSet), len(valSet), bk.Name())
	var update func(int, int)
	var finish func()
	meta, err := textae.Train(ctx, bk, *out, cfg, vocab, trainSet, valSet, textae.TrainOptions{
		Minutes: *minutes, Epochs: *epochs, Batch: *batch, LR: *lr, Resume: *resume, HeldOut: held, Seed: *seed,
		Tokenizer: tok.Name, MaskLogs: tok.MaskLogs,
		Progress: func(step int64, done, total int, loss float64) {
			if update == nil {
				update, finish = newBar(total, "train", "sent")
			}
			update(done, total)
		},
	})
	if finish != nil {
		finish()
	}
	if err != nil && !(errors.Is(err, context.Canceled) && meta != nil) {
		return err
	}
	fmt.Printf("model %s: %d steps, %.0f sentences/s, %.1f min; held-out NLL %.3f per sentence, next-token accuracy %.3f%s\n",
		*out, meta.Step, meta.SentsPerSec, meta.TrainSeconds/60, meta.ValNLL, meta.ValTokenAcc,
		map[bool]string{true: " (interrupted; checkpoint saved)", false: ""}[meta.Interrupted])
	return err
}

// pick returns v, or def when v is 0 (flag not given).
func pick(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
