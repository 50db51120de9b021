package explore

// UMAP (McInnes, Healy and Melville, "UMAP: Uniform Manifold Approximation and Projection
// for Dimension Reduction", 2018), written here from the paper's description:
//
//  1. the k nearest neighbours of every point, found with FAISS through the index package
//     (exact "Flat" search up to 10,000 points; above, FAISS k-means cells searched
//     exactly, see partitionedNeighbours);
//  2. for every point, ρ (the distance to its nearest neighbour) and σ (found by binary
//     search) such that Σ_j exp(-(d_ij - ρ)/σ) = log2(k): the membership strength of the
//     directed edge i→j is exp(-(d_ij - ρ)/σ);
//  3. the fuzzy union of the directed graph and its transpose: w = a + b - a·b;
//  4. an initial layout from the two principal components (pca2, as Project2D);
//  5. stochastic gradient descent on the fuzzy cross-entropy between the graph and the
//     layout's similarities 1/(1 + a·d^2b): every edge is sampled in proportion to its
//     weight and pulls its endpoint closer, and each such sample pushes the endpoint away
//     from umapNegativeRate random points (see layout).
//
// The curve's a and b are fitted to MinDist by least squares (fitAB), as umap-learn does,
// rather than taken from a closed-form approximation.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// UMAPOptions tune UMAP. The zero value gives the defaults.
type UMAPOptions struct {
	// Neighbors is how many nearest neighbours (besides the point itself) make each
	// point's neighbourhood: small values keep local detail, large ones global shape.
	// 0 means 15.
	Neighbors int
	// MinDist is how tightly the map packs close points (0 < MinDist ≤ 1, with the
	// spread fixed at 1): small values give tight clumps. 0 means 0.1.
	MinDist float64
	// Epochs of gradient descent. 0 means 200 up to 10,000 points and fewer above (down
	// to 100 at 20,000 points or more: large graphs get more samples per epoch).
	Epochs int
	// Seed makes the map reproducible: the same vectors, options and seed give the same
	// map. The layout does not depend on the number of CPUs; the neighbour search is
	// FAISS's, whose float sums may round differently on another machine.
	Seed uint64
	// Progress, if not nil, is called after every epoch with the epochs done and their
	// total (the neighbour search, which comes first, reports nothing).
	Progress func(done, total int)
}

// UMAP parameters not exposed in UMAPOptions (the usual values).
const (
	umapNegativeRate = 5     // negative samples per positive sample
	umapSpread       = 1.0   // the scale of the embedded points
	umapInitScale    = 10    // the initial layout fits in [-10, 10]²
	umapChunk        = 512   // points per unit of parallel work (and of random streams)
	umapFlatMax      = 10000 // exact neighbour search up to this many points
	umapCell         = 1000  // points per cell of the partitioned neighbour search
	umapSpill        = 3     // cells every point is filed under
	umapQueryBatch   = 4096  // queries per FAISS search call (between cancellation checks)
)

// ErrTooFewPoints is returned when UMAP gets no more points than neighbours per point.
var ErrTooFewPoints = errors.New("umap: too few points")

// UMAP maps every item of the index to 2-D with UMAP, using the index's metric. Row i of
// the result is item i. See UMAPVectors.
func UMAP(ctx context.Context, ix index.Store, o UMAPOptions) ([][2]float32, error) {
	n, d := ix.Len(), ix.Dim()
	all := make([]float32, 0, n*d)
	if err := ix.EachVector(func(_ int64, v []float32) error { all = append(all, v...); return nil }); err != nil {
		return nil, fmt.Errorf("umap: read the index's vectors: %w", err)
	}
	return UMAPVectors(ctx, all, d, ix.Metric(), o)
}

// UMAPVectors maps n vectors of dimension dim (n·dim values, row after row) to 2-D with
// UMAP: points that are near neighbours under metric (l2, ip or cos; "" means l2) land
// near each other. It needs more than o.Neighbors points. It returns ctx.Err() if ctx
// is cancelled (checked between epochs and neighbour-search batches).
func UMAPVectors(ctx context.Context, vectors []float32, dim int, metric index.Metric, o UMAPOptions) ([][2]float32, error) {
	if dim <= 0 {
		return nil, fmt.Errorf("umap: dimension %d: want at least 1", dim)
	}
	if len(vectors)%dim != 0 {
		return nil, fmt.Errorf("umap: %d values is not a whole number of %d-dimensional vectors", len(vectors), dim)
	}
	if metric == "" {
		metric = index.L2
	}
	m, err := index.ParseMetric(string(metric))
	if err != nil {
		return nil, fmt.Errorf("umap: %w", err)
	}
	n := len(vectors) / dim
	if o.Neighbors == 0 {
		o.Neighbors = 15
	}
	if o.Neighbors < 2 {
		return nil, fmt.Errorf("umap: %d neighbours: want at least 2", o.Neighbors)
	}
	if n < o.Neighbors+1 {
		return nil, fmt.Errorf("%w: %d points for %d neighbours each (need at least %d)", ErrTooFewPoints, n, o.Neighbors, o.Neighbors+1)
	}
	if o.MinDist == 0 {
		o.MinDist = 0.1
	}
	if o.MinDist < 0 || o.MinDist > umapSpread || math.IsNaN(o.MinDist) {
		return nil, fmt.Errorf("umap: min distance %g: want 0 < d ≤ %g", o.MinDist, umapSpread)
	}
	if o.Epochs == 0 {
		o.Epochs = defaultEpochs(n)
	}
	if o.Epochs < 1 {
		return nil, fmt.Errorf("umap: %d epochs: want at least 1", o.Epochs)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	if m == index.Cosine {
		// Cosine is the inner product of unit vectors: normalise once, search by ip.
		vectors, m = index.Normalized(vectors, dim), index.IP
	}
	ids, dists, err := umapNeighbours(ctx, vectors, dim, m, o.Neighbors)
	if err != nil {
		return nil, err
	}
	g := fuzzyGraph(ids, dists, n, o.Neighbors)
	init, err := pca2(ctx, vectors, dim, 2000)
	if err != nil {
		return nil, fmt.Errorf("umap: initial layout: %w", err)
	}
	a, b := fitAB(umapSpread, o.MinDist)
	y := initialLayout(init, o.Seed)
	if err := layout(ctx, y, g, a, b, o); err != nil {
		return nil, err
	}
	out := make([][2]float32, n)
	for i := range out {
		out[i] = [2]float32{y[2*i], y[2*i+1]}
	}
	return out, nil
}

// defaultEpochs is 200 up to 10,000 points, then falls linearly to 100 at 20,000 points.
func defaultEpochs(n int) int {
	switch {
	case n <= 10000:
		return 200
	case n >= 20000:
		return 100
	}
	return 200 - (n-10000)/100
}

// umapNeighbours returns, for every point, its k nearest other points (ids[i*k+j]) and
// their distances, ascending (dists[i*k+j]): the square root of FAISS's squared L2, or
// for ip the negated inner product (UMAP only uses distances relative to the nearest).
// Up to umapFlatMax points the search is exact (a FAISS "Flat" index); above, it is
// partitioned (see partitionedNeighbours). Where fewer than k others are found, the row
// is padded with its last neighbour.
func umapNeighbours(ctx context.Context, v []float32, dim int, m index.Metric, k int) ([]int32, []float32, error) {
	n := len(v) / dim
	ids := make([]int32, n*k)
	dists := make([]float32, n*k)
	if n <= umapFlatMax {
		all := make([]int32, n)
		for i := range all {
			all[i] = int32(i)
		}
		if err := searchAmong(ctx, v, dim, m, k, all, all, ids, dists); err != nil {
			return nil, nil, err
		}
		return ids, dists, nil
	}
	if err := partitionedNeighbours(ctx, v, dim, m, k, ids, dists); err != nil {
		return nil, nil, err
	}
	return ids, dists, nil
}

// partitionedNeighbours is an inverted-file search turned around so that FAISS can use
// matrix products throughout: FAISS k-means splits the points into cells of about
// umapCell points; every point is filed under its umapSpill nearest cells and looked up in
// its nearest one, by exact search (a "Flat" index) among that cell's points. A true
// neighbour is missed only when the query's cell is not among the neighbour's umapSpill
// nearest. On 50,000 × 512 (BenchmarkUMAP50k's clustered data) it took about 10
// CPU-seconds, recall 1.0, where exact search took 45 and "IVF256,Flat" visiting 8
// lists 24, recall 0.9: FAISS scans inverted lists at a small fraction of the speed of
// its BLAS-backed exact search.
func partitionedNeighbours(ctx context.Context, v []float32, dim int, m index.Metric, k int, ids []int32, dists []float32) error {
	n := len(v) / dim
	cells := max(2, n/umapCell)
	// Centroids from an evenly spread sample of 100 points per cell (FAISS asks for 39).
	sample := v
	if want := 100 * cells; n > want {
		sample = make([]float32, 0, want*dim)
		for i := range want {
			r := int(int64(i) * int64(n) / int64(want))
			sample = append(sample, v[r*dim:(r+1)*dim]...)
		}
	}
	cent, _, err := index.KMeans(sample, dim, cells)
	if err != nil {
		return fmt.Errorf("umap: partition for the neighbour search: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cix, err := index.Build(ctx, index.Config{Dim: dim, Factory: "Flat"}, cent, make([]index.Item, cells), nil)
	if err != nil {
		return fmt.Errorf("umap: partition for the neighbour search: %w", err)
	}
	defer cix.Close()
	spill := min(umapSpill, cells)
	members := make([][]int32, cells) // points filed under the cell
	queries := make([][]int32, cells) // points whose nearest cell it is
	for start := 0; start < n; start += umapQueryBatch {
		end := min(start+umapQueryBatch, n)
		hits, err := cix.Search(ctx, v[start*dim:end*dim], spill, index.SearchOptions{})
		if err != nil {
			return fmt.Errorf("umap: partition points %d..%d: %w", start, end-1, err)
		}
		for q, hs := range hits {
			for r, h := range hs {
				members[h.ID] = append(members[h.ID], int32(start+q))
				if r == 0 {
					queries[h.ID] = append(queries[h.ID], int32(start+q))
				}
			}
		}
	}
	for c := range cells {
		if len(queries[c]) == 0 {
			continue
		}
		if err := searchAmong(ctx, v, dim, m, k, members[c], queries[c], ids, dists); err != nil {
			return fmt.Errorf("cell %d of %d: %w", c, cells, err)
		}
	}
	return nil
}

// searchAmong finds, for every point of queries, its k nearest others among the points
// of among (exact search), and writes them to its rows of ids and dists.
func searchAmong(ctx context.Context, v []float32, dim int, m index.Metric, k int, among, queries []int32, ids []int32, dists []float32) error {
	gather := func(rows []int32) []float32 {
		if len(rows) == len(v)/dim {
			return v // all of them, in order
		}
		out := make([]float32, 0, len(rows)*dim)
		for _, r := range rows {
			out = append(out, v[int(r)*dim:int(r+1)*dim]...)
		}
		return out
	}
	ix, err := index.Build(ctx, index.Config{Dim: dim, Metric: m, Factory: "Flat"}, gather(among), make([]index.Item, len(among)), nil)
	if err != nil {
		return fmt.Errorf("umap: neighbour index: %w", err)
	}
	defer ix.Close()
	kk := min(k+1, len(among))
	for start := 0; start < len(queries); start += umapQueryBatch {
		end := min(start+umapQueryBatch, len(queries))
		hits, err := ix.Search(ctx, gather(queries[start:end]), kk, index.SearchOptions{})
		if err != nil {
			return fmt.Errorf("umap: neighbours of %d points: %w", end-start, err)
		}
		for q, hs := range hits {
			i := int(queries[start+q])
			row, drow := ids[i*k:(i+1)*k], dists[i*k:(i+1)*k]
			j := 0
			for _, h := range hs {
				id := among[h.ID]
				if int(id) == i || j == k {
					continue
				}
				row[j] = id
				if m == index.L2 {
					drow[j] = float32(math.Sqrt(math.Max(0, float64(h.Distance))))
				} else {
					drow[j] = -h.Distance
				}
				j++
			}
			if j == 0 {
				return fmt.Errorf("umap: the neighbour search found no neighbour of point %d", i)
			}
			for ; j < k; j++ {
				row[j], drow[j] = row[j-1], drow[j-1]
			}
		}
	}
	return nil
}

// graph is a symmetric weighted graph in compressed sparse rows: the neighbours of point
// i are adj[start[i]:start[i+1]], with weights w.
type graph struct {
	start []int32
	adj   []int32
	w     []float32
}

// smoothKNN finds, for one point's k neighbour distances (ascending), ρ (the smallest
// positive distance) and σ such that Σ_j exp(-max(0, d_j-ρ)/σ) = log2(k), by bisection;
// σ is kept above 1/1000 of the mean distance (of the point's, or of all points' when
// all its distances are 0, meanAll).
func smoothKNN(d []float32, meanAll float64) (rho, sigma float64) {
	for _, x := range d {
		if x > 0 {
			rho = float64(x)
			break
		}
	}
	// Bounded below only if some distance is negative (ip): shift so the nearest is 0.
	if d[0] < 0 {
		rho = float64(d[0])
	}
	target := math.Log2(float64(len(d)))
	lo, hi, mid := 0.0, math.Inf(1), 1.0
	for range 64 {
		var psum float64
		for _, x := range d {
			if r := float64(x) - rho; r > 0 {
				psum += math.Exp(-r / mid)
			} else {
				psum++
			}
		}
		if math.Abs(psum-target) < 1e-5 {
			break
		}
		if psum > target {
			hi = mid
			mid = (lo + hi) / 2
		} else {
			lo = mid
			if math.IsInf(hi, 1) {
				mid *= 2
			} else {
				mid = (lo + hi) / 2
			}
		}
	}
	var mean float64
	for _, x := range d {
		mean += float64(x) - min(0, float64(d[0]))
	}
	mean /= float64(len(d))
	if rho > 0 || d[0] < 0 {
		mid = max(mid, 1e-3*mean)
	} else {
		mid = max(mid, 1e-3*meanAll)
	}
	return rho, mid
}

// fuzzyGraph turns k-nearest-neighbour lists into UMAP's symmetric fuzzy graph: the
// directed membership strengths exp(-(d_ij - ρ_i)/σ_i), combined by fuzzy union
// w_ij = a + b - a·b where a = w(i→j), b = w(j→i).
func fuzzyGraph(ids []int32, dists []float32, n, k int) graph {
	var meanAll float64
	for _, x := range dists {
		meanAll += float64(x)
	}
	meanAll /= float64(len(dists))
	type edge struct {
		key uint64 // lo<<32 | hi
		w   float32
	}
	edges := make([]edge, 0, n*k)
	for i := range n {
		rho, sigma := smoothKNN(dists[i*k:(i+1)*k], meanAll)
		for j := range k {
			t := int(ids[i*k+j])
			if t == i || (j > 0 && ids[i*k+j-1] == ids[i*k+j]) { // padding repeats
				continue
			}
			w := 1.0
			if r := float64(dists[i*k+j]) - rho; r > 0 {
				w = math.Exp(-r / sigma)
			}
			lo, hi := uint64(min(i, t)), uint64(max(i, t))
			edges = append(edges, edge{lo<<32 | hi, float32(w)})
		}
	}
	slices.SortFunc(edges, func(x, y edge) int {
		switch {
		case x.key < y.key:
			return -1
		case x.key > y.key:
			return 1
		}
		return 0
	})
	// Merge the two directions of each pair (at most two entries per key).
	merged := edges[:0]
	for _, e := range edges {
		if l := len(merged); l > 0 && merged[l-1].key == e.key {
			a, b := merged[l-1].w, e.w
			merged[l-1].w = a + b - a*b
			continue
		}
		merged = append(merged, e)
	}
	deg := make([]int32, n+1)
	for _, e := range merged {
		deg[e.key>>32]++
		deg[e.key&0xffffffff]++
	}
	g := graph{start: make([]int32, n+1), adj: make([]int32, 2*len(merged)), w: make([]float32, 2*len(merged))}
	for i := range n {
		g.start[i+1] = g.start[i] + deg[i]
	}
	fill := slices.Clone(g.start[:n])
	for _, e := range merged {
		lo, hi := int32(e.key>>32), int32(e.key&0xffffffff)
		g.adj[fill[lo]], g.w[fill[lo]] = hi, e.w
		fill[lo]++
		g.adj[fill[hi]], g.w[fill[hi]] = lo, e.w
		fill[hi]++
	}
	return g
}

// fitAB fits the layout's similarity curve 1/(1 + a·x^2b) to UMAP's target: 1 up to
// minDist, then exp(-(x - minDist)/spread), by least squares on 300 points of [0, 3·spread]
// (Levenberg–Marquardt from a = b = 1, as umap-learn does with scipy's curve_fit). For
// spread 1 and minDist 0.1 it gives a ≈ 1.58, b ≈ 0.90.
func fitAB(spread, minDist float64) (a, b float64) {
	const m = 300
	xs, ys := make([]float64, m), make([]float64, m)
	for i := range m {
		x := 3 * spread * float64(i) / (m - 1)
		xs[i] = x
		ys[i] = 1
		if x >= minDist {
			ys[i] = math.Exp(-(x - minDist) / spread)
		}
	}
	sse := func(a, b float64) float64 {
		var s float64
		for i, x := range xs {
			r := 1/(1+a*math.Pow(x, 2*b)) - ys[i]
			s += r * r
		}
		return s
	}
	a, b = 1, 1
	cur, lambda := sse(a, b), 1e-3
	for range 200 {
		// Normal equations JᵀJ·δ = -Jᵀr with the Jacobian of the residuals.
		var jaa, jab, jbb, ga, gb float64
		for i, x := range xs {
			if x == 0 {
				continue // the curve is 1 there whatever a and b
			}
			p := math.Pow(x, 2*b)
			f := 1 / (1 + a*p)
			r := f - ys[i]
			da := -p * f * f
			db := -a * p * 2 * math.Log(x) * f * f
			jaa += da * da
			jab += da * db
			jbb += db * db
			ga += da * r
			gb += db * r
		}
		improved := false
		for range 30 {
			m00, m11 := jaa*(1+lambda), jbb*(1+lambda)
			det := m00*m11 - jab*jab
			if det == 0 {
				lambda *= 10
				continue
			}
			na := a + (-ga*m11+gb*jab)/det
			nb := b + (-gb*m00+ga*jab)/det
			if na > 0 && nb > 0 {
				if s := sse(na, nb); s < cur {
					done := cur-s < 1e-14*max(cur, 1e-300)
					a, b, cur = na, nb, s
					lambda = max(lambda/10, 1e-12)
					improved = !done
					break
				}
			}
			lambda *= 10
		}
		if !improved {
			break
		}
	}
	return a, b
}

// initialLayout scales a PCA layout so it fits in [-umapInitScale, umapInitScale]² (the
// same factor on both axes) and adds a little deterministic noise, which parts
// duplicates. It returns the coordinates interleaved: x0, y0, x1, y1, ...
func initialLayout(p [][2]float32, seed uint64) []float32 {
	var m float64
	for _, q := range p {
		m = max(m, math.Abs(float64(q[0])), math.Abs(float64(q[1])))
	}
	scale := 1.0
	if m > 0 {
		scale = umapInitScale / m
	}
	r := rand.New(rand.NewPCG(seed, 0x756d6170)) // "umap"
	y := make([]float32, 2*len(p))
	for i, q := range p {
		y[2*i] = float32(float64(q[0])*scale + 1e-4*r.NormFloat64())
		y[2*i+1] = float32(float64(q[1])*scale + 1e-4*r.NormFloat64())
	}
	return y
}

// layout optimises the 2-D positions y (interleaved x, y) by stochastic gradient descent
// on the graph, as umap-learn's optimize_layout: edge (i, j) is sampled every
// max(w)/w_ij epochs; a sample moves i towards j and away from umapNegativeRate random
// points, with gradients clipped to ±4 and a learning rate falling linearly from 1 to 0.
// Both directions of an edge are in the graph, so each sample moves only its head.
//
// The points are split into fixed chunks worked on in parallel. A chunk writes only its
// own points and reads every other point from a snapshot taken at the start of the epoch,
// and draws from a random stream of its own (seeded by Seed, epoch and chunk): the result
// depends on Seed only, not on the number of CPUs or on scheduling.
func layout(ctx context.Context, y []float32, g graph, a, b float64, o UMAPOptions) error {
	n := len(g.start) - 1
	var wmax float32
	for _, w := range g.w {
		wmax = max(wmax, w)
	}
	// Edges too weak to be sampled even once are dropped (their per-epoch interval is
	// +Inf); the others start due after one interval.
	per := make([]float32, len(g.w))     // epochs between samples
	next := make([]float32, len(g.w))    // epoch of the next sample
	nextNeg := make([]float32, len(g.w)) // epoch of the next negative sample
	for e, w := range g.w {
		per[e] = float32(math.Inf(1))
		if w > 0 && float64(w)*float64(o.Epochs) >= float64(wmax) {
			per[e] = wmax / w
		}
		next[e] = per[e]
		nextNeg[e] = per[e] / umapNegativeRate
	}
	prev := slices.Clone(y)
	chunks := (n + umapChunk - 1) / umapChunk
	workers := min(runtime.GOMAXPROCS(0), chunks)
	a32, b32 := float32(a), float32(b)
	for epoch := range o.Epochs {
		if err := ctx.Err(); err != nil {
			return err
		}
		alpha := float32(1 - float64(epoch)/float64(o.Epochs))
		ep := float32(epoch)
		var cursor atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					c := int(cursor.Add(1) - 1)
					if c >= chunks {
						return
					}
					rng := rand.NewPCG(o.Seed, uint64(epoch)<<32|uint64(c))
					for i := c * umapChunk; i < min(n, (c+1)*umapChunk); i++ {
						for e := g.start[i]; e < g.start[i+1]; e++ {
							if next[e] > ep {
								continue
							}
							moveByEdge(y, prev, i, int(g.adj[e]), a32, b32, alpha)
							next[e] += per[e]
							negs := int((ep - nextNeg[e]) * umapNegativeRate / per[e])
							for range negs {
								k := int((rng.Uint64() >> 32) * uint64(n) >> 32)
								if k == i {
									continue
								}
								moveAway(y, prev, i, k, a32, b32, alpha)
							}
							nextNeg[e] += float32(negs) * per[e] / umapNegativeRate
						}
					}
				}
			})
		}
		wg.Wait()
		copy(prev, y)
		if o.Progress != nil {
			o.Progress(epoch+1, o.Epochs)
		}
	}
	return nil
}

// clip4 limits a gradient component to ±4.
func clip4(x float32) float32 { return max(-4, min(4, x)) }

// powf is x^p for x > 0, as 2^(p·log2 x) with short polynomials (relative error below
// 1e-5, float32's own rounding, over the layout's range): the layout's inner loop is mostly this, and math.Pow
// (or math.Exp of math.Log) takes several times as long.
func powf(x, p float32) float32 {
	if x < 1e-30 || x > 1e30 {
		return float32(math.Pow(float64(x), float64(p)))
	}
	bits := math.Float32bits(x)
	e := float32(int32(bits>>23&0xff) - 127)
	m := math.Float32frombits(bits&0x7fffff | 0x3f800000) // x = m·2^e, 1 ≤ m < 2
	if m > math.Sqrt2 {
		m, e = m*0.5, e+1
	}
	// log2 m = (2/ln 2)·atanh(t), t = (m-1)/(m+1), |t| ≤ 0.172: four terms of the series.
	t := (m - 1) / (m + 1)
	t2 := t * t
	l := e + t*(2.8853900817779268+t2*(0.9617966939259756+t2*(0.5770780163555854+t2*0.41219858311113246)))
	y := max(-125, min(125, p*l))
	// 2^y = 2^i · e^(f·ln 2) with i the nearest integer and |f| ≤ 1/2: Taylor to degree 6.
	i := int32(y+125.5) - 125 // round half up: y+125.5 > 0 truncates as floor
	z := (y - float32(i)) * math.Ln2
	poly := 1 + z*(1+z*(0.5+z*(1.0/6+z*(1.0/24+z*(1.0/120+z*(1.0/720))))))
	return poly * math.Float32frombits(uint32(i+127)<<23)
}

// moveByEdge moves point i towards j (read from prev) along the gradient of the
// attractive term log(1 + a·d^2b).
func moveByEdge(y, prev []float32, i, j int, a, b, alpha float32) {
	dx, dy := y[2*i]-prev[2*j], y[2*i+1]-prev[2*j+1]
	d2 := dx*dx + dy*dy
	if d2 <= 0 {
		return
	}
	pb := powf(d2, b) // d^2b
	coef := -2 * a * b * pb / d2 / (a*pb + 1)
	y[2*i] += clip4(coef*dx) * alpha
	y[2*i+1] += clip4(coef*dy) * alpha
}

// moveAway moves point i away from k (read from prev) along the gradient of the
// repulsive term log(1 - 1/(1 + a·d^2b)); coincident points push i by the clip bound.
func moveAway(y, prev []float32, i, k int, a, b, alpha float32) {
	dx, dy := y[2*i]-prev[2*k], y[2*i+1]-prev[2*k+1]
	d2 := dx*dx + dy*dy
	if d2 <= 0 {
		y[2*i] += 4 * alpha
		y[2*i+1] += 4 * alpha
		return
	}
	coef := 2 * b / ((0.001 + d2) * (a*powf(d2, b) + 1))
	y[2*i] += clip4(coef*dx) * alpha
	y[2*i+1] += clip4(coef*dy) * alpha
}
