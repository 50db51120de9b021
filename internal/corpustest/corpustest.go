// Package corpustest is an in-memory corpus for tests of packages that read corpora.
package corpustest

import (
	"context"
	"fmt"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// Slice is a corpus of the given records, all of kind K.
type Slice struct {
	K       corpus.Kind
	Records []corpus.Record
	Name    string // spec root; default "memory"
	read    int
}

func (s *Slice) Spec() corpus.Spec {
	root := s.Name
	if root == "" {
		root = "memory"
	}
	return corpus.Spec{Source: "test", Root: root}
}

func (s *Slice) Kind() corpus.Kind { return s.K }
func (s *Slice) Len() int          { return len(s.Records) }

func (s *Slice) Batches(ctx context.Context, n int, fn func([]corpus.Record) error) error {
	s.read = 0
	for start := 0; start < len(s.Records); start += n {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+n, len(s.Records))
		s.read = end
		if err := fn(s.Records[start:end]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Slice) Resolve(ref string) (corpus.Record, error) {
	for _, r := range s.Records {
		if r.Ref == ref {
			return r, nil
		}
	}
	return corpus.Record{}, fmt.Errorf("%w: %s", corpus.ErrNoRef, ref)
}

func (s *Slice) Summary() corpus.Summary {
	sum := corpus.Summary{Items: s.read, Labels: map[string]int{}}
	for _, r := range s.Records[:s.read] {
		if r.Label != "" {
			sum.Labels[r.Label]++
		}
	}
	return sum
}

// Vectors returns a corpus of n vectors of dimension d around `labels` well-separated
// centres; item i has label "c<i%labels>" and ref "v<i>".
func Vectors(n, d, labels int) *Slice {
	s := &Slice{K: corpus.Vector}
	for i := range n {
		v := make([]float32, d)
		l := i % labels
		for j := range v {
			v[j] = float32(10*((l>>(j%8))&1)) + float32((i*31+j*17)%7)/10
		}
		s.Records = append(s.Records, corpus.Record{Item: corpus.Item{Ref: fmt.Sprintf("v%d", i), Label: fmt.Sprintf("c%d", l)}, Vector: v})
	}
	return s
}
