package prevalence

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// MinPerStratum is the fewest items Plan draws from a stratum (all of it when smaller),
// so that no stratum's rate rests on a single answer.
const MinPerStratum = 2

// DefaultStrata is the number of strata Plan makes when Options.Strata is 0.
const DefaultStrata = 5

// DefaultPrior is the guessed prevalence Plan allocates for when Options.Prior is 0.
const DefaultPrior = 0.05

// Options tunes Plan. The zero value is a good start.
type Options struct {
	// Strata is the number of score strata (DefaultStrata when 0). Ties in the scores
	// can leave fewer: items with equal scores always share a stratum.
	Strata int
	// Seed makes the draw reproducible: the same scores, n and Options give the same
	// Design.
	Seed uint64
	// Prior is a guess of the prevalence of X, in (0, 1), used only to allocate the
	// sample across strata (DefaultPrior when 0). A poor guess costs precision, never
	// validity: the interval does not use it.
	Prior float64
}

// Stratum is one score band of the corpus.
type Stratum struct {
	Lo    float32 `json:"lo"`    // lowest score of its items
	Hi    float32 `json:"hi"`    // highest score of its items
	Size  int     `json:"size"`  // N_h: items of the corpus in it
	Drawn int     `json:"drawn"` // n_h: items of the sample drawn from it
}

// Draw is one sampled item.
type Draw struct {
	Item    int `json:"item"`    // index into the scores given to Plan
	Stratum int `json:"stratum"` // index into Design.Strata
}

// Design is a stratified random sample of a scored corpus. It marshals to and from JSON
// as is; call Validate on one read back.
type Design struct {
	Items  int       `json:"items"`  // N: the corpus size
	Seed   uint64    `json:"seed"`   // the Options.Seed it was drawn with
	Strata []Stratum `json:"strata"` // from the highest scores to the lowest
	Sample []Draw    `json:"sample"` // in a random order, to show the user as is
}

// Plan draws a stratified random sample of n of the len(scores) items, for the user to
// label. Strata are bands of score ranks, each twice the size of the one above it: with
// H strata the top one holds the highest 1/(2^H−1) of the items (with 5: 3.2%, 6.5%,
// 12.9%, 25.8% and 51.6%), since X is usually rare and concentrated at high scores.
// The sample is Neyman-allocated, n_h ∝ N_h·√(π_h(1−π_h)), at least MinPerStratum per
// stratum (all of a smaller one), for prior rates π_h = min(½, π·(½ + 1/(2H·W_h))),
// W_h = N_h/N, π = Options.Prior: a classifier that ranks half of the positives, in equal
// shares per stratum, and misses the other half, spread evenly. Items are drawn without
// replacement within strata, and Design.Sample is shuffled. Items with equal scores
// share a stratum, so ties can make strata uneven or fewer (all tied: one stratum,
// simple random sampling). Time and memory are linear in len(scores).
//
// Scores may be on any scale (only their order matters) but must be finite. n must be
// at least MinPerStratum·Strata and at most len(scores).
func Plan(scores []float32, n int, o Options) (*Design, error) {
	N := len(scores)
	H := o.Strata
	if H == 0 {
		H = DefaultStrata
	}
	prior := o.Prior
	if prior == 0 {
		prior = DefaultPrior
	}
	switch {
	case N == 0:
		return nil, errors.New("prevalence: no scores")
	case H < 1 || H > 20:
		return nil, fmt.Errorf("prevalence: %d strata, want 1 to 20", H)
	case !(prior > 0 && prior < 1):
		return nil, fmt.Errorf("prevalence: prior %g, want it in (0, 1)", o.Prior)
	case n > N:
		return nil, fmt.Errorf("prevalence: sample of %d from only %d items", n, N)
	case n < MinPerStratum*H:
		return nil, fmt.Errorf("prevalence: sample of %d is too small for %d strata (want at least %d)", n, H, MinPerStratum*H)
	}
	st, err := stratify(scores, H)
	if err != nil {
		return nil, err
	}
	return st.draw(n, prior, o.Seed), nil
}

// stratification is the part of a plan that the seed and n do not change.
type stratification struct {
	items   int
	strata  []Stratum // Drawn unset
	members []int32   // the items of stratum h, in index order, are members[start[h]:start[h+1]]
	start   []int
}

// stratify splits the items into at most H score strata (see Plan).
func stratify(scores []float32, H int) (*stratification, error) {
	N := len(scores)
	// Sortable keys of the scores and a histogram of their top 16 bits.
	keys := make([]uint32, N)
	hist := make([]int32, 1<<16)
	for i, s := range scores {
		if s != s || s > math.MaxFloat32 || s < -math.MaxFloat32 {
			return nil, fmt.Errorf("prevalence: score of item %d is %v", i, s)
		}
		k := sortKey(s)
		keys[i] = k
		hist[k>>16]++
	}
	tkey := thresholds(keys, hist, H)
	stratum := func(k uint32) int { // the number of thresholds above k
		h := 0
		for _, t := range tkey {
			if k < t {
				h++
			}
		}
		return h
	}

	// Stratum sizes and key ranges; drop the empty ones (ties).
	size := make([]int, H)
	lo := make([]uint32, H)
	hi := make([]uint32, H)
	for h := range lo {
		lo[h] = math.MaxUint32
	}
	of := make([]uint8, N)
	for i, k := range keys {
		h := stratum(k)
		of[i] = uint8(h)
		size[h]++
		lo[h] = min(lo[h], k)
		hi[h] = max(hi[h], k)
	}
	renum := make([]int, H)
	st := &stratification{items: N}
	for h := range H {
		renum[h] = len(st.strata)
		if size[h] > 0 {
			st.strata = append(st.strata, Stratum{Lo: fromKey(lo[h]), Hi: fromKey(hi[h]), Size: size[h]})
		}
	}
	st.start = make([]int, len(st.strata)+1)
	for h, s := range st.strata {
		st.start[h+1] = st.start[h] + s.Size
	}
	st.members = make([]int32, N)
	next := slices.Clone(st.start[:len(st.strata)])
	for i, h := range of {
		h := renum[h]
		st.members[next[h]] = int32(i)
		next[h]++
	}
	return st, nil
}

// draw allocates n draws to the strata and draws them: in each stratum a partial
// Fisher–Yates shuffle of its members, kept sparse (only the swapped places are
// stored), then a shuffle of the whole sample.
func (st *stratification) draw(n int, prior float64, seed uint64) *Design {
	d := &Design{Items: st.items, Seed: seed, Strata: slices.Clone(st.strata)}
	allocate(d.Strata, n, prior)
	rng := newRand(seed)
	d.Sample = make([]Draw, 0, n)
	for h, s := range d.Strata {
		m := st.members[st.start[h]:st.start[h+1]]
		swapped := make(map[int]int32, s.Drawn) // place → the member there now
		at := func(i int) int32 {
			if v, ok := swapped[i]; ok {
				return v
			}
			return m[i]
		}
		for j := range s.Drawn {
			r := j + rng.intn(len(m)-j)
			pick := at(r)
			swapped[r] = at(j)
			d.Sample = append(d.Sample, Draw{Item: int(pick), Stratum: h})
		}
	}
	for i := len(d.Sample) - 1; i > 0; i-- {
		j := rng.intn(i + 1)
		d.Sample[i], d.Sample[j] = d.Sample[j], d.Sample[i]
	}
	return d
}

// allocate sets the Drawn of every stratum: Neyman allocation of n for the prior rates,
// at least MinPerStratum each, at most the stratum's size. The continuous allocation
// clamp(c·want_h, min_h, N_h) is solved for c by bisection, then rounded by largest
// remainder.
func allocate(st []Stratum, n int, prior float64) {
	H := len(st)
	N := 0
	for _, s := range st {
		N += s.Size
	}
	want := make([]float64, H)
	for h, s := range st {
		w := float64(s.Size) / float64(N)
		pi := min(0.5, prior*(0.5+0.5/(float64(H)*w)))
		want[h] = w * math.Sqrt(pi*(1-pi))
	}
	share := func(c float64, h int) float64 {
		return min(max(c*want[h], float64(min(MinPerStratum, st[h].Size))), float64(st[h].Size))
	}
	sum := func(c float64) float64 {
		t := 0.0
		for h := range st {
			t += share(c, h)
		}
		return t
	}
	lo, hi := 0.0, 1.0
	for sum(hi) < float64(n) {
		hi *= 2
	}
	for range 100 {
		if mid := (lo + hi) / 2; sum(mid) < float64(n) {
			lo = mid
		} else {
			hi = mid
		}
	}
	got := 0
	rem := make([]float64, H)
	for h := range st {
		x := share(hi, h)
		st[h].Drawn = int(x)
		rem[h] = x - float64(st[h].Drawn)
		got += st[h].Drawn
	}
	for ; got < n; got++ { // n ≤ N: some stratum has room
		best := -1
		for h := range st {
			if st[h].Drawn < st[h].Size && (best < 0 || rem[h] > rem[best]) {
				best = h
			}
		}
		st[best].Drawn++
		rem[best] = -1
	}
	for ; got > n; got-- { // rounding up at hi: take back the smallest remainders
		best := -1
		for h := range st {
			if st[h].Drawn > min(MinPerStratum, st[h].Size) && (best < 0 || rem[h] < rem[best]) {
				best = h
			}
		}
		st[best].Drawn--
		rem[best] = 2
	}
}

// Above counts the items whose score is at least threshold: what a hard cut at that
// score would call X.
func Above(scores []float32, threshold float32) int {
	c := 0
	for _, s := range scores {
		if s >= threshold {
			c++
		}
	}
	return c
}

// thresholds returns the keys t[0] ≥ … ≥ t[H−2] that split the items into H rank bands
// from the top, each twice the size of the one above: t[k] is the smallest key among the
// round((2^(k+1)−1)/(2^H−1)·N) highest (at least 1). It finds each in the histogram of
// the keys' top 16 bits, then sorts just that bucket.
func thresholds(keys []uint32, hist []int32, H int) []uint32 {
	N := len(keys)
	t := make([]uint32, H-1)
	rank := make([]int, H-1) // ascending, 0-based rank of t[k]: falls as k rises
	total := float64(int(1)<<H - 1)
	for k := range rank {
		top := max(1, int(math.Round(float64(int(1)<<(k+1)-1)/total*float64(N))))
		rank[k] = max(N-top, 0)
	}
	// The bucket of each threshold and its rank there; mark those buckets in hist with
	// −1−slot (counts are never negative).
	bucket := make([]int, H-1)
	var sizes []int // of the marked buckets, by slot
	count := func(b int) int {
		if c := int(hist[b]); c >= 0 {
			return c
		}
		return sizes[-1-hist[b]]
	}
	cum, b := 0, 0 // items in the buckets below b
	for k := H - 2; k >= 0; k-- {
		for cum+count(b) <= rank[k] {
			cum += count(b)
			b++
		}
		bucket[k] = b
		rank[k] -= cum
		if hist[b] >= 0 { // not yet marked by a lower threshold
			sizes = append(sizes, int(hist[b]))
			hist[b] = int32(-len(sizes))
		}
	}
	members := make([][]uint32, len(sizes))
	for s, c := range sizes {
		members[s] = make([]uint32, 0, c)
	}
	for _, key := range keys {
		if v := hist[key>>16]; v < 0 {
			members[-1-v] = append(members[-1-v], key)
		}
	}
	for _, m := range members {
		slices.Sort(m)
	}
	for k := range t {
		t[k] = members[-1-hist[bucket[k]]][rank[k]]
	}
	return t
}

// sortKey maps a finite score to a key with the same order (−0 and +0 alike).
func sortKey(s float32) uint32 {
	if s == 0 {
		s = 0
	}
	b := math.Float32bits(s)
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

// fromKey inverts sortKey.
func fromKey(k uint32) float32 {
	if k>>31 != 0 {
		return math.Float32frombits(k &^ (1 << 31))
	}
	return math.Float32frombits(^k)
}

// splitmix is SplitMix64 (Steele, Lea & Flood 2014): small, fast, and fixed here, so a
// seed gives the same sample with every Go version.
type splitmix struct{ s uint64 }

func newRand(seed uint64) *splitmix { return &splitmix{seed ^ 0x5eed_c0de_9e37_79b9} }

func (r *splitmix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn is uniform on [0, n), n > 0 (Lemire's multiply-and-reject).
func (r *splitmix) intn(n int) int {
	bound := uint64(n)
	for {
		hi, lo := bits.Mul64(r.next(), bound)
		if lo >= bound || lo >= (-bound)%bound {
			return int(hi)
		}
	}
}
