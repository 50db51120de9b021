// Package blastest measures a workload with the sgemm override of package blas off and on,
// back to back in one benchmark run, and checks that both give the same results.
package blastest

import (
	"math"
	"testing"
	"time"

	"github.com/corpushunt/corpushunt/simsearch/backend/blas"
)

// Paired runs stock() with the override switched off and fast() with it switched on, once
// each before timing (compilation, first results), then once each per b.Loop iteration,
// alternating which goes first. Both must return the same values to tol relative
// (max|stock−fast| / max|stock|) at every call. It reports stock-ms/op, blas-ms/op,
// speedup (stock time / blas time), max-rel-diff, and per call of fast() the number of
// products sgemm served and handed back to the stock kernel. stock and fast should own separate
// copies of any state they update (e.g. two identically initialised models).
func Paired(b *testing.B, tol float64, stock, fast func() ([]float32, error)) {
	b.Helper()
	if !blas.Engaged() {
		b.Skipf("sgemm override not engaged: %s", blas.Active())
	}
	defer blas.Enable(true)
	var served, handed int64
	run := func(on bool) ([]float32, time.Duration) {
		blas.Enable(on)
		f := stock
		if on {
			f = fast
		}
		c0, h0 := blas.Calls(), blas.HandedBack()
		t0 := time.Now()
		out, err := f()
		d := time.Since(t0)
		if on {
			served += blas.Calls() - c0
			handed += blas.HandedBack() - h0
		}
		if err != nil {
			b.Fatal(err)
		}
		return out, d
	}
	var worst float64
	compare := func(s, f []float32, when string) {
		e := relDiff(s, f)
		worst = max(worst, e)
		if !(e <= tol) {
			b.Errorf("%s: stock and sgemm results differ by %.3g relative (tolerance %g): %v vs %v",
				when, e, tol, head(s), head(f))
		}
	}
	s, _ := run(false)
	f, _ := run(true)
	compare(s, f, "first call")
	var tStock, tFast time.Duration
	i := 0
	for b.Loop() {
		var s, f []float32
		var ds, df time.Duration
		if i%2 == 0 {
			s, ds = run(false)
			f, df = run(true)
		} else {
			f, df = run(true)
			s, ds = run(false)
		}
		tStock, tFast = tStock+ds, tFast+df
		compare(s, f, "timed call")
		i++
	}
	b.ReportMetric(float64(tStock.Microseconds())/1e3/float64(i), "stock-ms/op")
	b.ReportMetric(float64(tFast.Microseconds())/1e3/float64(i), "blas-ms/op")
	b.ReportMetric(float64(tStock)/float64(tFast), "speedup")
	b.ReportMetric(worst, "max-rel-diff")
	b.ReportMetric(float64(served)/float64(i+1), "sgemm-products/op")
	b.ReportMetric(float64(handed)/float64(i+1), "handed-back/op")
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
