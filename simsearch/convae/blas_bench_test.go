package convae

import (
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/corpushunt/corpushunt/simsearch/backend/blas/blastest"
)

// BenchmarkBLASOnOff measures the parity model with the sgemm override of package
// simsearch/backend/blas off ("stock-ms/op") and on ("blas-ms/op") in one run, back to
// back, and checks that both give the same results to 1e-4 relative:
//   - train-step-b128: one Adam step at batch 128, as BenchmarkTrainStep/im2col (two
//     identically seeded models, one per configuration; compared: the step's loss);
//   - encode-512: the encoder on 512 images, as BenchmarkEncode (compared: the codes).
func BenchmarkBLASOnOff(b *testing.B) {
	be := goBackend(b)
	cfg, _ := Parity().Done()
	b.Run("train-step-b128", func(b *testing.B) {
		set := blobs(128, 1)
		idx := make([]int, 128)
		for i := range idx {
			idx[i] = i
		}
		x := tensors.FromFlatDataAndDimensions(set.Float32(idx, nil), 128, 32, 32, 3)
		step := func() func() ([]float32, error) {
			ctx := gctx.New()
			ctx.SetParam(gctx.ParamInitialSeed, int64(42))
			tr := train.NewTrainer(be, ctx, ModelFn(cfg), losses.MeanSquaredError, optimizers.Adam().Done(), nil, nil)
			return func() ([]float32, error) {
				m, err := tr.TrainStep(nil, []*tensors.Tensor{x}, []*tensors.Tensor{x})
				if err != nil {
					return nil, err
				}
				return tensors.CopyFlatData[float32](m[0])
			}
		}
		blastest.Paired(b, 1e-4, step(), step())
	})
	b.Run("encode-512", func(b *testing.B) {
		ctx := gctx.New()
		ctx.SetParam(gctx.ParamInitialSeed, int64(42))
		exec, err := gctx.NewExecAny(be, ctx, func(ctx *gctx.Context, x *Node) *Node { return Encode(ctx.In("model"), cfg, x) })
		if err != nil {
			b.Fatal(err)
		}
		set := blobs(512, 2)
		idx := make([]int, 512)
		for i := range idx {
			idx[i] = i
		}
		x := tensors.FromFlatDataAndDimensions(set.Float32(idx, nil), 512, 32, 32, 3)
		enc := func() ([]float32, error) {
			out, err := exec.Exec1(x)
			if err != nil {
				return nil, err
			}
			defer out.FinalizeAll()
			return tensors.CopyFlatData[float32](out)
		}
		blastest.Paired(b, 1e-4, enc, enc)
	})
}
