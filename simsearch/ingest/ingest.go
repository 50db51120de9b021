// Package ingest streams a corpus through an encoder into an index: read a batch of
// records, encode it, hand the vectors to FAISS, repeat. It works for any corpus (package
// corpus) and any encoder of the corpus's kind: images are resized to the encoder's input,
// texts tokenised as the encoder expects, vectors taken as they are.
//
// Memory holds one batch of records at a time plus the index itself; an IVF index that
// still needs training also holds the vectors until the end of the corpus, so its
// centroids are trained on a sample of the whole corpus rather than its first files
// (folders are often sorted by class).
package ingest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Encoder turns a batch of corpus records into vectors (len(recs)·Dim values).
type Encoder interface {
	Kind() corpus.Kind // the kind of records it encodes
	Dim() int
	Info() index.EncoderInfo
	Encode(ctx context.Context, recs []corpus.Record) ([]float32, error)
}

// ErrKind is returned when an encoder is given a corpus of another kind.
var ErrKind = errors.New("encoder and corpus kinds differ")

// Options control Build and Add.
type Options struct {
	Limit     int          // index at most this many items; 0: all
	BatchSize int          // records read and encoded at a time; default 256
	Factory   string       // FAISS factory; default index.DefaultFactory(n)
	Metric    index.Metric // default L2
	// Progress, if set, is called after every batch with items done and total.
	Progress func(done, total int)
	// Stats, if set, receives encoder timings.
	Stats *Stats
	// Seed picks the IVF training sample (default 1).
	Seed uint64
}

// Stats are encoder timings of one ingestion. The first batch is kept apart: it includes
// graph compilation for learned encoders.
type Stats struct {
	FirstBatch  time.Duration
	Items       int           // items encoded after the first batch
	EncodeTime  time.Duration // time spent encoding them
	ItemsPerSec float64       // Items / EncodeTime: the encoder's steady-state speed
}

func (o *Options) fill(c corpus.Corpus) int {
	if o.BatchSize <= 0 {
		o.BatchSize = 256
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	total := c.Len()
	if o.Limit > 0 && o.Limit < total {
		total = o.Limit
	}
	return total
}

func checkKind(c corpus.Corpus, enc Encoder) error {
	if c.Kind() != enc.Kind() {
		return fmt.Errorf("%w: encoder %s encodes %s items, corpus %s holds %s items", ErrKind, enc.Info().Name, enc.Kind(), c.Spec().Source, c.Kind())
	}
	return nil
}

// Build encodes a corpus with enc and builds an index over it. Cancelling ctx stops
// between batches with ctx.Err().
func Build(ctx context.Context, c corpus.Corpus, enc Encoder, o Options) (*index.Index, error) {
	if err := checkKind(c, enc); err != nil {
		return nil, err
	}
	total := o.fill(c)
	if total == 0 {
		return nil, fmt.Errorf("ingest: %w: %s", corpus.ErrEmpty, c.Spec())
	}
	if o.Factory == "" {
		o.Factory = index.DefaultFactory(total)
	}
	ix, err := index.New(index.Config{Dim: enc.Dim(), Metric: o.Metric, Factory: o.Factory, Encoder: enc.Info(), Corpus: c.Spec()})
	if err != nil {
		return nil, err
	}
	if err := add(ctx, ix, c, enc, total, o); err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}

// Add encodes a corpus and appends it to an existing index or other store (index.Store),
// which must have been built with the same encoder (same name, parameters and model
// checksum).
func Add(ctx context.Context, ix index.Store, c corpus.Corpus, enc Encoder, o Options) error {
	if err := checkKind(c, enc); err != nil {
		return err
	}
	if err := SameEncoder(ix.Encoder(), enc.Info()); err != nil {
		return err
	}
	if enc.Dim() != ix.Dim() {
		return fmt.Errorf("%w: encoder gives %d, index holds %d", index.ErrDimension, enc.Dim(), ix.Dim())
	}
	return add(ctx, ix, c, enc, o.fill(c), o)
}

// ErrEncoderMismatch is returned when vectors of one encoder would be mixed with, or
// searched against, an index built by another (or another version of a model).
var ErrEncoderMismatch = errors.New("encoder differs from the index's")

// SameEncoder reports whether two encoder descriptions produce comparable vectors.
func SameEncoder(have, got index.EncoderInfo) error {
	switch {
	case have.Name != got.Name:
		return fmt.Errorf("%w: index built with %q, given %q", ErrEncoderMismatch, have.Name, got.Name)
	case have.Version != got.Version:
		return fmt.Errorf("%w: %s version %s in the index, %s given", ErrEncoderMismatch, have.Name, have.Version, got.Version)
	case have.Checksum != "" && got.Checksum != "" && have.Checksum != got.Checksum:
		return fmt.Errorf("%w: the model's weights changed since indexing (checksum %.12s in the index, %.12s now): retrained or resumed? re-index with it, or use the model the index was built with",
			ErrEncoderMismatch, have.Checksum, got.Checksum)
	}
	for k, v := range have.Params {
		if w, ok := got.Params[k]; ok && w != v {
			return fmt.Errorf("%w: %s parameter %s is %q in the index, %q given", ErrEncoderMismatch, have.Name, k, v, w)
		}
	}
	return nil
}

// trainer is what a store that must be trained before it takes vectors offers (a FAISS
// IVF index).
type trainer interface {
	NList() int
	IsTrained() bool
	Train(ctx context.Context, vectors []float32) error
	Reserve(n int)
}

func add(ctx context.Context, ix index.Store, c corpus.Corpus, enc Encoder, total int, o Options) error {
	tr, _ := ix.(trainer)
	train := false
	if tr != nil {
		tr.Reserve(total)
		train = tr.NList() > 0 && !tr.IsTrained()
	}
	var held []float32 // vectors held back until the index is trained
	var heldItems []index.Item
	done := 0
	errStop := errors.New("limit reached")
	kind := c.Kind()
	err := c.Batches(ctx, o.BatchSize, func(batch []corpus.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if done+len(batch) > total {
			batch = batch[:total-done]
		}
		t0 := time.Now()
		vecs, err := enc.Encode(ctx, batch)
		if err != nil {
			return fmt.Errorf("encode %s .. %s: %w", batch[0].Ref, batch[len(batch)-1].Ref, err)
		}
		if st := o.Stats; st != nil {
			if done == 0 {
				st.FirstBatch = time.Since(t0)
			} else {
				st.EncodeTime += time.Since(t0)
				st.Items += len(batch)
				st.ItemsPerSec = float64(st.Items) / st.EncodeTime.Seconds()
			}
		}
		items := make([]index.Item, len(batch))
		for i := range batch {
			items[i] = ItemOf(batch[i], kind)
		}
		if train {
			held = append(held, vecs...)
			heldItems = append(heldItems, items...)
		} else if err := ix.Add(ctx, vecs, items, nil); err != nil {
			return err
		}
		done += len(batch)
		if o.Progress != nil {
			o.Progress(done, total)
		}
		if done >= total {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	if !train {
		return nil
	}
	if err := tr.Train(ctx, sample(held, ix.Dim(), 256*tr.NList(), o.Seed)); err != nil {
		return err
	}
	return ix.Add(ctx, held, heldItems, nil)
}

// sample returns at most max rows of v chosen uniformly at random (all of v if fewer).
func sample(v []float32, dim, max int, seed uint64) []float32 {
	n := len(v) / dim
	if n <= max {
		return v
	}
	perm := rand.New(rand.NewPCG(seed, 7)).Perm(n)[:max]
	slices.Sort(perm)
	out := make([]float32, 0, max*dim)
	for _, i := range perm {
		out = append(out, v[i*dim:(i+1)*dim]...)
	}
	return out
}

// ItemOf is the index item for a corpus record.
func ItemOf(r corpus.Record, kind corpus.Kind) index.Item {
	it := index.Item{Ref: r.Ref, Label: r.Label, Meta: r.Meta}
	if kind == corpus.Text {
		it.Text = r.Text
	}
	return it
}

// Encode encodes up to limit records of a corpus (0: all) and returns the vectors and
// the records' items, for queries and evaluation.
func Encode(ctx context.Context, c corpus.Corpus, enc Encoder, limit, batchSize int) (vecs []float32, items []index.Item, err error) {
	if err := checkKind(c, enc); err != nil {
		return nil, nil, err
	}
	o := Options{Limit: limit, BatchSize: batchSize}
	total := o.fill(c)
	errStop := errors.New("limit reached")
	kind := c.Kind()
	err = c.Batches(ctx, o.BatchSize, func(batch []corpus.Record) error {
		if len(items)+len(batch) > total {
			batch = batch[:total-len(items)]
		}
		v, err := enc.Encode(ctx, batch)
		if err != nil {
			return fmt.Errorf("encode %s .. %s: %w", batch[0].Ref, batch[len(batch)-1].Ref, err)
		}
		vecs = append(vecs, v...)
		for _, r := range batch {
			items = append(items, ItemOf(r, kind))
		}
		if len(items) >= total {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, nil, err
	}
	return vecs, items, nil
}
