package trainops

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

var (
	installOnce                           sync.Once
	stockDotGeneralVJP, stockDotVJP, ours VJP
	oursDot                               VJP
)

// UseStockDotGradients switches between GoMLX's own DotGeneral/Dot gradient rules (true)
// and this package's (false, the default after New). It exists so benchmarks can measure
// the difference in one run; it changes process-wide state, so do not call it while
// graphs are being built concurrently.
func UseStockDotGradients(stock bool) {
	InstallGradients()
	if stock {
		VJPRegistration[NodeTypeDotGeneral], VJPRegistration[NodeTypeDot] = stockDotGeneralVJP, stockDotVJP
	} else {
		VJPRegistration[NodeTypeDotGeneral], VJPRegistration[NodeTypeDot] = ours, oursDot
	}
}

// InstallGradients replaces GoMLX's DotGeneral and matrix×matrix Dot gradient rules with
// ones built from DotGeneral (two products instead of a broadcast product). It is
// idempotent and is called by New.
func InstallGradients() {
	installOnce.Do(func() {
		stockDotGeneralVJP, stockDotVJP = VJPRegistration[NodeTypeDotGeneral], VJPRegistration[NodeTypeDot]
		ours = func(node *Node, v []*Node, _ shapes.Shape) []*Node {
			return DotGeneralVJP(node, v[0])
		}
		VJPRegistration[NodeTypeDotGeneral] = ours
		if _, ok := VJPRegistration[NodeTypePad]; !ok {
			VJPRegistration[NodeTypePad] = func(node *Node, v []*Node, _ shapes.Shape) []*Node {
				return []*Node{PadVJP(node, v[0]), nil}
			}
		}
		if _, ok := VJPRegistration[NodeTypeReverse]; !ok {
			VJPRegistration[NodeTypeReverse] = func(node *Node, v []*Node, _ shapes.Shape) []*Node {
				m := reverseRe.FindStringSubmatch(node.String())
				if m == nil {
					panicf("backend: cannot read Reverse axes from %q", node.String())
				}
				var axes []int
				for _, f := range strings.Fields(m[1]) {
					a, _ := strconv.Atoi(f)
					axes = append(axes, a)
				}
				return []*Node{Reverse(v[0], axes...)}
			}
		}
		oursDot = func(node *Node, v []*Node, out shapes.Shape) []*Node {
			ins := node.Inputs()
			if ins[0].Rank() == 2 && ins[1].Rank() == 2 {
				return MatMulVJP(ins[0], ins[1], v[0])
			}
			return stockDotVJP(node, v, out)
		}
		VJPRegistration[NodeTypeDot] = oursDot
	})
}

// MatMulVJP returns the gradients of a·b (a [i,j], b [j,k]) given v [i,k]: v·bᵀ and aᵀ·v.
func MatMulVJP(a, b, v *Node) []*Node {
	return []*Node{
		DotGeneral(v, []int{1}, nil, b, []int{1}, nil), // [i,k]·[j,k] over k → [i,j]
		DotGeneral(a, []int{0}, nil, v, []int{0}, nil), // [i,j]·[i,k] over i → [j,k]
	}
}

var reverseRe = regexp.MustCompile(`axes=\[([0-9 ]*)\]`)

var padRe = regexp.MustCompile(`\{Start:(-?\d+) End:(-?\d+) Interior:(\d+)\}`)

// PadVJP is the gradient of Pad with respect to its operand (the fill value is treated as
// a constant): undo the edge padding (crop, or zero-pad where Pad cropped), then keep
// every (interior+1)-th element.
func PadVJP(node, v *Node) *Node {
	x := node.Inputs()[0]
	ms := padRe.FindAllStringSubmatch(node.String(), -1)
	if len(ms) > x.Rank() {
		ms = ms[:x.Rank()]
	}
	undo := make([]backends.PadAxis, x.Rank())
	strided := false
	for i, m := range ms {
		start, _ := strconv.Atoi(m[1])
		end, _ := strconv.Atoi(m[2])
		interior, _ := strconv.Atoi(m[3])
		undo[i] = backends.PadAxis{Start: -start, End: -end}
		strided = strided || interior > 0
	}
	g := Pad(v, ScalarZero(v.Graph(), v.DType()), undo...)
	if !strided {
		return g
	}
	specs := make([]SliceAxisSpec, x.Rank())
	for i := range specs {
		specs[i] = AxisRange()
		if i < len(ms) {
			interior, _ := strconv.Atoi(ms[i][3])
			specs[i] = AxisRange().Stride(interior + 1)
		}
	}
	return Slice(g, specs...)
}

// dotAxes are the axes of a DotGeneral node.
type dotAxes struct {
	lc, lb, rc, rb []int
}

var dotRe = regexp.MustCompile(`lhsContractingAxes=\[([0-9 ]*)\], lhsBatchAxes=\[([0-9 ]*)\], rhs=\[#\d+\], rhsContractingAxes=\[([0-9 ]*)\], rhsBatchAxes=\[([0-9 ]*)\]`)

// parseDotAxes reads the axes of a DotGeneral node from its description: GoMLX v0.26.0
// exposes them nowhere else. TestParseDotAxes guards the format.
func parseDotAxes(node *Node) dotAxes {
	m := dotRe.FindStringSubmatch(node.String())
	if m == nil {
		panicf("backend: cannot read DotGeneral axes from %q (GoMLX format changed?)", node.String())
	}
	ints := func(s string) []int {
		var out []int
		for _, f := range strings.Fields(s) {
			v, err := strconv.Atoi(f)
			if err != nil {
				panicf("backend: bad axis %q in %q", f, node.String())
			}
			out = append(out, v)
		}
		return out
	}
	return dotAxes{ints(m[1]), ints(m[2]), ints(m[3]), ints(m[4])}
}

// freeAxes returns the axes of a rank-r operand that are neither contracting nor batch,
// in increasing order.
func freeAxes(rank int, contracting, batch []int) []int {
	var out []int
	for a := 0; a < rank; a++ {
		if !slices.Contains(contracting, a) && !slices.Contains(batch, a) {
			out = append(out, a)
		}
	}
	return out
}

func iotaFrom(start, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = start + i
	}
	return out
}

// DotGeneralVJP returns the gradients of a DotGeneral node with respect to both operands
// given v, the gradient with respect to its output, each computed as one DotGeneral plus
// a transpose.
func DotGeneralVJP(node, v *Node) []*Node {
	ins := node.Inputs()
	lhs, rhs := ins[0], ins[1]
	ax := parseDotAxes(node)
	nb := len(ax.lb)
	lFree := freeAxes(lhs.Rank(), ax.lc, ax.lb)
	rFree := freeAxes(rhs.Rank(), ax.rc, ax.rb)
	vBatch := iotaFrom(0, nb)
	vLFree := iotaFrom(nb, len(lFree))
	vRFree := iotaFrom(nb+len(lFree), len(rFree))

	// d lhs = v · rhs, contracting the rhs free axes. Result: [batch, lFree, rc sorted].
	dl := DotGeneral(v, vRFree, vBatch, rhs, rFree, ax.rb)
	rcSorted := slices.Sorted(slices.Values(ax.rc))
	srcL := make([]int, lhs.Rank())
	for i, a := range ax.lb {
		srcL[a] = i
	}
	for j, a := range lFree {
		srcL[a] = nb + j
	}
	for t, rc := range rcSorted {
		idx := slices.Index(ax.rc, rc)
		srcL[ax.lc[idx]] = nb + len(lFree) + t
	}
	dl = transposeIfNeeded(dl, srcL)

	// d rhs = lhs · v, contracting the lhs free axes. Result: [batch, lc sorted, rFree].
	dr := DotGeneral(lhs, lFree, ax.lb, v, vLFree, vBatch)
	lcSorted := slices.Sorted(slices.Values(ax.lc))
	srcR := make([]int, rhs.Rank())
	for i, a := range ax.rb {
		srcR[a] = i
	}
	for t, lc := range lcSorted {
		idx := slices.Index(ax.lc, lc)
		srcR[ax.rc[idx]] = nb + t
	}
	for j, a := range rFree {
		srcR[a] = nb + len(lcSorted) + j
	}
	dr = transposeIfNeeded(dr, srcR)
	if !dl.Shape().Equal(lhs.Shape()) || !dr.Shape().Equal(rhs.Shape()) {
		panicf("backend: DotGeneralVJP shapes %s, %s for operands %s, %s", dl.Shape(), dr.Shape(), lhs.Shape(), rhs.Shape())
	}
	return []*Node{dl, dr}
}

func transposeIfNeeded(x *Node, perm []int) *Node {
	for i, p := range perm {
		if i != p {
			return TransposeAllAxes(x, perm...)
		}
	}
	return x
}

// panicf panics inside graph building, as GoMLX itself does there.
func panicf(format string, args ...any) { panic(fmt.Errorf(format, args...)) }
