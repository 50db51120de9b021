package convae

import (
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/corpushunt/corpushunt/simsearch/backend/trainops"
)

// BenchmarkTrainStep: one Adam step of the parity model on a batch of 128 (the tutorial's
// batch). GFLOP/s counts forward + backward as 3× the forward FLOPs.
func BenchmarkTrainStep(b *testing.B) {
	be := goBackend(b)
	for _, c := range []struct {
		impl       string
		stockGrads bool
	}{{"im2col", false}, {"native", false}, {"im2col", true}} {
		name := c.impl
		if c.stockGrads {
			name += "-stock-dot-gradients" // GoMLX's own rules: the "before" of backend's fix
		}
		b.Run(name, func(b *testing.B) {
			trainops.UseStockDotGradients(c.stockGrads)
			defer trainops.UseStockDotGradients(false)
			cfg, _ := Parity().Conv(c.impl).Done()
			ctx := gctx.New()
			tr := train.NewTrainer(be, ctx, ModelFn(cfg), losses.MeanSquaredError, optimizers.Adam().Done(), nil, nil)
			set := blobs(128, 1)
			idx := make([]int, 128)
			for i := range idx {
				idx[i] = i
			}
			x := tensors.FromFlatDataAndDimensions(set.Float32(idx, nil), 128, 32, 32, 3)
			if _, err := tr.TrainStep(nil, []*tensors.Tensor{x}, []*tensors.Tensor{x}); err != nil { // compile
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := tr.TrainStep(nil, []*tensors.Tensor{x}, []*tensors.Tensor{x}); err != nil {
					b.Fatal(err)
				}
			}
			ips := float64(128*b.N) / b.Elapsed().Seconds()
			b.ReportMetric(ips, "images/s")
			b.ReportMetric(ips*3*cfg.FLOPs()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkEncode: the encoder half on a batch of 512.
func BenchmarkEncode(b *testing.B) {
	be := goBackend(b)
	cfg, _ := Parity().Done()
	ctx := gctx.New()
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
	if _, err := exec.Exec1(x); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		out, err := exec.Exec1(x)
		if err != nil {
			b.Fatal(err)
		}
		out.FinalizeAll()
	}
	ips := float64(512*b.N) / b.Elapsed().Seconds()
	// Encoder FLOPs: the four convolutions (+ dense code layer when present).
	var f float64
	in, hw := 3, 32
	for _, ch := range cfg.Channels {
		f += 2 * float64(hw*hw*9*in*ch)
		in, hw = ch, hw/2
	}
	b.ReportMetric(ips, "images/s")
	b.ReportMetric(ips*f/1e9, "GFLOP/s")
}
