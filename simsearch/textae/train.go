package textae

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/corpushunt/corpushunt/simsearch/trainloop"
)

// Sentences are token ids (no specials), at most MaxLen each.
type Sentences [][]int32

// Prepare maps tokenised sentences to ids with the vocabulary, cutting them at maxLen and
// dropping empty ones (returned indices say which were kept).
func Prepare(tokens [][]string, v *Vocab, maxLen int) (Sentences, []int) {
	var out Sentences
	var kept []int
	for i, t := range tokens {
		if len(t) == 0 {
			continue
		}
		if len(t) > maxLen {
			t = t[:maxLen]
		}
		out = append(out, v.Encode(t))
		kept = append(kept, i)
	}
	return out, kept
}

// batchTensors builds the graph inputs for sentences idx; noise applies the configured
// noise to the encoder input.
func (c Config) batchTensors(s Sentences, idx []int, r *rand.Rand, noise bool) []*tensors.Tensor {
	longest := 0
	for _, k := range idx {
		longest = max(longest, len(s[k]))
	}
	b, L := len(idx), c.padLen(longest+1)
	enc := make([]int32, b*L)
	encRev := make([]int32, b*L)
	encLen := make([]int32, b)
	decIn := make([]int32, b*L)
	decOut := make([]int32, b*L)
	mask := make([]float32, b*L)
	for i, k := range idx {
		ids := s[k]
		in := ids
		if noise {
			in = c.Noise(ids, r)
		}
		copy(enc[i*L:], in)
		for j, id := range in {
			encRev[i*L+len(in)-1-j] = id
		}
		encLen[i] = int32(len(in))
		decIn[i*L] = GoID
		copy(decIn[i*L+1:], ids)
		copy(decOut[i*L:], ids)
		decOut[i*L+len(ids)] = EOSID
		for j := 0; j <= len(ids); j++ {
			mask[i*L+j] = 1
		}
	}
	out := []*tensors.Tensor{
		tensors.FromFlatDataAndDimensions(enc, b, L), tensors.FromFlatDataAndDimensions(encRev, b, L),
		tensors.FromFlatDataAndDimensions(encLen, b),
		tensors.FromFlatDataAndDimensions(decIn, b, L), tensors.FromFlatDataAndDimensions(decOut, b, L),
		tensors.FromFlatDataAndDimensions(mask, b, L),
	}
	if noise {
		if cand, pos := c.candidates(decOut, mask, r); cand != nil {
			out = append(out, tensors.FromFlatDataAndDimensions(cand, len(cand)),
				tensors.FromFlatDataAndDimensions(pos, b, L))
		}
	}
	return out
}

// candidates returns the sampled-softmax word set for a batch's targets: every target word,
// then uniformly drawn other words up to c.Sampled (raised in steps of c.Sampled/4 when a
// batch has more distinct targets, so few shapes are compiled), and each target's position
// in it. nil when the configuration uses the full softmax or the set would be the whole
// vocabulary.
func (c Config) candidates(decOut []int32, mask []float32, r *rand.Rand) (cand, pos []int32) {
	v := c.VocabSize()
	if c.Sampled <= 0 || c.Sampled >= v {
		return nil, nil
	}
	at := make(map[int32]int32, c.Sampled)
	pos = make([]int32, len(decOut))
	for i, t := range decOut {
		if mask[i] == 0 {
			continue // padding: position 0, masked out of the loss
		}
		p, ok := at[t]
		if !ok {
			p = int32(len(cand))
			at[t] = p
			cand = append(cand, t)
		}
		pos[i] = p
	}
	k, step := c.Sampled, max(1, c.Sampled/4)
	for k < len(cand) {
		k += step
	}
	if k >= v {
		return nil, nil
	}
	first := int(BlankID) + 1
	for _, j := range r.Perm(v - first) {
		if len(cand) == k {
			break
		}
		id := int32(first + j)
		if _, taken := at[id]; !taken {
			cand = append(cand, id)
		}
	}
	return cand, pos
}

// padLen rounds a batch's length up to a bucket (8, 12, 16, …, SeqLen): batches are
// grouped by length, so short ones cost less, and few bucket shapes mean few compilations.
func (c Config) padLen(n int) int {
	for _, b := range []int{8, 12, 16, 24, 32} {
		if n <= b {
			return min(b, c.SeqLen())
		}
	}
	return c.SeqLen()
}

func nodes(in []*Node) batchNodes {
	n := batchNodes{enc: in[0], encRev: in[1], encLen: in[2], decIn: in[3], decOut: in[4], mask: in[5]}
	if len(in) == 8 {
		n.cand, n.candPos = in[6], in[7]
	}
	return n
}

// Meta is model.json.
type Meta struct {
	FormatVersion int       `json:"format_version"`
	Kind          string    `json:"kind"` // "textae"
	Config        Config    `json:"config"`
	Created       time.Time `json:"created"`
	Backend       string    `json:"backend"`
	TrainSents    int       `json:"train_sentences"`
	Batch         int       `json:"batch"`
	LR            float64   `json:"lr"`
	Step          int64     `json:"step"`
	TrainSeconds  float64   `json:"train_seconds"`
	ValNLL        float64   `json:"val_nll"`            // per sentence, held out
	ValTokenAcc   float64   `json:"val_token_accuracy"` // teacher-forced next-word accuracy
	SentsPerSec   float64   `json:"sentences_per_sec"`
	// HeldOut names the files whose sentences were kept out of training (TrainOptions.HeldOut).
	HeldOut     []string `json:"held_out,omitempty"`
	Interrupted bool     `json:"interrupted,omitempty"`
	// DamagedCheckpoints are checkpoints that failed to load when training resumed, set
	// aside (renamed *.damaged) so training went on from the newest good one.
	DamagedCheckpoints []string `json:"damaged_checkpoints,omitempty"`
	// Tokenizer names how texts were split into tokens for training (see
	// ingest.Tokenizer); "" for models trained on the Yelp files before it was recorded.
	Tokenizer string `json:"tokenizer,omitempty"`
	// MaskLogs says log lines were masked before tokenising.
	MaskLogs bool `json:"mask_logs,omitempty"`
}

// Files of a model directory.
const (
	MetaFile      = "model.json"
	VocabFile     = "vocab.txt"
	HistoryFile   = "history.jsonl"
	CheckpointDir = "checkpoints"
)

// TrainOptions control Train.
type TrainOptions struct {
	Minutes float64 // stop after this much training time (0: no limit)
	Epochs  int     // default 1, or as many as Minutes allows when Minutes is set
	Batch   int     // default 64 (the paper: 256)
	LR      float64 // Adam, betas (0.5, 0.999); default the configuration's LR, else 5e-4
	Seed    uint64  // default 1
	Resume  bool    // continue the model in dir (its configuration, vocabulary and step)
	// HeldOut records, in model.json, which files' sentences the caller kept out of the
	// training set (evaluation queries, say); Train itself does not read them.
	HeldOut []string
	// Tokenizer and MaskLogs record, in model.json, how the caller tokenised the texts,
	// so queries and indexed corpora are tokenised the same way.
	Tokenizer string
	MaskLogs  bool
	// Progress is called after every step; total is -1 when the run ends on time.
	Progress func(step int64, done, total int, loss float64)
}

// ReadMeta reads a text model directory's model.json.
func ReadMeta(dir string) (*Meta, error) {
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return nil, fmt.Errorf("text model %s: %w", dir, err)
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil || m.Kind != "textae" {
		return nil, fmt.Errorf("text model %s: %s is not a textae model (%v)", dir, MetaFile, err)
	}
	return &m, nil
}

// ErrExists is returned when the directory already holds a model.
var ErrExists = errors.New("model directory already holds a model")

// Train trains a model on train (held-out val for the final loss and accuracy) and writes
// it to dir with its vocabulary. Cancelling ctx saves a checkpoint first.
func Train(ctx context.Context, be backends.Backend, dir string, c Config, vocab *Vocab, trainSet, val Sentences, o TrainOptions) (*Meta, error) {
	untilTime := o.Epochs <= 0 && o.Minutes > 0
	switch {
	case untilTime:
		o.Epochs = math.MaxInt32
	case o.Epochs <= 0:
		o.Epochs = 1
	}
	if o.Batch <= 0 {
		o.Batch = 64
	}
	if o.LR <= 0 {
		o.LR = c.LR
	}
	if o.LR <= 0 {
		o.LR = 5e-4
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	meta, err := ReadMeta(dir)
	switch {
	case err == nil && !o.Resume:
		return nil, fmt.Errorf("%w: %s (use --resume to continue it)", ErrExists, dir)
	case err == nil:
		// The caller must have prepared the sentences with the saved vocabulary.
		c, o.Batch, o.LR = meta.Config, meta.Batch, meta.LR
	case o.Resume:
		return nil, fmt.Errorf("resume: %w", err)
	default:
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := vocab.Save(filepath.Join(dir, VocabFile)); err != nil {
			return nil, err
		}
		meta = &Meta{FormatVersion: 1, Kind: "textae", Config: c, Created: time.Now().UTC(), Backend: be.Name(),
			TrainSents: len(trainSet), Batch: o.Batch, LR: o.LR, HeldOut: o.HeldOut,
			Tokenizer: o.Tokenizer, MaskLogs: o.MaskLogs}
		// model.json first: a run killed before its first checkpoint can be resumed.
		if err := writeMeta(dir, meta); err != nil {
			return nil, err
		}
	}
	if len(trainSet) < o.Batch {
		return nil, fmt.Errorf("textae: %d training sentences, fewer than one batch of %d", len(trainSet), o.Batch)
	}
	mctx := gctx.New()
	if err := mctx.SetRNGStateFromSeed(int64(o.Seed)); err != nil {
		return nil, err
	}
	sess, err := trainloop.Open(mctx, dir, 2)
	if err != nil {
		return nil, err
	}
	meta.DamagedCheckpoints = append(meta.DamagedCheckpoints, sess.Damaged...)
	mctx = mctx.Checked(false)
	model := func(ctx *gctx.Context, _ any, in []*Node) []*Node { return []*Node{objective(ctx, c, nodes(in)).total} }
	lossFn := func(_, pred []*Node) *Node { return pred[0] }
	trainer := train.NewTrainer(be, mctx, model, lossFn, optimizers.Adam().LearningRate(o.LR).Betas(0.5, 0.999).Done(), nil, nil)

	// Batches grouped by length: sort by length, cut; each epoch visits them in an order
	// drawn from (seed, epoch), and each step's noise from (seed, step), so a resumed run
	// takes the same batches and noise.
	order := make([]int, len(trainSet))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(trainSet[order[a]]) < len(trainSet[order[b]]) })
	var batches [][]int
	for s := 0; s+o.Batch <= len(order); s += o.Batch {
		batches = append(batches, order[s:s+o.Batch])
	}
	epochOrder, perm := -1, []int(nil)
	lastSeconds := 0.0
	plan := trainloop.Plan{Epochs: o.Epochs, Minutes: o.Minutes, StepsPerEpoch: len(batches), Batch: o.Batch,
		Step: func(epoch, i int) (float64, error) {
			if epoch != epochOrder {
				epochOrder, perm = epoch, rand.New(rand.NewPCG(o.Seed, 9+uint64(epoch))).Perm(len(batches))
			}
			r := rand.New(rand.NewPCG(o.Seed, uint64(epoch*len(batches)+i)<<1|1))
			in := c.batchTensors(trainSet, batches[perm[i]], r, true)
			m, err := trainer.TrainStep(nil, in, in[4:5])
			if err != nil {
				return 0, err
			}
			return float64(m[0].Value().(float32)), nil
		},
		Save: func(r trainloop.Result) error {
			meta.Step, meta.Interrupted = r.Step, r.Interrupted
			meta.TrainSeconds += r.Seconds - lastSeconds
			lastSeconds = r.Seconds
			if r.Seconds > 0 {
				meta.SentsPerSec = float64(r.Done) / r.Seconds
			}
			return writeMeta(dir, meta)
		},
	}
	if o.Progress != nil {
		plan.OnStep = func(p trainloop.Progress) { o.Progress(p.Step, p.Done, p.Total, p.Loss) }
	}
	_, err = sess.Run(ctx, plan)
	interrupted := errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		return nil, err
	}
	if len(val) > 0 {
		var verr error
		if meta.ValNLL, meta.ValTokenAcc, verr = Evaluate(be, mctx.Reuse(), c, val, 256); verr != nil {
			return nil, verr
		}
	}
	if err := writeMeta(dir, meta); err != nil {
		return nil, err
	}
	if interrupted {
		return meta, ctx.Err()
	}
	return meta, nil
}

// writeMeta replaces model.json atomically.
func writeMeta(dir string, m *Meta) error {
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

// Evaluate returns the mean per-sentence negative log-likelihood and the teacher-forced
// next-token accuracy on sentences (no noise, no dropout).
func Evaluate(be backends.Backend, mctx *gctx.Context, c Config, s Sentences, batch int) (nllPerSent, tokenAcc float64, err error) {
	exec, err := gctx.NewExecAny(be, mctx, func(ctx *gctx.Context, in []*Node) []*Node {
		l := objective(ctx, c, nodes(in))
		return []*Node{l.rec, l.correct, ReduceAllSum(in[5])}
	})
	if err != nil {
		return 0, 0, err
	}
	var sumNLL, correct, tokens float64
	r := rand.New(rand.NewPCG(1, 1))
	for start := 0; start < len(s); start += batch {
		end := min(start+batch, len(s))
		idx := make([]int, 0, end-start)
		for i := start; i < end; i++ {
			idx = append(idx, i)
		}
		in := c.batchTensors(s, idx, r, false)
		args := make([]any, len(in))
		for i, t := range in {
			args[i] = t
		}
		out, err := exec.Exec(args...)
		if err != nil {
			return 0, 0, err
		}
		sumNLL += float64(out[0].Value().(float32)) * float64(end-start)
		correct += float64(out[1].Value().(float32))
		tokens += float64(out[2].Value().(float32))
	}
	return sumNLL / float64(len(s)), correct / tokens, nil
}
