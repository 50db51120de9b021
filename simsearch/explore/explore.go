// Package explore answers corpus-level questions with an index: which items are most
// isolated (outliers: far from even their nearest neighbours), which pairs are near
// duplicates (closer than a threshold, or the closest pairs overall), what groups the
// corpus falls into (k-means clusters, FAISS's), and how it looks on a plane: a map by
// principal components (Project2D) or by UMAP, which keeps neighbourhoods.
package explore

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Scored is an item with a score.
type Scored struct {
	ID    int64
	Item  index.Item
	Score float32 // for outliers: mean distance to the k nearest neighbours
}

// Pair is two items and their distance.
type Pair struct {
	A, B     index.Hit
	Distance float32
}

// neighbours searches every row (in chunks) for its k nearest others.
func neighbours(ctx context.Context, ix index.Store, k int, each func(id int64, hits []index.Hit)) error {
	n := ix.Len()
	if n < 2 {
		return fmt.Errorf("explore: need at least 2 items, have %d", n)
	}
	const chunk = 1024
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		q := make([]float32, 0, (end-start)*ix.Dim())
		for id := start; id < end; id++ {
			v, err := ix.Vector(int64(id))
			if err != nil {
				return err
			}
			q = append(q, v...)
		}
		res, err := ix.Search(ctx, q, k+1, index.SearchOptions{})
		if err != nil && !errors.Is(err, index.ErrKTooLarge) {
			return err
		}
		for i, hits := range res {
			id := int64(start + i)
			out := hits[:0:0]
			for _, h := range hits {
				if h.ID != id {
					out = append(out, h)
				}
			}
			if len(out) > k {
				out = out[:k]
			}
			each(id, out)
		}
	}
	return nil
}

// Outliers returns the n items whose k nearest neighbours are farthest on average (for
// similarity metrics, least similar), most isolated first.
func Outliers(ctx context.Context, ix index.Store, k, n int) ([]Scored, error) {
	var all []Scored
	err := neighbours(ctx, ix, k, func(id int64, hits []index.Hit) {
		if len(hits) == 0 {
			return
		}
		var s float32
		for _, h := range hits {
			s += h.Distance
		}
		it, _ := ix.Item(id)
		all = append(all, Scored{ID: id, Item: it, Score: s / float32(len(hits))})
	})
	if err != nil {
		return nil, err
	}
	higher := ix.Metric().HigherIsCloser()
	sort.Slice(all, func(i, j int) bool {
		if higher {
			return all[i].Score < all[j].Score
		}
		return all[i].Score > all[j].Score
	})
	return all[:min(n, len(all))], nil
}

// NearDuplicates returns the n closest pairs of distinct items (each pair once), closest
// first.
func NearDuplicates(ctx context.Context, ix index.Store, n int) ([]Pair, error) {
	seen := map[[2]int64]bool{}
	var pairs []Pair
	err := neighbours(ctx, ix, 1, func(id int64, hits []index.Hit) {
		if len(hits) == 0 {
			return
		}
		h := hits[0]
		key := [2]int64{min(id, h.ID), max(id, h.ID)}
		if seen[key] {
			return
		}
		seen[key] = true
		it, _ := ix.Item(id)
		pairs = append(pairs, Pair{A: index.Hit{ID: id, Item: it}, B: h, Distance: h.Distance})
	})
	if err != nil {
		return nil, err
	}
	higher := ix.Metric().HigherIsCloser()
	sort.Slice(pairs, func(i, j int) bool {
		if higher {
			return pairs[i].Distance > pairs[j].Distance
		}
		return pairs[i].Distance < pairs[j].Distance
	})
	return pairs[:min(n, len(pairs))], nil
}
