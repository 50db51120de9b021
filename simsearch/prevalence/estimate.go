package prevalence

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// z is the standard normal 97.5% quantile: intervals are 95%.
const z = 1.959963984540054

// Result is a prevalence estimate with its 95% interval.
type Result struct {
	P, Lo, Hi               float64 // the prevalence of X and its 95% interval, in [0, 1]
	Count, CountLo, CountHi float64 // the same times the corpus size: how many items are X
	Labelled                int     // answers used (the sample size)
	Yes                     int     // of which yes
}

// Validate checks that d is a well-formed design: strata sizes add up to Items, every
// stratum has the draws its N says, no item is drawn twice or lies outside the corpus.
func (d *Design) Validate() error {
	if d == nil {
		return errors.New("prevalence: nil design")
	}
	total := 0
	for h, s := range d.Strata {
		if s.Size < 1 || s.Drawn < 1 || s.Drawn > s.Size {
			return fmt.Errorf("prevalence: stratum %d has %d items and %d draws", h, s.Size, s.Drawn)
		}
		total += s.Size
	}
	if len(d.Strata) == 0 || total != d.Items {
		return fmt.Errorf("prevalence: strata hold %d items, design says %d", total, d.Items)
	}
	drawn := make([]int, len(d.Strata))
	seen := make(map[int]bool, len(d.Sample))
	for _, s := range d.Sample {
		switch {
		case s.Stratum < 0 || s.Stratum >= len(d.Strata):
			return fmt.Errorf("prevalence: item %d is in stratum %d, of %d", s.Item, s.Stratum, len(d.Strata))
		case s.Item < 0 || s.Item >= d.Items:
			return fmt.Errorf("prevalence: item %d is outside the corpus of %d", s.Item, d.Items)
		case seen[s.Item]:
			return fmt.Errorf("prevalence: item %d is drawn twice", s.Item)
		}
		seen[s.Item] = true
		drawn[s.Stratum]++
	}
	for h, s := range d.Strata {
		if drawn[h] != s.Drawn {
			return fmt.Errorf("prevalence: stratum %d has %d draws, design says %d", h, drawn[h], s.Drawn)
		}
	}
	return nil
}

// Estimate returns the prevalence of X in the corpus and its 95% interval from the
// user's answers (item index → is it X) for every item of d.Sample: the stratified
// estimate P = Σ W_h·x_h/n_h (W_h = N_h/N; x_h of the n_h answers in stratum h are yes)
// and the stratified score interval described in the package documentation. Missing
// answers, and answers for items outside the sample, are errors that name them.
func Estimate(d *Design, answers map[int]bool) (Result, error) {
	if err := d.Validate(); err != nil {
		return Result{}, err
	}
	var missing, extra []int
	inSample := make(map[int]bool, len(d.Sample))
	yes := make([]int, len(d.Strata))
	r := Result{Labelled: len(d.Sample)}
	for _, s := range d.Sample {
		inSample[s.Item] = true
		a, ok := answers[s.Item]
		if !ok {
			missing = append(missing, s.Item)
		} else if a {
			yes[s.Stratum]++
			r.Yes++
		}
	}
	for item := range answers {
		if !inSample[item] {
			extra = append(extra, item)
		}
	}
	if len(missing) > 0 {
		return Result{}, fmt.Errorf("prevalence: %d of %d sampled items have no answer: %s", len(missing), len(d.Sample), list(missing))
	}
	if len(extra) > 0 {
		return Result{}, fmt.Errorf("prevalence: %d answers are for items not in the sample: %s", len(extra), list(extra))
	}
	obs := make([]stratumObs, len(d.Strata))
	for h, s := range d.Strata {
		obs[h] = observe(s, yes[h], d.Items)
	}
	r.P, r.Lo, r.Hi = scoreInterval(obs)
	// What the answers prove: at least Yes items are X, at least Labelled−Yes are not
	// (P obeys both already, rounding aside).
	N := float64(d.Items)
	r.Lo = min(max(r.Lo, float64(r.Yes)/N), r.P)
	r.Hi = max(min(r.Hi, 1-float64(r.Labelled-r.Yes)/N), r.P)
	r.Count, r.CountLo, r.CountHi = r.P*N, r.Lo*N, r.Hi*N
	return r, nil
}

// list names up to ten items, in order.
func list(items []int) string {
	slices.Sort(items)
	var b strings.Builder
	for i, it := range items {
		if i == 10 {
			fmt.Fprintf(&b, " and %d more", len(items)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, it)
	}
	return b.String()
}

// stratumObs is one stratum's answers, as the interval sees them.
type stratumObs struct {
	w    float64 // W_h = N_h/N
	p    float64 // x_h/n_h
	neff float64 // n*_h = n_h(N_h−1)/(N_h−n_h): n_h with the finite-population correction; +Inf for a census
}

func observe(s Stratum, yes, N int) stratumObs {
	o := stratumObs{w: float64(s.Size) / float64(N), p: float64(yes) / float64(s.Drawn)}
	if s.Drawn >= s.Size {
		o.neff = math.Inf(1)
	} else {
		o.neff = float64(s.Drawn) * float64(s.Size-1) / float64(s.Size-s.Drawn)
	}
	return o
}

// scoreInterval returns the stratified estimate and its stratified score interval: the
// values p of the prevalence for which (p̂ − p)² ≤ z²·V(p), where V(p) is the variance
// of p̂ at the stratum rates q_h(p) that maximise the likelihood of the answers subject
// to Σ W_h q_h = p. Those rates are q_h(λ), the root in [0, 1] of
// x − n·q = λW_h·q(1−q) (Lagrange), so the search runs over λ: λ = 0 gives p̂, λ < 0
// the values above it and λ > 0 those below.
func scoreInterval(obs []stratumObs) (p, lo, hi float64) {
	fixed, free := 0.0, 0.0 // the census strata's exact share; the others' total weight
	scale := math.Inf(1)    // the λ at which the strata start to move: min n*_h/W_h
	for _, o := range obs {
		p += o.w * o.p
		if math.IsInf(o.neff, 1) {
			fixed += o.w * o.p
		} else {
			free += o.w
			scale = min(scale, o.neff/o.w)
		}
	}
	if free == 0 {
		return p, p, p
	}
	at := func(lambda float64) (pl, v float64) {
		pl = fixed
		for _, o := range obs {
			if math.IsInf(o.neff, 1) {
				continue
			}
			q := restricted(o.p*o.neff, o.neff, lambda*o.w)
			pl += o.w * q
			v += o.w * o.w * q * (1 - q) / o.neff
		}
		return pl, v
	}
	outside := func(lambda float64) bool {
		pl, v := at(lambda)
		d := pl - p
		return d*d > z*z*v
	}
	end := func(sign float64) float64 {
		in, out := 0.0, sign*scale/1024
		for i := 0; !outside(out); i++ {
			if i == 200 { // the rates cannot move further: p̂ is at the edge
				pl, _ := at(out)
				return pl
			}
			in, out = out, 2*out
		}
		for range 100 {
			mid := (in + out) / 2
			if outside(mid) {
				out = mid
			} else {
				in = mid
			}
		}
		pl, _ := at(in)
		return pl
	}
	lo, hi = end(1), end(-1)
	return p, min(max(lo, 0), p), max(min(hi, 1), p)
}

// restricted maximises x·log q + (n−x)·log(1−q) − a·q over q in [0, 1]: the root of
// x − n·q − a·q(1−q) = 0 where that expression falls through zero.
func restricted(x, n, a float64) float64 {
	if a == 0 {
		return x / n
	}
	b := a + n
	var q float64
	if x <= 0 {
		if b < 0 {
			q = b / a
		}
	} else { // the smaller root for a > 0, the larger for a < 0, written without cancellation
		sq := math.Sqrt(max(b*b-4*a*x, 0))
		if b >= 0 {
			q = 2 * x / (b + sq)
		} else {
			q = (b - sq) / (2 * a)
		}
	}
	return min(max(q, 0), 1)
}
