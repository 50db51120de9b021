package textae

import (
	"fmt"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/corpushunt/corpushunt/simsearch/backend"
)

// BenchmarkTrainStep: one Adam step of the CPU-size DAAE on batches of 11-word sentences
// (Zipf-distributed ids, as word frequencies are): 64 sentences with the full 5,005-way
// softmax and with the preset's sampled softmax over 1,024 candidates, and 128 sentences
// sampled.
func BenchmarkTrainStep(b *testing.B) {
	be, err := backend.New("go:parallelism=-1")
	if err != nil {
		b.Fatal(err)
	}
	for _, run := range []struct{ sampled, batch int }{{0, 64}, {1024, 64}, {1024, 128}} {
		sampled, batch := run.sampled, run.batch
		name := fmt.Sprintf("full-softmax/batch-%d", batch)
		if sampled > 0 {
			name = fmt.Sprintf("sampled-%d/batch-%d", sampled, batch)
		}
		b.Run(name, func(b *testing.B) {
			c, _ := CPU().SampledSoftmax(sampled).Done()
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
			mctx := gctx.New().Checked(false)
			model := func(ctx *gctx.Context, _ any, in []*Node) []*Node { return []*Node{objective(ctx, c, nodes(in)).total} }
			tr := train.NewTrainer(be, mctx, model, func(_, pred []*Node) *Node { return pred[0] },
				optimizers.Adam().LearningRate(c.LR).Betas(0.5, 0.999).Done(), nil, nil)
			step := func(i int) {
				in := batches[i%len(batches)]
				if _, err := tr.TrainStep(nil, in, in[4:5]); err != nil {
					b.Fatal(err)
				}
			}
			step(0) // compile
			b.ResetTimer()
			i := 0
			for b.Loop() {
				step(i)
				i++
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "sentences/s")
		})
	}
}
