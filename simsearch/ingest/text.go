package ingest

import (
	"context"
	"fmt"

	"github.com/corpushunt/corpushunt/datasets/yelp"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// TextEncoder turns tokenised sentences into vectors.
type TextEncoder interface {
	Dim() int
	Info() index.EncoderInfo
	EncodeTokens(ctx context.Context, sentences [][]string) ([]float32, error)
}

// YelpIndexFiles are the labelled files indexed by default (about 190,000 sentences).
var YelpIndexFiles = []string{"sentiment.dev.0", "sentiment.dev.1", "sentiment.test.0", "sentiment.test.1"}

// YelpQueryFiles are labelled files from the other source repository, used as queries.
// Their sentences also occur in YelpIndexFiles (both repositories sampled the same Yelp
// sentences), so a model evaluated with them must be trained Without them.
var YelpQueryFiles = []string{"sentiment/1000.neg", "sentiment/1000.pos"}

// Without returns the sentences whose text is not the text of any of held, and how many
// were left out (every copy of a held-out text goes: a query's duplicates in the training
// data would let a model see it).
func Without(sents, held []yelp.Sentence) ([]yelp.Sentence, int) {
	drop := make(map[string]bool, len(held))
	for _, h := range held {
		drop[h.Text] = true
	}
	out := make([]yelp.Sentence, 0, len(sents))
	for _, s := range sents {
		if !drop[s.Text] {
			out = append(out, s)
		}
	}
	return out, len(sents) - len(out)
}

// ReadYelp reads the named files of a corpus (at most limit sentences in all; 0: no limit),
// interleaving nothing: files are read in order.
func ReadYelp(c *yelp.Corpus, files []string, limit int) ([]yelp.Sentence, error) {
	var out []yelp.Sentence
	for _, name := range files {
		f, err := c.File(name)
		if err != nil {
			return nil, err
		}
		s, _, err := yelp.Read(f, false)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
		if limit > 0 && len(out) >= limit {
			return out[:limit], nil
		}
	}
	return out, nil
}

// TextItem is the index item for a sentence.
func TextItem(s yelp.Sentence) index.Item {
	return index.Item{Dataset: "yelp", Ref: s.Ref.String(), Label: s.Label, LabelName: yelp.LabelName(s.Label), Text: s.Text}
}

// Texts encodes sentences in batches and builds an index over them.
func Texts(ctx context.Context, sents []yelp.Sentence, enc TextEncoder, o Options) (*index.Index, error) {
	if len(sents) == 0 {
		return nil, fmt.Errorf("ingest: no sentences")
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 4096
	}
	if o.Factory == "" {
		o.Factory = index.DefaultFactory(len(sents))
	}
	ix, err := index.New(index.Config{Dim: enc.Dim(), Metric: o.Metric, Factory: o.Factory, Encoder: enc.Info()})
	if err != nil {
		return nil, err
	}
	ix.Reserve(len(sents))
	vecs := make([]float32, 0, len(sents)*enc.Dim())
	for start := 0; start < len(sents); start += o.BatchSize {
		if err := ctx.Err(); err != nil {
			ix.Close()
			return nil, err
		}
		end := min(start+o.BatchSize, len(sents))
		toks := make([][]string, 0, end-start)
		for _, s := range sents[start:end] {
			toks = append(toks, s.Tokens())
		}
		v, err := enc.EncodeTokens(ctx, toks)
		if err != nil {
			ix.Close()
			return nil, fmt.Errorf("encode sentences %d..%d: %w", start, end-1, err)
		}
		vecs = append(vecs, v...)
		if o.Progress != nil {
			o.Progress(end, len(sents))
		}
	}
	if !ix.IsTrained() {
		// Files are sorted by label: train on a stride sample across all of them.
		d, want := enc.Dim(), 256*ix.NList()
		stride := max(1, len(sents)/want)
		sample := make([]float32, 0, min(len(sents), want)*d)
		for i := 0; i < len(sents); i += stride {
			sample = append(sample, vecs[i*d:(i+1)*d]...)
		}
		if err := ix.Train(ctx, sample); err != nil {
			ix.Close()
			return nil, err
		}
	}
	items := make([]index.Item, len(sents))
	for i, s := range sents {
		items[i] = TextItem(s)
	}
	if err := ix.Add(ctx, vecs, items, nil); err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}
