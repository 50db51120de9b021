// Package blastest measures a workload under several settings of package blas's overrides
// (sgemm for DotGeneral, contiguous runs for Slice, strided runs for broadcasting
// Add/Sub/Mul and a branch-free Sign), alternating them within one benchmark run, and
// checks that all give the same results.
package blastest

import (
	"math"
	"testing"
	"time"

	"github.com/corpushunt/corpushunt/simsearch/backend/blas"
)

// Config is one setting of the overrides: SGEMM switches the DotGeneral override
// (blas.Enable), Slice the Slice override (blas.EnableSlice), Elementwise the broadcasting
// Add/Sub/Mul and Sign override (blas.EnableElementwise).
type Config struct {
	Name                      string
	SGEMM, Slice, Elementwise bool
}

// The settings compared by the benchmarks.
var (
	Stock      = Config{Name: "stock"}                                 // GoMLX's kernels only
	SGEMMOnly  = Config{Name: "sgemm", SGEMM: true}                    // sgemm, stock Slice
	SGEMMSlice = Config{Name: "sgemm+slice", SGEMM: true, Slice: true} // and the Slice override
	// All: and the elementwise override.
	All = Config{Name: "sgemm+slice+ew", SGEMM: true, Slice: true, Elementwise: true}
)

// set switches the overrides as c says.
func set(c Config) {
	blas.Enable(c.SGEMM)
	blas.EnableSlice(c.Slice)
	blas.EnableElementwise(c.Elementwise)
}

// counts are the overrides' counters.
type counts struct{ sgemm, handed, slices, slicesHanded, ew, ewHanded int64 }

func now() counts {
	return counts{blas.Calls(), blas.HandedBack(), blas.SliceCalls(), blas.SliceHandedBack(),
		blas.ElementwiseCalls(), blas.ElementwiseHandedBack()}
}

func (a counts) minus(b counts) counts {
	return counts{a.sgemm - b.sgemm, a.handed - b.handed, a.slices - b.slices, a.slicesHanded - b.slicesHanded,
		a.ew - b.ew, a.ewHanded - b.ewHanded}
}

func (a counts) plus(b counts) counts {
	return counts{a.sgemm + b.sgemm, a.handed + b.handed, a.slices + b.slices, a.slicesHanded + b.slicesHanded,
		a.ew + b.ew, a.ewHanded + b.ewHanded}
}

// result of alternate: per configuration the total time, the counters, and the worst
// relative difference to configuration 0 (worst) and to the previous one (worstPrev).
type result struct {
	iters            int
	total            []time.Duration
	count            []counts
	worst, worstPrev []float64
}

// alternate runs fns[i] under configs[i], once each before timing (compilation, first
// results), then once each per b.Loop iteration, rotating which goes first. Every result
// must agree with fns[0]'s of the same round to tol relative (max|ref−x| / max|ref|), and
// from the third configuration on with the previous configuration's to prevTol.
func alternate(b *testing.B, tol, prevTol float64, configs []Config, fns []func() ([]float32, error)) result {
	b.Helper()
	if len(configs) != len(fns) || len(configs) < 2 {
		b.Fatalf("blastest: %d configurations for %d functions", len(configs), len(fns))
	}
	for _, c := range configs {
		if c.SGEMM && !blas.Engaged() {
			b.Skipf("sgemm override not engaged: %s", blas.Active())
		}
		if c.Slice && !blas.SliceEngaged() {
			b.Skipf("Slice override not engaged: %s", blas.SliceActive())
		}
		if c.Elementwise && !blas.ElementwiseEngaged() {
			b.Skipf("elementwise override not engaged: %s", blas.ElementwiseActive())
		}
	}
	wasDot, wasSlice, wasEw := blas.Engaged(), blas.SliceEngaged(), blas.ElementwiseEngaged()
	defer func() {
		blas.Enable(wasDot)
		blas.EnableSlice(wasSlice)
		blas.EnableElementwise(wasEw)
	}()
	n := len(configs)
	res := result{total: make([]time.Duration, n), count: make([]counts, n), worst: make([]float64, n), worstPrev: make([]float64, n)}
	run := func(i int) ([]float32, time.Duration) {
		set(configs[i])
		c0 := now()
		t0 := time.Now()
		out, err := fns[i]()
		d := time.Since(t0)
		res.count[i] = res.count[i].plus(now().minus(c0))
		if err != nil {
			b.Fatal(err)
		}
		return out, d
	}
	outs := make([][]float32, n)
	compare := func(when string) {
		for i := 1; i < n; i++ {
			e := relDiff(outs[0], outs[i])
			res.worst[i] = max(res.worst[i], e)
			if !(e <= tol) {
				b.Errorf("%s: %s and %s results differ by %.3g relative (tolerance %g): %v vs %v",
					when, configs[0].Name, configs[i].Name, e, tol, head(outs[0]), head(outs[i]))
			}
			if i < 2 {
				continue
			}
			e = relDiff(outs[i-1], outs[i])
			res.worstPrev[i] = max(res.worstPrev[i], e)
			if !(e <= prevTol) {
				b.Errorf("%s: %s and %s results differ by %.3g relative (tolerance %g): %v vs %v",
					when, configs[i-1].Name, configs[i].Name, e, prevTol, head(outs[i-1]), head(outs[i]))
			}
		}
	}
	for i := range n {
		outs[i], _ = run(i)
	}
	compare("first call")
	for b.Loop() {
		for j := range n {
			i := (res.iters + j) % n
			var d time.Duration
			outs[i], d = run(i)
			res.total[i] += d
		}
		compare("timed call")
		res.iters++
	}
	return res
}

func (r result) ms(i int) float64 { return float64(r.total[i].Microseconds()) / 1e3 / float64(r.iters) }

// Paired runs stock() with every override switched off and fast() with every engaged one
// on, alternating as Compare does. It reports stock-ms/op, blas-ms/op, speedup (stock time
// / blas time), max-rel-diff, and per call of fast() the number of products sgemm served
// and handed back to the stock kernel, of Slices and of elementwise ops the overrides
// served. stock and fast should own separate copies of any state they update (e.g. two
// identically initialised models).
func Paired(b *testing.B, tol float64, stock, fast func() ([]float32, error)) {
	b.Helper()
	all := Config{Name: "blas", SGEMM: true, Slice: blas.SliceEngaged(), Elementwise: blas.ElementwiseEngaged()}
	r := alternate(b, tol, tol, []Config{Stock, all}, []func() ([]float32, error){stock, fast})
	b.ReportMetric(r.ms(0), "stock-ms/op")
	b.ReportMetric(r.ms(1), "blas-ms/op")
	b.ReportMetric(float64(r.total[0])/float64(r.total[1]), "speedup")
	b.ReportMetric(r.worst[1], "max-rel-diff")
	b.ReportMetric(float64(r.count[1].sgemm)/float64(r.iters+1), "sgemm-products/op")
	b.ReportMetric(float64(r.count[1].handed)/float64(r.iters+1), "handed-back/op")
	b.ReportMetric(float64(r.count[1].slices)/float64(r.iters+1), "fast-slices/op")
	b.ReportMetric(float64(r.count[1].ew)/float64(r.iters+1), "fast-elementwise/op")
}

// Compare runs fns[i] under configs[i] (e.g. Stock, SGEMMOnly, SGEMMSlice), once each before
// timing, then once each per b.Loop iteration, rotating which goes first, and checks that
// every result agrees with fns[0]'s to tol relative and, from the third configuration on,
// with the previous configuration's to prevTol (0 for overrides that must give the same
// bits, as the Slice and elementwise ones do). It reports NAME-ms/op per
// configuration; for the others speedup-NAME (configuration 0's time / this one's) and
// diff-NAME (the largest relative difference of its results to configuration 0's), and from
// the third on gain-NAME and diff-prev-NAME (the same against the previous configuration:
// with Stock, SGEMMOnly, SGEMMSlice, what the Slice override adds); and per call of
// the last configuration the products sgemm served, and the Slices and elementwise ops the
// overrides served and handed back. Functions that update state should own separate copies
// of it.
func Compare(b *testing.B, tol, prevTol float64, configs []Config, fns []func() ([]float32, error)) {
	b.Helper()
	r := alternate(b, tol, prevTol, configs, fns)
	for i, c := range configs {
		b.ReportMetric(r.ms(i), c.Name+"-ms/op")
		if i > 0 {
			b.ReportMetric(float64(r.total[0])/float64(r.total[i]), "speedup-"+c.Name)
			b.ReportMetric(r.worst[i], "diff-"+c.Name)
		}
		if i > 1 {
			b.ReportMetric(float64(r.total[i-1])/float64(r.total[i]), "gain-"+c.Name)
			b.ReportMetric(r.worstPrev[i], "diff-prev-"+c.Name)
		}
	}
	last := r.count[len(configs)-1]
	b.ReportMetric(float64(last.sgemm)/float64(r.iters+1), "sgemm-products/op")
	b.ReportMetric(float64(last.slices)/float64(r.iters+1), "fast-slices/op")
	b.ReportMetric(float64(last.slicesHanded)/float64(r.iters+1), "slices-handed-back/op")
	b.ReportMetric(float64(last.ew)/float64(r.iters+1), "fast-elementwise/op")
	b.ReportMetric(float64(last.ewHanded)/float64(r.iters+1), "elementwise-handed-back/op")
}

func relDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d, s float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
		s = max(s, math.Abs(float64(a[i])))
	}
	if s == 0 {
		return d
	}
	return d / s
}

func head(v []float32) []float32 { return v[:min(len(v), 4)] }
