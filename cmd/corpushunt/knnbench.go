package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/exact"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

func init() {
	register("knnbench", "measure k-NN search: FAISS CPU (Flat, tuned IVF) against exact search on a GoMLX backend (e.g. GPU)", cmdKNNBench)
}

// knnData draws n×d vectors around 200 overlapping Gaussian centres (the same recipe as the
// index benchmarks) plus nq held-out queries.
func knnData(n, d, nq int, seed uint64) (base, q []float32) {
	r := rand.New(rand.NewPCG(seed, 7))
	const centres = 200
	cs := make([]float32, centres*d)
	for i := range cs {
		cs[i] = float32(r.NormFloat64())
	}
	all := make([]float32, (n+nq)*d)
	for i := 0; i < n+nq; i++ {
		c := r.IntN(centres)
		for j := 0; j < d; j++ {
			all[i*d+j] = cs[c*d+j] + float32(r.NormFloat64())
		}
	}
	return all[:n*d], all[n*d:]
}

func cmdKNNBench(ctx context.Context, args []string) error {
	fs := newFlags("knnbench", "knnbench [--n 50000,1000000] [--dim 512] [--queries 1000] [--backend xla:cuda]")
	sizes := fs.String("n", "50000", "base sizes, comma-separated")
	dim := fs.Int("dim", 512, "dimension")
	nq := fs.Int("queries", 1000, "queries (held out, same distribution)")
	k := fs.Int("k", 10, "neighbours")
	be := fs.String("backend", "", "GoMLX backend for exact search (default $GOMLX_BACKEND, else pure Go)")
	skipIVF := fs.Bool("skip-ivf", false, "skip the FAISS IVF measurement")
	if err := parse(fs, args); err != nil {
		return err
	}
	bk, err := backend.New(*be)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "n\tmethod\tbuild s\tqueries/s\trecall@%d\t\n", *k)
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < *k {
			return fmt.Errorf("--n %q", *sizes)
		}
		base, q := knnData(n, *dim, *nq, 1)
		items := make([]index.Item, n)

		t0 := time.Now()
		flat, err := index.Build(ctx, index.Config{Dim: *dim, Factory: "Flat"}, base, items, nil)
		if err != nil {
			return err
		}
		build := time.Since(t0)
		flat.Search(ctx, q[:*dim], *k, index.SearchOptions{}) // warm-up
		t0 = time.Now()
		truth, err := flat.Search(ctx, q, *k, index.SearchOptions{})
		if err != nil {
			return err
		}
		qps := float64(*nq) / time.Since(t0).Seconds()
		flat.Close()
		fmt.Fprintf(tw, "%d\tFAISS CPU Flat\t%.2f\t%.0f\t1.000\t\n", n, build.Seconds(), qps)
		truthIDs := make([][]int64, len(truth))
		for i, hs := range truth {
			for _, h := range hs {
				truthIDs[i] = append(truthIDs[i], h.ID)
			}
		}

		if !*skipIVF {
			t0 = time.Now()
			ivf, err := index.Build(ctx, index.Config{Dim: *dim, Factory: index.DefaultFactory(n)}, base, items, nil)
			if err != nil {
				return err
			}
			res, err := ivf.Tune(ctx, index.TuneOptions{K: *k, Queries: 500})
			if err != nil {
				return err
			}
			build = time.Since(t0)
			ivf.Search(ctx, q[:*dim], *k, index.SearchOptions{}) // warm-up
			t0 = time.Now()
			hits, err := ivf.Search(ctx, q, *k, index.SearchOptions{})
			if err != nil {
				return err
			}
			qps = float64(*nq) / time.Since(t0).Seconds()
			fmt.Fprintf(tw, "%d\tFAISS CPU %s nprobe %d\t%.2f\t%.0f\t%.3f\t\n", n, ivf.Factory(), res.Chosen, build.Seconds(), qps, index.Recall(ids(hits), truthIDs, *k))
			ivf.Close()
		}

		t0 = time.Now()
		ex, err := exact.New(bk, base, *dim)
		if err != nil {
			return err
		}
		if _, _, err := ex.Search(ctx, q, *k); err != nil { // upload + compile
			return err
		}
		build = time.Since(t0)
		t0 = time.Now()
		got, _, err := ex.Search(ctx, q, *k)
		if err != nil {
			return err
		}
		qps = float64(*nq) / time.Since(t0).Seconds()
		gotIDs := make([][]int64, *nq)
		for i := range gotIDs {
			gotIDs[i] = got[i**k : (i+1)**k]
		}
		fmt.Fprintf(tw, "%d\texact on %s\t%.2f\t%.0f\t%.3f\t\n", n, bk.Name(), build.Seconds(), qps, index.Recall(gotIDs, truthIDs, *k))
		tw.Flush()
	}
	return tw.Flush()
}

func ids(hits [][]index.Hit) [][]int64 {
	out := make([][]int64, len(hits))
	for i, hs := range hits {
		for _, h := range hs {
			out[i] = append(out[i], h.ID)
		}
	}
	return out
}
