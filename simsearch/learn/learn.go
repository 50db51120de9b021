// Package learn ranks a corpus for a tag from a user's examples ("more like these"):
// with positive and negative examples, the sum of a logistic regression on the items'
// vectors, the similarity to the nearest and to the first positive example, and a veto
// on what lies nearer a negative example than any positive one, each standardised over
// the corpus (HybridParts); with positives only, their centroid. It also proposes the
// items whose label the model is least sure of, to tag next (an active-learning round),
// and simulates a user to measure it (Simulate).
package learn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// ErrNoPositive is returned when a tag has no positive example to learn from.
var ErrNoPositive = errors.New("no positive example: tag at least one item as X")

// ErrUnknownKind is returned for a model kind Fit does not know (see Options.Kind).
var ErrUnknownKind = errors.New("unknown model kind")

// kinds are the single kinds of Options.Kind.
var kinds = []string{"logistic", "rocchio", "nearest", "first", "avoid", "margin", "veto", "hybrid"}

// Model scores vectors for one tag: higher is more likely X.
type Model struct {
	Kind string    // "logistic" or "centroid"
	W    []float32 // weights (logistic) or the centroid
	B    float32   // bias (logistic)
	// Metric is the index's metric, for the centroid's score.
	Metric index.Metric
	// Positives and Negatives count the examples it was fitted on.
	Positives, Negatives int
	// Parts are a hybrid model's members (scored and standardised by ScoreAll).
	Parts []*Model
	// Weight multiplies a hybrid part's standardised score (0 means 1).
	Weight float64
}

// HybridParts is what the default model sums, each part's scores standardised over the
// corpus (ScoreAll): the logistic model, the nearest positive example, the user's first
// example, and the veto of a one-nearest-neighbour rule on the user's examples. Measured
// on CIFAR-10 (BENCHMARKS.md): the logistic part finds scattered classes, the example
// parts keep what the query by example found, and the veto sinks the neighbourhoods of
// what the user said is not X without sinking those of what they said is.
const HybridParts = "logistic+nearest+first+veto"

// MaxNearest bounds how many positive examples the nearest-example part compares with.
const MaxNearest = 128

// Options tune Fit.
type Options struct {
	L2    float64 // ridge penalty on the weights; default 1e-2
	Iters int     // at most this many optimisation steps; default 300
	// Weights, if set, weighs each example (e.g. less for presumed negatives).
	Weights []float32
	// Kind forces a model: "logistic"; "rocchio" (the positives' mean minus a quarter of
	// the negatives', by inner product); "nearest" (the similarity to the closest
	// positive example); "first" (to the first positive: the query by example); "avoid"
	// (less the similarity to the closest negative example); "margin" (nearest and
	// avoid added: a one-nearest-neighbour classifier's margin); "veto" (the margin
	// where it is negative, else 0); "hybrid" (HybridParts), or any sum of kinds joined
	// by "+", each standardised over the corpus by ScoreAll and weighted by a factor
	// after "*" ("logistic*2+first"). The negative-example kinds use the user's
	// negatives only, not presumed ones (Weights below 1). "" is hybrid when there are
	// negatives; without negatives the centroid of the positives.
	Kind string
}

// Fit learns a model from examples: rows of x (n·d values) labelled y.
func Fit(x []float32, d int, y []bool, metric index.Metric, o Options) (*Model, error) {
	n := len(y)
	if d < 1 || len(x) != n*d {
		return nil, fmt.Errorf("learn: %d values for %d examples of dimension %d", len(x), n, d)
	}
	if o.Kind != "" && !strings.Contains(o.Kind, "+") && !slices.Contains(kinds, o.Kind) {
		return nil, fmt.Errorf("learn: %w %q (kinds: %s, or a sum such as logistic+first*2)", ErrUnknownKind, o.Kind, strings.Join(kinds, ", "))
	}
	pos := 0
	for _, p := range y {
		if p {
			pos++
		}
	}
	if pos == 0 {
		return nil, ErrNoPositive
	}
	if o.Kind == "" && pos < n {
		o.Kind = "hybrid"
	}
	if strings.Contains(o.Kind, "+") && pos < n {
		// A sum of kinds, each standardised over the corpus when scored (ScoreAll).
		hm := &Model{Kind: "hybrid", Metric: metric, Positives: pos, Negatives: n - pos}
		for _, k := range strings.Split(o.Kind, "+") {
			po := o
			po.Kind = k
			wgt := 1.0
			if kk, ws, ok := strings.Cut(k, "*"); ok {
				w, err := strconv.ParseFloat(ws, 64)
				if err != nil || !(w > 0) || math.IsInf(w, 0) {
					return nil, fmt.Errorf("learn: model part %q: the weight after * must be a positive number", k)
				}
				po.Kind, wgt = kk, w
			}
			pm, err := Fit(x, d, y, metric, po)
			if err != nil {
				return nil, err
			}
			pm.Weight = wgt
			hm.Parts = append(hm.Parts, pm)
		}
		// A margin or veto shares the sum's nearest part (the same examples, fitted the
		// same way), so that scoring searches for them once.
		for _, p := range hm.Parts {
			if p.Kind == "nearest" {
				for _, q := range hm.Parts {
					if q.Kind == "margin" || q.Kind == "veto" {
						q.Parts[0] = p
					}
				}
				break
			}
		}
		return hm, nil
	}
	if o.Kind == "first" {
		// The first positive example alone: the user's original query by example.
		for i := range n {
			if y[i] {
				c := slices.Clone(x[i*d : (i+1)*d])
				return &Model{Kind: "centroid", W: c, Metric: metric, Positives: 1}, nil
			}
		}
	}
	if o.Kind == "margin" || o.Kind == "veto" {
		// The nearest positive's similarity less the nearest negative's: the margin of a
		// one-nearest-neighbour classifier on the user's examples.
		mm := &Model{Kind: o.Kind, Metric: metric, Positives: pos, Negatives: n - pos}
		for _, k := range []string{"nearest", "avoid"} {
			po := o
			po.Kind = k
			pm, err := Fit(x, d, y, metric, po)
			if err != nil {
				return nil, err
			}
			mm.Parts = append(mm.Parts, pm)
		}
		return mm, nil
	}
	if o.Kind == "nearest" || o.Kind == "avoid" {
		// The nearest positive: an item scores its similarity to the closest example,
		// so each new positive brings its own neighbourhood. "avoid" is its mirror on
		// the user's negative examples (presumed negatives left out): an item loses its
		// similarity to the closest one, so the neighbourhoods of what the user said is
		// not X sink.
		// At most MaxNearest of them (evenly spread, the first kept), to bound the cost.
		var rows []int
		for i := range n {
			if y[i] == (o.Kind == "nearest") && (o.Weights == nil || o.Weights[i] >= 1) {
				rows = append(rows, i)
			}
		}
		if len(rows) > MaxNearest {
			kept := make([]int, MaxNearest)
			for j := range kept {
				kept[j] = rows[j*len(rows)/MaxNearest]
			}
			rows = kept
		}
		w := make([]float32, 0, len(rows)*d)
		for _, i := range rows {
			w = append(w, x[i*d:(i+1)*d]...)
		}
		return &Model{Kind: o.Kind, W: w, Metric: metric, Positives: pos, Negatives: n - pos}, nil
	}
	if o.Kind == "hybrid" && pos < n {
		o.Kind = HybridParts
		return Fit(x, d, y, metric, o)
	}
	if o.Kind == "rocchio" && pos < n {
		// Rocchio's relevance feedback: towards the positives' mean, away from the
		// negatives' (weight 0.25), scored by inner product.
		c := make([]float32, d)
		for i := range n {
			wgt := float32(1) / float32(pos)
			if !y[i] {
				wgt = -0.25 / float32(n-pos)
			}
			if o.Weights != nil && o.Weights[i] < 1 {
				continue // presumed negatives are for the logistic model
			}
			for j, v := range x[i*d : (i+1)*d] {
				c[j] += wgt * v
			}
		}
		return &Model{Kind: "rocchio", W: c, Metric: index.IP, Positives: pos, Negatives: n - pos}, nil
	}
	if pos == n {
		c := make([]float32, d)
		for i := range n {
			for j, v := range x[i*d : (i+1)*d] {
				c[j] += v / float32(n)
			}
		}
		if metric == index.Cosine {
			normalise(c)
		}
		return &Model{Kind: "centroid", W: c, Metric: metric, Positives: pos}, nil
	}
	if o.L2 <= 0 {
		o.L2 = 1e-2
	}
	if o.Iters <= 0 {
		o.Iters = 300
	}
	// Logistic regression with balanced class weights (a few positives against many
	// negatives, or the reverse, still give a usable boundary), trained by Adam on the
	// full batch, the gradient computed on all cores; it stops early once the loss
	// settles.
	wPos, wNeg := float64(n)/(2*float64(pos)), float64(n)/(2*float64(n-pos))
	if o.Weights == nil {
		o.Weights = make([]float32, n)
		for i := range o.Weights {
			o.Weights[i] = 1
		}
	}
	w := make([]float32, d)
	var b float64
	mw, vw := make([]float64, d+1), make([]float64, d+1)
	g := make([]float64, d+1)
	workers := min(runtime.GOMAXPROCS(0), max(1, n/64))
	parts := make([][]float64, workers)
	losses := make([]float64, workers)
	for i := range parts {
		parts[i] = make([]float64, d+1)
	}
	const lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
	prev := math.Inf(1)
	for it := 1; it <= o.Iters; it++ {
		var wg sync.WaitGroup
		chunk := (n + workers - 1) / workers
		for k := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				gp := parts[k]
				clear(gp)
				loss := 0.0
				for i := k * chunk; i < min(n, (k+1)*chunk); i++ {
					row := x[i*d : (i+1)*d]
					p := sigmoid(float64(dot(w, row)) + b)
					target, cw := 0.0, wNeg
					if y[i] {
						target, cw = 1, wPos
					}
					cw *= float64(o.Weights[i])
					if y[i] {
						loss -= cw * math.Log(max(p, 1e-12))
					} else {
						loss -= cw * math.Log(max(1-p, 1e-12))
					}
					e := float32(cw * (p - target) / float64(n))
					axpy(gp[:d], e, row)
					gp[d] += float64(e)
				}
				losses[k] = loss
			}()
		}
		wg.Wait()
		clear(g)
		loss := 0.0
		for k := range workers {
			for j, v := range parts[k] {
				g[j] += v
			}
			loss += losses[k]
		}
		for j := range d {
			g[j] += o.L2 * float64(w[j])
			loss += 0.5 * o.L2 * float64(w[j]) * float64(w[j]) * float64(n)
		}
		for j := range d + 1 {
			mw[j] = b1*mw[j] + (1-b1)*g[j]
			vw[j] = b2*vw[j] + (1-b2)*g[j]*g[j]
			step := lr * (mw[j] / (1 - math.Pow(b1, float64(it)))) / (math.Sqrt(vw[j]/(1-math.Pow(b2, float64(it)))) + eps)
			if j < d {
				w[j] -= float32(step)
			} else {
				b -= step
			}
		}
		if it > 20 && math.Abs(prev-loss) < 1e-5*math.Abs(loss) {
			break
		}
		prev = loss
	}
	return &Model{Kind: "logistic", W: w, B: float32(b), Metric: metric, Positives: pos, Negatives: n - pos}, nil
}

// dot is a float32 dot product, four lanes at a time.
func dot(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

func axpy(dst []float64, a float32, x []float32) {
	for j, v := range x {
		dst[j] += float64(a * v)
	}
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func normalise(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s > 0 {
		inv := float32(1 / math.Sqrt(s))
		for i := range v {
			v[i] *= inv
		}
	}
}

// Score is a vector's score: the probability of X (logistic); its similarity to the
// centroid, the first or the nearest positive example (negated squared distance for the
// l2 metric); less its similarity to the nearest negative example (avoid); the two added
// (margin), or their sum where negative, else 0 (veto). A hybrid is scored by ScoreAll,
// which standardises its parts over the corpus.
func (m *Model) Score(v []float32) float32 {
	if m.Kind == "margin" || m.Kind == "veto" {
		var s float32
		for _, p := range m.Parts {
			s += p.Score(v)
		}
		if m.Kind == "veto" {
			if len(m.Parts[1].W) == 0 {
				return 0 // no negative example: nothing to veto
			}
			return min(s, 0)
		}
		return s
	}
	if m.Kind == "nearest" || m.Kind == "avoid" {
		if len(m.W) == 0 {
			return 0
		}
		d := len(v)
		best := float32(math.Inf(-1))
		for i := 0; i+d <= len(m.W); i += d {
			p := m.W[i : i+d]
			var s float32
			if m.Metric == index.L2 {
				for j, c := range p {
					e := v[j] - c
					s -= e * e
				}
			} else {
				s = dot(p, v)
			}
			best = max(best, s)
		}
		if m.Kind == "avoid" {
			return -best
		}
		return best
	}
	dp := dot(m.W, v)
	switch {
	case m.Kind == "logistic":
		return float32(sigmoid(float64(dp + m.B)))
	case m.Metric == index.L2:
		var d float32
		for j, c := range m.W {
			e := v[j] - c
			d += e * e
		}
		return -d
	}
	return dp
}

// Uncertainty is how unsure the model is of a score: near 0.5 for a probability; the
// centroid has no such notion and returns 0 for every score.
func (m *Model) Uncertainty(score float32) float64 {
	if m.Kind != "logistic" {
		return 0
	}
	return 0.5 - math.Abs(float64(score)-0.5)
}

// Scored is an item with its score.
type Scored struct {
	ID    int64
	Score float32
}

// ScoreAll scores every item of the index. A hybrid model's score is the sum of its
// members' scores, each standardised (z-score) over the corpus.
func ScoreAll(ctx context.Context, ix index.Store, m *Model) ([]float32, error) {
	return scoreAll(ctx, ix, m, map[*Model][]float32{})
}

// scoreAll is ScoreAll with the scores of the nearest-example models already computed
// (a hybrid's nearest part and its veto's share one model: one search, not two).
func scoreAll(ctx context.Context, ix index.Store, m *Model, nearest map[*Model][]float32) ([]float32, error) {
	if m.Kind == "hybrid" {
		var sum []float32
		for _, p := range m.Parts {
			sc, err := scoreAll(ctx, ix, p, nearest)
			if err != nil {
				return nil, err
			}
			if p.Kind == "logistic" {
				for i, v := range sc { // the logit, not the saturating probability
					v = min(max(v, 1e-7), 1-1e-7)
					sc[i] = float32(math.Log(float64(v) / float64(1-v)))
				}
			}
			var mean, sq float64
			for _, v := range sc {
				mean += float64(v)
			}
			mean /= float64(len(sc))
			for _, v := range sc {
				sq += (float64(v) - mean) * (float64(v) - mean)
			}
			sd := math.Sqrt(sq/float64(len(sc))) + 1e-12
			if sum == nil {
				sum = make([]float32, len(sc))
			}
			wgt := p.Weight
			if wgt == 0 {
				wgt = 1
			}
			for i, v := range sc {
				sum[i] += float32(wgt * (float64(v) - mean) / sd)
			}
		}
		return sum, nil
	}
	if m.Kind == "nearest" {
		if sc, ok := nearest[m]; ok {
			return slices.Clone(sc), nil
		}
		sc, err := scoreNearest(ctx, ix, m)
		if err == nil {
			nearest[m] = slices.Clone(sc)
		}
		return sc, err
	}
	if m.Kind == "veto" && len(m.Parts[1].W) == 0 {
		return make([]float32, ix.Len()), nil // no negative example: nothing to veto
	}
	if m.Kind == "margin" || m.Kind == "veto" {
		var sum []float32
		for _, p := range m.Parts {
			sc, err := scoreAll(ctx, ix, p, nearest)
			if err != nil {
				return nil, err
			}
			if sum == nil {
				sum = sc
				continue
			}
			for i, v := range sc {
				sum[i] += v
			}
		}
		if m.Kind == "veto" {
			for i, v := range sum {
				sum[i] = min(v, 0)
			}
		}
		return sum, nil
	}
	if m.Kind == "avoid" {
		if len(m.W) == 0 {
			return make([]float32, ix.Len()), nil // no negative example: nothing to avoid
		}
		sc, err := scoreNearest(ctx, ix, m)
		for i := range sc {
			sc[i] = -sc[i]
		}
		return sc, err
	}
	if len(m.W) != ix.Dim() {
		return nil, fmt.Errorf("learn: %w: model of dimension %d, index %d", index.ErrDimension, len(m.W), ix.Dim())
	}
	out := make([]float32, 0, ix.Len())
	err := ix.EachVector(func(id int64, v []float32) error {
		if id%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		out = append(out, m.Score(v))
		return nil
	})
	return out, err
}

// NearestDepth is how many neighbours of each positive example the nearest-example part
// asks the index for: its ranking is exact down to this depth; items farther from every
// example share the lowest score found.
const NearestDepth = 2000

// scoreNearest scores every item by its similarity to the closest of the model's
// examples, through the index's own search (one batched query of all the examples).
func scoreNearest(ctx context.Context, ix index.Store, m *Model) ([]float32, error) {
	d := ix.Dim()
	if len(m.W) == 0 || len(m.W)%d != 0 {
		return nil, fmt.Errorf("learn: %w: nearest-example model of %d values, index dimension %d", index.ErrDimension, len(m.W), d)
	}
	res, err := ix.Search(ctx, m.W, min(NearestDepth, ix.Len()), index.SearchOptions{})
	if err != nil && !errors.Is(err, index.ErrKTooLarge) {
		return nil, err
	}
	out := make([]float32, ix.Len())
	seen := make([]bool, ix.Len())
	floor := float32(math.Inf(1))
	for _, hits := range res {
		for _, h := range hits {
			s := h.Distance
			if m.Metric == index.L2 {
				s = -s
			}
			if h.ID < 0 || h.ID >= int64(len(out)) {
				continue
			}
			if !seen[h.ID] || s > out[h.ID] {
				out[h.ID], seen[h.ID] = s, true
			}
			floor = min(floor, s)
		}
	}
	for i := range out {
		if !seen[i] {
			out[i] = floor
		}
	}
	return out, nil
}

// Top returns the k highest-scored items not in skip, best first.
func Top(scores []float32, k int, skip map[int64]bool) []Scored {
	var all []Scored
	for i, s := range scores {
		if !skip[int64(i)] {
			all = append(all, Scored{int64(i), s})
		}
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Score > all[b].Score })
	return slices.Clip(all[:min(k, len(all))])
}

// MostUncertain returns the k items (not in skip) the model is least sure of: those whose
// probability under its logistic model (a hybrid's logistic member) is nearest 0.5. A
// model with no logistic member returns nil.
func MostUncertain(ctx context.Context, ix index.Store, m *Model, k int, skip map[int64]bool) ([]Scored, error) {
	lm := m
	if m.Kind == "hybrid" {
		lm = m.Parts[0]
	}
	if lm.Kind != "logistic" || k <= 0 {
		return nil, nil
	}
	scores, err := ScoreAll(ctx, ix, lm)
	if err != nil {
		return nil, err
	}
	var all []Scored
	for i, s := range scores {
		if !skip[int64(i)] {
			all = append(all, Scored{int64(i), s})
		}
	}
	sort.SliceStable(all, func(a, b int) bool { return lm.Uncertainty(all[a].Score) > lm.Uncertainty(all[b].Score) })
	return slices.Clip(all[:min(k, len(all))]), nil
}

// Examples gathers the vectors of the tagged items of an index: labels maps item
// references to positive/negative. References not in the index are returned as missing
// (tagged in another index of the same corpus, say).
func Examples(ix index.Store, labels map[string]bool) (x []float32, y []bool, ids []int64, missing []string, err error) {
	byRef := map[string]int64{}
	for i, it := range ix.Items() {
		if _, ok := labels[it.Ref]; ok {
			byRef[it.Ref] = int64(i)
		}
	}
	refs := make([]string, 0, len(labels))
	for r := range labels {
		refs = append(refs, r)
	}
	slices.Sort(refs)
	for _, r := range refs {
		id, ok := byRef[r]
		if !ok {
			missing = append(missing, r)
			continue
		}
		v, err := ix.Vector(id)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		x = append(x, v...)
		y = append(y, labels[r])
		ids = append(ids, id)
	}
	return x, y, ids, missing, nil
}

// WithBackground adds n random untagged items (not in tagged) as presumed negatives with
// weight weight: with few or no negative tags, the rest of the corpus stands in for "not
// X" (X is usually rare), which keeps the classifier from drawing its boundary through
// the unknown. It returns the extended examples and their weights.
func WithBackground(ix index.Store, x []float32, y []bool, tagged map[int64]bool, n int, weight float32, seed uint64) ([]float32, []bool, []float32, error) {
	w := make([]float32, len(y))
	for i := range w {
		w[i] = 1
	}
	total := ix.Len()
	if n <= 0 || total <= len(tagged) {
		return x, y, w, nil
	}
	r := rand.New(rand.NewPCG(seed, 5))
	picked := map[int64]bool{}
	for tries := 0; len(picked) < min(n, total-len(tagged)) && tries < 20*n; tries++ {
		id := int64(r.IntN(total))
		if tagged[id] || picked[id] {
			continue
		}
		picked[id] = true
		v, err := ix.Vector(id)
		if err != nil {
			return nil, nil, nil, err
		}
		x = append(x, v...)
		y = append(y, false)
		w = append(w, weight)
	}
	return x, y, w, nil
}

// Probabilities returns every item's probability of X under the model's logistic member
// (the model itself, or a hybrid's), or false when the model has none (a centroid).
func Probabilities(ctx context.Context, ix index.Store, m *Model) ([]float32, bool, error) {
	lm := m
	if m.Kind == "hybrid" {
		lm = m.Parts[0]
	}
	if lm.Kind != "logistic" {
		return nil, false, nil
	}
	p, err := ScoreAll(ctx, ix, lm)
	return p, err == nil, err
}
