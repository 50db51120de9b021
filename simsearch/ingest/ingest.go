// Package ingest streams a corpus through an encoder into an index: read a batch, encode
// it, hand the vectors to FAISS, repeat. Memory holds one batch of images at a time plus
// the index itself (and, for IVF, the training sample until training is done).
package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// ImageEncoder turns images into vectors. Images are n×32×32×3 float32 in [0,1], HWC.
type ImageEncoder interface {
	Dim() int
	Info() index.EncoderInfo
	EncodeImages(ctx context.Context, images []float32, n int) ([]float32, error)
}

// Options control CIFAR10.
type Options struct {
	Split     string       // default "train"
	Limit     int          // index at most this many records; 0: all
	BatchSize int          // images read and encoded at a time; default 512
	Factory   string       // FAISS factory; default index.DefaultFactory(n)
	Metric    index.Metric // default L2
	// Progress, if set, is called after every batch with images done and total.
	Progress func(done, total int)
	// Stats, if set, receives encoder timings.
	Stats *Stats
}

// Stats are encoder timings of one ingestion. The first batch is kept apart: it includes
// graph compilation for learned encoders.
type Stats struct {
	FirstBatch   time.Duration
	Images       int           // images encoded after the first batch
	EncodeTime   time.Duration // time spent encoding them
	ImagesPerSec float64       // Images / EncodeTime: the encoder's steady-state speed
}

// CIFAR10 encodes a CIFAR-10 split with enc and builds an index over it. Cancelling ctx
// stops between batches with ctx.Err().
func CIFAR10(ctx context.Context, ds *cifar10.Dataset, enc ImageEncoder, o Options) (*index.Index, error) {
	split, total, err := o.resolve(ds)
	if err != nil {
		return nil, err
	}
	if o.Factory == "" {
		o.Factory = index.DefaultFactory(total)
	}
	ix, err := index.New(index.Config{Dim: enc.Dim(), Metric: o.Metric, Factory: o.Factory, Encoder: enc.Info()})
	if err != nil {
		return nil, err
	}
	if err := addSplit(ctx, ix, ds, split, total, enc, o); err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}

// AddCIFAR10 encodes a split (Options.Split, Limit, BatchSize, Progress) and appends it to
// an existing index, training it first if it is an untrained IVF.
func AddCIFAR10(ctx context.Context, ix *index.Index, ds *cifar10.Dataset, enc ImageEncoder, o Options) error {
	if enc.Dim() != ix.Dim() {
		return fmt.Errorf("%w: encoder gives %d, index holds %d", index.ErrDimension, enc.Dim(), ix.Dim())
	}
	split, total, err := o.resolve(ds)
	if err != nil {
		return err
	}
	return addSplit(ctx, ix, ds, split, total, enc, o)
}

func (o *Options) resolve(ds *cifar10.Dataset) (*cifar10.Split, int, error) {
	if o.Split == "" {
		o.Split = cifar10.Train
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 512
	}
	split, err := ds.Split(o.Split)
	if err != nil {
		return nil, 0, err
	}
	total := split.Len()
	if o.Limit > 0 && o.Limit < total {
		total = o.Limit
	}
	return split, total, nil
}

func addSplit(ctx context.Context, ix *index.Index, ds *cifar10.Dataset, split *cifar10.Split, total int, enc ImageEncoder, o Options) error {
	ix.Reserve(total)
	// An untrained IVF needs training before adds: hold vectors back until the sample is
	// big enough.
	trainWant := 0
	if n := ix.NList(); n > 0 && !ix.IsTrained() {
		trainWant = min(total, 256*n)
	}
	var pending []float32
	var pendingItems []index.Item
	flush := func() error {
		if len(pendingItems) == 0 {
			return nil
		}
		if !ix.IsTrained() {
			if err := ix.Train(ctx, pending); err != nil {
				return err
			}
		}
		err := ix.Add(ctx, pending, pendingItems, nil)
		pending, pendingItems = pending[:0], pendingItems[:0]
		return err
	}
	done := 0
	var floats []float32
	for batch, err := range split.Batches(o.BatchSize) {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if done+len(batch) > total {
			batch = batch[:total-done]
		}
		floats = cifar10.Float32HWC(batch, floats)
		t0 := time.Now()
		vecs, err := enc.EncodeImages(ctx, floats, len(batch))
		if err != nil {
			return fmt.Errorf("encode %s records %d..%d: %w", o.Split, done, done+len(batch)-1, err)
		}
		if st := o.Stats; st != nil {
			if done == 0 {
				st.FirstBatch = time.Since(t0)
			} else {
				st.EncodeTime += time.Since(t0)
				st.Images += len(batch)
				st.ImagesPerSec = float64(st.Images) / st.EncodeTime.Seconds()
			}
		}
		items := make([]index.Item, len(batch))
		for i := range batch {
			items[i] = ItemOf(ds, o.Split, &batch[i])
		}
		if ix.IsTrained() {
			err = ix.Add(ctx, vecs, items, nil)
		} else {
			pending = append(pending, vecs...)
			pendingItems = append(pendingItems, items...)
			if len(pendingItems) >= trainWant {
				err = flush()
			}
		}
		if err != nil {
			return err
		}
		done += len(batch)
		if o.Progress != nil {
			o.Progress(done, total)
		}
		if done >= total {
			break
		}
	}
	return flush()
}

// ItemOf is the index item for a CIFAR-10 record.
func ItemOf(ds *cifar10.Dataset, split string, r *cifar10.Record) index.Item {
	return index.Item{Dataset: "cifar10", Split: split, Ref: r.Ref.String(), Label: r.Label, LabelName: ds.Classes[r.Label]}
}

// EncodeCIFAR10 encodes up to limit records of a split (0: all) and returns the vectors
// and records' labels, for queries and evaluation.
func EncodeCIFAR10(ctx context.Context, ds *cifar10.Dataset, enc ImageEncoder, split string, limit, batchSize int) (vecs []float32, labels []int, err error) {
	s, err := ds.Split(split)
	if err != nil {
		return nil, nil, err
	}
	if batchSize <= 0 {
		batchSize = 512
	}
	var floats []float32
	for batch, err := range s.Batches(batchSize) {
		if err != nil {
			return nil, nil, err
		}
		if limit > 0 && len(labels)+len(batch) > limit {
			batch = batch[:limit-len(labels)]
		}
		floats = cifar10.Float32HWC(batch, floats)
		v, err := enc.EncodeImages(ctx, floats, len(batch))
		if err != nil {
			return nil, nil, err
		}
		vecs = append(vecs, v...)
		for _, r := range batch {
			labels = append(labels, r.Label)
		}
		if limit > 0 && len(labels) >= limit {
			break
		}
	}
	return vecs, labels, nil
}
