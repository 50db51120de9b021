package convae

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/corpushunt/corpushunt/simsearch/trainloop"
)

// Images holds n images as HWC bytes (H×W×C each), the compact form training shuffles.
type Images struct {
	Pixels  []byte
	N       int
	H, W, C int // image size; 0 means 32×32×3
}

// Shape is the size of one image.
func (im Images) Shape() (h, w, c int) {
	if im.H == 0 {
		return 32, 32, 3
	}
	return im.H, im.W, im.C
}

func (im Images) size() int { h, w, c := im.Shape(); return h * w * c }

// Float32 converts images idx into a [len(idx), H, W, C] float32 batch in [0,1].
func (im Images) Float32(idx []int, dst []float32) []float32 {
	dst = dst[:0]
	n := im.size()
	for _, i := range idx {
		for _, p := range im.Pixels[i*n : (i+1)*n] {
			dst = append(dst, float32(p)/255)
		}
	}
	return dst
}

// DefaultBatch is the batch size for n training images: 128 (the tutorial's), or fewer
// for small corpora so that an epoch has at least 32 steps (down to 16).
func DefaultBatch(n int) int { return min(128, max(16, n/32)) }

// TrainOptions control Train. Zero values take the documented defaults.
type TrainOptions struct {
	Epochs int     // total epochs (with Resume, including those already done); default 5
	Batch  int     // images per step; default 128 (the tutorial's)
	LR     float64 // Adam learning rate; default 1e-3 (the tutorial used 1e-4 for 100 epochs)
	Seed   uint64  // shuffling and initialisation; default 1
	Resume bool    // continue the run in the model directory
	// Progress, if set, is called after every step.
	Progress func(Progress)
}

// Progress reports one training step.
type Progress struct {
	Step         int64   // global step
	Epoch        int     // 1-based
	Done, Total  int     // images processed in this run / to process in this run
	Loss         float64 // this step's training loss
	ValLoss      float64 // validation loss, on the last step of an epoch (else 0)
	ImagesPerSec float64 // over this run so far
}

// HistoryRow is one line of history.jsonl: per step, with the validation loss at epoch
// ends.
type HistoryRow = trainloop.Row

// Meta is model.json: everything needed to rebuild the encoder, plus how it was trained.
type Meta struct {
	FormatVersion int       `json:"format_version"`
	Kind          string    `json:"kind"` // "convae"
	Config        Config    `json:"config"`
	Created       time.Time `json:"created"`
	Updated       time.Time `json:"updated"`
	Backend       string    `json:"backend"`
	TrainImages   int       `json:"train_images"`
	ValImages     int       `json:"val_images"`
	Batch         int       `json:"batch"`
	LR            float64   `json:"lr"`
	Step          int64     `json:"step"`
	EpochsDone    float64   `json:"epochs_done"`
	TrainSeconds  float64   `json:"train_seconds"`
	LastValLoss   float64   `json:"last_val_loss"`
	// EpochImagesPerSec is the training speed over the last complete epoch (steady state:
	// graph compilation happens in the first steps).
	EpochImagesPerSec float64 `json:"epoch_images_per_sec,omitempty"`
	Interrupted       bool    `json:"interrupted,omitempty"`
	// DamagedCheckpoints are checkpoints that failed to load when training resumed, set
	// aside (renamed *.damaged) so training went on from the newest good one.
	DamagedCheckpoints []string `json:"damaged_checkpoints,omitempty"`
}

// MetaFile, HistoryFile and CheckpointDir name the parts of a model directory.
const (
	MetaFile      = "model.json"
	HistoryFile   = "history.jsonl"
	CheckpointDir = "checkpoints"
	formatVersion = 1
)

// ErrExists is returned when training into a model directory that already holds a model
// without Resume.
var ErrExists = errors.New("model directory already holds a model")

// ReadMeta reads a model directory's model.json.
func ReadMeta(dir string) (*Meta, error) {
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("model %s: %s: %w", dir, MetaFile, err)
	}
	if m.FormatVersion > formatVersion {
		return nil, fmt.Errorf("model %s: format %d is newer than this build reads (%d)", dir, m.FormatVersion, formatVersion)
	}
	if m.Kind != "convae" {
		return nil, fmt.Errorf("model %s: kind %q is not a convae model", dir, m.Kind)
	}
	return &m, nil
}

func writeMeta(dir string, m *Meta) error {
	m.Updated = time.Now().UTC()
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, MetaFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, MetaFile))
}

// Train trains (or, with Resume, continues training) a model in dir on trainSet,
// reporting the validation loss on valSet after every epoch. A checkpoint is written after
// every epoch and when ctx is cancelled (Ctrl-C), so an interrupted run leaves a usable
// model that Resume continues.
func Train(ctx context.Context, be backends.Backend, dir string, cfg Config, trainSet, valSet Images, o TrainOptions) (*Meta, error) {
	if o.Epochs <= 0 {
		o.Epochs = 5
	}
	if o.Batch <= 0 {
		o.Batch = 128
	}
	if o.LR <= 0 {
		o.LR = 1e-3
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if trainSet.N < o.Batch {
		return nil, fmt.Errorf("train: %d training images, fewer than one batch of %d", trainSet.N, o.Batch)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	meta, err := ReadMeta(dir)
	switch {
	case err == nil && !o.Resume:
		return nil, fmt.Errorf("%w: %s (use --resume to continue it, or another --out)", ErrExists, dir)
	case err == nil:
		cfg = meta.Config
		o.Batch, o.LR = meta.Batch, meta.LR
	case o.Resume:
		return nil, fmt.Errorf("resume: %w", err)
	default:
		meta = &Meta{FormatVersion: formatVersion, Kind: "convae", Config: cfg, Created: time.Now().UTC(),
			Batch: o.Batch, LR: o.LR}
	}
	ih, iw, ic := cfg.InputShape()
	for name, set := range map[string]Images{"training": trainSet, "validation": valSet} {
		if h, w, c := set.Shape(); set.N > 0 && (h != ih || w != iw || c != ic) {
			return nil, fmt.Errorf("train: %s images are %d×%d×%d, the model takes %d×%d×%d", name, h, w, c, ih, iw, ic)
		}
		if len(set.Pixels) != set.N*set.size() {
			return nil, fmt.Errorf("train: %s set holds %d bytes for %d images of %d values", name, len(set.Pixels), set.N, set.size())
		}
	}
	meta.Backend = be.Name()
	meta.TrainImages, meta.ValImages = trainSet.N, valSet.N
	if meta.Step == 0 {
		// model.json first: a run killed before its first checkpoint can be resumed.
		if err := writeMeta(dir, meta); err != nil {
			return nil, err
		}
	}

	mctx := gctx.New()
	if err := mctx.SetRNGStateFromSeed(int64(o.Seed)); err != nil {
		return nil, err
	}
	lastSeconds := 0.0
	sess, err := trainloop.Open(mctx, dir, 3)
	if err != nil {
		return nil, fmt.Errorf("checkpoints in %s: %w", dir, err)
	}
	meta.DamagedCheckpoints = append(meta.DamagedCheckpoints, sess.Damaged...)
	// Checked(false): variables restored from a checkpoint (Resume) are reused, new ones created.
	mctx = mctx.Checked(false)
	trainer := train.NewTrainer(be, mctx, ModelFn(cfg), losses.MeanSquaredError,
		optimizers.Adam().LearningRate(o.LR).Done(), nil, nil)
	valExec, err := gctx.NewExecAny(be, mctx.Reuse(), func(ctx *gctx.Context, x *Node) *Node {
		ctx = ctx.In("model")
		r := Decode(ctx, cfg, Encode(ctx, cfg, x))
		return ReduceAllMean(Square(Sub(r, x)))
	})
	if err != nil {
		return nil, err
	}
	stepsPerEpoch := trainSet.N / o.Batch
	if o.Epochs*stepsPerEpoch <= int(sess.Start) {
		return meta, nil // already trained that far
	}
	// The schedule is a function of (epoch, step): a resumed run takes the same batches.
	permEpoch, perm := -1, []int(nil)
	var batch []float32
	plan := trainloop.Plan{Epochs: o.Epochs, StepsPerEpoch: stepsPerEpoch, Batch: o.Batch,
		Step: func(epoch, s int) (float64, error) {
			if epoch != permEpoch {
				permEpoch, perm = epoch, rand.New(rand.NewPCG(o.Seed, uint64(epoch))).Perm(trainSet.N)
			}
			batch = trainSet.Float32(perm[s*o.Batch:(s+1)*o.Batch], batch)
			x := tensors.FromFlatDataAndDimensions(batch, o.Batch, ih, iw, ic)
			m, err := trainer.TrainStep(nil, []*tensors.Tensor{x}, []*tensors.Tensor{x})
			if err != nil {
				return 0, err
			}
			return scalar(m[0]), nil
		},
		Save: func(r trainloop.Result) error {
			meta.Step, meta.EpochsDone, meta.Interrupted = r.Step, r.Epochs, r.Interrupted
			meta.TrainSeconds += r.Seconds - lastSeconds
			lastSeconds = r.Seconds
			if r.LastValLoss > 0 {
				meta.LastValLoss = r.LastValLoss
			}
			if r.EpochExamplesPerSec > 0 {
				meta.EpochImagesPerSec = r.EpochExamplesPerSec
			}
			return writeMeta(dir, meta)
		},
	}
	if valSet.N > 0 {
		plan.Validate = func() (float64, error) { return evalLoss(valExec, valSet, 256) }
	}
	if o.Progress != nil {
		plan.OnStep = func(p trainloop.Progress) {
			o.Progress(Progress{Step: p.Step, Epoch: p.Epoch, Done: p.Done, Total: p.Total, Loss: p.Loss,
				ValLoss: p.ValLoss, ImagesPerSec: p.ExamplesPerSec})
		}
	}
	_, err = sess.Run(ctx, plan)
	if err != nil && !errors.Is(err, context.Canceled) {
		return nil, err
	}
	return meta, err
}

func scalar(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

// evalLoss is the mean squared error over a whole image set.
func evalLoss(exec *gctx.Exec, set Images, batch int) (float64, error) {
	var sum float64
	var buf []float32
	idx := make([]int, 0, batch)
	for start := 0; start < set.N; start += batch {
		end := min(start+batch, set.N)
		idx = idx[:0]
		for i := start; i < end; i++ {
			idx = append(idx, i)
		}
		buf = set.Float32(idx, buf)
		h, w, c := set.Shape()
		out, err := exec.Exec1(tensors.FromFlatDataAndDimensions(buf, end-start, h, w, c))
		if err != nil {
			return 0, err
		}
		sum += scalar(out) * float64(end-start)
	}
	return sum / float64(set.N), nil
}

// ReadHistory returns the rows of a model's history.jsonl.
func ReadHistory(dir string) ([]HistoryRow, error) {
	f, err := os.Open(filepath.Join(dir, HistoryFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []HistoryRow
	dec := json.NewDecoder(f)
	for {
		var r HistoryRow
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				return rows, nil
			}
			return rows, fmt.Errorf("%s: %w", filepath.Join(dir, HistoryFile), err)
		}
		rows = append(rows, r)
	}
}
