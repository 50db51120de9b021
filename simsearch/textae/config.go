// Package textae is the denoising adversarial text autoencoder (DAAE) of Shen, Mueller,
// Barzilay & Jaakkola, "Educating Text Autoencoders: Latent Representation Guidance via
// Denoising" (ICML 2020), in GoMLX: a bidirectional LSTM encoder to a latent code, an LSTM
// decoder fed the word embedding plus a projection of the code at every step, input word
// dropout as the denoising noise, and an adversarial regulariser pushing codes towards a
// Gaussian prior. Plain AE, AAE and VAE are options. At search time the encoder's mean is
// the sentence's vector.
package textae

import (
	"fmt"
)

// Config describes a model. Build one with CPU or Paper and the builder methods.
type Config struct {
	Name       string  `json:"name"`
	Kind       string  `json:"kind"`        // daae (default), aae, ae, vae
	Vocab      int     `json:"vocab"`       // most frequent words kept (plus 5 specials)
	Emb        int     `json:"emb"`         // word embedding size
	Hidden     int     `json:"hidden"`      // LSTM size (per direction in the encoder)
	Latent     int     `json:"latent"`      // code size
	MaxLen     int     `json:"max_len"`     // tokens per sentence kept (longer ones are cut)
	WordDrop   float64 `json:"word_drop"`   // encoder-input word dropout (daae); default 0.3
	LambdaAdv  float64 `json:"lambda_adv"`  // adversarial weight (aae, daae); default 10
	LambdaKL   float64 `json:"lambda_kl"`   // KL weight (vae); default 0.1
	DiscHidden int     `json:"disc_hidden"` // discriminator width; default 512
	Dropout    float64 `json:"dropout"`     // dropout on embeddings and decoder outputs; default 0.5
}

// Builder configures a model; finish with Done.
type Builder struct{ c Config }

// CPU is the reduced size that trains meaningfully on 2 cores in about 20 minutes:
// 5,000 words, embeddings 128, LSTMs 128, a 64-d code.
func CPU() *Builder {
	return &Builder{Config{Name: "cpu", Kind: "daae", Vocab: 5000, Emb: 128, Hidden: 128, Latent: 64, MaxLen: 20,
		WordDrop: 0.3, LambdaAdv: 10, LambdaKL: 0.1, DiscHidden: 512, Dropout: 0.5}}
}

// Paper is the published size (for GPU machines): 10,000 words, embeddings 512, LSTMs 1024,
// a 128-d code.
func Paper() *Builder {
	return &Builder{Config{Name: "paper", Kind: "daae", Vocab: 10000, Emb: 512, Hidden: 1024, Latent: 128, MaxLen: 20,
		WordDrop: 0.3, LambdaAdv: 10, LambdaKL: 0.1, DiscHidden: 512, Dropout: 0.5}}
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
	if c.WordDrop < 0 || c.WordDrop >= 1 || c.Dropout < 0 || c.Dropout >= 1 {
		return c, fmt.Errorf("textae: probabilities must be in [0,1)")
	}
	return c, nil
}

// SeqLen is the padded length of token arrays: MaxLen words plus <eos>.
func (c Config) SeqLen() int { return c.MaxLen + 1 }

// Adversarial reports whether the model has a discriminator.
func (c Config) Adversarial() bool { return c.Kind == "aae" || c.Kind == "daae" }
