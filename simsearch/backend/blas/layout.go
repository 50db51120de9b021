package blas

import "math"

// gemmPlan is one DotGeneral as a batch of row-major sgemm calls:
// C[b] (m×n) = op(A[b]) (m×k) · op(B[b]) (k×n), with A[b] at a+b·strideA, B[b] at
// b+b·strideB and C[b] at c+b·m·n (the node's output, [batch, lhsCross, rhsCross], is dense).
type gemmPlan struct {
	batch, m, n, k   int
	transA, transB   bool
	lda, ldb         int
	strideA, strideB int
}

// dotParams is what the executor reads from simplego's dotGeneralNodeData.
type dotParams struct {
	lhsContracting, lhsBatch, rhsContracting, rhsBatch []int
	batch, lhsCross, rhsCross, contracting             int
}

// operandStrides finds, for one operand of the given dimensions, the memory strides of its
// three index groups as simplego normalises them: batch (flattened in the order the batch
// axes are listed), cross (the remaining axes, in axis order) and contracting (in the order
// listed). It succeeds only when each group is a contiguous run of axes whose memory order is
// that flattening order, so that element (b, x, k) lies at b·sb + x·sx + k·sk. Axes of
// dimension 1 carry no index and are ignored.
func operandStrides(dims, contracting, batch []int) (sb, sx, sk int, ok bool) {
	const (
		cross = iota
		contract
		batchT
	)
	rank := len(dims)
	kind := make([]int, rank)
	order := make([]int, rank) // position within the group's flattening order
	seen := make([]bool, rank)
	for i, a := range contracting {
		if a < 0 || a >= rank || seen[a] {
			return 0, 0, 0, false
		}
		seen[a], kind[a], order[a] = true, contract, i
	}
	for i, a := range batch {
		if a < 0 || a >= rank || seen[a] {
			return 0, 0, 0, false
		}
		seen[a], kind[a], order[a] = true, batchT, i
	}
	for a := range rank {
		if !seen[a] {
			kind[a], order[a] = cross, a
		}
	}
	// Walk from the innermost axis outwards, tracking each group's run.
	var strides [3]int
	started, closed := [3]bool{}, [3]bool{}
	last := [3]int{math.MaxInt, math.MaxInt, math.MaxInt}
	cur := -1
	stride := 1
	for a := rank - 1; a >= 0; a-- {
		d := dims[a]
		if d == 1 {
			continue
		}
		t := kind[a]
		if t != cur {
			if cur >= 0 {
				closed[cur] = true
			}
			if closed[t] { // the group was split by another one
				return 0, 0, 0, false
			}
			if !started[t] {
				started[t], strides[t] = true, stride
			}
			cur = t
		}
		if order[a] >= last[t] { // memory order differs from the flattening order
			return 0, 0, 0, false
		}
		last[t] = order[a]
		if stride > math.MaxInt32/max(d, 1) {
			return 0, 0, 0, false
		}
		stride *= d
	}
	return strides[batchT], strides[cross], strides[contract], true
}

// matrix says how a logical rows×cols matrix whose element (r, c) lies at r·sr + c·sc is
// handed to row-major sgemm: untransposed with leading dimension sr (when sc = 1) or
// transposed with leading dimension sc (when sr = 1). Unit dimensions make their stride
// irrelevant.
func matrix(rows, cols, sr, sc int) (trans bool, ld int, ok bool) {
	if cols == 1 || sc == 1 {
		ld = sr
		if rows == 1 {
			ld = cols
		}
		return false, ld, ld >= max(cols, 1)
	}
	if rows == 1 || sr == 1 {
		ld = sc
		return true, ld, ld >= max(rows, 1)
	}
	return false, 0, false
}

// plan maps a float32 DotGeneral onto sgemm, or says it cannot (ok=false: the stock kernel
// runs it).
func plan(lhsDims, rhsDims []int, p dotParams) (g gemmPlan, ok bool) {
	if p.batch <= 0 || p.lhsCross <= 0 || p.rhsCross <= 0 || p.contracting <= 0 {
		return g, false
	}
	for _, v := range []int{p.batch, p.lhsCross, p.rhsCross, p.contracting} {
		if v > math.MaxInt32 {
			return g, false
		}
	}
	if p.lhsCross > math.MaxInt32/p.rhsCross {
		return g, false
	}
	lb, lx, lk, ok1 := operandStrides(lhsDims, p.lhsContracting, p.lhsBatch)
	rb, rx, rk, ok2 := operandStrides(rhsDims, p.rhsContracting, p.rhsBatch)
	if !ok1 || !ok2 {
		return g, false
	}
	g = gemmPlan{batch: p.batch, m: p.lhsCross, n: p.rhsCross, k: p.contracting}
	var okA, okB bool
	g.transA, g.lda, okA = matrix(g.m, g.k, lx, lk) // A: [m, k]
	g.transB, g.ldb, okB = matrix(g.k, g.n, rk, rx) // B: [k, n]
	if !okA || !okB {
		return g, false
	}
	if g.batch > 1 {
		g.strideA, g.strideB = lb, rb
	}
	return g, true
}
