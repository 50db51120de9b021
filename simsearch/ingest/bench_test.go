package ingest_test

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/bow"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/corpus/images"
	"github.com/corpushunt/corpushunt/simsearch/corpus/text"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
	"github.com/corpushunt/corpushunt/simsearch/pixels"
)

// benchN reads a size from the environment (the BENCHMARKS.md runs set the full sizes).
func benchN(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// maxRSSMB is the process's peak resident memory so far.
func maxRSSMB() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}

var pngOnce sync.Map

// pngFolder writes n 32×32 RGB PNGs (noise, 10 subfolders) once per size and process.
func pngFolder(b *testing.B, n int) string {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("corpushunt-bench-png-%d", n))
	if _, done := pngOnce.Load(n); done {
		return dir
	}
	if _, err := os.Stat(filepath.Join(dir, "complete")); err != nil {
		r := rand.New(rand.NewPCG(1, 1))
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		for i := range n {
			img := image.NewRGBA(image.Rect(0, 0, 32, 32))
			for p := range img.Pix {
				img.Pix[p] = uint8(r.IntN(256))
			}
			sub := filepath.Join(dir, fmt.Sprintf("c%d", i%10))
			os.MkdirAll(sub, 0o755)
			f, err := os.Create(filepath.Join(sub, fmt.Sprintf("%06d.png", i)))
			if err != nil {
				b.Fatal(err)
			}
			enc.Encode(f, img)
			f.Close()
		}
		os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644)
	}
	pngOnce.Store(n, true)
	return dir
}

// BenchmarkImageFolderPixels: a folder of small PNGs into a Flat pixels index, end to end
// (walk, parallel decode, resize, encode, add). CORPUSHUNT_BENCH_IMAGES sets the folder
// size (default 20,000; BENCHMARKS.md uses 100,000).
func BenchmarkImageFolderPixels(b *testing.B) {
	n := benchN("CORPUSHUNT_BENCH_IMAGES", 20000)
	dir := pngFolder(b, n)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		c, err := images.Open(corpus.Spec{Source: "images", Root: dir})
		if err != nil {
			b.Fatal(err)
		}
		p, _ := pixels.New(32, 32, 3, 1)
		ix, err := ingest.Build(ctx, c, ingest.Images(p, images.Crop), ingest.Options{Factory: "Flat"})
		if err != nil {
			b.Fatal(err)
		}
		if ix.Len() != n {
			b.Fatalf("indexed %d of %d", ix.Len(), n)
		}
		ix.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(maxRSSMB(), "maxRSS-MB")
	b.ReportMetric(float64(n)*32*32*3*4*2/1e6, "index-MB")
}

// BenchmarkTextFileBOW: a text file (one item per line) into a Flat bag-of-words index:
// fit the vocabulary (one pass), encode and add (a second pass). CORPUSHUNT_BENCH_LINES
// sets the line count (default 200,000; BENCHMARKS.md uses 1,000,000).
func BenchmarkTextFileBOW(b *testing.B) {
	n := benchN("CORPUSHUNT_BENCH_LINES", 200000)
	p := filepath.Join(b.TempDir(), "lines.txt")
	f, _ := os.Create(p)
	w := bufio.NewWriter(f)
	r := rand.New(rand.NewPCG(2, 2))
	words := make([]string, 5000)
	for i := range words {
		words[i] = fmt.Sprintf("w%d", i)
	}
	for range n {
		for j := range 8 + r.IntN(8) {
			if j > 0 {
				w.WriteByte(' ')
			}
			w.WriteString(words[int(float64(len(words))*r.Float64()*r.Float64())])
		}
		w.WriteByte('\n')
	}
	w.Flush()
	f.Close()
	ctx := context.Background()
	tok := ingest.Tokenizer{Name: "words"}
	b.ResetTimer()
	for range b.N {
		c, err := text.Open(corpus.Spec{Source: "text", Root: p})
		if err != nil {
			b.Fatal(err)
		}
		fit, _ := bow.NewFitter(256, 1)
		err = c.Batches(ctx, 4096, func(batch []corpus.Record) error {
			for _, r := range batch {
				fit.Add(tok.Tokens(r.Text))
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		e, _ := fit.Done()
		ix, err := ingest.Build(ctx, c, ingest.Texts(e, tok), ingest.Options{Factory: "Flat", BatchSize: 4096})
		if err != nil {
			b.Fatal(err)
		}
		ix.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(maxRSSMB(), "maxRSS-MB")
}
