// Package trainloop is the one training loop corpushunt's models share: it owns the
// schedule (epochs of steps, a time limit), checkpoints (resume from the newest that
// loads; a checkpoint at every epoch end and on Ctrl-C), the history (history.jsonl,
// trimmed to the step a run resumes from) and one progress hook, so one live chart serves
// any model. A model supplies its step (and optionally a validation loss at epoch ends).
//
//	s, err := trainloop.Open(mctx, dir, 3)     // before building the trainer
//	trainer := train.NewTrainer(...)
//	res, err := s.Run(ctx, trainloop.Plan{Epochs: 5, StepsPerEpoch: n / batch, Batch: batch,
//		Step: func(epoch, i int) (float64, error) { ... trainer.TrainStep ... },
//		OnStep: func(p trainloop.Progress) { ... }})
package trainloop

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	gctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/checkpoints"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/corpushunt/corpushunt/simsearch/checkpoint"
)

// Files of a model directory the loop writes.
const (
	HistoryFile   = "history.jsonl"
	CheckpointDir = "checkpoints"
)

// Progress is one step, as the hook sees it.
type Progress struct {
	Step           int64   // global step
	Epoch          int     // 1-based
	Done, Total    int     // examples processed / to process in this run (Total -1: until the time limit)
	Loss           float64 // this step's training loss
	ValLoss        float64 // the validation loss, on the last step of an epoch (else 0)
	ExamplesPerSec float64 // over this run so far
}

// Row is one line of history.jsonl.
type Row struct {
	Step      int64    `json:"step"`
	Epoch     int      `json:"epoch"`
	TrainLoss float64  `json:"train_loss"`
	ValLoss   *float64 `json:"val_loss,omitempty"`
	Time      string   `json:"time"`
}

// Session is a model directory opened for training.
type Session struct {
	dir     string
	mctx    *gctx.Context
	ckpt    *checkpoints.Handler
	Damaged []string // checkpoints set aside because they failed to load
	Start   int64    // the global step training resumes from
}

// Open loads the newest checkpoint of dir/checkpoints that loads into mctx (keeping keep
// of them from now on) and trims the history to its step. Call it before building the
// trainer, so the variables it restores are the ones trained.
func Open(mctx *gctx.Context, dir string, keep int) (*Session, error) {
	ckpt, damaged, err := checkpoint.Open(mctx, filepath.Join(dir, CheckpointDir), keep)
	if err != nil {
		return nil, err
	}
	step := optimizers.GetGlobalStep(mctx)
	if err := checkpoint.TruncateHistory(filepath.Join(dir, HistoryFile), step); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return &Session{dir: dir, mctx: mctx, ckpt: ckpt, Damaged: damaged, Start: step}, nil
}

// Plan is what Run runs.
type Plan struct {
	Epochs        int     // total epochs, including those done before a resume
	Minutes       float64 // stop after this much training time (0: no limit)
	StepsPerEpoch int
	Batch         int // examples per step (for Progress)
	// Step trains step i of epoch (both 0-based) and returns its loss. The schedule must
	// be a function of (epoch, i) so that a resumed run takes the same batches.
	Step func(epoch, i int) (float64, error)
	// Validate, if set, is the validation loss computed after each epoch's last step.
	Validate func() (float64, error)
	// Save, if set, is called after every checkpoint (epoch ends, the end, Ctrl-C) with
	// what the loop knows, to write the model's own metadata.
	Save func(r Result) error
	// OnStep is the progress hook.
	OnStep func(Progress)
}

// Result is what a run did.
type Result struct {
	Step                int64   // global step reached
	Epochs              float64 // epochs done in all (step / steps per epoch)
	Done                int     // examples trained on in this run
	Seconds             float64 // training time of this run
	LastValLoss         float64
	EpochExamplesPerSec float64 // of the last full epoch
	Interrupted         bool    // ctx was cancelled (Ctrl-C): a checkpoint was saved
}

// Run trains from the session's step to plan.Epochs (or the time limit), appending to the
// history and saving a checkpoint after every epoch, at the end, and when ctx is
// cancelled (then it returns the result and ctx.Err()).
func (s *Session) Run(ctx context.Context, p Plan) (Result, error) {
	if p.StepsPerEpoch < 1 {
		return Result{}, fmt.Errorf("trainloop: %d steps per epoch", p.StepsPerEpoch)
	}
	hist, err := os.OpenFile(filepath.Join(s.dir, HistoryFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return Result{}, err
	}
	defer hist.Close()
	henc := json.NewEncoder(hist)
	step := s.Start
	startEpoch, skip := int(step)/p.StepsPerEpoch, int(step)%p.StepsPerEpoch
	total := -1
	if p.Minutes <= 0 {
		total = max(0, p.Epochs*p.StepsPerEpoch-int(step)) * p.Batch
	}
	res := Result{Step: step, Epochs: float64(step) / float64(p.StepsPerEpoch)}
	t0 := time.Now()
	save := func(interrupted bool) error {
		if err := s.ckpt.Save(); err != nil {
			return fmt.Errorf("save checkpoint: %w", err)
		}
		res.Step = optimizers.GetGlobalStep(s.mctx)
		res.Epochs = float64(res.Step) / float64(p.StepsPerEpoch)
		res.Seconds = time.Since(t0).Seconds()
		res.Interrupted = interrupted
		if p.Save != nil {
			return p.Save(res)
		}
		return nil
	}
	for epoch := startEpoch; epoch < p.Epochs; epoch++ {
		epochStart, epochDone := time.Now(), 0
		full := true
		for i := 0; i < p.StepsPerEpoch; i++ {
			if epoch == startEpoch && i < skip {
				full = false
				continue
			}
			if err := ctx.Err(); err != nil {
				if serr := save(true); serr != nil {
					return res, fmt.Errorf("%w (and saving: %v)", err, serr)
				}
				return res, err
			}
			if p.Minutes > 0 && time.Since(t0).Minutes() >= p.Minutes {
				return res, save(false)
			}
			loss, err := p.Step(epoch, i)
			if err != nil {
				return res, fmt.Errorf("train step: %w", err)
			}
			res.Done += p.Batch
			epochDone += p.Batch
			step = optimizers.GetGlobalStep(s.mctx)
			row := Row{Step: step, Epoch: epoch + 1, TrainLoss: loss, Time: time.Now().UTC().Format(time.RFC3339)}
			if i == p.StepsPerEpoch-1 && p.Validate != nil {
				v, err := p.Validate()
				if err != nil {
					return res, err
				}
				row.ValLoss, res.LastValLoss = &v, v
			}
			if p.OnStep != nil {
				pr := Progress{Step: step, Epoch: epoch + 1, Done: res.Done, Total: total, Loss: loss,
					ExamplesPerSec: float64(res.Done) / time.Since(t0).Seconds()}
				if row.ValLoss != nil {
					pr.ValLoss = *row.ValLoss
				}
				p.OnStep(pr)
			}
			if err := henc.Encode(row); err != nil {
				return res, err
			}
		}
		if full {
			res.EpochExamplesPerSec = float64(epochDone) / time.Since(epochStart).Seconds()
		}
		if err := save(false); err != nil {
			return res, err
		}
	}
	return res, nil
}
