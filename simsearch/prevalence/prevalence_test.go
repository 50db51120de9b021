package prevalence

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// normalScores gives N scores: the first round(p·N) items are X, scored N(d, 1), the
// others N(0, 1) (d = 0: a useless classifier).
func normalScores(N int, p, d float64, seed uint64) ([]float32, []bool) {
	rng := rand.New(rand.NewPCG(seed, 1))
	k := int(math.Round(p * float64(N)))
	s := make([]float32, N)
	x := make([]bool, N)
	for i := range s {
		mean := 0.0
		if i < k {
			x[i], mean = true, d
		}
		s[i] = float32(mean + rng.NormFloat64())
	}
	return s, x
}

// cifarScores is CIFAR-10-like: ten classes of 10% each and a classifier for class 0
// (score N(2, 1)) that confuses it somewhat with class 1 (N(1.2, 1)), a little with
// classes 2 and 3 (N(0.6, 1)) and not with the rest (N(0, 1)).
func cifarScores(N int, seed uint64) ([]float32, []bool) {
	rng := rand.New(rand.NewPCG(seed, 2))
	means := []float64{2, 1.2, 0.6, 0.6, 0, 0, 0, 0, 0, 0}
	s := make([]float32, N)
	x := make([]bool, N)
	for i := range s {
		c := i % 10
		x[i] = c == 0
		s[i] = float32(means[c] + rng.NormFloat64())
	}
	return s, x
}

// answer is a user who knows the truth.
func answer(d *Design, truth []bool) map[int]bool {
	a := make(map[int]bool, len(d.Sample))
	for _, s := range d.Sample {
		a[s.Item] = truth[s.Item]
	}
	return a
}

// checkDesign checks everything Plan promises about d.
func checkDesign(t *testing.T, scores []float32, n int, d *Design) {
	t.Helper()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Items != len(scores) || len(d.Sample) != n {
		t.Fatalf("design over %d items with %d draws, want %d and %d", d.Items, len(d.Sample), len(scores), n)
	}
	size, drawn := 0, 0
	for h, s := range d.Strata {
		size += s.Size
		drawn += s.Drawn
		if s.Drawn < min(MinPerStratum, s.Size) || s.Drawn > s.Size {
			t.Errorf("stratum %d: %d draws of %d items", h, s.Drawn, s.Size)
		}
		if s.Lo > s.Hi || (h > 0 && s.Hi >= d.Strata[h-1].Lo) {
			t.Errorf("stratum %d: scores [%g, %g] overlap or are out of order (above: [%g, %g])", h, s.Lo, s.Hi, d.Strata[h-1].Lo, d.Strata[h-1].Hi)
		}
	}
	if size != len(scores) || drawn != n {
		t.Errorf("strata hold %d items and %d draws, want %d and %d", size, drawn, len(scores), n)
	}
	count := make([]int, len(d.Strata))
	for _, s := range scores {
		for h, st := range d.Strata {
			if st.Lo <= s && s <= st.Hi {
				count[h]++
			}
		}
	}
	for h, st := range d.Strata {
		if count[h] != st.Size {
			t.Errorf("stratum %d: %d scores in [%g, %g], size %d", h, count[h], st.Lo, st.Hi, st.Size)
		}
	}
	for _, s := range d.Sample {
		st := d.Strata[s.Stratum]
		if sc := scores[s.Item]; sc < st.Lo || sc > st.Hi {
			t.Errorf("item %d (score %g) drawn in stratum %d [%g, %g]", s.Item, sc, s.Stratum, st.Lo, st.Hi)
		}
	}
}

func TestPlan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name   string
		N, n   int
		strata int
		score  func(i int) float32
	}{
		{"normal", 20000, 100, 0, func(int) float32 { return float32(rng.NormFloat64()) }},
		{"probabilities", 5000, 300, 0, func(int) float32 { return float32(1 / (1 + math.Exp(-3*rng.NormFloat64()))) }},
		{"negative and zero", 1000, 40, 4, func(i int) float32 { return -float32(i % 7) }},
		{"heavy ties", 1000, 20, 5, func(i int) float32 { return float32(i%3) / 2 }},
		{"one stratum", 500, 50, 1, func(int) float32 { return float32(rng.Float64()) }},
		{"census", 30, 30, 5, func(i int) float32 { return float32(i) }},
		{"tiny", 10, 10, 5, func(i int) float32 { return float32(i) }},
		{"huge spread", 3000, 60, 6, func(i int) float32 { return float32(math.Ldexp(1, i%200-100)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			scores := make([]float32, c.N)
			for i := range scores {
				scores[i] = c.score(i)
			}
			d, err := Plan(scores, c.n, Options{Strata: c.strata, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			checkDesign(t, scores, c.n, d)
		})
	}
}

func TestPlanStrataDouble(t *testing.T) {
	scores := make([]float32, 3100)
	for i := range scores {
		scores[i] = float32((i*7919)%3100) / 100 // distinct, shuffled
	}
	d, err := Plan(scores, 100, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkDesign(t, scores, 100, d)
	var sizes []int
	for _, s := range d.Strata {
		sizes = append(sizes, s.Size)
	}
	if want := []int{100, 200, 400, 800, 1600}; !slices.Equal(sizes, want) {
		t.Errorf("stratum sizes %v, want %v", sizes, want)
	}
	if d.Strata[0].Hi != 30.99 || d.Strata[0].Lo != 30 || d.Strata[4].Lo != 0 || d.Strata[4].Hi != 15.99 {
		t.Errorf("strata ranges %+v", d.Strata)
	}
	// More draws per item at the top, since X is taken to be concentrated there.
	for h := 1; h < len(d.Strata); h++ {
		a, b := d.Strata[h-1], d.Strata[h]
		if float64(a.Drawn)/float64(a.Size) <= float64(b.Drawn)/float64(b.Size) {
			t.Errorf("stratum %d is sampled at %d/%d, no more than stratum %d at %d/%d", h-1, a.Drawn, a.Size, h, b.Drawn, b.Size)
		}
	}
	t.Logf("allocation of 100: %+v", d.Strata)
}

// TestThresholds checks the histogram selection against a full sort, ties and all.
func TestThresholds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		N := 1 + rng.IntN(3000)
		H := 1 + rng.IntN(8)
		levels := 1 + rng.IntN(2*N)
		scores := make([]float32, N)
		for i := range scores {
			scores[i] = float32(rng.IntN(levels)-levels/3) * float32(math.Pow(10, float64(rng.IntN(3)-1)))
		}
		keys := make([]uint32, N)
		hist := make([]int32, 1<<16)
		for i, s := range scores {
			keys[i] = sortKey(s)
			hist[keys[i]>>16]++
			if fromKey(keys[i]) != s {
				t.Fatalf("fromKey(sortKey(%g)) = %g", s, fromKey(keys[i]))
			}
		}
		got := thresholds(keys, hist, H)
		sorted := slices.Clone(scores)
		slices.Sort(sorted)
		for k := range got {
			top := max(1, int(math.Round(float64(int(1)<<(k+1)-1)/float64(int(1)<<H-1)*float64(N))))
			if want := sorted[N-top]; fromKey(got[k]) != want {
				t.Fatalf("trial %d (N %d, H %d): threshold %d is %g, want %g", trial, N, H, k, fromKey(got[k]), want)
			}
		}
	}
}

func TestPlanDeterministic(t *testing.T) {
	scores, _ := normalScores(5000, 0.05, 1.5, 1)
	a, err := Plan(scores, 120, Options{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Plan(scores, 120, Options{Seed: 42})
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave two designs")
	}
	c, _ := Plan(scores, 120, Options{Seed: 43})
	if reflect.DeepEqual(a.Sample, c.Sample) {
		t.Error("seeds 42 and 43 gave the same sample")
	}
	if !reflect.DeepEqual(a.Strata, c.Strata) {
		t.Error("the strata depend on the seed")
	}
	// The sample is shuffled: not grouped by stratum.
	sorted := slices.IsSortedFunc(a.Sample, func(x, y Draw) int { return x.Stratum - y.Stratum })
	if sorted {
		t.Error("the sample is in stratum order")
	}
}

func TestPlanErrors(t *testing.T) {
	ok := []float32{5, 4, 3, 2, 1, 0, -1, -2, -3, -4, -5, -6}
	nan := slices.Clone(ok)
	nan[3] = float32(math.NaN())
	inf := slices.Clone(ok)
	inf[7] = float32(math.Inf(-1))
	for _, c := range []struct {
		name   string
		scores []float32
		n      int
		o      Options
		want   string
	}{
		{"empty", nil, 0, Options{}, "no scores"},
		{"n > N", ok, 13, Options{Strata: 2}, "sample of 13 from only 12 items"},
		{"n < 2·strata", ok, 9, Options{}, "too small for 5 strata"},
		{"n < 2·strata, set", ok, 5, Options{Strata: 3}, "too small for 3 strata"},
		{"zero n", ok, 0, Options{Strata: 1}, "too small"},
		{"NaN", nan, 10, Options{}, "score of item 3 is NaN"},
		{"Inf", inf, 10, Options{}, "score of item 7 is -Inf"},
		{"strata", ok, 10, Options{Strata: -1}, "-1 strata"},
		{"prior", ok, 10, Options{Prior: 1.5}, "prior 1.5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Plan(c.scores, c.n, c.o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one with %q", err, c.want)
			}
		})
	}
}

func TestPlanAllTied(t *testing.T) {
	scores := make([]float32, 1000)
	d, err := Plan(scores, 50, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkDesign(t, scores, 50, d)
	if len(d.Strata) != 1 {
		t.Errorf("%d strata for tied scores, want 1 (simple random sampling)", len(d.Strata))
	}
}

func TestAbove(t *testing.T) {
	scores := []float32{0.9, 0.5, 0.5, 0.1, -2}
	for _, c := range []struct {
		t    float32
		want int
	}{{0.5, 3}, {0.51, 1}, {-3, 5}, {1, 0}} {
		if got := Above(scores, c.t); got != c.want {
			t.Errorf("Above(%g) = %d, want %d", c.t, got, c.want)
		}
	}
}

// design makes a Design by hand: strata of the given sizes and draws, items numbered
// from 0 through the strata, the first draws of each stratum.
func design(sizes, drawn []int) *Design {
	d := &Design{}
	for h := range sizes {
		d.Strata = append(d.Strata, Stratum{Lo: float32(-h), Hi: float32(-h), Size: sizes[h], Drawn: drawn[h]})
		for i := range drawn[h] {
			d.Sample = append(d.Sample, Draw{Item: d.Items + i, Stratum: h})
		}
		d.Items += sizes[h]
	}
	return d
}

// answers says yes to the first yes[h] draws of stratum h of a design().
func answers(d *Design, yes []int) map[int]bool {
	a := map[int]bool{}
	seen := make([]int, len(d.Strata))
	for _, s := range d.Sample {
		a[s.Item] = seen[s.Stratum] < yes[s.Stratum]
		seen[s.Stratum]++
	}
	return a
}

// wilson is the Wilson (1927) score interval for x of n.
func wilson(p, n float64) (lo, hi float64) {
	c := (p + z*z/(2*n)) / (1 + z*z/n)
	h := z / (1 + z*z/n) * math.Sqrt(p*(1-p)/n+z*z/(4*n*n))
	return max(c-h, 0), min(c+h, 1)
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestEstimateHandComputed(t *testing.T) {
	// One stratum: Wilson's interval, with n raised to n(N−1)/(N−n) for the finite
	// population: 5 of 20 from 1000.
	d := design([]int{1000}, []int{20})
	r, err := Estimate(d, answers(d, []int{5}))
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := wilson(0.25, 20*999.0/980)
	if !near(r.P, 0.25) || !near(r.Lo, lo) || !near(r.Hi, hi) || r.Labelled != 20 || r.Yes != 5 {
		t.Errorf("got %+v, want P 0.25 in [%.6f, %.6f]", r, lo, hi)
	}
	if !near(r.Count, 250) || !near(r.CountLo, 1000*lo) || !near(r.CountHi, 1000*hi) {
		t.Errorf("counts %g [%g, %g]", r.Count, r.CountLo, r.CountHi)
	}

	// A census stratum (3 of its 10 items are X, exactly) and a sampled one (8 of 40
	// of 990): 0.01·0.3 + 0.99·Wilson(0.2, 40·989/950).
	d = design([]int{10, 990}, []int{10, 40})
	r, err = Estimate(d, answers(d, []int{3, 8}))
	if err != nil {
		t.Fatal(err)
	}
	lo, hi = wilson(0.2, 40*989.0/950)
	if want := 0.003 + 0.99*0.2; !near(r.P, want) || !near(r.Lo, 0.003+0.99*lo) || !near(r.Hi, 0.003+0.99*hi) {
		t.Errorf("got %+v, want P %g in [%.6f, %.6f]", r, want, 0.003+0.99*lo, 0.003+0.99*hi)
	}

	// Two sampled strata, nothing found: the upper end lets the unseen positives sit
	// where they are least constrained, the large stratum with few draws:
	// Hi ≥ W_h·Wilson upper end for 0 of n*_h, for each h.
	d = design([]int{100, 9900}, []int{20, 20})
	r, err = Estimate(d, answers(d, []int{0, 0}))
	if err != nil {
		t.Fatal(err)
	}
	_, hi1 := wilson(0, 20*99.0/80)
	_, hi2 := wilson(0, 20*9899.0/9880)
	if r.P != 0 || r.Lo != 0 || r.Hi < 0.99*hi2-1e-9 || r.Hi < 0.01*hi1 || r.Hi > 0.01*hi1+0.99*hi2 {
		t.Errorf("got %+v, want 0 in [0, h] with %.5f ≤ h ≤ %.5f", r, 0.99*hi2, 0.01*hi1+0.99*hi2)
	}
}

func TestEstimateAllNoAllYes(t *testing.T) {
	scores, _ := normalScores(20000, 0.05, 1.5, 5)
	d, err := Plan(scores, 100, Options{})
	if err != nil {
		t.Fatal(err)
	}
	no := make([]bool, len(scores))
	r, err := Estimate(d, answer(d, no))
	if err != nil {
		t.Fatal(err)
	}
	// Simple random sampling would say [0, 3.7%] (Wilson, 0 of 100).
	if r.P != 0 || r.Lo != 0 || r.CountLo != 0 || !(r.Hi > 0.02 && r.Hi < 0.06) || r.Yes != 0 {
		t.Errorf("all no: %+v", r)
	}
	t.Logf("all no: %.4f [%.4f, %.4f]", r.P, r.Lo, r.Hi)

	yes := make([]bool, len(scores))
	for i := range yes {
		yes[i] = true
	}
	r, err = Estimate(d, answer(d, yes))
	if err != nil {
		t.Fatal(err)
	}
	if r.P != 1 || r.Hi != 1 || r.CountHi != 20000 || !(r.Lo > 0.94 && r.Lo < 0.98) || r.Yes != 100 {
		t.Errorf("all yes: %+v", r)
	}
	t.Logf("all yes: %.4f [%.4f, %.4f]", r.P, r.Lo, r.Hi)

	// The answers are facts: at least Yes items are X, at least Labelled−Yes are not.
	small := design([]int{4, 6}, []int{4, 2})
	r, err = Estimate(small, answers(small, []int{3, 1}))
	if err != nil {
		t.Fatal(err)
	}
	if r.CountLo < 4-1e-9 || r.CountHi > 10-2+1e-9 || !near(r.Count, 3+3) {
		t.Errorf("census-ish: %+v, want the count in [4, 8]", r)
	}
}

// TestEstimateRandom: on random designs and answers, 0 ≤ Lo ≤ P ≤ Hi ≤ 1, and one more
// yes moves everything up (or leaves it).
func TestEstimateRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 3000 {
		H := 1 + rng.IntN(6)
		sizes, drawn, yes := make([]int, H), make([]int, H), make([]int, H)
		for h := range H {
			sizes[h] = 1 + rng.IntN([]int{5, 100, 10000, 10000000}[rng.IntN(4)])
			drawn[h] = 1 + rng.IntN(min(sizes[h], 60))
			yes[h] = rng.IntN(drawn[h] + 1)
		}
		d := design(sizes, drawn)
		r, err := Estimate(d, answers(d, yes))
		if err != nil {
			t.Fatal(err)
		}
		if !(0 <= r.Lo && r.Lo <= r.P && r.P <= r.Hi && r.Hi <= 1) {
			t.Fatalf("trial %d: sizes %v drawn %v yes %v: %+v", trial, sizes, drawn, yes, r)
		}
		h := rng.IntN(H)
		if yes[h] == drawn[h] {
			continue
		}
		yes[h]++
		r2, err := Estimate(d, answers(d, yes))
		if err != nil {
			t.Fatal(err)
		}
		if r2.P < r.P || r2.Lo < r.Lo-1e-9 || r2.Hi < r.Hi-1e-9 {
			t.Fatalf("trial %d: sizes %v drawn %v: one more yes in stratum %d moved %+v to %+v", trial, sizes, drawn, h, r, r2)
		}
	}
}

func TestEstimateErrors(t *testing.T) {
	d := design([]int{50, 50}, []int{5, 5})
	a := answers(d, []int{1, 1})
	delete(a, 2)
	delete(a, 53)
	if _, err := Estimate(d, a); err == nil || !strings.Contains(err.Error(), "2 of 10 sampled items have no answer: 2, 53") {
		t.Errorf("missing answers: %v", err)
	}
	a = answers(d, []int{1, 1})
	a[7] = true
	if _, err := Estimate(d, a); err == nil || !strings.Contains(err.Error(), "not in the sample: 7") {
		t.Errorf("extra answer: %v", err)
	}
	many := map[int]bool{}
	if _, err := Estimate(design([]int{100}, []int{30}), many); err == nil || !strings.Contains(err.Error(), "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 20 more") {
		t.Errorf("many missing: %v", err)
	}
	for name, bad := range map[string]func(d *Design){
		"item twice":   func(d *Design) { d.Sample[1].Item = d.Sample[0].Item },
		"draw count":   func(d *Design) { d.Strata[0].Drawn++ },
		"item outside": func(d *Design) { d.Sample[0].Item = 100 },
		"stratum":      func(d *Design) { d.Sample[0].Stratum = 2 },
		"items":        func(d *Design) { d.Items++ },
		"empty":        func(d *Design) { d.Strata[1].Size = 0 },
	} {
		d := design([]int{50, 50}, []int{5, 5})
		a := answers(d, []int{1, 1})
		bad(d)
		if _, err := Estimate(d, a); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDesignJSON(t *testing.T) {
	scores, _ := normalScores(3000, 0.05, 1.5, 2)
	d, err := Plan(scores, 60, Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back Design
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d, &back) {
		t.Errorf("JSON round trip changed the design:\n%s", b)
	}
	if err := back.Validate(); err != nil {
		t.Error(err)
	}
	if !strings.Contains(string(b), `"strata":[{"lo":`) || !strings.Contains(string(b), `"drawn":`) {
		t.Errorf("JSON: %.200s", b)
	}
}

// fill answers a sheet written by WriteCSV as the truth says, in the given words.
func fill(t *testing.T, sheet string, truth []bool, yes, no string) string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(sheet)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	id := slices.Index(recs[0], "id")
	for _, rec := range recs[1:] {
		var item int
		fmt.Sscan(rec[id], &item)
		rec[len(rec)-1] = no
		if truth[item] {
			rec[len(rec)-1] = yes
		}
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.WriteAll(recs)
	return b.String()
}

func TestCSVRoundTrip(t *testing.T) {
	scores, truth := normalScores(2000, 0.1, 1.5, 3)
	d, err := Plan(scores, 40, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, d, scores, func(id int) string { return fmt.Sprintf("img/%05d.jpg", id) }); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if lines[0] != "order,id,ref,stratum,score,answer" || len(lines) != 42 {
		t.Fatalf("sheet:\n%s", b.String())
	}
	first := fmt.Sprintf("1,%d,img/%05d.jpg,%d,%s,", d.Sample[0].Item, d.Sample[0].Item, d.Sample[0].Stratum,
		fmt.Sprint(scores[d.Sample[0].Item]))
	if lines[1] != first {
		t.Errorf("first row %q, want %q", lines[1], first)
	}
	got, err := ReadAnswers(strings.NewReader(fill(t, b.String(), truth, "Yes", " n ")))
	if err != nil {
		t.Fatal(err)
	}
	if want := answer(d, truth); !reflect.DeepEqual(got, want) {
		t.Errorf("answers read back %v, want %v", got, want)
	}
	if _, err := Estimate(d, got); err != nil {
		t.Error(err)
	}

	// Without refs and scores; unanswered rows are read as missing.
	b.Reset()
	if err := WriteCSV(&b, d, nil, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "order,id,stratum,answer\n") {
		t.Errorf("sheet:\n%s", b.String())
	}
	got, err = ReadAnswers(&b)
	if err != nil || len(got) != 0 {
		t.Errorf("blank sheet: %v, %v", got, err)
	}
	if _, err := Estimate(d, got); err == nil || !strings.Contains(err.Error(), "40 of 40 sampled items have no answer") {
		t.Errorf("blank sheet: %v", err)
	}
	if err := WriteCSV(&b, d, scores[:10], nil); err == nil {
		t.Error("WriteCSV took 10 scores for 2000 items")
	}
}

func TestReadAnswers(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     map[int]bool
		err      string
	}{
		{"plain", "id,answer\n3,yes\n5,no\n8,\n", map[int]bool{3: true, 5: false}, ""},
		{"words", "ID , Answer\n1,Y\n2,n\n3,1\n4,0\n5,TRUE\n6,false\n", map[int]bool{1: true, 2: false, 3: true, 4: false, 5: true, 6: false}, ""},
		{"any order", "answer,note,id\nyes,\"a, b\",4\n", map[int]bool{4: true}, ""},
		{"semicolons", "order;id;score;answer\n1;12;0,5;yes\n2;13;0,25;no\n", map[int]bool{12: true, 13: false}, ""},
		{"tabs", "id\tanswer\n7\tno\n", map[int]bool{7: false}, ""},
		{"bom and CRLF", "\uFEFFid,answer\r\n9,yes\r\n", map[int]bool{9: true}, ""},
		{"short row", "id,stratum,answer\n4,1\n5,1,y\n", map[int]bool{5: true}, ""},
		{"bad answer", "id,answer\n1,yes\n2,maybe\n", nil, `line 3: answer "maybe" for item 2`},
		{"bad id", "id,answer\n1,yes\n\nx7,no\n", nil, `line 4: id "x7" is not an item index`},
		{"negative id", "id,answer\n-1,yes\n", nil, `line 2: id "-1"`},
		{"no id", "id,stratum,answer\n1,0,y\n\n,0,n\n", nil, `line 4: id ""`},
		{"twice", "id,answer\n1,yes\n2,no\n1,no\n", nil, "line 4: item 1 is also on line 2"},
		{"no answer column", "order,id,score\n1,2,3\n", nil, "no id or no answer column"},
		{"empty", "", nil, "empty file"},
		{"bad quote", "id,answer\n1,\"yes\n", nil, "answers:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadAnswers(strings.NewReader(c.in))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("error %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

// expectedWilsonWidth is the mean width of the Wilson interval for simple random
// sampling of n items (binomial: the corpora here are large) at prevalence p.
func expectedWilsonWidth(p float64, n int) float64 {
	lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
	w := 0.0
	for x := 0; x <= n; x++ {
		logP := lg(float64(n+1)) - lg(float64(x+1)) - lg(float64(n-x+1)) + float64(x)*math.Log(p) + float64(n-x)*math.Log1p(-p)
		lo, hi := wilson(float64(x)/float64(n), float64(n))
		w += math.Exp(logP) * (hi - lo)
	}
	return w
}

// TestCoverage runs the whole procedure — plan, a user who answers truthfully,
// estimate — R times per setting with different seeds, and checks that the 95%
// interval covers the true prevalence 92% to 98.5% of the time. It logs the coverage,
// the mean width, and the mean width of simple random sampling with Wilson's interval.
//
// Plan's work is mostly the stratification, which depends on the scores alone: the
// loop stratifies once and draws R times, after checking that this is Plan.
func TestCoverage(t *testing.T) {
	R := 2000 // a standard error of 0.5% on the coverage
	if testing.Short() {
		R = 200
	}
	type setting struct {
		name     string
		scores   func() ([]float32, []bool)
		n        int
		narrower bool // must the interval beat simple random sampling's?
	}
	var settings []setting
	for _, cl := range []struct {
		name string
		d    float64
	}{{"good", 1.5}, {"weak", 0.75}} {
		for _, p := range []float64{0.01, 0.05, 0.1, 0.3} {
			for _, n := range []int{100, 200} {
				settings = append(settings, setting{
					name:     fmt.Sprintf("%s classifier p=%.2f n=%d", cl.name, p, n),
					scores:   func() ([]float32, []bool) { return normalScores(20000, p, cl.d, uint64(1000*p)+uint64(10*cl.d)) },
					n:        n,
					narrower: cl.d > 1 || p >= 0.05,
				})
			}
		}
	}
	for _, n := range []int{100, 200} {
		settings = append(settings, setting{fmt.Sprintf("CIFAR-10-like p=0.10 n=%d", n),
			func() ([]float32, []bool) { return cifarScores(10000, 10) }, n, true})
	}
	settings = append(settings, setting{"useless classifier p=0.05 n=100",
		func() ([]float32, []bool) { return normalScores(20000, 0.05, 0, 50) }, 100, false})

	results := make([]coverageResult, len(settings))
	t.Run("settings", func(t *testing.T) {
		for i, s := range settings {
			t.Run(s.name, func(t *testing.T) {
				t.Parallel()
				results[i] = coverage(t, s.scores, s.n, R)
				c := results[i]
				if !testing.Short() && (c.cov < 0.92 || c.cov > 0.985) {
					t.Errorf("coverage %.3f of the 95%% interval, want 0.92 to 0.985", c.cov)
				}
				if s.narrower && c.width >= c.srs {
					t.Errorf("mean width %.4f, no narrower than simple random sampling's %.4f", c.width, c.srs)
				}
			})
		}
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%d runs per setting; SRS: simple random sampling with Wilson's interval; for comparison, the\n", R)
	fmt.Fprintf(&b, "coverage of Wald's interval and of Wilson's with an effective sample size, on the same samples\n")
	fmt.Fprintf(&b, "%-36s %8s %10s %10s %6s %6s %6s\n", "setting", "coverage", "mean width", "SRS width", "ratio", "Wald", "eff-n")
	for i, s := range settings {
		r := results[i]
		fmt.Fprintf(&b, "%-36s %8.3f %10.4f %10.4f %6.2f %6.3f %6.3f\n", s.name, r.cov, r.width, r.srs, r.width/r.srs, r.waldCov, r.effCov)
	}
	t.Log(b.String())
}

type coverageResult struct{ cov, width, srs, waldCov, effCov float64 }

// rejected returns the two intervals the package documentation argues against: Wald's
// on the stratified estimate, and Wilson's with the effective sample size
// p̂(1−p̂)/v̂ (at most n; n when v̂ = 0).
func rejected(d *Design, a map[int]bool) (wald, eff [2]float64) {
	yes := make([]int, len(d.Strata))
	for _, s := range d.Sample {
		if a[s.Item] {
			yes[s.Stratum]++
		}
	}
	p, v := 0.0, 0.0
	for h, s := range d.Strata {
		w, ph := float64(s.Size)/float64(d.Items), float64(yes[h])/float64(s.Drawn)
		p += w * ph
		if s.Drawn > 1 {
			f := float64(s.Drawn) / float64(s.Size)
			v += w * w * (1 - f) * ph * (1 - ph) / float64(s.Drawn-1)
		}
	}
	wald = [2]float64{max(p-z*math.Sqrt(v), 0), min(p+z*math.Sqrt(v), 1)}
	n := float64(len(d.Sample))
	if v > 0 {
		n = min(n, p*(1-p)/v)
	}
	eff[0], eff[1] = wilson(p, n)
	return wald, eff
}

// coverage runs the procedure R times on a population: the share of 95% intervals that
// cover its prevalence, their mean width, and the mean width of simple random sampling
// with Wilson's interval.
func coverage(t *testing.T, population func() ([]float32, []bool), n, R int) (r coverageResult) {
	scores, truth := population()
	k := 0
	for _, x := range truth {
		if x {
			k++
		}
	}
	p := float64(k) / float64(len(truth))
	st, err := stratify(scores, DefaultStrata)
	if err != nil {
		t.Fatal(err)
	}
	for seed := range uint64(3) {
		d, err := Plan(scores, n, Options{Seed: seed})
		if err != nil || !reflect.DeepEqual(d, st.draw(n, DefaultPrior, seed)) {
			t.Fatalf("Plan is not stratify then draw: %v", err)
		}
	}
	covered := 0
	for seed := range R {
		d := st.draw(n, DefaultPrior, uint64(seed))
		a := answer(d, truth)
		res, err := Estimate(d, a)
		if err != nil {
			t.Fatal(err)
		}
		if res.Lo <= p && p <= res.Hi {
			covered++
		}
		r.width += res.Hi - res.Lo
		wald, eff := rejected(d, a)
		if wald[0] <= p && p <= wald[1] {
			r.waldCov++
		}
		if eff[0] <= p && p <= eff[1] {
			r.effCov++
		}
	}
	r.cov, r.width, r.srs = float64(covered)/float64(R), r.width/float64(R), expectedWilsonWidth(p, n)
	r.waldCov /= float64(R)
	r.effCov /= float64(R)
	return r
}
