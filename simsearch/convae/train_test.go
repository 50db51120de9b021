package convae

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// blobs makes n images of a coloured square on a grey background of random brightness:
// enough structure for a tiny autoencoder to learn quickly.
func blobs(n int, seed uint64) Images {
	const ImageBytes, Width = 32 * 32 * 3, 32
	r := rand.New(rand.NewPCG(seed, 1))
	im := Images{Pixels: make([]byte, n*ImageBytes), N: n}
	for i := 0; i < n; i++ {
		bg := byte(80 + r.IntN(120))
		for p := i * ImageBytes; p < (i+1)*ImageBytes; p++ {
			im.Pixels[p] = bg
		}
		x0, y0, s := r.IntN(20), r.IntN(20), 6+r.IntN(6)
		c := [3]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}
		for y := y0; y < y0+s; y++ {
			for x := x0; x < x0+s; x++ {
				o := i*ImageBytes + (y*Width+x)*3
				copy(im.Pixels[o:o+3], c[:])
			}
		}
	}
	return im
}

func tinyConfig(t *testing.T) Config {
	cfg, err := Parity().Channels(4, 8, 8, 8).Done()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestTrainLossFallsAndCheckpointReloads(t *testing.T) {
	be := goBackend(t)
	dir := t.TempDir()
	trainSet, valSet := blobs(256, 1), blobs(64, 2)
	var losses []float64
	meta, err := Train(context.Background(), be, dir, tinyConfig(t), trainSet, valSet, TrainOptions{
		Epochs: 4, Batch: 32, LR: 3e-3,
		Progress: func(p Progress) { losses = append(losses, p.Loss) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 32 || meta.Step != 32 || meta.EpochsDone != 4 {
		t.Fatalf("%d progress calls, step %d, epochs %v", len(losses), meta.Step, meta.EpochsDone)
	}
	first, last := mean(losses[:4]), mean(losses[len(losses)-4:])
	if !(last < 0.7*first) {
		t.Errorf("loss did not fall: first steps %.4f, last steps %.4f", first, last)
	}
	hist, err := ReadHistory(dir)
	if err != nil || len(hist) != 32 || hist[7].ValLoss == nil || hist[6].ValLoss != nil {
		t.Fatalf("history: %d rows, err %v", len(hist), err)
	}

	// Reloading the checkpoint reproduces the trained model: the validation loss computed
	// in training equals the loss of the reloaded model's reconstructions, and two loads
	// encode identically.
	enc, err := LoadEncoder(be, dir)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, valSet.N)
	for i := range idx {
		idx[i] = i
	}
	x := valSet.Float32(idx, nil)
	rec, err := enc.Reconstruct(context.Background(), x, valSet.N)
	if err != nil {
		t.Fatal(err)
	}
	var mse float64
	for i := range x {
		d := float64(rec[i] - x[i])
		mse += d * d
	}
	mse /= float64(len(x))
	// float32 sums over 196,608 values in the graph: agree to 0.2%; a different checkpoint
	// would be off by far more.
	if math.Abs(mse-meta.LastValLoss) > 2e-3*meta.LastValLoss {
		t.Errorf("reloaded model's validation MSE %.7f, training reported %.7f", mse, meta.LastValLoss)
	}
	a, err := enc.EncodeImages(context.Background(), x, valSet.N)
	if err != nil {
		t.Fatal(err)
	}
	enc2, _ := LoadEncoder(be, dir)
	b, _ := enc2.EncodeImages(context.Background(), x, valSet.N)
	if len(a) != valSet.N*enc.Dim() || enc.Dim() != 32 {
		t.Fatalf("codes: %d values, dim %d", len(a), enc.Dim())
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("code %d differs between loads: %v vs %v", i, a[i], b[i])
		}
	}
	// Training again into the same directory without Resume is refused.
	if _, err := Train(context.Background(), be, dir, tinyConfig(t), trainSet, valSet, TrainOptions{}); !errors.Is(err, ErrExists) {
		t.Errorf("retrain without resume: %v", err)
	}
}

func TestInterruptLeavesUsableCheckpointAndResume(t *testing.T) {
	be := goBackend(t)
	dir := t.TempDir()
	trainSet := blobs(128, 3)
	ctx, cancel := context.WithCancel(context.Background())
	meta, err := Train(ctx, be, dir, tinyConfig(t), trainSet, Images{}, TrainOptions{
		Epochs: 3, Batch: 32,
		Progress: func(p Progress) {
			if p.Step == 6 { // mid-way through epoch 2: like Ctrl-C
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) || meta == nil || meta.Step != 6 || !meta.Interrupted {
		t.Fatalf("interrupted run: err %v, meta %+v", err, meta)
	}
	if _, err := LoadEncoder(be, dir); err != nil {
		t.Fatalf("checkpoint after interrupt not loadable: %v", err)
	}
	var steps []int64
	meta, err = Train(context.Background(), be, dir, Config{}, trainSet, Images{}, TrainOptions{
		Epochs: 3, Resume: true, Progress: func(p Progress) { steps = append(steps, p.Step) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 6 || steps[0] != 7 || meta.Step != 12 || meta.Interrupted {
		t.Errorf("resume ran steps %v, ended at %d (interrupted %v)", steps, meta.Step, meta.Interrupted)
	}
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
