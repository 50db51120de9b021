package explore

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// blobs returns c well-separated Gaussian blobs of per points each in d dimensions, and
// each point's blob. The centres are drawn with standard deviation 10 per coordinate;
// with aniso, each blob is stretched along 3 axes of its own (standard deviation 3) and
// thin across (0.2): blobs with an inner shape worth keeping on a map. Otherwise every
// blob is a unit sphere.
func blobs(seed uint64, c, per, d int, aniso bool) ([]float32, []int) {
	r := rand.New(rand.NewPCG(seed, 99))
	centres := make([]float64, c*d)
	for i := range centres {
		centres[i] = 10 * r.NormFloat64()
	}
	v := make([]float32, 0, c*per*d)
	var blob []int
	for b := range c {
		for range per {
			for j := range d {
				sd := 1.0
				if aniso {
					sd = 0.2
					if (j-3*b%d+d)%d < 3 {
						sd = 3
					}
				}
				v = append(v, float32(centres[b*d+j]+sd*r.NormFloat64()))
			}
			blob = append(blob, b)
		}
	}
	return v, blob
}

// knnExact returns every row's k nearest other rows (squared Euclidean), by brute force.
func knnExact(v []float64, dim, k int) [][]int {
	n := len(v) / dim
	out := make([][]int, n)
	type cand struct {
		id int
		d  float64
	}
	cs := make([]cand, 0, n)
	for i := range n {
		cs = cs[:0]
		for j := range n {
			if j == i {
				continue
			}
			var s float64
			for t := range dim {
				x := v[i*dim+t] - v[j*dim+t]
				s += x * x
			}
			cs = append(cs, cand{j, s})
		}
		sort.Slice(cs, func(a, b int) bool { return cs[a].d < cs[b].d || cs[a].d == cs[b].d && cs[a].id < cs[b].id })
		for _, c := range cs[:k] {
			out[i] = append(out[i], c.id)
		}
	}
	return out
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func flat2(p [][2]float32) []float64 {
	out := make([]float64, 0, 2*len(p))
	for _, q := range p {
		out = append(out, float64(q[0]), float64(q[1]))
	}
	return out
}

// preservation is the mean share of each point's k nearest neighbours in high that are
// also among its k nearest in low.
func preservation(high, low [][]int) float64 {
	var s float64
	for i := range high {
		for _, j := range high[i] {
			if slices.Contains(low[i], j) {
				s++
			}
		}
	}
	return s / float64(len(high)*len(high[0]))
}

// trustworthiness (Venna and Kaski) penalises points that are near in the map but not in
// the data, by how far down the data's ranking they are: 1 is perfect.
func trustworthiness(v []float64, dim int, low [][]int, k int) float64 {
	n := len(v) / dim
	all := knnExact(v, dim, n-1) // full ranking of every row
	var pen float64
	for i := range n {
		rank := make(map[int]int, n)
		for r, j := range all[i] {
			rank[j] = r + 1
		}
		for _, j := range low[i] {
			if r := rank[j]; r > k {
				pen += float64(r - k)
			}
		}
	}
	return 1 - 2/(float64(n*k)*(2*float64(n)-3*float64(k)-1))*pen
}

// sameBlob is the share of each point's map neighbours that come from its own blob.
func sameBlob(low [][]int, blob []int) float64 {
	var s, t float64
	for i, nb := range low {
		for _, j := range nb {
			t++
			if blob[j] == blob[i] {
				s++
			}
		}
	}
	return s / t
}

// On well-separated Gaussian blobs in 50-d, UMAP keeps each point's 10 nearest
// neighbours markedly better than PCA, its map is more trustworthy, and the blobs stay
// apart. Blobs with an inner shape (stretched along a few axes of their own) show it most;
// on unit spheres, whose inner neighbours are nearly random, UMAP still does better.
func TestUMAPBeatsPCAOnBlobs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		aniso bool
		// UMAP's 10-NN preservation must reach PCA's times ratio plus margin, and its
		// untrustworthiness (1 - trustworthiness) stay below PCA's times untrust.
		ratio, margin, untrust float64
	}{
		{"stretched", true, 1, 0.15, 0.6},
		{"spheres", false, 1.3, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const c, per, d, k = 10, 100, 50, 10
			v, blob := blobs(1, c, per, d, tc.aniso)
			ix, err := index.Build(context.Background(), index.Config{Dim: d}, v, make([]index.Item, c*per), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			u, err := UMAP(context.Background(), ix, UMAPOptions{Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			p, err := Project2D(context.Background(), ix, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(u) != c*per {
				t.Fatalf("%d points mapped, want %d", len(u), c*per)
			}
			for i, q := range u {
				if math.IsNaN(float64(q[0])) || math.IsNaN(float64(q[1])) || math.IsInf(float64(q[0]), 0) || math.IsInf(float64(q[1]), 0) {
					t.Fatalf("point %d at %v", i, q)
				}
			}
			hv := to64(v)
			high := knnExact(hv, d, k)
			lowU, lowP := knnExact(flat2(u), 2, k), knnExact(flat2(p), 2, k)
			presU, presP := preservation(high, lowU), preservation(high, lowP)
			trustU, trustP := trustworthiness(hv, d, lowU, k), trustworthiness(hv, d, lowP, k)
			blobU, blobP := sameBlob(lowU, blob), sameBlob(lowP, blob)
			t.Logf("10-NN preservation: UMAP %.3f, PCA %.3f; trustworthiness: UMAP %.4f, PCA %.4f; map neighbours in the same blob: UMAP %.3f, PCA %.3f",
				presU, presP, trustU, trustP, blobU, blobP)
			if presU < tc.ratio*presP+tc.margin {
				t.Errorf("10-NN preservation: UMAP %.3f is not markedly above PCA's %.3f (want at least %.3f)", presU, presP, tc.ratio*presP+tc.margin)
			}
			if 1-trustU > tc.untrust*(1-trustP) {
				t.Errorf("trustworthiness: UMAP %.4f is not enough above PCA's %.4f", trustU, trustP)
			}
			if blobU < 0.99 {
				t.Errorf("only %.3f of UMAP's map neighbours are in the same blob: the blobs mix", blobU)
			}
			// Separated: every point is nearer its own blob's centre on the map than any
			// other blob's.
			centre := make([][2]float64, c)
			for i, q := range u {
				centre[blob[i]][0] += float64(q[0]) / per
				centre[blob[i]][1] += float64(q[1]) / per
			}
			wrong := 0
			for i, q := range u {
				best, bd := -1, math.Inf(1)
				for b, m := range centre {
					if dd := math.Hypot(float64(q[0])-m[0], float64(q[1])-m[1]); dd < bd {
						best, bd = b, dd
					}
				}
				if best != blob[i] {
					wrong++
				}
			}
			if wrong > 0 {
				t.Errorf("%d of %d points are nearer another blob's centre on the UMAP map", wrong, len(u))
			}
		})
	}
}

// The same seed gives the same map, whatever the number of CPUs; another seed, another.
func TestUMAPDeterministic(t *testing.T) {
	v, _ := blobs(2, 4, 150, 16, false)
	ctx := context.Background()
	run := func(seed uint64, procs int) [][2]float32 {
		t.Helper()
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		u, err := UMAPVectors(ctx, v, 16, index.L2, UMAPOptions{Seed: seed, Epochs: 60})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	a, b, one := run(3, 0), run(3, 0), run(3, 1)
	if !slices.Equal(a, b) {
		t.Error("two runs with one seed differ")
	}
	if !slices.Equal(a, one) {
		t.Error("one CPU and several give different maps for one seed")
	}
	if slices.Equal(a, run(4, 0)) {
		t.Error("another seed gives the same map")
	}
}

func TestUMAPCancelled(t *testing.T) {
	v, _ := blobs(3, 3, 50, 8, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := UMAPVectors(ctx, v, 8, index.L2, UMAPOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: %v, want context.Canceled", err)
	}
	// Cancelled part way through the epochs: it stops at the next one.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	last := 0
	_, err := UMAPVectors(ctx, v, 8, index.L2, UMAPOptions{Epochs: 100, Progress: func(done, total int) {
		last = done
		if done == 10 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || last != 10 {
		t.Errorf("cancelled at epoch 10: %v after %d epochs", err, last)
	}
}

func TestUMAPBadInput(t *testing.T) {
	ctx := context.Background()
	v, _ := blobs(4, 1, 15, 4, false) // 15 points
	if _, err := UMAPVectors(ctx, v, 4, index.L2, UMAPOptions{}); !errors.Is(err, ErrTooFewPoints) {
		t.Errorf("15 points for 15 neighbours: %v", err)
	}
	if _, err := UMAPVectors(ctx, v, 4, index.L2, UMAPOptions{Neighbors: 14, Epochs: 5}); err != nil {
		t.Errorf("15 points for 14 neighbours: %v", err)
	}
	if _, err := UMAPVectors(ctx, v[:len(v)-1], 4, index.L2, UMAPOptions{Neighbors: 5}); err == nil {
		t.Error("a partial vector accepted")
	}
	if _, err := UMAPVectors(ctx, v, 0, index.L2, UMAPOptions{}); err == nil {
		t.Error("dimension 0 accepted")
	}
	for _, o := range []UMAPOptions{{Neighbors: 1}, {MinDist: -1}, {MinDist: 2}, {Epochs: -1}} {
		if _, err := UMAPVectors(ctx, v, 4, index.L2, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := UMAPVectors(ctx, v, 4, "manhattan", UMAPOptions{Neighbors: 5}); !errors.Is(err, index.ErrMetric) {
		t.Errorf("unknown metric: %v", err)
	}
}

// Cosine and inner-product metrics give a map too, and cosine keeps directions apart
// however long the vectors are.
func TestUMAPCosine(t *testing.T) {
	v, blob := blobs(5, 3, 80, 12, false)
	r := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < len(v)/12; i++ { // rescale every vector: cosine does not see it
		s := float32(0.1 + 10*r.Float64())
		for j := range 12 {
			v[i*12+j] *= s
		}
	}
	for _, m := range []index.Metric{index.Cosine, index.IP} {
		u, err := UMAPVectors(context.Background(), v, 12, m, UMAPOptions{Seed: 1})
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if m == index.Cosine {
			if s := sameBlob(knnExact(flat2(u), 2, 10), blob); s < 0.95 {
				t.Errorf("cosine: %.3f of map neighbours in the same blob", s)
			}
		}
	}
}

// The fitted curve matches umap-learn's for min_dist 0.1 and is a least-squares optimum.
func TestFitAB(t *testing.T) {
	a, b := fitAB(1, 0.1)
	if math.Abs(a-1.577) > 0.01 || math.Abs(b-0.895) > 0.005 {
		t.Errorf("min_dist 0.1: a=%.4f b=%.4f, want about 1.577, 0.895", a, b)
	}
	for _, md := range []float64{0.001, 0.1, 0.5, 0.99} {
		a, b := fitAB(1, md)
		sse := func(a, b float64) float64 {
			var s float64
			for i := range 300 {
				x := 3 * float64(i) / 299
				y := 1.0
				if x >= md {
					y = math.Exp(-(x - md))
				}
				r := 1/(1+a*math.Pow(x, 2*b)) - y
				s += r * r
			}
			return s
		}
		best := sse(a, b)
		for _, da := range []float64{-1e-3, 0, 1e-3} {
			for _, db := range []float64{-1e-3, 0, 1e-3} {
				if s := sse(a+da, b+db); s < best-1e-12 {
					t.Errorf("min_dist %g: a=%g b=%g (sse %g) is beaten by a%+g b%+g (sse %g)", md, a, b, best, da, db, s)
				}
			}
		}
	}
}

// powf agrees with math.Pow to 1e-5 (relative) over the range the layout uses.
func TestPowf(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	worst := 0.0
	for range 200000 {
		x := math.Exp(r.Float64()*50 - 30) // 1e-13 .. 1e8
		p := 0.5 + r.Float64()*1.5         // b and b-1 of min distances in (0, 1]
		if r.IntN(2) == 0 {
			p -= 1
		}
		want := math.Pow(float64(float32(x)), float64(float32(p)))
		got := float64(powf(float32(x), float32(p)))
		if e := math.Abs(got-want) / want; e > worst {
			worst = e
		}
	}
	if worst > 1e-5 {
		t.Errorf("powf: worst relative error %g", worst)
	}
	for _, x := range []float32{1e-35, 1, 4, 1e35} {
		if got, want := powf(x, 0.9), math.Pow(float64(x), float64(float32(0.9))); math.Abs(float64(got)-want)/want > 1e-6 {
			t.Errorf("powf(%g, 0.9) = %g, want %g", x, got, want)
		}
	}
}

// σ makes the memberships sum to log2(k); the nearest neighbour has membership 1.
func TestSmoothKNN(t *testing.T) {
	d := []float32{0.5, 0.7, 1, 1.2, 2, 3, 3.5, 4}
	rho, sigma := smoothKNN(d, 1)
	if rho != 0.5 {
		t.Errorf("rho %g, want 0.5", rho)
	}
	var s float64
	for _, x := range d {
		s += math.Exp(-math.Max(0, float64(x)-rho) / sigma)
	}
	if math.Abs(s-3) > 1e-4 {
		t.Errorf("memberships sum to %g, want log2(8) = 3", s)
	}
	// All neighbours at one distance: σ stays positive.
	if _, sigma := smoothKNN([]float32{0, 0, 0, 0}, 2); !(sigma > 0) {
		t.Errorf("sigma %g for coincident neighbours", sigma)
	}
}

// The graph is the fuzzy union of the directed neighbour graph: symmetric, with
// w = a + b - ab where both directions exist.
func TestFuzzyGraphUnion(t *testing.T) {
	// Three points on a line at 0, 1, 3; k = 2 neighbours each.
	ids := []int32{1, 2, 0, 2, 1, 0}
	dists := []float32{1, 3, 1, 2, 2, 3}
	g := fuzzyGraph(ids, dists, 3, 2)
	w := func(i, j int) float64 {
		for e := g.start[i]; e < g.start[i+1]; e++ {
			if int(g.adj[e]) == j {
				return float64(g.w[e])
			}
		}
		return -1
	}
	for i := range 3 {
		for j := range 3 {
			if i != j && w(i, j) != w(j, i) {
				t.Errorf("w(%d,%d)=%g but w(%d,%d)=%g", i, j, w(i, j), j, i, w(j, i))
			}
		}
	}
	// Point 0: rho 1, its second neighbour (2, at 3) has membership exp(-2/σ0); point 2:
	// rho 2, its second neighbour (0, at 3) has exp(-1/σ2). Both directions: union.
	_, s0 := smoothKNN(dists[0:2], 0)
	_, s2 := smoothKNN(dists[4:6], 0)
	a, b := math.Exp(-2/s0), math.Exp(-1/s2)
	if got, want := w(0, 2), a+b-a*b; math.Abs(got-want) > 1e-6 {
		t.Errorf("w(0,2) = %g, want %g", got, want)
	}
	if w(0, 1) != 1 || w(1, 2) != 1 {
		t.Errorf("nearest-neighbour edges %g, %g, want 1", w(0, 1), w(1, 2))
	}
}

// The inverted-file neighbour search of large inputs finds most true neighbours.
func TestUMAPNeighboursIVFRecall(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the 12,000-point neighbour search in -short mode")
	}
	const n, d, k = 12000, 32, 10
	v, _ := blobs(6, 40, n/40, d, false)
	ids, _, err := umapNeighbours(context.Background(), v, d, index.L2, k)
	if err != nil {
		t.Fatal(err)
	}
	// Exact neighbours of 200 points, by brute force.
	var hit, tot int
	for q := 0; q < n; q += n / 200 {
		type cand struct {
			id int
			d  float32
		}
		cs := make([]cand, 0, n)
		for j := range n {
			if j == q {
				continue
			}
			var s float32
			for t := range d {
				x := v[q*d+t] - v[j*d+t]
				s += x * x
			}
			cs = append(cs, cand{j, s})
		}
		sort.Slice(cs, func(a, b int) bool { return cs[a].d < cs[b].d })
		for _, c := range cs[:k] {
			tot++
			if slices.Contains(ids[q*k:(q+1)*k], int32(c.id)) {
				hit++
			}
		}
	}
	if r := float64(hit) / float64(tot); r < 0.9 {
		t.Errorf("inverted-file neighbour recall %.3f, want at least 0.9", r)
	}
}

// BenchmarkUMAP50k maps 50,000 512-d vectors: 50 clusters, each varying along 16
// directions of its own plus a little noise in all (a corpus of embeddings is clustered
// and of low intrinsic dimension too). Besides ns/op it reports the seconds spent before
// the first epoch (neighbour search, graph, initial layout) and the CPU seconds of the
// whole run, all goroutines and FAISS's threads together: on a busy machine, CPU seconds
// divided by the cores is what the run would take on those cores alone. Run it with
//
//	go test ./simsearch/explore/ -run '^$' -bench UMAP -benchtime 1x
func BenchmarkUMAP50k(b *testing.B) {
	benchUMAP(b, 50000, 512)
}

// BenchmarkUMAP10k is the same on 10,000 vectors (exact neighbour search).
func BenchmarkUMAP10k(b *testing.B) {
	benchUMAP(b, 10000, 512)
}

func benchUMAP(b *testing.B, n, d int) {
	v := lowRankBlobs(8, 50, n/50, d)
	ctx := context.Background()
	for b.Loop() {
		start, cpu0 := time.Now(), cpuTime()
		var before time.Duration
		if _, err := UMAPVectors(ctx, v, d, index.L2, UMAPOptions{Progress: func(done, total int) {
			if done == 1 {
				before = time.Since(start)
			}
		}}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(before.Seconds(), "s-before-sgd")
		b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s")
	}
}

// cpuTime is the CPU time this process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lowRankBlobs returns c clusters of per points in d dimensions: each around a centre
// drawn with standard deviation 3 per coordinate, varying along 16 random directions of
// its own (standard deviation about 3) and by 0.3 in every coordinate.
func lowRankBlobs(seed uint64, c, per, d int) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	v := make([]float32, 0, c*per*d)
	cen := make([]float64, d)
	basis := make([]float64, 16*d)
	z := make([]float64, 16)
	for range c {
		for j := range cen {
			cen[j] = 3 * r.NormFloat64()
		}
		for j := range basis {
			basis[j] = r.NormFloat64() / math.Sqrt(float64(d))
		}
		for range per {
			for j := range z {
				z[j] = 3 * r.NormFloat64()
			}
			for j := range d {
				x := cen[j] + 0.3*r.NormFloat64()
				for t := range z {
					x += z[t] * basis[t*d+j]
				}
				v = append(v, float32(x))
			}
		}
	}
	return v
}
