package textae

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom
	gctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/corpushunt/corpushunt/simsearch/backend"
)

func TestNoise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ids := []int32{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	kept := 0
	for i := 0; i < 1000; i++ {
		d := WordDrop(ids, 0.3, r)
		kept += len(d)
		// order preserved, a subsequence
		j := 0
		for _, x := range d {
			for j < len(ids) && ids[j] != x {
				j++
			}
			if j == len(ids) {
				t.Fatalf("WordDrop reordered: %v", d)
			}
		}
	}
	if frac := float64(kept) / 10000; frac < 0.65 || frac > 0.75 {
		t.Errorf("WordDrop(0.3) kept %.3f of words, want ~0.7", frac)
	}
	if d := WordDrop([]int32{5}, 0.999, r); len(d) != 1 {
		t.Errorf("WordDrop emptied a sentence: %v", d)
	}
	b := Blank(ids, 1, r)
	for _, x := range b {
		if x != BlankID {
			t.Fatalf("Blank(1) = %v", b)
		}
	}
	sub := Substitute(ids, 1, 100, r)
	for _, x := range sub {
		if x <= BlankID || x >= 100 {
			t.Fatalf("Substitute produced special or out-of-vocabulary id: %v", sub)
		}
	}
	sh := Shuffle(ids, 3, r)
	for i, x := range sh {
		if d := int(x-10) - i; d > 3 || d < -3 {
			t.Fatalf("Shuffle(3) moved a word %d places: %v", d, sh)
		}
	}
	sorted := append([]int32(nil), sh...)
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && sorted[j] < sorted[j-1]; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	if !reflect.DeepEqual(sorted, ids) {
		t.Errorf("Shuffle lost words: %v", sh)
	}
}

func TestConfigNoise(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ids := []int32{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	none, _ := CPU().WordDrop(0).Shuffle(0).Done()
	if got := none.Noise(ids, r); !reflect.DeepEqual(got, ids) {
		t.Errorf("no noise configured, got %v", got)
	}
	ae, _ := CPU().Kind("ae").Blank(0.9).Done()
	if got := ae.Noise(ids, r); !reflect.DeepEqual(got, ids) {
		t.Errorf("kind ae is not denoising, got %v", got)
	}
	blank, _ := CPU().WordDrop(0).Shuffle(0).Blank(0.5).Done()
	blanks := 0
	for i := 0; i < 200; i++ {
		got := blank.Noise(ids, r)
		if len(got) != len(ids) {
			t.Fatalf("blank noise changed the length: %v", got)
		}
		for j, x := range got {
			if x == BlankID {
				blanks++
			} else if x != ids[j] {
				t.Fatalf("blank noise moved a word: %v", got)
			}
		}
	}
	if f := float64(blanks) / 2000; f < 0.45 || f > 0.55 {
		t.Errorf("Blank(0.5) blanked %.3f of words", f)
	}
	all, _ := CPU().WordDrop(0.5).Shuffle(3).Substitute(0.2).Done()
	changed := 0
	for i := 0; i < 200; i++ {
		got := all.Noise(ids, r)
		if len(got) > len(ids) || len(got) == 0 {
			t.Fatalf("noise gave %d words from %d", len(got), len(ids))
		}
		if len(got) < len(ids) {
			changed++
		}
	}
	if changed < 190 {
		t.Errorf("word drop 0.5 shortened only %d of 200 sentences", changed)
	}
	for _, b := range []*Builder{CPU().Blank(1), CPU().Substitute(-0.1), CPU().Shuffle(-1), CPU().WordDrop(1)} {
		if _, err := b.Done(); err == nil {
			t.Errorf("Done accepted %+v", b.c)
		}
	}
}

func TestBatchLayout(t *testing.T) {
	c, _ := CPU().MaxLen(4).Kind("ae").Done()
	in := c.batchTensors(Sentences{{7, 8, 9}}, []int{0}, rand.New(rand.NewPCG(1, 1)), false)
	get := func(i int) any { return in[i].Value() }
	if got := get(0).([][]int32)[0]; !reflect.DeepEqual(got, []int32{7, 8, 9, 0, 0}) {
		t.Errorf("encoder input %v", got)
	}
	if got := get(1).([][]int32)[0]; !reflect.DeepEqual(got, []int32{9, 8, 7, 0, 0}) {
		t.Errorf("reversed encoder input %v", got)
	}
	if got := get(3).([][]int32)[0]; !reflect.DeepEqual(got, []int32{GoID, 7, 8, 9, 0}) {
		t.Errorf("decoder input %v", got)
	}
	if got := get(4).([][]int32)[0]; !reflect.DeepEqual(got, []int32{7, 8, 9, EOSID, 0}) {
		t.Errorf("decoder target %v", got)
	}
	if got := get(5).([][]float32)[0]; !reflect.DeepEqual(got, []float32{1, 1, 1, 1, 0}) {
		t.Errorf("mask %v", got)
	}
}

// TestTrainShortRunLossFallsAndEncodes: a tiny autoencoder on a toy corpus learns (loss
// falls, next words predicted), reloads, and encodes with the documented shapes; the DAAE
// variant (word dropout, adversarial prior) trains and encodes too.
func TestTrainShortRunLossFallsAndEncodes(t *testing.T) {
	for _, kind := range []string{"ae", "daae", "vae"} {
		t.Run(kind, func(t *testing.T) { trainToy(t, kind, 0) })
	}
	// The sampled softmax (8 of the toy's 25 ids per step) learns too; the validation
	// accuracy is over the full vocabulary.
	t.Run("ae-sampled", func(t *testing.T) { trainToy(t, "ae", 8) })
}

func trainToy(t *testing.T, kind string, sampled int) {
	be, err := backend.New("go:parallelism=-1")
	if err != nil {
		t.Fatal(err)
	}
	words := [][]string{
		{"the", "food", "was", "cold"}, {"the", "staff", "was", "rude"}, {"great", "food", "and", "friendly", "staff"},
		{"the", "place", "was", "clean"}, {"i", "loved", "the", "pizza"}, {"we", "waited", "an", "hour"},
	}
	var corpus [][]string
	for i := 0; i < 64; i++ {
		corpus = append(corpus, words[i%len(words)])
	}
	v := BuildVocab(corpus, 50)
	c, _ := CPU().Kind(kind).Vocab(v.Len()-5).Sizes(16, 16, 8).MaxLen(6).SampledSoftmax(sampled).Dropout(0).Done()
	s, _ := Prepare(corpus, v, c.MaxLen)
	var losses []float64
	dir := t.TempDir()
	meta, err := Train(context.Background(), be, dir, c, v, s, s[:12], TrainOptions{Epochs: 40, Batch: 16, LR: 3e-3,
		Progress: func(_ int64, _, _ int, l float64) { losses = append(losses, l) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 160 {
		t.Fatalf("%d steps, want 160", len(losses))
	}
	mean := func(v []float64) float64 {
		var s float64
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	first, last := mean(losses[:16]), mean(losses[len(losses)-16:])
	t.Logf("%s: loss %.3f → %.3f, validation NLL %.3f, token accuracy %.2f", kind, first, last, meta.ValNLL, meta.ValTokenAcc)
	if kind == "ae" {
		if !(last < 0.5*first) || meta.ValTokenAcc < 0.6 {
			t.Errorf("plain AE did not learn the toy corpus: loss %.3f → %.3f, token accuracy %.2f", first, last, meta.ValTokenAcc)
		}
	} else if !(last < first) || math.IsNaN(last) || meta.ValTokenAcc < 0.6 {
		// The DAAE total is dominated by the adversarial terms (λ=10): judge it by the
		// reconstruction (token accuracy) as well.
		t.Errorf("%s did not learn: loss %.3f → %.3f, token accuracy %.2f", kind, first, last, meta.ValTokenAcc)
	}
	enc, err := LoadEncoder(be, dir)
	if err != nil {
		t.Fatal(err)
	}
	vecs, err := enc.EncodeTokens(context.Background(), [][]string{{"the", "food", "was", "cold"}, {"zzz", "unknown"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != 2*8 || enc.Dim() != 8 {
		t.Errorf("codes: %d values, dim %d", len(vecs), enc.Dim())
	}
	if _, err := enc.EncodeTokens(context.Background(), [][]string{{}}); err == nil {
		t.Error("empty sentence encoded")
	}
}

func TestInterruptAndResume(t *testing.T) {
	be, err := backend.New("go:parallelism=-1")
	if err != nil {
		t.Fatal(err)
	}
	corpus := [][]string{{"a", "b", "c"}, {"b", "c"}, {"c", "d", "e", "f"}, {"d", "a"}}
	for len(corpus) < 32 {
		corpus = append(corpus, corpus[len(corpus)%4])
	}
	v := BuildVocab(corpus, 10)
	c, _ := CPU().Kind("ae").Vocab(v.Len()-5).Sizes(8, 8, 4).MaxLen(5).Done()
	s, _ := Prepare(corpus, v, c.MaxLen)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	meta, err := Train(ctx, be, dir, c, v, s, nil, TrainOptions{Epochs: 2, Batch: 8,
		Progress: func(step int64, _, _ int, _ float64) {
			if step == 3 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) || meta == nil || meta.Step != 3 || !meta.Interrupted {
		t.Fatalf("interrupted run: %v %+v", err, meta)
	}
	if _, err := Train(context.Background(), be, dir, c, v, s, nil, TrainOptions{Epochs: 2, Batch: 8}); !errors.Is(err, ErrExists) {
		t.Errorf("without resume: %v", err)
	}
	var steps []int64
	meta, err = Train(context.Background(), be, dir, Config{}, v, s, nil, TrainOptions{Epochs: 2, Resume: true,
		Progress: func(step int64, _, _ int, _ float64) { steps = append(steps, step) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 5 || steps[0] != 4 || meta.Step != 8 || meta.Interrupted {
		t.Errorf("resume ran steps %v, ended at %d", steps, meta.Step)
	}
}

func TestCandidates(t *testing.T) {
	c, _ := CPU().Kind("ae").Vocab(40).MaxLen(6).SampledSoftmax(12).Done()
	s := Sentences{{7, 8, 9}, {9, 10, 11, 12, 7}, {30, 31}}
	in := c.batchTensors(s, []int{0, 1, 2}, rand.New(rand.NewPCG(1, 1)), true)
	if len(in) != 8 {
		t.Fatalf("training batch has %d tensors, want 8 (with the sampled-softmax candidates)", len(in))
	}
	cand := in[6].Value().([]int32)
	pos := in[7].Value().([][]int32)
	target := in[4].Value().([][]int32)
	mask := in[5].Value().([][]float32)
	if len(cand) != 12 {
		t.Errorf("%d candidates, want 12", len(cand))
	}
	seen := map[int32]bool{}
	for _, id := range cand {
		if seen[id] || id < 0 || int(id) >= c.VocabSize() || id == PadID {
			t.Fatalf("bad candidate list %v", cand)
		}
		seen[id] = true
	}
	for i := range target {
		for j := range target[i] {
			if mask[i][j] == 1 && cand[pos[i][j]] != target[i][j] {
				t.Errorf("target %d at (%d,%d) points to candidate %d", target[i][j], i, j, cand[pos[i][j]])
			}
		}
	}
	// More distinct targets than the set: it grows in steps of a quarter.
	c.Sampled = 4
	if cand, _ := c.candidates(in[4].Value().([][]int32)[1], mask[1], rand.New(rand.NewPCG(1, 1))); len(cand) != 6 {
		t.Errorf("6 distinct targets with a set of 4: %d candidates, want 6 (4 + 2 steps of 1)", len(cand))
	}
	// A set as large as the vocabulary is the full softmax.
	c.Sampled = c.VocabSize()
	if in := c.batchTensors(s, []int{0}, rand.New(rand.NewPCG(1, 1)), true); len(in) != 6 {
		t.Errorf("full-vocabulary candidate set: %d tensors, want 6", len(in))
	}
	// Evaluation never samples.
	c.Sampled = 12
	if in := c.batchTensors(s, []int{0}, rand.New(rand.NewPCG(1, 1)), false); len(in) != 6 {
		t.Errorf("evaluation batch: %d tensors, want 6", len(in))
	}
}

// TestShapes checks the encoder and decoder shapes (the bidirectional LSTM read at each
// sentence's end, the decoder's logits) and that the sampled-softmax logits are the full
// logits' columns of the candidate words.
func TestShapes(t *testing.T) {
	be, err := backend.New("go:parallelism=-1")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := CPU().Kind("ae").Vocab(20).Sizes(6, 5, 3).MaxLen(5).Done()
	c.Dropout = 0
	s := Sentences{{7, 8, 9}, {9, 10, 11, 12, 13}}
	in := c.batchTensors(s, []int{0, 1}, rand.New(rand.NewPCG(1, 1)), false)
	cand := []int32{9, 2, 24, 7}
	mctx := gctx.New().Checked(false)
	exec, err := gctx.NewExecAny(be, mctx, func(ctx *gctx.Context, in []*Node) []*Node {
		mu := Encode(ctx, c, in[0], in[1], in[2])
		full := decode(ctx, c, mu, in[3], nil)
		sampled := decode(ctx, c, mu, in[3], in[4])
		return []*Node{mu, full, sampled}
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Exec(in[0], in[1], in[2], in[3], cand)
	if err != nil {
		t.Fatal(err)
	}
	L := c.padLen(6)
	for i, want := range [][]int{{2, c.Latent}, {2, L, c.VocabSize()}, {2, L, len(cand)}} {
		if got := out[i].Shape().Dimensions; !reflect.DeepEqual(got, want) {
			t.Errorf("output %d: shape %v, want %v", i, got, want)
		}
	}
	full := out[1].Value().([][][]float32)
	sampled := out[2].Value().([][][]float32)
	for b := range full {
		for p := range full[b] {
			for k, id := range cand {
				if d := full[b][p][id] - sampled[b][p][k]; d > 1e-5 || d < -1e-5 {
					t.Fatalf("sampled logit (%d,%d,%d) %v ≠ full logit of word %d %v", b, p, k, sampled[b][p][k], id, full[b][p][id])
				}
			}
		}
	}
}
