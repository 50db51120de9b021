package convae

import (
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/corpushunt/corpushunt/simsearch/backend/blas/blastest"
)

// BenchmarkBLASOnOff measures the parity model with the overrides of package
// simsearch/backend/blas (sgemm, fast Slice) off ("stock-ms/op") and on ("blas-ms/op") in
// one run, back to back, and checks that both give the same results to 1e-4 relative:
//   - train-step-b128: one Adam step at batch 128, as BenchmarkTrainStep/im2col (two
//     identically seeded models, one per configuration; compared: the step's loss);
//   - encode-512: the encoder on 512 images, as BenchmarkEncode (compared: the codes).
func BenchmarkBLASOnOff(b *testing.B) {
	be := goBackend(b)
	b.Run("train-step-b128", func(b *testing.B) {
		step := parityStep(be)
		blastest.Paired(b, 1e-4, step(), step())
	})
	b.Run("encode-512", func(b *testing.B) {
		enc := parityEncode(b, be)
		blastest.Paired(b, 1e-4, enc, enc)
	})
}

// BenchmarkOverrides: the same two workloads under four settings alternated within one
// run — stock (GoMLX's kernels), sgemm (DotGeneral on OpenBLAS), sgemm+slice (and Slice
// copying contiguous runs), sgemm+slice+ew (and broadcasting Add/Sub/Mul in strided runs,
// Sign without branches) — with results agreeing with stock's to 1e-5 relative (diff-NAME)
// and, for the overrides after sgemm, bit for bit with the setting before (diff-prev-NAME
// = 0: they compute the same bits).
func BenchmarkOverrides(b *testing.B) {
	be := goBackend(b)
	configs := []blastest.Config{blastest.Stock, blastest.SGEMMOnly, blastest.SGEMMSlice, blastest.All}
	b.Run("train-step-b128", func(b *testing.B) {
		step := parityStep(be)
		blastest.Compare(b, 1e-5, 0, configs, []func() ([]float32, error){step(), step(), step(), step()})
	})
	b.Run("encode-512", func(b *testing.B) {
		enc := parityEncode(b, be)
		blastest.Compare(b, 1e-5, 0, configs, []func() ([]float32, error){enc, enc, enc, enc})
	})
}

// parityStep returns a maker of training steps: each call makes a freshly, identically
// seeded parity model whose step (Adam, batch 128, as BenchmarkTrainStep/im2col) returns
// the loss.
func parityStep(be backends.Backend) func() func() ([]float32, error) {
	cfg, _ := Parity().Done()
	set := blobs(128, 1)
	idx := make([]int, 128)
	for i := range idx {
		idx[i] = i
	}
	x := tensors.FromFlatDataAndDimensions(set.Float32(idx, nil), 128, 32, 32, 3)
	return func() func() ([]float32, error) {
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
}

// parityEncode returns the parity encoder on 512 images (as BenchmarkEncode), returning
// the codes.
func parityEncode(b *testing.B, be backends.Backend) func() ([]float32, error) {
	cfg, _ := Parity().Done()
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
	return func() ([]float32, error) {
		out, err := exec.Exec1(x)
		if err != nil {
			return nil, err
		}
		defer out.FinalizeAll()
		return tensors.CopyFlatData[float32](out)
	}
}
