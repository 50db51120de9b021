package explore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"

	faiss "github.com/DataIntelligenceCrew/go-faiss"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Cluster is one group of a k-means partition of an index's vectors.
type Cluster struct {
	ID      int
	Size    int
	Typical []index.Hit // the members nearest the centroid, most typical first
	// Labels counts the members' labels (when the corpus has any).
	Labels map[string]int
	// Members lists every member's row id (Assign order: by distance to the centroid).
	Members []int64
}

// ClusterOptions tune Clusters.
type ClusterOptions struct {
	Typical  int    // members shown per cluster; default 8
	TrainMax int    // vectors k-means trains on (a random sample); default 256·k
	Seed     uint64 // sample seed; default 1
}

// Clusters partitions the index's vectors into k groups with FAISS's k-means (trained on a
// sample), assigns every item to its nearest centroid, and returns the clusters largest
// first, each with its most typical members: a way to see what a corpus holds and to
// start tagging without any example.
func Clusters(ctx context.Context, ix index.Store, k int, o ClusterOptions) ([]Cluster, error) {
	n, d := ix.Len(), ix.Dim()
	if k < 1 || k > n {
		return nil, fmt.Errorf("clusters: %d clusters of %d items: want 1 ≤ k ≤ %d", k, n, n)
	}
	if o.Typical <= 0 {
		o.Typical = 8
	}
	if o.TrainMax <= 0 {
		o.TrainMax = 256 * k
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	all := make([]float32, 0, n*d)
	if err := ix.EachVector(func(_ int64, v []float32) error { all = append(all, v...); return nil }); err != nil {
		return nil, err
	}
	train := all
	if n > o.TrainMax {
		perm := rand.New(rand.NewPCG(o.Seed, 11)).Perm(n)[:o.TrainMax]
		slices.Sort(perm)
		train = make([]float32, 0, o.TrainMax*d)
		for _, i := range perm {
			train = append(train, all[i*d:(i+1)*d]...)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cent, _, err := index.KMeans(train, d, k)
	if err != nil {
		return nil, err
	}
	// Assign every vector to its nearest centroid (squared L2, as k-means measured it).
	flat, err := faiss.NewIndexFlatL2(d)
	if err != nil {
		return nil, fmt.Errorf("clusters: %v", err)
	}
	defer flat.Delete()
	if err := flat.Add(cent); err != nil {
		return nil, fmt.Errorf("clusters: %v", err)
	}
	dist, lab, err := flat.Search(all, 1)
	if err != nil {
		return nil, fmt.Errorf("clusters: %v", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	items := ix.Items()
	type member struct {
		id int64
		d  float32
	}
	members := make([][]member, k)
	for i := range n {
		c := lab[i]
		members[c] = append(members[c], member{int64(i), dist[i]})
	}
	out := make([]Cluster, 0, k)
	for c, ms := range members {
		if len(ms) == 0 {
			continue
		}
		sort.Slice(ms, func(a, b int) bool { return ms[a].d < ms[b].d })
		cl := Cluster{ID: c, Size: len(ms), Labels: map[string]int{}}
		for r, m := range ms {
			cl.Members = append(cl.Members, m.id)
			if l := items[m.id].Label; l != "" {
				cl.Labels[l]++
			}
			if r < o.Typical {
				cl.Typical = append(cl.Typical, index.Hit{Rank: r + 1, ID: m.id, Distance: m.d, Item: items[m.id]})
			}
		}
		out = append(out, cl)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Size > out[b].Size })
	for i := range out {
		out[i].ID = i
	}
	return out, nil
}
