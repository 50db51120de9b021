package exact

import (
	"context"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/backend"
)

func TestMatchesBruteForce(t *testing.T) {
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	const n, d, nq, k = 500, 8, 20, 5
	r := rand.New(rand.NewPCG(1, 2))
	base := make([]float32, n*d)
	for i := range base {
		base[i] = float32(r.NormFloat64())
	}
	q := base[:nq*d] // each query's own row is its nearest (distance 0)
	s, err := New(be, base, d)
	if err != nil {
		t.Fatal(err)
	}
	s.QueryBatch = 7 // exercise batching
	ids, dists, err := s.Search(context.Background(), q, k)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < nq; i++ {
		type p struct {
			id int
			d  float64
		}
		all := make([]p, n)
		for j := 0; j < n; j++ {
			var s float64
			for t := 0; t < d; t++ {
				x := float64(q[i*d+t] - base[j*d+t])
				s += x * x
			}
			all[j] = p{j, s}
		}
		sort.Slice(all, func(a, b int) bool { return all[a].d < all[b].d })
		for j := 0; j < k; j++ {
			if ids[i*k+j] != int64(all[j].id) {
				t.Fatalf("query %d rank %d: id %d, want %d", i, j, ids[i*k+j], all[j].id)
			}
			if diff := float64(dists[i*k+j]) - all[j].d; diff > 1e-3 || diff < -1e-3 {
				t.Fatalf("query %d rank %d: distance %v, want %v", i, j, dists[i*k+j], all[j].d)
			}
		}
	}
	if _, _, err := s.Search(context.Background(), q, n+1); err == nil {
		t.Error("k > n accepted")
	}
}
