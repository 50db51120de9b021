package learn

import (
	"context"
	"fmt"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Background is how many random untagged items "more like these" takes as presumed
// negatives (see WithBackground).
const Background = 500

// RoundResult is what a simulated user's round found.
type RoundResult struct {
	Round     int     // 0: the plain query by the first example; 1..: after each round of tags
	Tagged    int     // items tagged so far
	Precision float64 // of the items tagged in this round, the fraction that were X
	FoundTopK int     // X items among the top K of the ranking after this round
	// FoundList is what the tag's list holds after this round (as export writes it):
	// the items tagged X first, then the ranking of the untagged ones, top K in all.
	FoundList int
}

// Simulate plays a user hunting for a class: starting from one example (start), each
// round ranks the corpus ("more like these"), tags the perRound best untagged items with
// the truth (what a user would say on seeing them), and refits. It returns, for the
// plain query by example and after each round, how many X items the top topK holds: how
// fast "more like these" finds a class. Labels are used only as the simulated user's
// answers.
func Simulate(ctx context.Context, ix index.Store, truth func(id int64) bool, start int64, rounds, perRound, topK int) ([]RoundResult, error) {
	return SimulateWith(ctx, ix, truth, start, rounds, perRound, topK, "")
}

// SimulateWith is Simulate with a model kind from round 1 (see Options.Kind; "" is the
// default, hybrid).
func SimulateWith(ctx context.Context, ix index.Store, truth func(id int64) bool, start int64, rounds, perRound, topK int, kind string) ([]RoundResult, error) {
	if !truth(start) {
		return nil, fmt.Errorf("simulate: the starting item %d is not X", start)
	}
	tagged := map[int64]bool{start: true}
	var ids []int64
	var y []bool
	ids, y = append(ids, start), append(y, true)
	found := func(scores []float32) int {
		n := 0
		for _, s := range Top(scores, topK, nil) {
			if truth(s.ID) {
				n++
			}
		}
		return n
	}
	var out []RoundResult
	for r := 0; r <= rounds; r++ {
		x := make([]float32, 0, len(ids)*ix.Dim())
		for _, id := range ids {
			v, err := ix.Vector(id)
			if err != nil {
				return nil, err
			}
			x = append(x, v...)
		}
		var m *Model
		var err error
		if r == 0 {
			m, err = Fit(x, ix.Dim(), y, ix.Metric(), Options{}) // the plain query by example
		} else {
			bx, by, bw, berr := WithBackground(ix, x, y, tagged, Background, 0.5, uint64(r))
			if berr != nil {
				return nil, berr
			}
			m, err = Fit(bx, ix.Dim(), by, ix.Metric(), Options{Weights: bw, Kind: kind})
		}
		if err != nil {
			return nil, err
		}
		scores, err := ScoreAll(ctx, ix, m)
		if err != nil {
			return nil, err
		}
		res := RoundResult{Round: r, Tagged: len(ids), FoundTopK: found(scores)}
		known := 0
		for i, id := range ids {
			if y[i] && truth(id) {
				known++
			}
		}
		res.FoundList = min(known, topK)
		for _, s := range Top(scores, topK-res.FoundList, tagged) {
			if truth(s.ID) {
				res.FoundList++
			}
		}
		if r < rounds {
			pos := 0
			next := Top(scores, perRound, tagged)
			for _, s := range next {
				tagged[s.ID] = true
				ids, y = append(ids, s.ID), append(y, truth(s.ID))
				if truth(s.ID) {
					pos++
				}
			}
			if len(next) > 0 {
				res.Precision = float64(pos) / float64(len(next))
			}
		}
		out = append(out, res)
	}
	return out, nil
}
