package textae

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/backend/blas/blastest"
)

// BenchmarkBLASOnOff: one Adam step of the CPU preset's DAAE (sampled softmax over 1,024
// candidates, batch 64, 11-word sentences as in BenchmarkTrainStep) with the overrides of
// package simsearch/backend/blas (sgemm, fast Slice) off ("stock-ms/op") and on
// ("blas-ms/op"), back to back in one run, on two identically seeded models; their losses
// must agree to 1e-4 relative at every step.
func BenchmarkBLASOnOff(b *testing.B) {
	be, err := backend.New("go:parallelism=-1")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("daae-step-cpu-b64", func(b *testing.B) {
		step := daaeStep(be)
		blastest.Paired(b, 1e-4, step(), step())
	})
}

// BenchmarkOverrides: under four settings alternated within one run — stock, sgemm,
// sgemm+slice, sgemm+slice+ew (see convae's BenchmarkOverrides) — with results agreeing
// with stock's (diff-NAME) and, for the overrides after sgemm, bit for bit with the setting
// before (diff-prev-NAME = 0: they compute the same bits):
//   - daae-step-cpu-b64: the step of BenchmarkBLASOnOff, on four identically seeded
//     models (compared: the loss, to 1e-4 against stock as in BenchmarkBLASOnOff: sgemm's
//     summation order moves the losses of separately trained models apart by ~1e-5 after
//     20 steps);
//   - daae-encode-b512: the CPU preset's encoder (Encode, as LoadEncoder compiles it) on a
//     batch of 512 sentences as Encoder.EncodeTokens feeds it (compared: the codes, to 1e-5).
func BenchmarkOverrides(b *testing.B) {
	be, err := backend.New("go:parallelism=-1")
	if err != nil {
		b.Fatal(err)
	}
	configs := []blastest.Config{blastest.Stock, blastest.SGEMMOnly, blastest.SGEMMSlice, blastest.All}
	b.Run("daae-step-cpu-b64", func(b *testing.B) {
		step := daaeStep(be)
		blastest.Compare(b, 1e-4, 0, configs, []func() ([]float32, error){step(), step(), step(), step()})
	})
	b.Run("daae-encode-b512", func(b *testing.B) {
		const batch = 512
		c, _ := CPU().Done()
		r := rand.New(rand.NewPCG(3, 4))
		z := rand.NewZipf(r, 1.1, 1, uint64(c.Vocab-1))
		s := make(Sentences, batch)
		idx := make([]int, batch)
		for i := range s {
			s[i] = make([]int32, 3+r.IntN(9))
			for j := range s[i] {
				s[i][j] = int32(5 + z.Uint64())
			}
			idx[i] = i
		}
		in := c.batchTensors(s, idx, r, false)
		mctx := gctx.New()
		mctx.SetParam(gctx.ParamInitialSeed, int64(42))
		exec, err := gctx.NewExecAny(be, mctx, func(ctx *gctx.Context, tok, rev, n *Node) *Node {
			return Encode(ctx.In("model"), c, tok, rev, n)
		})
		if err != nil {
			b.Fatal(err)
		}
		enc := func() ([]float32, error) {
			y, err := exec.Exec1(in[0], in[1], in[2])
			if err != nil {
				return nil, err
			}
			defer y.FinalizeAll()
			return tensors.CopyFlatData[float32](y)
		}
		blastest.Compare(b, 1e-5, 0, configs, []func() ([]float32, error){enc, enc, enc, enc})
	})
}

// daaeStep returns a maker of training steps: each call makes a freshly, identically seeded
// CPU-preset DAAE whose step (batch 64, cycling over 8 fixed batches) returns the loss.
func daaeStep(be backends.Backend) func() func() ([]float32, error) {
	const batch = 64
	c, _ := CPU().Done()
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.1, 1, uint64(c.Vocab-1))
	s := make(Sentences, batch*8)
	for i := range s {
		s[i] = make([]int32, 11)
		for j := range s[i] {
			s[i][j] = int32(5 + z.Uint64())
		}
	}
	var batches [][]*tensors.Tensor
	for k := 0; k < 8; k++ {
		idx := make([]int, batch)
		for i := range idx {
			idx[i] = k*batch + i
		}
		batches = append(batches, c.batchTensors(s, idx, r, true))
	}
	return func() func() ([]float32, error) {
		mctx := gctx.New().Checked(false)
		mctx.SetParam(gctx.ParamInitialSeed, int64(42))
		model := func(ctx *gctx.Context, _ any, in []*Node) []*Node { return []*Node{objective(ctx, c, nodes(in)).total} }
		tr := train.NewTrainer(be, mctx, model, func(_, pred []*Node) *Node { return pred[0] },
			optimizers.Adam().LearningRate(c.LR).Betas(0.5, 0.999).Done(), nil, nil)
		i := 0
		return func() ([]float32, error) {
			in := batches[i%len(batches)]
			i++
			m, err := tr.TrainStep(nil, in, in[4:5])
			if err != nil {
				return nil, err
			}
			return tensors.CopyFlatData[float32](m[0])
		}
	}
}
