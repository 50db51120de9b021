// Package storetest is the conformance suite of the vector-store contract (index.Store):
// one set of tests that every store (the FAISS index directory, the Weaviate collection)
// must pass. A store's package calls Run with a Factory that makes fresh stores.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Factory makes stores for the suite.
type Factory struct {
	// Create makes a new, empty store for cfg (unique to the calling test).
	Create func(t *testing.T, cfg index.Config) index.Store
	// Reopen closes s and opens the same store again (what another process would see).
	Reopen func(t *testing.T, s index.Store) index.Store
	// MinRecall is the recall@10 against brute force the store must reach (1 for exact).
	MinRecall float64
}

// Data makes n clustered dim-d vectors (20 blobs) and items whose label is the blob.
func Data(n, dim int, seed uint64) ([]float32, []index.Item) {
	r := rand.New(rand.NewPCG(seed, 7))
	centres := make([]float32, 20*dim)
	for i := range centres {
		centres[i] = float32(r.NormFloat64() * 3)
	}
	v := make([]float32, n*dim)
	items := make([]index.Item, n)
	for i := range n {
		c := r.IntN(20)
		for j := range dim {
			v[i*dim+j] = centres[c*dim+j] + float32(r.NormFloat64())
		}
		items[i] = index.Item{Ref: fmt.Sprintf("blob%02d/%05d.bin", c, i), Label: fmt.Sprintf("blob%02d", c),
			Meta: map[string]string{"seed": fmt.Sprint(seed), "n": fmt.Sprint(i)}}
		if i%3 == 0 {
			items[i].Text = fmt.Sprintf("item %d, ünïcode ✓ and \"quotes\"", i)
		}
	}
	return v, items
}

// bruteForce returns the exact top k rows of each query under m.
func bruteForce(v, q []float32, dim, k int, m index.Metric) [][]int64 {
	if m == index.Cosine {
		v, q = index.Normalized(v, dim), index.Normalized(q, dim)
	}
	n, nq := len(v)/dim, len(q)/dim
	out := make([][]int64, nq)
	for i := range nq {
		type sc struct {
			id int64
			s  float64
		}
		all := make([]sc, n)
		for j := range n {
			var s float64
			for c := range dim {
				a, b := float64(q[i*dim+c]), float64(v[j*dim+c])
				if m == index.L2 {
					s -= (a - b) * (a - b)
				} else {
					s += a * b
				}
			}
			all[j] = sc{int64(j), s}
		}
		sort.Slice(all, func(a, b int) bool { return all[a].s > all[b].s })
		for _, x := range all[:k] {
			out[i] = append(out[i], x.id)
		}
	}
	return out
}

func cfgFor(dim int, m index.Metric) index.Config {
	return index.Config{Dim: dim, Metric: m, Factory: "Flat",
		Encoder: index.EncoderInfo{Name: "storetest", Version: "1", Params: map[string]string{"dim": fmt.Sprint(dim)}},
		Corpus:  corpus.Spec{Source: "vectors", Root: "/data/storetest"}}
}

// Run runs the conformance suite.
func Run(t *testing.T, f Factory) {
	ctx := context.Background()
	const dim = 16

	for _, m := range []index.Metric{index.L2, index.Cosine, index.IP} {
		t.Run("recall/"+string(m), func(t *testing.T) {
			v, items := Data(3000, dim, 1)
			s := f.Create(t, cfgFor(dim, m))
			if err := s.Add(ctx, v, items, nil); err != nil {
				t.Fatal(err)
			}
			q, _ := Data(100, dim, 2)
			const k = 10
			res, err := s.Search(ctx, q, k, index.SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			truth := bruteForce(v, q, dim, k, m)
			found := 0
			for i := range truth {
				for _, h := range res[i] {
					if slices.Contains(truth[i], h.ID) {
						found++
					}
				}
				for j := 1; j < len(res[i]); j++ {
					a, b := res[i][j-1].Distance, res[i][j].Distance
					if (m.HigherIsCloser() && b > a+1e-4) || (!m.HigherIsCloser() && b < a-1e-4) {
						t.Fatalf("query %d: hits out of order: %v then %v", i, a, b)
					}
				}
			}
			recall := float64(found) / float64(len(truth)*k)
			t.Logf("%s recall@10 = %.3f", m, recall)
			if recall < f.MinRecall {
				t.Errorf("recall@10 %.3f < %.3f", recall, f.MinRecall)
			}
			// The top hit's score is the metric's score of that pair.
			h := res[0][0]
			vec, err := s.Vector(h.ID)
			if err != nil {
				t.Fatal(err)
			}
			qq := q[:dim]
			if m == index.Cosine {
				qq = index.Normalized(qq, dim)
			}
			var want float64
			for c := range dim {
				if m == index.L2 {
					d := float64(qq[c] - vec[c])
					want += d * d
				} else {
					want += float64(qq[c]) * float64(vec[c])
				}
			}
			if math.Abs(float64(h.Distance)-want) > 1e-3*math.Max(1, math.Abs(want)) {
				t.Errorf("top hit score %v, the metric gives %v", h.Distance, want)
			}
		})
	}

	t.Run("items-round-trip", func(t *testing.T) {
		v, items := Data(500, dim, 3)
		s := f.Create(t, cfgFor(dim, index.Cosine))
		if err := s.Add(ctx, v, items, nil); err != nil {
			t.Fatal(err)
		}
		check := func(s index.Store, when string) {
			t.Helper()
			if s.Len() != len(items) || s.Dim() != dim || s.Metric() != index.Cosine {
				t.Fatalf("%s: len %d dim %d metric %s", when, s.Len(), s.Dim(), s.Metric())
			}
			if s.Encoder().Name != "storetest" || s.Encoder().Params["dim"] != fmt.Sprint(dim) || s.Corpus().Root != "/data/storetest" {
				t.Fatalf("%s: encoder %+v corpus %+v", when, s.Encoder(), s.Corpus())
			}
			got := s.Items()
			for _, id := range []int64{0, 1, 2, 3, 250, 499} {
				it, err := s.Item(id)
				if err != nil {
					t.Fatal(err)
				}
				want := items[id]
				if it.Ref != want.Ref || it.Label != want.Label || it.Text != want.Text || it.Meta["n"] != want.Meta["n"] || len(it.Meta) != 2 {
					t.Fatalf("%s: item %d = %+v, want %+v", when, id, it, want)
				}
				if got[id].Ref != want.Ref {
					t.Fatalf("%s: Items()[%d] = %+v", when, id, got[id])
				}
				vec, err := s.Vector(id)
				if err != nil {
					t.Fatal(err)
				}
				nv := index.Normalized(v[id*dim:(id+1)*dim], dim)
				for c := range dim {
					if math.Abs(float64(vec[c]-nv[c])) > 1e-5 {
						t.Fatalf("%s: vector %d[%d] = %v, want %v (normalised)", when, id, c, vec[c], nv[c])
					}
				}
			}
			seen := 0
			if err := s.EachVector(func(id int64, vec []float32) error {
				if id != int64(seen) || len(vec) != dim {
					return fmt.Errorf("EachVector gave row %d (%d-d) at position %d", id, len(vec), seen)
				}
				seen++
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if seen != len(items) {
				t.Fatalf("%s: EachVector visited %d rows of %d", when, seen, len(items))
			}
			hits, err := s.SearchByID(ctx, 7, 5, true, index.SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != 5 || slices.ContainsFunc(hits, func(h index.Hit) bool { return h.ID == 7 }) {
				t.Fatalf("%s: SearchByID(7, excludeSelf) = %v", when, hits)
			}
			for i, h := range hits {
				if h.Rank != i+1 || h.Item.Ref != items[h.ID].Ref {
					t.Fatalf("%s: hit %d = %+v", when, i, h)
				}
			}
			self, err := s.SearchByID(ctx, 7, 1, false, index.SearchOptions{})
			if err != nil || len(self) != 1 || self[0].ID != 7 {
				t.Fatalf("%s: SearchByID(7, 1) = %v, %v: the item itself should come first", when, self, err)
			}
		}
		check(s, "after add")
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		s = f.Reopen(t, s)
		check(s, "reopened")
	})

	t.Run("incremental-add", func(t *testing.T) {
		v, items := Data(1500, dim, 4)
		s := f.Create(t, cfgFor(dim, index.L2))
		if err := s.Add(ctx, v[:1000*dim], items[:1000], nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		s = f.Reopen(t, s)
		var calls []int
		if err := s.Add(ctx, v[1000*dim:], items[1000:], func(done, total int) { calls = append(calls, done) }); err != nil {
			t.Fatal(err)
		}
		if len(calls) == 0 || calls[len(calls)-1] != 500 {
			t.Errorf("progress calls %v, want the last to be 500", calls)
		}
		if s.Len() != 1500 {
			t.Fatalf("len %d after adding 1000 then 500", s.Len())
		}
		for _, id := range []int64{1000, 1234, 1499} {
			hits, err := s.Search(ctx, v[id*int64(dim):(id+1)*int64(dim)], 1, index.SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if hits[0][0].ID != id || hits[0][0].Item.Ref != items[id].Ref || hits[0][0].Distance > 1e-3 {
				t.Fatalf("row %d, added second, searched by its own vector: %+v", id, hits[0][0])
			}
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		s = f.Reopen(t, s)
		if s.Len() != 1500 {
			t.Fatalf("reopened: len %d", s.Len())
		}
		if it, err := s.Item(1499); err != nil || it.Ref != items[1499].Ref {
			t.Fatalf("reopened: item 1499 = %+v, %v", it, err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		v, items := Data(50, dim, 5)
		s := f.Create(t, cfgFor(dim, index.L2))
		if _, err := s.Search(ctx, v[:dim], 3, index.SearchOptions{}); !errors.Is(err, index.ErrEmpty) {
			t.Errorf("search of an empty store: %v, want ErrEmpty", err)
		}
		if err := s.Add(ctx, v, items, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(ctx, v[:dim+3], items[:1], nil); !errors.Is(err, index.ErrDimension) {
			t.Errorf("add of a %d-value vector to a %d-d store: %v, want ErrDimension", dim+3, dim, err)
		}
		bad := slices.Clone(v[:dim])
		bad[4] = float32(math.NaN())
		if err := s.Add(ctx, bad, items[:1], nil); !errors.Is(err, index.ErrBadVector) {
			t.Errorf("add of NaN: %v, want ErrBadVector", err)
		}
		if err := s.Add(ctx, v[:2*dim], items[:1], nil); err == nil {
			t.Error("2 vectors with 1 item: no error")
		}
		if s.Len() != 50 {
			t.Fatalf("refused adds changed the store: len %d", s.Len())
		}
		if _, err := s.Search(ctx, v[:dim-1], 3, index.SearchOptions{}); !errors.Is(err, index.ErrDimension) {
			t.Errorf("search by a %d-d query: %v, want ErrDimension", dim-1, err)
		}
		if _, err := s.Search(ctx, v[:dim], 0, index.SearchOptions{}); !errors.Is(err, index.ErrBadK) {
			t.Errorf("k=0: %v, want ErrBadK", err)
		}
		res, err := s.Search(ctx, v[:dim], 80, index.SearchOptions{})
		if !errors.Is(err, index.ErrKTooLarge) || len(res) != 1 || len(res[0]) != 50 {
			t.Errorf("k=80 of 50: %d hits, %v; want all 50 and ErrKTooLarge", len(res[0]), err)
		}
		for _, id := range []int64{-1, 50, 1 << 40} {
			if _, err := s.Item(id); !errors.Is(err, index.ErrNoItem) {
				t.Errorf("Item(%d): %v, want ErrNoItem", id, err)
			}
			if _, err := s.Vector(id); !errors.Is(err, index.ErrNoItem) {
				t.Errorf("Vector(%d): %v, want ErrNoItem", id, err)
			}
			if _, err := s.SearchByID(ctx, id, 3, true, index.SearchOptions{}); !errors.Is(err, index.ErrNoItem) {
				t.Errorf("SearchByID(%d): %v, want ErrNoItem", id, err)
			}
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Search(cctx, v[:dim], 3, index.SearchOptions{}); !errors.Is(err, context.Canceled) {
			t.Errorf("search with a cancelled context: %v", err)
		}
	})
}
