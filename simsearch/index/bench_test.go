package index

import (
	"fmt"
	"sync"
	"testing"
)

// Benchmarks at the reference size: 50,000 vectors × 512 dimensions, drawn around
// 200 overlapping Gaussian centres (centre spread equal to the noise), so IVF has real
// structure to exploit but no trivially separable clusters.
const benchN, benchD = 50000, 512

var (
	benchOnce sync.Once
	benchVecs []float32
	benchQ    []float32
)

func benchData() ([]float32, []float32) {
	benchOnce.Do(func() {
		all := clusteredWith(benchN+1000, benchD, 200, 1, 1, 11)
		benchVecs, benchQ = all[:benchN*benchD], all[benchN*benchD:]
	})
	return benchVecs, benchQ
}

func BenchmarkAdd(b *testing.B) {
	v, _ := benchData()
	items := itemsFor(benchN)
	for _, factory := range []string{"Flat", "IVF1024,Flat"} {
		b.Run(factory, func(b *testing.B) {
			for b.Loop() {
				ix, err := New(Config{Dim: benchD, Factory: factory})
				if err != nil {
					b.Fatal(err)
				}
				ix.Reserve(benchN)
				if err := ix.Train(ctx, trainingSample(v, benchD, 256*ix.NList(), 1)); err != nil {
					b.Fatal(err)
				}
				if err := ix.Add(ctx, v, items, nil); err != nil {
					b.Fatal(err)
				}
				ix.Close()
			}
			b.ReportMetric(float64(benchN*b.N)/b.Elapsed().Seconds(), "vectors/s")
		})
	}
}

// BenchmarkSearch compares exact Flat search with IVF1024 at the smallest nprobe reaching
// recall@10 ≥ 0.95, one query per call (interactive use) and 1,000 queries per call.
func BenchmarkSearch(b *testing.B) {
	v, q := benchData()
	flat, err := Build(ctx, Config{Dim: benchD, Factory: "Flat"}, v, itemsFor(benchN), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer flat.Close()
	ivf, err := Build(ctx, Config{Dim: benchD, Factory: "IVF1024,Flat"}, v, itemsFor(benchN), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ivf.Close()
	res, err := ivf.Tune(ctx, TuneOptions{K: 10, TargetRecall: 0.95, Queries: 500})
	if err != nil {
		b.Fatal(err)
	}
	// Recall on 1,000 held-out queries (not in the index), against exact search.
	exact, _ := flat.Search(ctx, q, 10, SearchOptions{})
	approx, _ := ivf.Search(ctx, q, 10, SearchOptions{})
	recall := Recall(hitIDs(approx), hitIDs(exact), 10)
	tuned := res.Points[len(res.Points)-1].Recall
	for _, c := range []struct {
		name string
		ix   *Index
	}{{"Flat", flat}, {fmt.Sprintf("IVF1024-nprobe%d", res.Chosen), ivf}} {
		b.Run(c.name+"/single", func(b *testing.B) {
			i := 0
			for b.Loop() {
				row := i % 1000
				if _, err := c.ix.Search(ctx, q[row*benchD:(row+1)*benchD], 10, SearchOptions{}); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
			if c.ix == ivf {
				b.ReportMetric(tuned, "recall@10-tune")
				b.ReportMetric(recall, "recall@10-heldout")
			}
		})
		b.Run(c.name+"/batch1000", func(b *testing.B) {
			for b.Loop() {
				if _, err := c.ix.Search(ctx, q, 10, SearchOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "queries/s")
			if c.ix == ivf {
				b.ReportMetric(tuned, "recall@10-tune")
				b.ReportMetric(recall, "recall@10-heldout")
			}
		})
	}
}
