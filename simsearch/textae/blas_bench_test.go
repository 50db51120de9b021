package textae

import (
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/backend/blas/blastest"
)

// BenchmarkBLASOnOff: one Adam step of the CPU preset's DAAE (sampled softmax over 1,024
// candidates, batch 64, 11-word sentences as in BenchmarkTrainStep) with the sgemm
// override of package simsearch/backend/blas off ("stock-ms/op") and on ("blas-ms/op"),
// back to back in one run, on two identically seeded models; their losses must agree to
// 1e-4 relative at every step.
func BenchmarkBLASOnOff(b *testing.B) {
	be, err := backend.New("go:parallelism=-1")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("daae-step-cpu-b64", func(b *testing.B) {
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
		step := func() func() ([]float32, error) {
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
		blastest.Paired(b, 1e-4, step(), step())
	})
}
