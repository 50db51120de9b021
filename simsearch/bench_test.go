package simsearch_test

import (
	"context"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/corpushunt/corpushunt/simsearch"
	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/convae"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
)

// BenchmarkQueryImageFile is "search by this photo" on an autoencoder index of 50,000
// items (CORPUSHUNT_BENCH_ITEMS): decode a 640×480 JPEG, resize to 32×32, encode with
// the parity model, search a tuned IVF index of 512-d codes. The index holds random codes
// (encoding 50,000 images first would take minutes and does not change a query's cost);
// the model is trained for one step so its weights are real checkpoints. Reports the
// median and 90th-percentile latency.
func BenchmarkQueryImageFile(b *testing.B) {
	ctx := context.Background()
	n := 50000
	if v, err := strconv.Atoi(os.Getenv("CORPUSHUNT_BENCH_ITEMS")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	be, err := backend.New("")
	if err != nil {
		b.Fatal(err)
	}
	cfg, _ := convae.Parity().Done()
	set := convae.Images{Pixels: make([]byte, 32*32*3*32), N: 32}
	if _, err := convae.Train(ctx, be, filepath.Join(dir, "model"), cfg, set, convae.Images{}, convae.TrainOptions{Epochs: 1, Batch: 32}); err != nil {
		b.Fatal(err)
	}
	m, err := convae.LoadEncoder(be, filepath.Join(dir, "model"))
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 5))
	v := make([]float32, n*m.Dim())
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	items := make([]index.Item, n)
	for i := range items {
		items[i] = index.Item{Ref: strconv.Itoa(i)}
	}
	enc := ingest.Images(m, "crop")
	ix, err := index.Build(ctx, index.Config{Dim: m.Dim(), Metric: index.Cosine, Factory: index.DefaultFactory(n), Encoder: enc.Info()}, v, items, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	if ix.NList() > 0 {
		if _, err := ix.Tune(ctx, index.TuneOptions{Queries: 200}); err != nil {
			b.Fatal(err)
		}
	}
	photo := filepath.Join(dir, "photo.jpg")
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for p := range img.Pix {
		img.Pix[p] = uint8(r.IntN(256))
	}
	f, _ := os.Create(photo)
	jpeg.Encode(f, img, nil)
	f.Close()
	s := &simsearch.Index{Store: ix, Encoder: enc}
	s.SearchImageFile(ctx, photo, 10) // compile the encoder graph for batch 1
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if _, err := s.SearchImageFile(ctx, photo, 10); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
}
