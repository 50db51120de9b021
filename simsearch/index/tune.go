package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	faiss "github.com/DataIntelligenceCrew/go-faiss"
)

// TunePoint is one measured setting.
type TunePoint struct {
	Nprobe int     `json:"nprobe"` // 0: exact search
	Recall float64 `json:"recall"` // mean recall@K against exact search
	QPS    float64 `json:"qps"`    // queries per second, all sampled queries in one call
	QPS1   float64 `json:"qps1"`   // queries per second, one query per call (interactive use)
}

// singleQPS times up to 200 queries issued one per call.
func singleQPS(q []float32, d int, search func(q []float32) error) (float64, error) {
	n := min(len(q)/d, 200)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		if err := search(q[i*d : (i+1)*d]); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(t0).Seconds(), nil
}

// TuneOptions control Tune. Zero values take the documented defaults.
type TuneOptions struct {
	K            int     // neighbours compared; default 10
	TargetRecall float64 // smallest nprobe reaching this is chosen; default 0.95
	Queries      int     // stored vectors sampled as queries; default 1000
	Seed         uint64  // sampling seed; default 1
}

// TuneResult is the outcome of Tune.
type TuneResult struct {
	Chosen  int         // nprobe now set on the index (0 for non-IVF)
	Reached bool        // whether Chosen reaches the target
	Exact   TunePoint   // exact (Flat) search on the same queries
	Points  []TunePoint // every nprobe tried, increasing
	K       int
	Target  float64
}

// Recall is the mean fraction of each exact top-k list found in the approximate one.
func Recall(approx, exact [][]int64, k int) float64 {
	if len(exact) == 0 {
		return 0
	}
	var sum float64
	for i := range exact {
		want := map[int64]bool{}
		for j, id := range exact[i] {
			if j < k {
				want[id] = true
			}
		}
		got := 0
		for j, id := range approx[i] {
			if j < k && want[id] {
				got++
			}
		}
		if len(want) > 0 {
			sum += float64(got) / float64(len(want))
		}
	}
	return sum / float64(len(exact))
}

// Tune measures recall@K against exact search on a sample of stored vectors for nprobe
// 1, 2, 4, ... up to nlist, stops at the first reaching the target, sets it as the
// index's nprobe and records the table (saved with the index).
func (ix *Index) Tune(ctx context.Context, o TuneOptions) (*TuneResult, error) {
	if o.K == 0 {
		o.K = 10
	}
	if o.TargetRecall == 0 {
		o.TargetRecall = 0.95
	}
	if o.Queries == 0 {
		o.Queries = 1000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.K < 1 {
		return nil, fmt.Errorf("tune: %w", ErrBadK)
	}
	if o.Queries < 0 {
		return nil, fmt.Errorf("tune: %d queries: want at least 1", o.Queries)
	}
	if o.TargetRecall < 0 || o.TargetRecall > 1 {
		return nil, fmt.Errorf("tune: target recall %g outside 0..1", o.TargetRecall)
	}
	ix.mu.RLock()
	n := len(ix.items)
	ix.mu.RUnlock()
	if n == 0 {
		return nil, fmt.Errorf("tune: %w in the index", ErrEmpty)
	}
	k := min(o.K, n)
	// Sample queries from the stored vectors.
	r := rand.New(rand.NewPCG(o.Seed, 2))
	nq := min(o.Queries, n)
	perm := r.Perm(n)[:nq]
	d := ix.cfg.Dim
	q := make([]float32, 0, nq*d)
	ix.mu.RLock()
	for _, i := range perm {
		q = append(q, ix.vectors.row(i)...)
	}
	// Exact ground truth with a Flat index over the stored (already normalised) vectors.
	flat, err := faiss.NewIndexFlat(d, ix.cfg.Metric.faiss())
	if err == nil {
		err = ix.vectors.each(func(c []float32) error { return flat.Add(c) })
	}
	ix.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("tune: exact index: %v", err)
	}
	defer flat.Delete()
	t0 := time.Now()
	_, exactIDs, err := flat.Search(q, int64(k))
	if err != nil {
		return nil, fmt.Errorf("tune: exact search: %v", err)
	}
	exactQPS := float64(nq) / time.Since(t0).Seconds()
	exactQPS1, err := singleQPS(q, d, func(q []float32) error { _, _, err := flat.Search(q, int64(k)); return err })
	if err != nil {
		return nil, fmt.Errorf("tune: exact search: %v", err)
	}
	exact := split(exactIDs, nq, k)
	res := &TuneResult{K: k, Target: o.TargetRecall, Exact: TunePoint{Recall: 1, QPS: exactQPS, QPS1: exactQPS1}}
	if ix.nlist == 0 {
		// Not IVF: measure the index itself once.
		t0 = time.Now()
		hits, err := ix.Search(ctx, q, k, SearchOptions{})
		if err != nil {
			return nil, err
		}
		p := TunePoint{Recall: Recall(hitIDs(hits), exact, k), QPS: float64(nq) / time.Since(t0).Seconds()}
		if p.QPS1, err = singleQPS(q, d, func(q []float32) error { _, err := ix.Search(ctx, q, k, SearchOptions{}); return err }); err != nil {
			return nil, err
		}
		res.Points = []TunePoint{p}
		res.Reached = p.Recall >= o.TargetRecall
		ix.mu.Lock()
		ix.tuning = res.Points
		ix.mu.Unlock()
		return res, nil
	}
	chosen := 0
	for p := 1; ; p *= 2 {
		p = min(p, ix.nlist)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t0 = time.Now()
		hits, err := ix.Search(ctx, q, k, SearchOptions{Nprobe: p})
		if err != nil {
			return nil, err
		}
		pt := TunePoint{Nprobe: p, Recall: Recall(hitIDs(hits), exact, k), QPS: float64(nq) / time.Since(t0).Seconds()}
		if pt.QPS1, err = singleQPS(q, d, func(q []float32) error {
			_, err := ix.Search(ctx, q, k, SearchOptions{Nprobe: p})
			return err
		}); err != nil {
			return nil, err
		}
		res.Points = append(res.Points, pt)
		if pt.Recall >= o.TargetRecall && !res.Reached {
			chosen, res.Reached = p, true
		}
		// One point past the target (when there is one) shows what more nprobe buys.
		if p == ix.nlist || (res.Reached && (p > chosen || pt.Recall >= 1)) {
			break
		}
	}
	if !res.Reached {
		chosen = ix.nlist
	}
	res.Chosen = chosen
	if err := ix.SetNprobe(chosen); err != nil {
		return nil, err
	}
	ix.mu.Lock()
	ix.tuning = res.Points
	ix.mu.Unlock()
	return res, nil
}

func split(ids []int64, nq, k int) [][]int64 {
	out := make([][]int64, nq)
	for i := range out {
		out[i] = ids[i*k : (i+1)*k]
	}
	return out
}

func hitIDs(hits [][]Hit) [][]int64 {
	out := make([][]int64, len(hits))
	for i, hs := range hits {
		for _, h := range hs {
			out[i] = append(out[i], h.ID)
		}
	}
	return out
}
