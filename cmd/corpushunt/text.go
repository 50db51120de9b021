package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/corpushunt/corpushunt/datasets/yelp"
	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/bow"
	"github.com/corpushunt/corpushunt/simsearch/eval"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
	"github.com/corpushunt/corpushunt/simsearch/textae"
)

// maxQueryTokens bounds typed queries; longer ones are truncated with a note.
const maxQueryTokens = 50

// indexYelp builds a text index with the bag-of-words encoder.
func indexYelp(ctx context.Context, data, encName string, dim, limit int, factory string, m index.Metric, out string) (*index.Index, error) {
	c, err := yelp.Locate(data)
	if err != nil {
		return nil, err
	}
	sents, err := ingest.ReadYelp(c, ingest.YelpIndexFiles, limit)
	if err != nil {
		return nil, err
	}
	if encName != bow.Name {
		enc, err := loadTextModel(encName)
		if err != nil {
			return nil, fmt.Errorf("encoder %q: use bow or a model directory from `corpushunt train yelp`: %w", encName, err)
		}
		update, finish := newBar(len(sents), "encode+index yelp", "sent")
		ix, err := ingest.Texts(ctx, sents, enc, ingest.Options{Factory: factory, Metric: m, Progress: update})
		finish()
		return ix, err
	}
	toks := make([][]string, len(sents))
	for i, s := range sents {
		toks[i] = s.Tokens()
	}
	enc, err := bow.Fit(toks, dim, 1)
	if err != nil {
		return nil, err
	}
	update, finish := newBar(len(sents), "encode+index yelp", "sent")
	ix, err := ingest.Texts(ctx, sents, enc, ingest.Options{Factory: factory, Metric: m, Progress: update})
	finish()
	if err != nil {
		return nil, err
	}
	// The fitted vocabulary belongs to the index generation: saved with it, checksummed,
	// inside the index folder.
	b, err := enc.Marshal()
	if err == nil {
		err = ix.SetAsset(bow.AssetName, b)
	}
	if err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}

// textEncoderForIndex rebuilds the text encoder recorded in a manifest.
func textEncoderForIndex(ix *index.Index) (ingest.TextEncoder, error) {
	info := ix.Encoder()
	if info.Name == textae.EncoderName {
		return loadTextModel(info.Model)
	}
	if info.Name != bow.Name {
		return nil, fmt.Errorf("index was built with encoder %q, which does not encode text", info.Name)
	}
	b, err := ix.Asset(bow.AssetName)
	if err == nil {
		enc, err := bow.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%w: bag-of-words encoder: %v", index.ErrCorrupt, err)
		}
		return enc, nil
	}
	if info.Model == "" {
		return nil, err
	}
	// Indexes of format 1 referred to the encoder by path, unchecked.
	note("note: this index refers to its bag-of-words encoder by path (%s), unverified; re-index to make it self-contained", info.Model)
	return bow.Load(info.Model)
}

func loadTextModel(dir string) (*textae.Encoder, error) {
	cfg, err := textBackend("")
	if err != nil {
		return nil, err
	}
	be, err := backend.New(cfg)
	if err != nil {
		return nil, err
	}
	return textae.LoadEncoder(be, dir)
}

// queryTokens tokenises a typed query, refusing empty ones and truncating long ones.
func queryTokens(text string) ([]string, error) {
	toks := yelp.Tokenize(text)
	if len(toks) == 0 {
		return nil, fmt.Errorf("--text %q: %w", text, bow.ErrEmptyText)
	}
	if len(toks) > maxQueryTokens {
		note("note: query has %d tokens; using the first %d", len(toks), maxQueryTokens)
		toks = toks[:maxQueryTokens]
	}
	return toks, nil
}

// evalYelp scores sentiment agreement@k for labelled query files against a text index,
// leaving out hits whose text equals the query (the two source repositories overlap).
func evalYelp(ctx context.Context, data, dir, files string, ks []int, limit int) (_ *eval.Report, _ *index.Index, err error) {
	ix, err := index.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			ix.Close()
		}
	}()
	enc, err := textEncoderForIndex(ix)
	if err != nil {
		return nil, nil, err
	}
	c, err := yelp.Locate(data)
	if err != nil {
		return nil, nil, err
	}
	names := ingest.YelpQueryFiles
	if files != "" {
		names = strings.Split(files, ",")
	}
	sents, err := ingest.ReadYelp(c, names, 0)
	if err != nil {
		return nil, nil, err
	}
	if limit > 0 && limit < len(sents) {
		// Spread the limit over the files (they are sorted by label).
		step := len(sents) / limit
		var picked []yelp.Sentence
		for i := 0; i < len(sents) && len(picked) < limit; i += step {
			picked = append(picked, sents[i])
		}
		sents = picked
	}
	toks := make([][]string, len(sents))
	labels := make([]int, len(sents))
	for i, s := range sents {
		toks[i], labels[i] = s.Tokens(), s.Label
		if s.Label == yelp.NoLabel {
			return nil, nil, fmt.Errorf("%s has no sentiment label: pick labelled query files", s.Ref.File)
		}
	}
	q, err := enc.EncodeTokens(ctx, toks)
	if err != nil {
		return nil, nil, err
	}
	hits, err := eval.SearchExcept(ctx, ix, q, ix.Dim(), slices.Max(ks), index.SearchOptions{},
		func(i int, h index.Hit) bool { return h.Item.Text == sents[i].Text })
	if err != nil {
		return nil, nil, err
	}
	rep, err := eval.Precision(labels, hits, ks)
	if err != nil {
		return nil, nil, err
	}
	return rep, ix, nil
}
