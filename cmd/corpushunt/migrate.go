package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/corpushunt/corpushunt/simsearch/index"
	_ "github.com/corpushunt/corpushunt/simsearch/store/weaviate" // weaviate:// stores
	"github.com/corpushunt/corpushunt/simsearch/tags"
)

func init() {
	register("migrate", "move an index (vectors, items, assets, tags) between an index directory and a vector store such as Weaviate", cmdMigrate)
}

func cmdMigrate(ctx context.Context, args []string) error {
	fs := newFlags("migrate", "migrate --from DIR|URL --to DIR|URL [--check 200]")
	from := fs.String("from", "", "index directory or store address to read (required)")
	to := fs.String("to", "", "index directory (new or empty) or store address (a new collection) to write (required)")
	check := fs.Int("check", 200, "rows queried in both afterwards to report the top-10 overlap (0: none)")
	batch := fs.Int("batch", 10000, "rows moved per write")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "from", "to"); err != nil {
		return err
	}
	if *check < 0 || *batch < 1 {
		return fmt.Errorf("--check %d, --batch %d: want check ≥ 0 and batch ≥ 1", *check, *batch)
	}
	src, err := openIndex(ctx, *from, false)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer src.Close()
	n := src.Len()
	if n == 0 {
		return fmt.Errorf("--from %s: %w", *from, index.ErrEmpty)
	}
	cfg := index.Config{Dim: src.Dim(), Metric: src.Metric(), Encoder: src.Encoder(), Corpus: src.Corpus(), Factory: "Flat"}
	if fx, ok := src.(*index.Index); ok {
		cfg.Factory = fx.Factory()
	} else if !index.IsStoreURL(*to) {
		cfg.Factory = index.DefaultFactory(n)
	}
	dst, err := index.OpenStore(ctx, *to, true, cfg)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer dst.Close()
	t0 := time.Now()
	all := make([]float32, 0, n*src.Dim())
	update, finish := newBar(n, "read", "row")
	if err := src.EachVector(func(id int64, v []float32) error {
		all = append(all, v...)
		if id%4096 == 0 {
			update(int(id), n)
		}
		return ctx.Err()
	}); err != nil {
		finish()
		return fmt.Errorf("read %s: %w", *from, err)
	}
	update(n, n)
	finish()
	items := src.Items()
	if tr, ok := dst.(interface {
		NList() int
		Train(context.Context, []float32) error
	}); ok && tr.NList() > 0 {
		sample := all
		if max := 256 * tr.NList(); n > max {
			sample = make([]float32, 0, max*src.Dim())
			for _, i := range rand.New(rand.NewPCG(1, 2)).Perm(n)[:max] {
				sample = append(sample, all[i*src.Dim():(i+1)*src.Dim()]...)
			}
		}
		if err := tr.Train(ctx, sample); err != nil {
			return err
		}
	}
	update, finish = newBar(n, "write", "row")
	d := src.Dim()
	for start := 0; start < n; start += *batch {
		end := min(start+*batch, n)
		if err := dst.Add(ctx, all[start*d:end*d], items[start:end], nil); err != nil {
			finish()
			return fmt.Errorf("write %s: %w", *to, err)
		}
		update(end, n)
	}
	finish()
	if an, ok := src.(interface{ AssetNames() []string }); ok {
		for _, name := range an.AssetNames() {
			b, err := src.Asset(name)
			if err != nil {
				return err
			}
			if err := dst.SetAsset(name, b); err != nil {
				return err
			}
		}
	}
	if err := dst.Flush(ctx); err != nil {
		return err
	}
	marks := 0
	if sl, err := tags.Open(*from); err == nil {
		if ms := sl.Marks(); len(ms) > 0 {
			dl, err := tags.Open(*to)
			if err != nil {
				return fmt.Errorf("tags of %s: %w", *to, err)
			}
			if len(dl.Marks()) > 0 {
				return fmt.Errorf("tags of %s: it already holds tags; not merging", *to)
			}
			if err := dl.Append(ms...); err != nil {
				return err
			}
			marks = len(ms)
		}
	} else {
		return fmt.Errorf("tags of %s: %w", *from, err)
	}
	fmt.Printf("moved %d rows (%d-d %s, encoder %s) and %d tag marks from %s to %s in %.1fs\n",
		dst.Len(), d, dst.Metric(), dst.Encoder().Name, marks, *from, *to, time.Since(t0).Seconds())
	if *check > 0 {
		ov, err := TopOverlap(ctx, src, dst, *check, 10)
		if err != nil {
			return err
		}
		fmt.Printf("top-10 overlap of %d queries by stored rows: %.3f\n", min(*check, n), ov)
	}
	return nil
}

// TopOverlap queries both stores by the vectors of up to q random rows of a and returns
// the mean fraction of b's top k that a's top k holds, ties counted: a hit of b scored
// as well as a's k-th (to 1e-5, relative) counts, since among equally distant items
// (duplicates) either store may return any.
func TopOverlap(ctx context.Context, a, b index.Store, q, k int) (float64, error) {
	n := a.Len()
	ids := rand.New(rand.NewPCG(7, 7)).Perm(n)[:min(q, n)]
	vecs := make([]float32, 0, len(ids)*a.Dim())
	for _, id := range ids {
		v, err := a.Vector(int64(id))
		if err != nil {
			return 0, err
		}
		vecs = append(vecs, v...)
	}
	ra, err := a.Search(ctx, vecs, k, index.SearchOptions{})
	if err != nil && !errors.Is(err, index.ErrKTooLarge) {
		return 0, err
	}
	rb, err := b.Search(ctx, vecs, k, index.SearchOptions{})
	if err != nil && !errors.Is(err, index.ErrKTooLarge) {
		return 0, err
	}
	higher := a.Metric().HigherIsCloser()
	var sum float64
	for i := range ra {
		if len(ra[i]) == 0 {
			continue
		}
		in := map[int64]bool{}
		for _, h := range ra[i] {
			in[h.ID] = true
		}
		kth := float64(ra[i][len(ra[i])-1].Distance)
		eps := 1e-5 * math.Max(1, math.Abs(kth))
		same := 0
		for _, h := range rb[i] {
			d := float64(h.Distance)
			if in[h.ID] || (higher && d >= kth-eps) || (!higher && d <= kth+eps) {
				same++
			}
		}
		sum += float64(same) / float64(len(ra[i]))
	}
	return sum / float64(len(ra)), nil
}
