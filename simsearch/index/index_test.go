package index

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
)

var ctx = context.Background()

// clustered returns n×d vectors drawn around `centers` random centres.
func clustered(n, d, centers int, seed uint64) []float32 {
	return clusteredWith(n, d, centers, 3, 1, seed)
}

// clusteredWith draws centres with standard deviation centreSD and points around them
// with noiseSD.
func clusteredWith(n, d, centers int, centreSD, noiseSD float64, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	cs := make([]float32, centers*d)
	for i := range cs {
		cs[i] = float32(r.NormFloat64() * centreSD)
	}
	v := make([]float32, n*d)
	for i := 0; i < n; i++ {
		c := r.IntN(centers)
		for j := 0; j < d; j++ {
			v[i*d+j] = cs[c*d+j] + float32(r.NormFloat64()*noiseSD)
		}
	}
	return v
}

func itemsFor(n int) []Item {
	items := make([]Item, n)
	for i := range items {
		items[i] = Item{Ref: "row" + itoa(i), Label: "c" + itoa(i%10)}
	}
	return items
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// bruteForce ranks all rows for each query in plain Go: the reference for recall tests.
func bruteForce(v, q []float32, d, k int, m Metric) [][]int64 {
	if m == Cosine {
		v, q = normalized(v, d), normalized(q, d)
	}
	n, nq := len(v)/d, len(q)/d
	out := make([][]int64, nq)
	for i := 0; i < nq; i++ {
		type sc struct {
			id int64
			s  float64
		}
		scores := make([]sc, n)
		for j := 0; j < n; j++ {
			var s float64
			for t := 0; t < d; t++ {
				a, b := float64(q[i*d+t]), float64(v[j*d+t])
				if m == L2 {
					s += (a - b) * (a - b)
				} else {
					s -= a * b // negate: smaller is closer for sorting
				}
			}
			scores[j] = sc{int64(j), s}
		}
		sort.Slice(scores, func(a, b int) bool { return scores[a].s < scores[b].s })
		for j := 0; j < k; j++ {
			out[i] = append(out[i], scores[j].id)
		}
	}
	return out
}

func TestFlatFindsItselfAndMatchesBruteForce(t *testing.T) {
	const n, d, k = 2000, 16, 10
	v := clustered(n, d, 20, 1)
	for _, m := range []Metric{L2, IP, Cosine} {
		t.Run(string(m), func(t *testing.T) {
			ix, err := Build(ctx, Config{Dim: d, Metric: m, Factory: "Flat"}, v, itemsFor(n), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			q := v[:100*d]
			hits, err := ix.Search(ctx, q, k, SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if r := Recall(hitIDs(hits), bruteForce(v, q, d, k, m), k); r < 0.99 {
				t.Errorf("exact search recall %.3f vs brute force, want ≥ 0.99", r)
			}
			if m != IP { // with raw inner product a longer vector can outrank the query itself
				for i, hs := range hits {
					if hs[0].ID != int64(i) {
						t.Fatalf("query %d: first hit %d, want itself", i, hs[0].ID)
					}
				}
			}
		})
	}
}

func TestIVFFindsOwnIDAndReachesRecall(t *testing.T) {
	const n, d, k = 20000, 32, 10
	v := clustered(n, d, 64, 2)
	factory := DefaultFactory(n)
	if factory != "IVF512,Flat" {
		t.Fatalf("DefaultFactory(%d) = %q, want IVF512,Flat (4·√n ≈ 566 → 512)", n, factory)
	}
	ix, err := Build(ctx, Config{Dim: d, Factory: "IVF128,Flat"}, v, itemsFor(n), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	// Each vector finds its own id first (its own list is always probed).
	q := v[:500*d]
	hits, err := ix.Search(ctx, q, 1, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, hs := range hits {
		if len(hs) == 0 || hs[0].ID != int64(i) {
			t.Fatalf("query %d: hits %v, want own id first", i, hs)
		}
	}
	res, err := ix.Tune(ctx, TuneOptions{K: k, TargetRecall: 0.95, Queries: 300})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Reached || res.Chosen < 1 || ix.Nprobe() != res.Chosen {
		t.Fatalf("tune: %+v, nprobe %d", res, ix.Nprobe())
	}
	for i := 1; i < len(res.Points); i++ {
		if res.Points[i].Nprobe <= res.Points[i-1].Nprobe {
			t.Errorf("nprobe not increasing: %+v", res.Points)
		}
	}
	// Independent check of the chosen setting against Go brute force on fresh queries.
	fresh := clustered(200, d, 64, 2)[:200*d]
	hits, err = ix.Search(ctx, fresh, k, SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := Recall(hitIDs(hits), bruteForce(v, fresh, d, k, L2), k); r < 0.90 {
		t.Errorf("recall@%d at tuned nprobe=%d is %.3f against brute force, want ≥ 0.90", k, res.Chosen, r)
	}
	// nprobe 1 on the same queries is measurably worse than the full scan.
	low, _ := ix.Search(ctx, fresh, k, SearchOptions{Nprobe: 1})
	all, _ := ix.Search(ctx, fresh, k, SearchOptions{Nprobe: 128})
	bf := bruteForce(v, fresh, d, k, L2)
	if rl, ra := Recall(hitIDs(low), bf, k), Recall(hitIDs(all), bf, k); !(ra > 0.99 && rl < ra) {
		t.Errorf("recall nprobe=1 %.3f, nprobe=nlist %.3f", rl, ra)
	}
}

func TestErrors(t *testing.T) {
	const d = 8
	v := clustered(300, d, 4, 3)
	ix, err := Build(ctx, Config{Dim: d}, v, itemsFor(300), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if _, err := ix.Search(ctx, make([]float32, d+1), 3, SearchOptions{}); !errors.Is(err, ErrDimension) {
		t.Errorf("dimension: %v", err)
	}
	if _, err := ix.Search(ctx, v[:d], 0, SearchOptions{}); !errors.Is(err, ErrBadK) {
		t.Errorf("k=0: %v", err)
	}
	hits, err := ix.Search(ctx, v[:d], 1000, SearchOptions{})
	if !errors.Is(err, ErrKTooLarge) || len(hits[0]) != 300 {
		t.Errorf("k>n: err %v, %d hits", err, len(hits[0]))
	}
	bad := append([]float32(nil), v[:2*d]...)
	bad[d+3] = float32(math.NaN())
	var ve *VectorError
	if _, err := ix.Search(ctx, bad, 1, SearchOptions{}); !errors.As(err, &ve) || ve.Row != 1 || ve.Col != 3 {
		t.Errorf("NaN: %v", err)
	}
	bad[d+3] = float32(math.Inf(1))
	if err := ix.Add(ctx, bad, itemsFor(2), nil); !errors.Is(err, ErrBadVector) {
		t.Errorf("Inf add: %v", err)
	}
	if _, err := ix.Search(ctx, nil, 1, SearchOptions{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	if err := ix.Add(ctx, v[:d], itemsFor(2), nil); err == nil {
		t.Error("items/vectors count mismatch accepted")
	}
	if _, err := New(Config{Dim: d, Factory: "NoSuchIndex42"}); !errors.Is(err, ErrFactory) {
		t.Errorf("factory: %v", err)
	}
	if _, err := ParseMetric("hamming"); !errors.Is(err, ErrMetric) {
		t.Errorf("metric: %v", err)
	}
	ivf, err := New(Config{Dim: d, Factory: "IVF16,Flat"})
	if err != nil {
		t.Fatal(err)
	}
	defer ivf.Close()
	if err := ivf.Add(ctx, v[:d], itemsFor(1), nil); !errors.Is(err, ErrNotTrained) {
		t.Errorf("untrained add: %v", err)
	}
	if err := ivf.Train(ctx, v[:8*d]); err == nil {
		t.Error("training IVF16 on 8 vectors accepted")
	}
	if _, err := ix.SearchByID(ctx, 5000, 3, true, SearchOptions{}); !errors.Is(err, ErrNoItem) {
		t.Errorf("bad id: %v", err)
	}
}

func TestSearchByID(t *testing.T) {
	const d = 8
	v := clustered(500, d, 5, 4)
	ix, _ := Build(ctx, Config{Dim: d}, v, itemsFor(500), nil)
	defer ix.Close()
	with, err := ix.SearchByID(ctx, 42, 5, false, SearchOptions{})
	if err != nil || with[0].ID != 42 || len(with) != 5 {
		t.Fatalf("with self: %v %v", with, err)
	}
	without, err := ix.SearchByID(ctx, 42, 5, true, SearchOptions{})
	if err != nil || len(without) != 5 {
		t.Fatalf("without self: %v %v", without, err)
	}
	for i, h := range without {
		if h.ID == 42 || h.Rank != i+1 || (i < 4 && h.ID != with[i+1].ID) {
			t.Errorf("without self #%d: %+v (with: %+v)", i, h, with)
		}
	}
	// All but self: exactly the index size minus one, no warning.
	rest, err := ix.SearchByID(ctx, 0, 499, true, SearchOptions{})
	if err != nil || len(rest) != 499 {
		t.Errorf("k=n-1 without self: %d hits, err %v", len(rest), err)
	}
}

func TestSaveOpenRoundTripAndIncremental(t *testing.T) {
	const n, d = 3000, 16
	v := clustered(n, d, 16, 5)
	dir := filepath.Join(t.TempDir(), "idx")
	ix, err := Build(ctx, Config{Dim: d, Metric: Cosine, Factory: "IVF32,Flat", Encoder: EncoderInfo{Name: "test", Version: "1"}}, v[:2000*d], itemsFor(2000), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Tune(ctx, TuneOptions{Queries: 200}); err != nil {
		t.Fatal(err)
	}
	q := v[2500*d : 2510*d]
	before, _ := ix.Search(ctx, q, 5, SearchOptions{})
	if err := ix.Save(ctx, dir); err != nil {
		t.Fatal(err)
	}
	nprobe := ix.Nprobe()
	ix.Close()

	re, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if re.Len() != 2000 || re.Metric() != Cosine || re.Nprobe() != nprobe || re.Encoder().Name != "test" || len(re.Tuning()) == 0 {
		t.Fatalf("reopened: len %d metric %s nprobe %d/%d enc %+v", re.Len(), re.Metric(), re.Nprobe(), nprobe, re.Encoder())
	}
	after, _ := re.Search(ctx, q, 5, SearchOptions{})
	for i := range before {
		for j := range before[i] {
			if before[i][j].ID != after[i][j].ID || before[i][j].Item.Ref != after[i][j].Item.Ref || before[i][j].Item.Label != after[i][j].Item.Label {
				t.Fatalf("query %d rank %d: %+v before save, %+v after", i, j, before[i][j], after[i][j])
			}
		}
	}
	vec, _ := re.Vector(7)
	if want := normalized(v[7*d:8*d], d); math.Abs(float64(vec[3]-want[3])) > 1e-6 {
		t.Errorf("stored vector %v, want %v", vec[:4], want[:4])
	}
	// Incremental add to the reopened index, then save and reopen again.
	if err := re.Add(ctx, v[2000*d:], itemsFor(1000), nil); err != nil {
		t.Fatal(err)
	}
	if err := re.Save(ctx, dir); err != nil {
		t.Fatal(err)
	}
	re.Close()
	re2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer re2.Close()
	if re2.Len() != 3000 {
		t.Fatalf("after incremental add: %d", re2.Len())
	}
	hits, err := re2.SearchByID(ctx, 2999, 1, false, SearchOptions{Nprobe: 32})
	if err != nil || hits[0].ID != 2999 {
		t.Errorf("added row not found: %v %v", hits, err)
	}
	var names []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := []string{LockName, "index-1.faiss", "index-2.faiss", "items-1.jsonl", "items-2.jsonl", ManifestName, "vectors-1.f32", "vectors-2.f32"}
	if !slices.Equal(names, want) {
		t.Errorf("dir holds %v, want %v: the manifest, its generation and the previous one (kept for readers), and the lock", names, want)
	}
}

func TestCorruptAndInterrupted(t *testing.T) {
	const d = 8
	v := clustered(400, d, 4, 6)
	mk := func(t *testing.T) (string, *Manifest) {
		dir := t.TempDir()
		ix, _ := Build(ctx, Config{Dim: d}, v, itemsFor(400), nil)
		if err := ix.Save(ctx, dir); err != nil {
			t.Fatal(err)
		}
		ix.Close()
		m, err := ReadManifest(dir)
		if err != nil {
			t.Fatal(err)
		}
		return dir, m
	}
	t.Run("flipped byte", func(t *testing.T) {
		dir, m := mk(t)
		p := filepath.Join(dir, m.Files["index"].Name)
		b, _ := os.ReadFile(p)
		b[len(b)/2] ^= 0xff
		os.WriteFile(p, b, 0o644)
		if _, err := Open(dir); !errors.Is(err, ErrCorrupt) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("truncated vectors", func(t *testing.T) {
		dir, m := mk(t)
		p := filepath.Join(dir, m.Files["vectors"].Name)
		os.Truncate(p, 100)
		if _, err := Open(dir); !errors.Is(err, ErrCorrupt) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("missing items", func(t *testing.T) {
		dir, m := mk(t)
		os.Remove(filepath.Join(dir, m.Files["items"].Name))
		if _, err := Open(dir); !errors.Is(err, ErrCorrupt) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("newer format", func(t *testing.T) {
		dir, m := mk(t)
		m.FormatVersion = FormatVersion + 1
		b, _ := json.Marshal(m)
		os.WriteFile(filepath.Join(dir, ManifestName), b, 0o644)
		if _, err := Open(dir); !errors.Is(err, ErrNewerFormat) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("interrupted save keeps the old index", func(t *testing.T) {
		dir, _ := mk(t)
		ix, _ := Open(dir)
		ix.Add(ctx, v[:d], itemsFor(1), nil)
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := ix.Save(cancelled, dir); !errors.Is(err, context.Canceled) {
			t.Fatalf("save with cancelled ctx: %v", err)
		}
		ix.Close()
		// A crash mid-write leaves a partial next-generation file behind, named in the
		// journal; a user's file of a similar name sits beside it.
		os.WriteFile(filepath.Join(dir, "index-2.faiss"), []byte("partial"), 0o644)
		os.WriteFile(filepath.Join(dir, journalName), []byte("index-2.faiss\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "index-2.faiss.tmp"), []byte("mine"), 0o644)
		re, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if re.Len() != 400 {
			t.Errorf("after interrupted save: %d rows, want the old 400", re.Len())
		}
		if err := re.Save(ctx, dir); err != nil {
			t.Fatal(err)
		}
		re.Close()
		if b, err := os.ReadFile(filepath.Join(dir, "index-2.faiss")); err == nil && string(b) == "partial" {
			t.Error("partial file of the interrupted save not cleaned by the next save")
		}
		if b, err := os.ReadFile(filepath.Join(dir, "index-2.faiss.tmp")); err != nil || string(b) != "mine" {
			t.Errorf("a file no save created was touched: %q, %v", b, err)
		}
	})
}

func TestConcurrentQueriesAndAdds(t *testing.T) {
	const d = 16
	v := clustered(4000, d, 8, 8)
	ix, err := Build(ctx, Config{Dim: d, Factory: "IVF16,Flat"}, v[:3000*d], itemsFor(3000), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				row := (g*50 + i) % 3000
				hits, err := ix.Search(ctx, v[row*d:(row+1)*d], 3, SearchOptions{Nprobe: 1 + (i%2)*15})
				if err != nil {
					errs <- err
					return
				}
				if hits[0][0].ID != int64(row) {
					errs <- errors.New("own row not first")
					return
				}
			}
		}(g)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for b := 0; b < 10; b++ {
			lo := 3000 + b*100
			if err := ix.Add(ctx, v[lo*d:(lo+100)*d], itemsFor(100), nil); err != nil {
				errs <- err
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ix.Len() != 4000 {
		t.Errorf("len %d after concurrent adds", ix.Len())
	}
}
