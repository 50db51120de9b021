// Command weaviate measures the Weaviate store against the FAISS store on one machine:
// n × dim clustered vectors into a local 3-node cluster on loopback and into a FAISS
// IVF index; ingest rate, queries/s and latency (concurrent clients), recall@10
// against brute force, and memory (each node's resident set; the FAISS process's).
//
//	go run ./bench/weaviate [-n 1000000] [-dim 128] [-replicas 1] [-clients 8] [-queries 2000]
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/store/weaviate"
	"github.com/corpushunt/corpushunt/simsearch/store/weaviate/localcluster"
)

func main() {
	n := flag.Int("n", 1_000_000, "vectors")
	dim := flag.Int("dim", 128, "dimension")
	replicas := flag.Int("replicas", 1, "Weaviate replication factor")
	clients := flag.Int("clients", 8, "concurrent query clients")
	nq := flag.Int("queries", 2000, "queries timed per store")
	ef := flag.Int("ef", 128, "HNSW ef")
	skipFAISS := flag.Bool("skip-faiss", false, "measure Weaviate only")
	flag.Parse()
	if err := run(*n, *dim, *replicas, *clients, *nq, *ef, *skipFAISS); err != nil {
		fmt.Fprintln(os.Stderr, "weaviate bench:", err)
		os.Exit(1)
	}
}

// data makes n vectors around 1,000 centres (a corpus with structure, like embeddings).
func data(n, dim int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	const k = 1000
	c := make([]float32, k*dim)
	for i := range c {
		c[i] = float32(r.NormFloat64())
	}
	v := make([]float32, n*dim)
	for i := range n {
		ci := r.IntN(k)
		for j := range dim {
			v[i*dim+j] = c[ci*dim+j] + 0.35*float32(r.NormFloat64())
		}
	}
	return v
}

type result struct {
	name     string
	ingest   time.Duration
	qps      float64
	p50, p99 time.Duration
	recall   float64
	memory   string
}

func run(n, dim, replicas, clients, nq, ef int, skipFAISS bool) error {
	ctx := context.Background()
	fmt.Printf("%d × %d vectors, %d query clients, %d queries per store, GOMAXPROCS %d\n", n, dim, clients, nq, runtime.GOMAXPROCS(0))
	v := data(n, dim, 1)
	q := make([]float32, nq*dim) // queries: corpus rows with noise
	r := rand.New(rand.NewPCG(3, 3))
	for i := range nq {
		src := r.IntN(n)
		for j := range dim {
			q[i*dim+j] = v[src*dim+j] + 0.2*float32(r.NormFloat64())
		}
	}
	items := make([]index.Item, n)
	for i := range items {
		items[i] = index.Item{Ref: "row" + strconv.Itoa(i)}
	}
	// Exact neighbours of the first 200 queries, by a FAISS Flat index.
	const nTruth = 200
	flat, err := index.Build(ctx, index.Config{Dim: dim, Metric: index.L2, Factory: "Flat"}, v, items, nil)
	if err != nil {
		return err
	}
	tr, err := flat.Search(ctx, q[:nTruth*dim], 10, index.SearchOptions{})
	flat.Close()
	if err != nil {
		return err
	}
	truth := make([][]int64, nTruth)
	for i, hs := range tr {
		for _, h := range hs {
			truth[i] = append(truth[i], h.ID)
		}
	}
	var results []result

	if !skipFAISS {
		t0 := time.Now()
		fx, err := index.Build(ctx, index.Config{Dim: dim, Metric: index.L2, Factory: index.DefaultFactory(n)}, v, items, nil)
		if err != nil {
			return err
		}
		ing := time.Since(t0)
		if _, err := fx.Tune(ctx, index.TuneOptions{}); err != nil {
			return err
		}
		res := measure(ctx, fx, q, dim, clients, truth)
		res.name, res.ingest = fmt.Sprintf("FAISS %s (nprobe %d, tuned)", fx.Factory(), fx.Nprobe()), ing
		res.memory = fmt.Sprintf("%.0f MB (this process)", rssMB(os.Getpid()))
		results = append(results, res)
		fx.Close()
		runtime.GC()
	}

	c, err := localcluster.Start(ctx, localcluster.Options{Nodes: 3})
	if err != nil {
		return err
	}
	defer c.Stop()
	o := weaviate.Options{Host: c.Addr(0), GRPC: c.GRPCAddr(0), Collection: "Bench", Shards: 3, Replicas: replicas, Ef: ef}
	s, err := weaviate.Create(ctx, o, index.Config{Dim: dim, Metric: index.L2})
	if err != nil {
		return err
	}
	defer s.Close()
	t0 := time.Now()
	last := time.Now()
	const chunk = 20000
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		if err := s.Add(ctx, v[start*dim:end*dim], items[start:end], nil); err != nil {
			return err
		}
		if time.Since(last) > 30*time.Second {
			fmt.Printf("  weaviate: %d rows in %s (%.0f rows/s)\n", end, time.Since(t0).Round(time.Second), float64(end)/time.Since(t0).Seconds())
			last = time.Now()
		}
	}
	ing := time.Since(t0)
	res := measure(ctx, s, q, dim, clients, truth)
	res.name, res.ingest = fmt.Sprintf("Weaviate, 3 nodes, 3 shards × %d replica(s), HNSW ef %d", replicas, ef), ing
	var mem []string
	for i := range 3 {
		mem = append(mem, fmt.Sprintf("%.0f", rssMB(c.PID(i))))
	}
	res.memory = "nodes " + strings.Join(mem, " / ") + " MB"
	results = append(results, res)

	fmt.Printf("\n| store | ingest | rows/s | queries/s (%d clients) | p50 | p99 | recall@10 | memory |\n|---|---|---|---|---|---|---|---|\n", clients)
	for _, r := range results {
		fmt.Printf("| %s | %s | %.0f | %.0f | %s | %s | %.3f | %s |\n", r.name, r.ingest.Round(time.Second), float64(n)/r.ingest.Seconds(),
			r.qps, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.recall, r.memory)
	}
	return nil
}

func measure(ctx context.Context, s index.Store, q []float32, dim, clients int, truth [][]int64) result {
	nq := len(q) / dim
	lat := make([]time.Duration, nq)
	var wg sync.WaitGroup
	next := make(chan int)
	t0 := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := time.Now()
				if _, err := s.Search(ctx, q[i*dim:(i+1)*dim], 10, index.SearchOptions{}); err != nil {
					fmt.Fprintln(os.Stderr, "query:", err)
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	for i := range nq {
		next <- i
	}
	close(next)
	wg.Wait()
	el := time.Since(t0)
	sorted := slices.Clone(lat)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
	found := 0
	res, _ := s.Search(ctx, q[:len(truth)*dim], 10, index.SearchOptions{})
	for i := range truth {
		for _, h := range res[i] {
			if slices.Contains(truth[i], h.ID) {
				found++
			}
		}
	}
	return result{qps: float64(nq) / el.Seconds(), p50: sorted[nq/2], p99: sorted[nq*99/100], recall: float64(found) / float64(10*len(truth))}
}

func rssMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
