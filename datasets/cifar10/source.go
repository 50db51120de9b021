package cifar10

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// SourceName is the corpus source this package registers: Root is a CIFAR-10 folder
// (either layout), option "split" is train (default) or test, "skip-bad" skips malformed
// records. Item references are relative to Root: "data_batch_1.bin#5" for a record of a
// binary batch, "train/00005_cat.png" for the PNG layout; labels are class names.
const SourceName = "cifar10"

func init() {
	corpus.Register(SourceName, corpus.Image, "CIFAR-10 (official binary batches or the PNG layout); option split=train|test", OpenCorpus)
	corpus.RegisterName(SourceName, func(split string) (corpus.Spec, error) { // "cifar10[:split]"
		if split == "" {
			split = Train
		}
		return Spec("", split, false)
	})
}

// Spec locates CIFAR-10 (see Find: data is the --data flag, "" to search) and returns the
// corpus spec of one split.
func Spec(data, split string, skipBad bool) (corpus.Spec, error) {
	dir, err := Find(data)
	if err != nil {
		return corpus.Spec{}, err
	}
	sp := corpus.Spec{Source: SourceName, Root: dir, Options: map[string]string{"split": split}}
	if skipBad {
		sp.Options[corpus.OptSkipBad] = "true"
	}
	return sp, nil
}

// Corpus is one split of CIFAR-10 as a corpus of 32×32 RGB images.
type Corpus struct {
	DS    *Dataset
	S     *Split
	spec  corpus.Spec
	items int
	// labels counts yielded items per class.
	labels map[string]int
}

// OpenCorpus opens the split a spec names.
func OpenCorpus(spec corpus.Spec) (corpus.Corpus, error) {
	if spec.Root == "" {
		return nil, fmt.Errorf("%w: cifar10 needs the dataset folder as root", corpus.ErrSpec)
	}
	ds, err := Open(spec.Root, Options{SkipBad: spec.Option(corpus.OptSkipBad, "") == "true"})
	if err != nil {
		return nil, err
	}
	s, err := ds.Split(spec.Option("split", Train))
	if err != nil {
		return nil, err
	}
	return &Corpus{DS: ds, S: s, spec: spec}, nil
}

func (c *Corpus) Spec() corpus.Spec { return c.spec }
func (c *Corpus) Kind() corpus.Kind { return corpus.Image }
func (c *Corpus) Len() int          { return c.S.Len() }

// Batches streams the split; each record's Image is a 32×32 *image.RGBA.
func (c *Corpus) Batches(ctx context.Context, n int, fn func([]corpus.Record) error) error {
	c.items, c.labels = 0, map[string]int{}
	out := make([]corpus.Record, 0, n)
	for batch, err := range c.S.Batches(n) {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		out = out[:0]
		for i := range batch {
			out = append(out, c.record(&batch[i]))
		}
		c.items += len(out)
		if err := fn(out); err != nil {
			return err
		}
	}
	return nil
}

func (c *Corpus) record(r *Record) corpus.Record {
	label := c.DS.Classes[r.Label]
	if c.labels != nil {
		c.labels[label]++
	}
	return corpus.Record{Item: corpus.Item{Ref: c.ref(r.Ref), Label: label}, Image: r.Image()}
}

// ref writes a reference relative to the dataset folder.
func (c *Corpus) ref(r Ref) string {
	rel := corpus.Rel(c.DS.Dir, r.File)
	if r.Record < 0 {
		return rel
	}
	return fmt.Sprintf("%s#%d", rel, r.Record)
}

// Resolve reads the record a reference names.
func (c *Corpus) Resolve(ref string) (corpus.Record, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return corpus.Record{}, fmt.Errorf("%w: %v", corpus.ErrNoRef, err)
	}
	p, err := corpus.Resolve(c.DS.Dir, r.File)
	if err != nil {
		return corpus.Record{}, err
	}
	r.File = p
	rec, err := ReadRef(r)
	if err != nil {
		return corpus.Record{}, err
	}
	out := corpus.Record{Item: corpus.Item{Ref: ref}, Image: rec.Image()}
	if rec.Label >= 0 && rec.Label < len(c.DS.Classes) {
		out.Label = c.DS.Classes[rec.Label]
	} else if c.DS.Layout == PNG {
		if _, l, err := parsePNGName(filepath.Base(p), c.DS.Classes); err == nil {
			out.Label = c.DS.Classes[l]
		}
	}
	return out, nil
}

// Summary counts what was streamed.
func (c *Corpus) Summary() corpus.Summary {
	s := corpus.Summary{Items: c.items, Labels: c.labels}
	if n := c.S.Skipped(); n > 0 {
		s.Skipped = map[string]int{"bad records": n}
	}
	return s
}
