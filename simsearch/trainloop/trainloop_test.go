package trainloop_test

import (
	"context"
	"errors"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/convae"
)

// Interrupted (Ctrl-C) part way through an epoch, a run saves a checkpoint; resumed, it
// finishes the schedule with exactly the steps an uninterrupted run takes, and the
// history lists each step once.
func TestInterruptAndResume(t *testing.T) {
	be, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := convae.Parity().Channels(4, 4, 4, 4).Input(16, 16, 1).Done()
	set := convae.Images{Pixels: make([]byte, 64*16*16), N: 64, H: 16, W: 16, C: 1}
	for i := range set.Pixels {
		set.Pixels[i] = byte(i * 7)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	o := convae.TrainOptions{Epochs: 3, Batch: 16, Progress: func(p convae.Progress) {
		if steps++; steps == 6 {
			cancel() // in the middle of epoch 2
		}
	}}
	meta, err := convae.Train(ctx, be, dir, cfg, set, convae.Images{}, o)
	if !errors.Is(err, context.Canceled) || meta == nil || !meta.Interrupted || meta.Step != 6 {
		t.Fatalf("interrupted run: %+v, %v", meta, err)
	}
	o.Resume, o.Progress = true, nil
	meta, err = convae.Train(context.Background(), be, dir, cfg, set, convae.Images{}, o)
	if err != nil || meta.Step != 12 || meta.Interrupted || meta.EpochsDone != 3 {
		t.Fatalf("resumed run: %+v, %v", meta, err)
	}
	hist, err := convae.ReadHistory(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 12 {
		t.Fatalf("%d history rows, want 12", len(hist))
	}
	for i, r := range hist {
		if r.Step != int64(i+1) || r.Epoch != i/4+1 {
			t.Errorf("row %d: step %d epoch %d", i, r.Step, r.Epoch)
		}
	}
}
