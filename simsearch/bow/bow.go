// Package bow is the bag-of-words baseline text encoder: TF-IDF weights of a sentence's
// words, projected to a fixed dimension by a random Gaussian matrix (one seeded random
// vector per word) and L2-normalised. It needs no training beyond document frequencies,
// and it is the figure a learned text encoder must beat, as raw pixels are for images.
package bow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Name and Version identify the encoder in index manifests.
const (
	Name    = "bow"
	Version = "1"
)

// ErrEmptyText is returned for a sentence with no tokens.
var ErrEmptyText = errors.New("empty text: nothing to encode")

// Encoder holds document frequencies and the projection seed.
type Encoder struct {
	D    int            `json:"dim"`  // output dimension
	Seed uint64         `json:"seed"` // projection seed
	Docs int            `json:"docs"` // sentences seen when fitting
	DF   map[string]int `json:"df"`   // sentences containing each word

	cacheMu sync.RWMutex
	cache   map[string][]float64 // word vectors already drawn (the frequent words)
	noCache bool                 // for the benchmark's baseline
}

// CacheWords bounds how many word vectors an encoder keeps (each Dim float64s: 64 MB at
// the default 256 dimensions). Drawing a word's vector costs Dim Gaussian draws; the
// cache makes encoding several times faster, with identical results.
const CacheWords = 32768

// Fit counts document frequencies over tokenised sentences.
func Fit(sentences [][]string, dim int, seed uint64) (*Encoder, error) {
	f, err := NewFitter(dim, seed)
	if err != nil {
		return nil, err
	}
	for _, s := range sentences {
		f.Add(s)
	}
	return f.Done()
}

// Fitter counts document frequencies one text at a time, so a corpus can be streamed.
type Fitter struct{ e *Encoder }

// NewFitter starts fitting an encoder of the given dimension.
func NewFitter(dim int, seed uint64) (*Fitter, error) {
	if dim < 1 || dim > MaxDim {
		return nil, fmt.Errorf("bow: dimension %d outside 1..%d", dim, MaxDim)
	}
	return &Fitter{&Encoder{D: dim, Seed: seed, DF: map[string]int{}}}, nil
}

// Add counts one text's distinct tokens.
func (f *Fitter) Add(tokens []string) {
	seen := make(map[string]bool, len(tokens))
	for _, w := range tokens {
		if !seen[w] {
			seen[w] = true
			f.e.DF[w]++
		}
	}
	f.e.Docs++
}

// Done returns the fitted encoder.
func (f *Fitter) Done() (*Encoder, error) {
	if f.e.Docs == 0 {
		return nil, fmt.Errorf("bow: no texts to fit")
	}
	return f.e, nil
}

// Known reports whether a token occurred in the corpus the encoder was fitted on. A
// query made only of unknown tokens has no meaningful neighbours.
func (e *Encoder) Known(token string) bool { return e.DF[token] > 0 }

// Dim is the vector length.
func (e *Encoder) Dim() int { return e.D }

// Info describes the encoder for index manifests; Model is the file Save wrote, if any.
func (e *Encoder) Info() index.EncoderInfo {
	return index.EncoderInfo{Name: Name, Version: Version, Params: map[string]string{"dim": strconv.Itoa(e.D), "seed": strconv.FormatUint(e.Seed, 10)}}
}

func (e *Encoder) idf(w string) float64 {
	return math.Log(float64(1+e.Docs) / float64(1+e.DF[w]))
}

// wordVector returns the word's fixed random direction (seeded by the word and the
// encoder seed), from the cache when it holds it; dst is scratch space.
func (e *Encoder) wordVector(w string, dst []float64) []float64 {
	if e.noCache {
		drawWord(e.Seed, w, dst)
		return dst
	}
	e.cacheMu.RLock()
	v, ok := e.cache[w]
	e.cacheMu.RUnlock()
	if ok {
		return v
	}
	drawWord(e.Seed, w, dst)
	e.cacheMu.Lock()
	if e.cache == nil {
		e.cache = map[string][]float64{}
	}
	if len(e.cache) < CacheWords {
		e.cache[w] = slices.Clone(dst)
	}
	e.cacheMu.Unlock()
	return dst
}

func drawWord(seed uint64, w string, dst []float64) {
	h := fnv.New64a()
	h.Write([]byte(w))
	r := rand.New(rand.NewPCG(seed, h.Sum64()))
	for i := range dst {
		dst[i] = r.NormFloat64()
	}
}

// EncodeTokens maps tokenised sentences to n·Dim floats, on all cores.
func (e *Encoder) EncodeTokens(ctx context.Context, sentences [][]string) ([]float32, error) {
	out := make([]float32, len(sentences)*e.D)
	workers := min(runtime.GOMAXPROCS(0), max(1, len(sentences)/64))
	var wg sync.WaitGroup
	errs := make([]error, workers)
	chunk := (len(sentences) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(sentences))
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = e.encode(sentences[lo:hi], lo, out[lo*e.D:hi*e.D])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// encode fills out (len(sentences)·Dim) for sentences numbered from first.
func (e *Encoder) encode(sentences [][]string, first int, out []float32) error {
	acc := make([]float64, e.D)
	scratch := make([]float64, e.D)
	tf := map[string]int{}
	for i, s := range sentences {
		if len(s) == 0 {
			return fmt.Errorf("bow: sentence %d: %w", first+i, ErrEmptyText)
		}
		clear(tf)
		for _, w := range s {
			tf[w]++
		}
		// A fixed word order: float sums then do not depend on map iteration.
		ws := make([]string, 0, len(tf))
		for w := range tf {
			ws = append(ws, w)
		}
		slices.Sort(ws)
		clear(acc)
		for _, w := range ws {
			weight := float64(tf[w]) * e.idf(w)
			wv := e.wordVector(w, scratch)
			for j := range acc {
				acc[j] += weight * wv[j]
			}
		}
		var norm float64
		for _, x := range acc {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		if norm == 0 {
			norm = 1
		}
		o := out[i*e.D : (i+1)*e.D]
		for j, x := range acc {
			o[j] = float32(x / norm)
		}
	}
	return nil
}

// Save writes the encoder as JSON, atomically.
func (e *Encoder) Save(path string) error {
	b, err := e.Marshal()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".bow-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// AssetName is the name under which an index keeps its fitted bag-of-words encoder
// (index.Index.SetAsset): the vocabulary travels, checksummed, with each generation.
const AssetName = "bow.json"

// Marshal returns the encoder as JSON, as Save writes it and Parse reads it.
func (e *Encoder) Marshal() ([]byte, error) { return json.Marshal(e) }

// Load reads an encoder written by Save.
func Load(path string) (*Encoder, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bow: %w", err)
	}
	e, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("bow: %s: %w", path, err)
	}
	return e, nil
}

// MaxDim bounds the dimension a saved encoder may declare.
const MaxDim = 1 << 16

// Parse reads an encoder from JSON, checking every field.
func Parse(b []byte) (*Encoder, error) {
	var e Encoder
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	if e.D < 1 || e.D > MaxDim {
		return nil, fmt.Errorf("dimension %d outside 1..%d", e.D, MaxDim)
	}
	// idf computes 1+Docs in int: a count near MaxInt would wrap and make every vector NaN.
	if e.Docs < 1 || e.Docs > 1<<53 {
		return nil, fmt.Errorf("%d documents, want 1..2^53", e.Docs)
	}
	for w, n := range e.DF {
		if n < 1 || n > e.Docs {
			return nil, fmt.Errorf("word %q: document frequency %d outside 1..%d", w, n, e.Docs)
		}
	}
	return &e, nil
}
