package convae

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/corpushunt/corpushunt/simsearch/checkpoint"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// EncoderName identifies this encoder in index manifests.
const EncoderName = "convae"

// Encoder runs the encoder half of a trained model (and, for pictures, the decoder).
// It is safe for use by one goroutine at a time.
type Encoder struct {
	Dir   string
	Meta  *Meta
	mu    sync.Mutex
	enc   *gctx.Exec
	recon *gctx.Exec
	// Batch is the most images encoded per call to the backend; default 512.
	Batch int

	checksum string
	// Fallback says which older checkpoint was loaded when the newest failed to load.
	Fallback string
}

// LoadEncoder loads the latest checkpoint of the model in dir.
func LoadEncoder(be backends.Backend, dir string) (*Encoder, error) {
	meta, err := ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	mctx := gctx.New()
	ckpt, fallback, err := checkpoint.Load(mctx, filepath.Join(dir, CheckpointDir))
	if err != nil {
		return nil, fmt.Errorf("model %s: load checkpoint: %w", dir, err)
	}
	sum, err := checkpoint.WeightsChecksum(ckpt.LoadedVariables(), "var:/model/")
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	cfg := meta.Config
	enc, err := gctx.NewExecAny(be, mctx.Reuse(), func(ctx *gctx.Context, x *Node) *Node {
		return Encode(ctx.In("model"), cfg, x)
	})
	if err != nil {
		return nil, err
	}
	recon, err := gctx.NewExecAny(be, mctx.Reuse(), func(ctx *gctx.Context, x *Node) *Node {
		ctx = ctx.In("model")
		return Decode(ctx, cfg, Encode(ctx, cfg, x))
	})
	if err != nil {
		return nil, err
	}
	return &Encoder{Dir: dir, Meta: meta, enc: enc, recon: recon, Batch: 512, checksum: sum, Fallback: fallback}, nil
}

// Dim is the code length.
func (e *Encoder) Dim() int { return e.Meta.Config.CodeDim() }

// Info describes the encoder for index manifests.
func (e *Encoder) Info() index.EncoderInfo {
	abs, _ := filepath.Abs(e.Dir)
	return index.EncoderInfo{Name: EncoderName, Version: strconv.Itoa(formatVersion), Model: abs, Checksum: e.checksum,
		Params: map[string]string{"model": e.Meta.Config.Name}}
}

// InputShape is the image size the model takes.
func (e *Encoder) InputShape() (h, w, c int) { return e.Meta.Config.InputShape() }

// EncodeImages maps n images (n×H×W×C float32 in [0,1], HWC) to n codes.
func (e *Encoder) EncodeImages(ctx context.Context, images []float32, n int) ([]float32, error) {
	return e.run(ctx, e.enc, images, n, e.Dim())
}

// Reconstruct returns the model's reconstructions of n images, same layout as the input.
func (e *Encoder) Reconstruct(ctx context.Context, images []float32, n int) ([]float32, error) {
	return e.run(ctx, e.recon, images, n, e.Meta.Config.ImageSize())
}

func (e *Encoder) run(ctx context.Context, exec *gctx.Exec, images []float32, n, outDim int) ([]float32, error) {
	h, w, c := e.Meta.Config.InputShape()
	size := h * w * c
	if len(images) != n*size {
		return nil, fmt.Errorf("convae: %d values for %d images of %d×%d×%d", len(images), n, h, w, c)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]float32, 0, n*outDim)
	for start := 0; start < n; start += e.Batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		end := min(start+e.Batch, n)
		batch := images[start*size : end*size]
		if rows := bucket(end-start, e.Batch); rows > end-start {
			// Pad to a power-of-two bucket: few distinct shapes, so few compilations (each
			// new shape costs seconds on XLA), at most 2× the work for a partial batch.
			batch = append(make([]float32, 0, rows*size), batch...)[:rows*size]
		}
		x := tensors.FromFlatDataAndDimensions(batch, len(batch)/size, h, w, c)
		y, err := exec.Exec1(x)
		if err != nil {
			return nil, fmt.Errorf("convae: encode: %w", err)
		}
		flat, err := tensors.CopyFlatData[float32](y)
		if err != nil {
			return nil, err
		}
		y.FinalizeAll()
		out = append(out, flat[:(end-start)*outDim]...)
	}
	return out, nil
}

// bucket rounds n up to a power of two, capped at max.
func bucket(n, max int) int {
	b := 1
	for b < n {
		b *= 2
	}
	return min(b, max)
}
