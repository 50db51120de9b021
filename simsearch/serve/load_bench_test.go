package serve

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/corpushunt/corpushunt/simsearch"
)

// Environment variables of BenchmarkLoad.
const (
	EnvBenchClients = "CORPUSHUNT_BENCH_CLIENTS" // concurrent clients; default 8
	EnvBenchSeconds = "CORPUSHUNT_BENCH_SECONDS" // how long they query; default 5
	EnvBenchFactory = "CORPUSHUNT_BENCH_FACTORY" // the vector index's FAISS factory; default Build's (IVF≈4√n,Flat, tuned)
)

const (
	loadItems = 50_000
	loadDim   = 64
	loadK     = 10
)

// BenchmarkLoad serves a 50,000-item index of 64-d vectors and the small image index of
// the tests on loopback, and has N concurrent clients ($CORPUSHUNT_BENCH_CLIENTS, default
// 8) query it for a bounded time ($CORPUSHUNT_BENCH_SECONDS, default 5): 45% by item id,
// 45% by vector, 10% by an uploaded PNG on the image index, k=10 each. It reports
// queries/s and the p50 and p99 latencies, and fails if any request failed. The load
// runs once whatever b.N is: run it with -benchtime 1x, e.g.
//
//	go test -run '^$' -bench BenchmarkLoad -benchtime 1x ./simsearch/serve/
func BenchmarkLoad(b *testing.B) {
	clients := envInt(b, EnvBenchClients, 8)
	seconds := envInt(b, EnvBenchSeconds, 5)
	vecDir := loadIndex(b, os.Getenv(EnvBenchFactory))
	imgDir, _ := fixture(b)
	s, err := New(Config{Indexes: []IndexSpec{{Name: "vec", Dir: vecDir}, {Name: "img", Dir: imgDir}}})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(s) // 127.0.0.1 only
	defer func() { ts.Close(); s.Close() }()
	info := getJSON(b, ts.URL+"/api/v1/indexes/vec/index")
	b.Logf("serving %v items, %v, nprobe %v/%v; %d clients for %d s", info["items"], info["factory"], info["nprobe"], info["nlist"], clients, seconds)

	imgType, imgBody := form(b, map[string][]byte{"q.png": pngBytes(b, 32, 32, 120)}, map[string]string{"k": strconv.Itoa(loadK)})
	imgBytes := imgBody.Bytes()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()

	type kind int
	const (
		byID kind = iota
		byVector
		byImage
		kinds
	)
	names := [kinds]string{"item", "vector", "image"}
	type tally struct {
		lat  [kinds][]time.Duration
		errs []string
	}
	tallies := make([]tally, clients)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second)
	defer cancel()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			tl := &tallies[c]
			vec := make([]float32, loadDim)
			for ctx.Err() == nil && len(tl.errs) < 10 {
				var (
					kd        kind
					url, ct   = ts.URL + "/api/v1/indexes/vec/query", "application/json"
					body      []byte
					r         = rng.Float64()
					wantCount = loadK
				)
				switch {
				case r < 0.45:
					kd = byID
					body = fmt.Appendf(nil, `{"item": %d, "k": %d}`, rng.IntN(loadItems), loadK)
				case r < 0.90:
					kd = byVector
					for i := range vec {
						vec[i] = float32(rng.NormFloat64())
					}
					body, _ = json.Marshal(map[string]any{"vector": vec, "k": loadK})
				default:
					kd = byImage
					url, ct, body = ts.URL+"/api/v1/indexes/img/query", imgType, imgBytes
				}
				t0 := time.Now()
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
				req.Header.Set("Content-Type", ct)
				resp, err := client.Do(req)
				if err != nil {
					tl.errs = append(tl.errs, fmt.Sprintf("%s query: %v", names[kd], err))
					continue
				}
				var ans struct {
					Results []Result `json:"results"`
				}
				derr := json.NewDecoder(resp.Body).Decode(&ans)
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				switch {
				case resp.StatusCode != http.StatusOK:
					tl.errs = append(tl.errs, fmt.Sprintf("%s query: HTTP %d", names[kd], resp.StatusCode))
				case derr != nil:
					tl.errs = append(tl.errs, fmt.Sprintf("%s query: bad JSON: %v", names[kd], derr))
				case len(ans.Results) != wantCount:
					tl.errs = append(tl.errs, fmt.Sprintf("%s query: %d results, want %d", names[kd], len(ans.Results), wantCount))
				default:
					tl.lat[kd] = append(tl.lat[kd], d)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	var all []time.Duration
	var errs []string
	for k := range kinds {
		var lat []time.Duration
		for _, tl := range tallies {
			lat = append(lat, tl.lat[k]...)
		}
		slices.Sort(lat)
		b.Logf("%-6s queries: %6d  p50 %6.2f ms  p99 %6.2f ms", names[k], len(lat), ms(quantile(lat, 0.50)), ms(quantile(lat, 0.99)))
		all = append(all, lat...)
	}
	for _, tl := range tallies {
		errs = append(errs, tl.errs...)
	}
	if len(errs) > 0 {
		b.Fatalf("%d requests failed, e.g. %s", len(errs), errs[0])
	}
	if len(all) == 0 {
		b.Fatal("no query answered")
	}
	slices.Sort(all)
	b.ReportMetric(0, "ns/op") // meaningless here: the load runs for a set time
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "queries/s")
	b.ReportMetric(ms(quantile(all, 0.50)), "p50-ms")
	b.ReportMetric(ms(quantile(all, 0.99)), "p99-ms")
}

// loadIndex builds a 50,000-item index of 64-d vectors from a
// .fvecs file: a mixture of 256 Gaussian clusters, so that an IVF index has structure to
// find.
func loadIndex(b *testing.B, factory string) string {
	data := b.TempDir()
	rng := rand.New(rand.NewPCG(7, 7))
	centers := make([][]float32, 256)
	for i := range centers {
		centers[i] = make([]float32, loadDim)
		for j := range centers[i] {
			centers[i][j] = float32(rng.NormFloat64())
		}
	}
	var buf bytes.Buffer
	buf.Grow(loadItems * (4 + 4*loadDim))
	row := make([]byte, 4+4*loadDim)
	binary.LittleEndian.PutUint32(row, loadDim)
	for range loadItems {
		c := centers[rng.IntN(len(centers))]
		for j := range loadDim {
			binary.LittleEndian.PutUint32(row[4+4*j:], math.Float32bits(c[j]+0.3*float32(rng.NormFloat64())))
		}
		buf.Write(row)
	}
	path := filepath.Join(data, "emb.fvecs")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	c, err := simsearch.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "vec")
	t0 := time.Now()
	ix, err := simsearch.Build(context.Background(), c, dir, simsearch.BuildOptions{Factory: factory, Progress: func(int, int) {}})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s (%d items) in %v", ix.FAISS().Factory(), ix.Len(), time.Since(t0).Round(time.Millisecond))
	ix.Close()
	return dir
}

func getJSON(b *testing.B, url string) map[string]any {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
		b.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return m
}

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("$%s=%q: want a positive whole number", name, s)
	}
	return n
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
