// Package textae is the denoising adversarial text autoencoder (DAAE) of Shen, Mueller,
// Barzilay & Jaakkola, "Educating Text Autoencoders: Latent Representation Guidance via
// Denoising" (ICML 2020), in GoMLX: a bidirectional LSTM encoder to a latent code, an LSTM
// decoder fed the word embedding plus a projection of the code at every step, input word
// dropout as the denoising noise, and an adversarial regulariser pushing codes towards a
// Gaussian prior. Plain AE, AAE and VAE are options. At search time the encoder's mean is
// the sentence's vector.
//
// Two presets: Paper (the published sizes and settings, for GPUs) and CPU (a reduced model
// whose training settings suit one pass over the data in about 20 minutes on 2 cores,
// including a sampled softmax in training; BENCHMARKS.md has the measurements behind each
// choice).
package textae

import (
	"fmt"
)

// Config describes a model. Build one with CPU or Paper and the builder methods.
type Config struct {
	Name     string  `json:"name"`
	Kind     string  `json:"kind"`      // daae (default), aae, ae, vae
	Vocab    int     `json:"vocab"`     // most frequent words kept (plus 5 specials)
	Emb      int     `json:"emb"`       // word embedding size
	Hidden   int     `json:"hidden"`    // LSTM size (per direction in the encoder)
	Latent   int     `json:"latent"`    // code size
	MaxLen   int     `json:"max_len"`   // tokens per sentence kept (longer ones are cut)
	WordDrop float64 `json:"word_drop"` // encoder-input word dropout (daae); default 0.3
	// Blank, Substitute and Shuffle are the paper's other encoder-input noises (daae; all
	// off by default): each word is replaced by <blank> with probability Blank, by a random
	// vocabulary word with probability Substitute, and words move at most Shuffle places.
	Blank      float64 `json:"blank,omitempty"`
	Substitute float64 `json:"substitute,omitempty"`
	Shuffle    float64 `json:"shuffle,omitempty"`
	LambdaAdv  float64 `json:"lambda_adv"`  // adversarial weight (aae, daae); default 10
	LambdaKL   float64 `json:"lambda_kl"`   // KL weight (vae); default 0.1
	DiscHidden int     `json:"disc_hidden"` // discriminator width; default 512
	Dropout    float64 `json:"dropout"`     // dropout on embeddings and decoder outputs; default 0.5
	// Sampled is the candidate-set size of the sampled softmax used in training: each
	// batch's target words plus uniformly drawn others (Jean et al., 2015). 0 (the
	// paper) computes the full softmax; evaluation always does.
	Sampled int `json:"sampled_softmax,omitempty"`
	// LR is the Adam learning rate (betas 0.5, 0.999) the configuration trains with unless
	// TrainOptions.LR says otherwise; 0 means 5e-4, the paper's.
	LR float64 `json:"lr,omitempty"`
}

// Builder configures a model; finish with Done.
type Builder struct{ c Config }

// CPU is the reduced configuration that trains meaningfully on 2 cores in about 20 minutes
// (one pass over Yelp's 182k training sentences): 5,000 words, embeddings 128, LSTMs 128,
// and the paper's 128-d code (a 256-d one did worse in the same time). Its training
// settings suit one epoch rather than the paper's fifty, as measured in BENCHMARKS.md:
// λ_adv 1 (10 holds reconstruction back: sentiment agreement@10 0.701 against 0.792 after
// one epoch), dropout 0.1 (0.5 regularises a run that cannot overfit), Adam learning rate
// 2e-3, and a sampled softmax over 1,024 candidate words (1.85× the steps per second of the
// full 5,005-way softmax on 2 cores, BenchmarkTrainStep). Its noise is the paper's word
// drop 0.3 plus a local shuffle of up to 3 places (token accuracy 0.480 and 0.496 for two
// seeds against 0.450 with word drop alone; agreement@10 0.800 and 0.777 against 0.778).
func CPU() *Builder {
	return &Builder{Config{Name: "cpu", Kind: "daae", Vocab: 5000, Emb: 128, Hidden: 128, Latent: 128, MaxLen: 20,
		WordDrop: 0.3, Shuffle: 3, LambdaAdv: 1, LambdaKL: 0.1, DiscHidden: 512, Dropout: 0.1, Sampled: 1024, LR: 2e-3}}
}

// Paper is the published configuration (for GPU machines): 10,000 words, embeddings 512,
// LSTMs 1024, a 128-d code, λ_adv 10, dropout 0.5, Adam learning rate 5e-4, full softmax.
func Paper() *Builder {
	return &Builder{Config{Name: "paper", Kind: "daae", Vocab: 10000, Emb: 512, Hidden: 1024, Latent: 128, MaxLen: 20,
		WordDrop: 0.3, LambdaAdv: 10, LambdaKL: 0.1, DiscHidden: 512, Dropout: 0.5, LR: 5e-4}}
}

// Preset returns the named builder: cpu or paper.
func Preset(name string) (*Builder, error) {
	switch name {
	case "cpu":
		return CPU(), nil
	case "paper":
		return Paper(), nil
	}
	return nil, fmt.Errorf("textae: unknown size %q (cpu, paper)", name)
}

// Kind sets daae, aae, ae or vae.
func (b *Builder) Kind(k string) *Builder { b.c.Kind = k; return b }

// Vocab sets the vocabulary size.
func (b *Builder) Vocab(n int) *Builder { b.c.Vocab = n; return b }

// Sizes sets embedding, hidden and latent sizes.
func (b *Builder) Sizes(emb, hidden, latent int) *Builder {
	b.c.Emb, b.c.Hidden, b.c.Latent = emb, hidden, latent
	return b
}

// MaxLen sets the sentence length kept.
func (b *Builder) MaxLen(n int) *Builder { b.c.MaxLen = n; return b }

// WordDrop sets the word dropout probability.
func (b *Builder) WordDrop(p float64) *Builder { b.c.WordDrop = p; return b }

// Blank sets the probability of replacing an encoder-input word with <blank> (daae).
func (b *Builder) Blank(p float64) *Builder { b.c.Blank = p; return b }

// Substitute sets the probability of replacing an encoder-input word with a random word
// (daae).
func (b *Builder) Substitute(p float64) *Builder { b.c.Substitute = p; return b }

// Shuffle sets how many places encoder-input words may move (daae; 0: no shuffle).
func (b *Builder) Shuffle(k float64) *Builder { b.c.Shuffle = k; return b }

// LambdaAdv sets the adversarial weight (aae, daae).
func (b *Builder) LambdaAdv(w float64) *Builder { b.c.LambdaAdv = w; return b }

// Dropout sets the dropout probability on embeddings and decoder outputs.
func (b *Builder) Dropout(p float64) *Builder { b.c.Dropout = p; return b }

// LR sets the Adam learning rate the configuration trains with.
func (b *Builder) LR(lr float64) *Builder { b.c.LR = lr; return b }

// SampledSoftmax trains with a sampled softmax over k candidate words (0: full softmax).
func (b *Builder) SampledSoftmax(k int) *Builder { b.c.Sampled = k; return b }

// Done validates and returns the configuration.
func (b *Builder) Done() (Config, error) {
	c := b.c
	switch c.Kind {
	case "daae", "aae", "ae", "vae":
	default:
		return c, fmt.Errorf("textae: kind %q (daae, aae, ae, vae)", c.Kind)
	}
	if c.Vocab < 1 || c.Emb < 1 || c.Hidden < 1 || c.Latent < 1 || c.MaxLen < 1 {
		return c, fmt.Errorf("textae: sizes must be positive: %+v", c)
	}
	if c.Sampled < 0 || c.LR < 0 || c.LambdaAdv < 0 || c.LambdaKL < 0 {
		return c, fmt.Errorf("textae: sampled softmax size, learning rate and loss weights must not be negative")
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"word drop", c.WordDrop}, {"blank", c.Blank}, {"substitute", c.Substitute}, {"dropout", c.Dropout}} {
		if p.v < 0 || p.v >= 1 {
			return c, fmt.Errorf("textae: %s probability %g is not in [0,1)", p.name, p.v)
		}
	}
	if c.Shuffle < 0 {
		return c, fmt.Errorf("textae: shuffle distance %g is negative", c.Shuffle)
	}
	return c, nil
}

// SeqLen is the padded length of token arrays: MaxLen words plus <eos>.
func (c Config) SeqLen() int { return c.MaxLen + 1 }

// Adversarial reports whether the model has a discriminator.
func (c Config) Adversarial() bool { return c.Kind == "aae" || c.Kind == "daae" }
