package textae

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/corpushunt/corpushunt/simsearch/checkpoint"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// EncoderName identifies this encoder in index manifests.
const EncoderName = "textae"

// Encoder maps sentences to their code means with a trained model.
type Encoder struct {
	Dir   string
	Meta  *Meta
	Vocab *Vocab
	mu    sync.Mutex
	exec  *gctx.Exec
	mctx  *gctx.Context
	be    backends.Backend
	Batch int // sentences per backend call; default 512

	checksum string
	// Fallback says which older checkpoint was loaded when the newest failed to load.
	Fallback string
}

// LoadEncoder loads a model directory written by Train.
func LoadEncoder(be backends.Backend, dir string) (*Encoder, error) {
	mp, err := ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	m := *mp
	v, err := LoadVocab(filepath.Join(dir, VocabFile))
	if err != nil {
		return nil, err
	}
	mctx := gctx.New()
	ckpt, fallback, err := checkpoint.Load(mctx, filepath.Join(dir, CheckpointDir))
	if err != nil {
		return nil, fmt.Errorf("text model %s: %w", dir, err)
	}
	sum, err := checkpoint.WeightsChecksum(ckpt.LoadedVariables(), "var:/model/")
	if err != nil {
		return nil, fmt.Errorf("text model %s: %w", dir, err)
	}
	c := m.Config
	exec, err := gctx.NewExecAny(be, mctx.Reuse(), func(ctx *gctx.Context, tok, rev, n *Node) *Node {
		return Encode(ctx.In("model"), c, tok, rev, n)
	})
	if err != nil {
		return nil, err
	}
	return &Encoder{Dir: dir, Meta: &m, Vocab: v, exec: exec, mctx: mctx, be: be, Batch: 512, checksum: sum, Fallback: fallback}, nil
}

// Dim is the code size.
func (e *Encoder) Dim() int { return e.Meta.Config.Latent }

// Info describes the encoder for index manifests.
func (e *Encoder) Info() index.EncoderInfo {
	abs, _ := filepath.Abs(e.Dir)
	return index.EncoderInfo{Name: EncoderName, Version: "1", Model: abs, Checksum: e.checksum,
		Params: map[string]string{"kind": e.Meta.Config.Kind, "size": e.Meta.Config.Name}}
}

// EncodeTokens maps tokenised sentences to code means (unknown words → <unk>, sentences
// cut at MaxLen).
func (e *Encoder) EncodeTokens(ctx context.Context, sentences [][]string) ([]float32, error) {
	c := e.Meta.Config
	s, kept := Prepare(sentences, e.Vocab, c.MaxLen)
	if len(kept) != len(sentences) {
		return nil, fmt.Errorf("textae: %d of %d sentences are empty", len(sentences)-len(kept), len(sentences))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]float32, 0, len(s)*c.Latent)
	r := rand.New(rand.NewPCG(1, 1))
	for start := 0; start < len(s); start += e.Batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		end := min(start+e.Batch, len(s))
		rows := end - start
		if rows < e.Batch && len(s) > e.Batch {
			rows = e.Batch // one compiled shape for streams
		}
		idx := make([]int, rows)
		for i := range idx {
			idx[i] = min(start+i, end-1)
		}
		in := c.batchTensors(s, idx, r, false)
		y, err := e.exec.Exec1(in[0], in[1], in[2])
		if err != nil {
			return nil, fmt.Errorf("textae: encode: %w", err)
		}
		flat := tensors.MustCopyFlatData[float32](y)
		y.FinalizeAll()
		out = append(out, flat[:(end-start)*c.Latent]...)
	}
	return out, nil
}

// Evaluate scores the loaded model on sentences (see the package function).
func (e *Encoder) Evaluate(s Sentences) (nllPerSent, tokenAcc float64, err error) {
	return Evaluate(e.be, e.mctx.Reuse(), e.Meta.Config, s, 256)
}

// Known reports whether a token is in the model's vocabulary (else it reads as <unk>).
func (e *Encoder) Known(tok string) bool { return e.Vocab.ID(tok) != UnkID }
