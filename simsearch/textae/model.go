package textae

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/lstm"
)

// VocabSize is the number of ids: the kept words plus the five special tokens.
func (c Config) VocabSize() int { return c.Vocab + 5 }

func (c Config) embed(ctx *context.Context, tokens *Node) *Node {
	emb := layers.Embedding(ctx.In("embed").Checked(false), tokens, dtypes.Float32, c.VocabSize(), c.Emb)
	if c.Dropout > 0 && ctx.IsTraining(tokens.Graph()) {
		emb = layers.DropoutStatic(ctx, emb, c.Dropout)
	}
	return emb
}

// Encode maps token ids [batch, SeqLen] (left-aligned, padded with <pad>), the same
// sentences reversed within their lengths, and the lengths [batch] (int32) to the code
// mean [batch, Latent]. The bidirectional LSTM is two forward LSTMs
// (one over the reversed sentences), each read at its sentence's last word: GoMLX v0.26's
// LSTM.Ragged builds a Where with a non-prefix condition shape, so padding is handled here.
func Encode(ctx *context.Context, c Config, tokens, reversed, lengths *Node) (mu *Node) {
	mu, _ = encode(ctx, c, tokens, reversed, lengths, false)
	return mu
}

func encode(ctx *context.Context, c Config, tokens, reversed, lengths *Node, withVar bool) (mu, logvar *Node) {
	dims := tokens.Shape().Dimensions
	b, s := dims[0], dims[1]
	last := func(scope string, tok *Node) *Node {
		all, _, _ := lstm.New(ctx.In(scope), c.embed(ctx, tok), c.Hidden).Done() // [S,1,B,H]
		all = Reshape(all, s, b, c.Hidden)
		sel := OneHot(Sub(lengths, OnesLike(lengths)), s, all.DType()) // [B,S]
		sel = InsertAxes(TransposeAllAxes(sel, 1, 0), -1)              // [S,B,1]
		return ReduceSum(Mul(all, sel), 0)                             // [B,H]
	}
	h := Concatenate([]*Node{last("encoder_fwd", tokens), last("encoder_bwd", reversed)}, 1)
	mu = layers.DenseWithBias(ctx.In("mu"), h, c.Latent)
	if withVar {
		// Only built when used: GoMLX v0.26's pure-Go backend fails on graphs with
		// unused nodes ("index out of range" at execution).
		logvar = layers.DenseWithBias(ctx.In("logvar"), h, c.Latent)
	}
	return mu, logvar
}

// Decode returns next-word logits [batch, SeqLen, VocabSize] for teacher-forced decoder
// inputs (<go> w1 … wn, padded) given codes z [batch, Latent].
func Decode(ctx *context.Context, c Config, z, decIn *Node) *Node {
	return decode(ctx, c, z, decIn, nil)
}

// decode is Decode with, when cand (word ids [K]) is given, logits over those words only.
func decode(ctx *context.Context, c Config, z, decIn, cand *Node) *Node {
	dims := decIn.Shape().Dimensions
	b, s := dims[0], dims[1]
	x := c.embed(ctx, decIn)
	zp := layers.DenseWithBias(ctx.In("z2emb"), z, c.Emb)
	x = Add(x, BroadcastToDims(InsertAxes(zp, 1), b, s, c.Emb))
	all, _, _ := lstm.New(ctx.In("decoder"), x, c.Hidden).Done() // [S,1,B,H]
	o := TransposeAllAxes(Reshape(all, s, b, c.Hidden), 1, 0, 2)
	if c.Dropout > 0 && ctx.IsTraining(z.Graph()) {
		o = layers.DropoutStatic(ctx, o, c.Dropout)
	}
	logits := project(ctx, c, Reshape(o, b*s, c.Hidden), cand)
	return Reshape(logits, b, s, logits.Shape().Dimensions[1])
}

// project is the output layer (the variables of layers.DenseWithBias under "out"): decoder
// states [N, Hidden] to logits over the vocabulary, or over the words cand [K] only.
func project(ctx *context.Context, c Config, o, cand *Node) *Node {
	ctx = ctx.In("out").In("dense")
	g := o.Graph()
	w := ctx.VariableWithShape("weights", shapes.Make(o.DType(), c.Hidden, c.VocabSize())).ValueGraph(g)
	bias := ctx.VariableWithShape("biases", shapes.Make(o.DType(), c.VocabSize())).ValueGraph(g)
	if cand != nil {
		idx := InsertAxes(cand, -1)                                        // [K,1]
		w = TransposeAllAxes(Gather(TransposeAllAxes(w, 1, 0), idx), 1, 0) // [Hidden,K]
		bias = Gather(bias, idx)                                           // [K]
	}
	return Add(Dot(o, w), InsertAxes(bias, 0))
}

// Batch are the graph inputs of one training batch.
type batchNodes struct {
	enc, encRev, encLen, decIn, decOut, mask *Node
	// Sampled softmax (training only): candidate word ids [K] and each target's position
	// among them [batch, SeqLen]; nil for the full softmax.
	cand, candPos *Node
}

// nll is the summed negative log-likelihood of decOut per sentence, and token accuracy
// counts.
func nll(logits, decOut, mask *Node) (perSentence, correct *Node) {
	logp := LogSoftmax(logits, -1)
	hot := OneHot(decOut, logits.Shape().Dimensions[2], logp.DType())
	tok := Neg(ReduceSum(Mul(logp, hot), -1)) // [B,S]
	perSentence = ReduceSum(Mul(tok, mask), 1)
	pred := ConvertDType(ArgMax(logits, -1, dtypes.Int32), dtypes.Int32)
	correct = ReduceAllSum(Mul(ConvertDType(Equal(pred, decOut), mask.DType()), mask))
	return
}

func bce(logits *Node, target float64) *Node {
	// mean of log(1+exp(-x)) for target 1, log(1+exp(x)) for target 0, computed stably.
	x := logits
	if target == 1 {
		x = Neg(x)
	}
	return ReduceAllMean(Add(Max(x, ZerosLike(x)), Log1P(Exp(Neg(Abs(x))))))
}

// discriminator weights are explicit so the generator's loss can use them with gradients
// stopped.
func discriminator(ctx *context.Context, c Config, g *Graph) (w1, b1, w2, b2 *Node) {
	ctx = ctx.In("disc")
	w1 = ctx.VariableWithShape("w1", shapes.Make(dtypes.Float32, c.Latent, c.DiscHidden)).ValueGraph(g)
	b1 = ctx.WithInitializer(zeros).VariableWithShape("b1", shapes.Make(dtypes.Float32, c.DiscHidden)).ValueGraph(g)
	w2 = ctx.VariableWithShape("w2", shapes.Make(dtypes.Float32, c.DiscHidden, 1)).ValueGraph(g)
	b2 = ctx.WithInitializer(zeros).VariableWithShape("b2", shapes.Make(dtypes.Float32, 1)).ValueGraph(g)
	return
}

var zeros = func(g *Graph, s shapes.Shape) *Node { return Zeros(g, s) }

func applyDisc(z, w1, b1, w2, b2 *Node) *Node {
	h := Add(Dot(z, w1), InsertAxes(b1, 0))
	h = Max(h, MulScalar(h, 0.2)) // leaky ReLU
	return Add(Dot(h, w2), InsertAxes(b2, 0))
}

// Losses are the parts of the training objective.
type losses struct {
	total, rec, adv, disc, kl, correct *Node
}

func objective(ctx *context.Context, c Config, in batchNodes) losses {
	g := in.enc.Graph()
	ctx = ctx.In("model")
	b := in.enc.Shape().Dimensions[0]
	mu, logvar := encode(ctx, c, in.enc, in.encRev, in.encLen, c.Kind == "vae")
	z := mu
	var out losses
	if c.Kind == "vae" && ctx.IsTraining(g) {
		eps := ctx.RandomNormal(g, mu.Shape())
		z = Add(mu, Mul(Exp(MulScalar(logvar, 0.5)), eps))
	}
	logits := decode(ctx, c, z, in.decIn, in.cand)
	target := in.decOut
	if in.cand != nil {
		target = in.candPos // the accuracy is then among the candidates
	}
	per, correct := nll(logits, target, in.mask)
	out.rec = ReduceAllMean(per)
	out.correct = correct
	out.total = out.rec
	switch c.Kind {
	case "vae":
		out.kl = ReduceAllMean(MulScalar(ReduceSum(Sub(Add(OnesLike(logvar), logvar), Add(Square(mu), Exp(logvar))), 1), -0.5))
		out.total = Add(out.total, MulScalar(out.kl, c.LambdaKL))
	case "aae", "daae":
		w1, b1, w2, b2 := discriminator(ctx, c, g)
		prior := ctx.RandomNormal(g, shapes.Make(z.DType(), b, c.Latent))
		out.disc = Add(bce(applyDisc(prior, w1, b1, w2, b2), 1), bce(applyDisc(StopGradient(z), w1, b1, w2, b2), 0))
		out.adv = bce(applyDisc(z, StopGradient(w1), StopGradient(b1), StopGradient(w2), StopGradient(b2)), 1)
		out.total = Add(Add(out.total, MulScalar(out.adv, c.LambdaAdv)), out.disc)
	}
	return out
}
