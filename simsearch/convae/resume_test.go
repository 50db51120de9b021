package convae

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/checkpoint"
)

// A damaged newest checkpoint is set aside (never deleted) and training resumes from the
// one before; the encoder falls back to it too, says so, and its checksum differs from
// the newest's, so an index built from the newest refuses it.
func TestResumeSkipsADamagedCheckpoint(t *testing.T) {
	be := goBackend(t)
	dir := t.TempDir()
	trainSet, valSet := blobs(64, 1), blobs(16, 2)
	o := TrainOptions{Epochs: 2, Batch: 32, LR: 3e-3}
	if _, err := Train(context.Background(), be, dir, tinyConfig(t), trainSet, valSet, o); err != nil {
		t.Fatal(err)
	}
	good, err := LoadEncoder(be, dir)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := checkpoint.List(filepath.Join(dir, CheckpointDir))
	if len(names) < 2 {
		t.Fatalf("checkpoints %v, want at least 2", names)
	}
	newest := filepath.Join(dir, CheckpointDir, names[len(names)-1])
	if err := os.Truncate(newest+".bin", 10); err != nil {
		t.Fatal(err)
	}
	enc, err := LoadEncoder(be, dir)
	if err != nil {
		t.Fatalf("encoder with a damaged newest checkpoint: %v", err)
	}
	if enc.Fallback == "" || enc.Info().Checksum == good.Info().Checksum {
		t.Errorf("fallback %q, checksum %s (newest was %s)", enc.Fallback, enc.Info().Checksum, good.Info().Checksum)
	}
	o.Epochs, o.Resume = 3, true
	meta, err := Train(context.Background(), be, dir, tinyConfig(t), trainSet, valSet, o)
	if err != nil {
		t.Fatalf("resume past a damaged checkpoint: %v", err)
	}
	if len(meta.DamagedCheckpoints) != 1 || !strings.HasSuffix(newest, meta.DamagedCheckpoints[0]) {
		t.Errorf("damaged checkpoints recorded: %v", meta.DamagedCheckpoints)
	}
	if _, err := os.Stat(newest + ".bin" + checkpoint.DamagedSuffix); err != nil {
		t.Errorf("the damaged checkpoint was not kept aside: %v", err)
	}
	hist, err := ReadHistory(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(hist); i++ {
		if hist[i].Step <= hist[i-1].Step {
			t.Fatalf("history repeats steps after resuming: %d then %d", hist[i-1].Step, hist[i].Step)
		}
	}
	if meta.Step != 6 || len(hist) != 6 {
		t.Errorf("step %d, %d history rows; want 6 and 6", meta.Step, len(hist))
	}
}
