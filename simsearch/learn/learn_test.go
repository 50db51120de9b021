package learn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// blobs returns n vectors of dimension d in `classes` overlapping Gaussian classes.
func blobs(n, d, classes int, spread float64, seed uint64) ([]float32, []int) {
	r := rand.New(rand.NewPCG(seed, 1))
	centres := make([][]float64, classes)
	for c := range centres {
		centres[c] = make([]float64, d)
		for j := range d {
			centres[c][j] = r.NormFloat64()
		}
	}
	v := make([]float32, 0, n*d)
	labels := make([]int, n)
	for i := range n {
		c := r.IntN(classes)
		labels[i] = c
		for j := range d {
			v = append(v, float32(centres[c][j]+spread*r.NormFloat64()))
		}
	}
	return v, labels
}

func TestFitSeparatesAndFallsBackToCentroid(t *testing.T) {
	v, lab := blobs(2000, 16, 2, 0.6, 1)
	y := make([]bool, len(lab))
	for i, l := range lab {
		y[i] = l == 1
	}
	m, err := Fit(v[:400*16], 16, y[:400], index.L2, Options{Kind: "logistic"})
	if err != nil || m.Kind != "logistic" {
		t.Fatalf("fit: %+v %v", m, err)
	}
	right := 0
	for i := 400; i < 2000; i++ {
		if (m.Score(v[i*16:(i+1)*16]) > 0.5) == y[i] {
			right++
		}
	}
	if acc := float64(right) / 1600; acc < 0.95 {
		t.Errorf("held-out accuracy %.3f", acc)
	}
	// Positives only: the centroid, which ranks the class first.
	var pos []float32
	for i := range 400 {
		if y[i] {
			pos = append(pos, v[i*16:(i+1)*16]...)
		}
	}
	c, err := Fit(pos, 16, make([]bool, len(pos)/16), index.L2, Options{})
	if !errors.Is(err, ErrNoPositive) {
		t.Errorf("no positives: %v", err)
	}
	ones := make([]bool, len(pos)/16)
	for i := range ones {
		ones[i] = true
	}
	if c, err = Fit(pos, 16, ones, index.L2, Options{}); err != nil || c.Kind != "centroid" {
		t.Fatalf("centroid: %+v %v", c, err)
	}
	if c.Score(v[0:16]) > 0 || c.Uncertainty(0.5) != 0 {
		t.Error("centroid scores are negated squared distances and carry no uncertainty")
	}
	// The default with negatives is the hybrid: every member fitted, the logistic first
	// (MostUncertain asks it).
	h, err := Fit(v[:400*16], 16, y[:400], index.L2, Options{})
	if err != nil || h.Kind != "hybrid" || len(h.Parts) != 4 || h.Parts[0].Kind != "logistic" || h.Parts[1].Kind != "nearest" ||
		h.Parts[2].Kind != "centroid" || h.Parts[2].Positives != 1 || h.Parts[3].Kind != "veto" {
		t.Errorf("default model %+v %v", h, err)
	}
	if h.Parts[3].Parts[0] != h.Parts[1] {
		t.Error("the veto does not share the hybrid's nearest part: scoring would search for the positives twice")
	}
	// The nearest-example part scores an item by its closest positive.
	np := 0
	for _, p := range y[:200] {
		if p {
			np++
		}
	}
	nm, err := Fit(v[:200*16], 16, y[:200], index.L2, Options{Kind: "nearest"})
	if err != nil || np > MaxNearest || len(nm.W) != 16*np {
		t.Fatalf("nearest: %d values for %d positives, %v", len(nm.W), np, err)
	}
	for i := range 200 {
		if s := nm.Score(v[i*16 : (i+1)*16]); y[i] && s < -1e-6 || !y[i] && s > -1e-6 {
			t.Fatalf("item %d (positive %v) scores %v: want 0 exactly for the positives themselves", i, y[i], s)
		}
	}
	big, err := Fit(v[:400*16], 16, y[:400], index.L2, Options{Kind: "nearest"})
	if err != nil || len(big.W) != 16*MaxNearest {
		t.Fatalf("nearest over 190 positives keeps %d values, want %d", len(big.W), 16*MaxNearest)
	}
}

// A simulated user finds more of a class over the rounds than the plain query by example.
func TestSimulatedUserFindsMoreEachRound(t *testing.T) {
	v, lab := blobs(6000, 24, 10, 1.1, 2)
	items := make([]index.Item, len(lab))
	for i := range items {
		items[i] = index.Item{Ref: fmt.Sprint(i)}
	}
	ix, err := index.Build(context.Background(), index.Config{Dim: 24}, v, items, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	start := int64(0)
	class := lab[0]
	res, err := Simulate(context.Background(), ix, func(id int64) bool { return lab[id] == class }, start, 5, 20, 500)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rounds: %+v", res)
	if len(res) != 6 || res[5].FoundTopK <= res[0].FoundTopK || res[5].Tagged != 101 {
		t.Errorf("no progress over the rounds: %+v", res)
	}
}

func BenchmarkFitAndScore(b *testing.B) {
	const d, tags, n = 512, 3000, 100000
	v, lab := blobs(n, d, 5, 1, 3)
	y := make([]bool, tags)
	for i := range y {
		y[i] = lab[i] == 0
	}
	items := make([]index.Item, n)
	ix, err := index.Build(context.Background(), index.Config{Dim: d}, v, items, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	// The default, and the default before the veto (logistic+rocchio+nearest+first), for
	// the ratio in one run.
	for _, kind := range []string{"", "logistic+rocchio+nearest+first"} {
		name := "default"
		if kind != "" {
			name = kind
		}
		b.Run(name, func(b *testing.B) {
			var fit, score time.Duration
			for range b.N {
				t0 := time.Now()
				m, err := Fit(v[:tags*d], d, y, index.L2, Options{Kind: kind})
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := ScoreAll(context.Background(), ix, m); err != nil {
					b.Fatal(err)
				}
				fit, score = fit+t1.Sub(t0), score+time.Since(t1)
			}
			b.ReportMetric(fit.Seconds()/float64(b.N), "fit-s")
			b.ReportMetric(score.Seconds()/float64(b.N), "score-s")
		})
	}
}

// The negative-example parts: "avoid" sinks what is near a negative example, "margin" is
// a one-nearest-neighbour classifier's margin on the user's examples, "veto" its negative
// side (only what is nearer a negative than any positive sinks), and a part's weight
// is given after * (fixed) or / (leading while positives are few).
func TestAvoidMarginAndWeights(t *testing.T) {
	const d = 16
	v, lab := blobs(600, d, 2, 0.6, 4)
	y := make([]bool, 200)
	for i := range y {
		y[i] = lab[i] == 1
	}
	x := v[:200*d]
	av, err := Fit(x, d, y, index.L2, Options{Kind: "avoid"})
	if err != nil || av.Kind != "avoid" {
		t.Fatalf("avoid: %+v %v", av, err)
	}
	mg, err := Fit(x, d, y, index.L2, Options{Kind: "margin"})
	if err != nil || mg.Kind != "margin" || len(mg.Parts) != 2 {
		t.Fatalf("margin: %+v %v", mg, err)
	}
	vt, err := Fit(x, d, y, index.L2, Options{Kind: "veto"})
	if err != nil || vt.Kind != "veto" {
		t.Fatalf("veto: %+v %v", vt, err)
	}
	for i := range 200 {
		row := x[i*d : (i+1)*d]
		if s := vt.Score(row); y[i] && s != 0 || !y[i] && s >= 0 {
			t.Fatalf("veto: example %d (positive %v) scores %v: want 0 for a positive, below 0 for a negative", i, y[i], s)
		}
		// l2: an item scores its squared distance to the nearest negative example.
		if s := av.Score(row); !y[i] && (s < -1e-6 || s > 1e-6) || y[i] && s <= 1e-6 {
			t.Fatalf("avoid: example %d (positive %v) scores %v: want 0 for a negative, above 0 for a positive", i, y[i], s)
		}
		if s := mg.Score(row); y[i] != (s > 0) {
			t.Fatalf("margin: example %d (positive %v) scores %v: its sign must be its label", i, y[i], s)
		}
	}
	// Held out, the margin classifies as well as a nearest-neighbour rule can here.
	right := 0
	for i := 200; i < 600; i++ {
		if (mg.Score(v[i*d:(i+1)*d]) > 0) == (lab[i] == 1) {
			right++
		}
	}
	if acc := float64(right) / 400; acc < 0.9 {
		t.Errorf("margin: held-out accuracy %.3f", acc)
	}
	// Presumed negatives (weight below 1) are not examples to avoid.
	w := make([]float32, 200)
	for i := range w {
		w[i] = 0.5
		if y[i] {
			w[i] = 1
		}
	}
	if none, err := Fit(x, d, y, index.L2, Options{Kind: "avoid", Weights: w}); err != nil || len(none.W) != 0 || none.Score(x[:d]) != 0 {
		t.Errorf("avoid with presumed negatives only: %d values, %v; want none, scoring 0", len(none.W), err)
	}
	noVeto, err := Fit(x, d, y, index.L2, Options{Kind: "veto", Weights: w})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if s := noVeto.Score(x[i*d : (i+1)*d]); s != 0 {
			t.Fatalf("veto without a negative example scores item %d %v, want 0", i, s)
		}
	}
	for _, bad := range []string{"logstic", "logistic+frist", "centroid"} {
		if _, err := Fit(x, d, y, index.L2, Options{Kind: bad}); !errors.Is(err, ErrUnknownKind) {
			t.Errorf("kind %q: %v, want ErrUnknownKind", bad, err)
		}
	}

	h, err := Fit(x, d, y, index.L2, Options{Kind: "logistic*2+first*0.5+margin"})
	if err != nil || len(h.Parts) != 3 {
		t.Fatalf("weighted parts: %+v %v", h, err)
	}
	if h.Parts[0].Weight != 2 || h.Parts[1].Weight != 0.5 || h.Parts[2].Weight != 1 {
		t.Errorf("weights %v %v %v, want 2, 0.5, 1", h.Parts[0].Weight, h.Parts[1].Weight, h.Parts[2].Weight)
	}
	for _, bad := range []string{"logistic*0+first", "logistic*x+first", "logistic+first*-3", "logistic+first*NaN", "logistic*Inf+first"} {
		if _, err := Fit(x, d, y, index.L2, Options{Kind: bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// Weights scale a part's standardised score: a part weighted far above the others
	// ranks alone.
	items := make([]index.Item, 600)
	ix, err := index.Build(context.Background(), index.Config{Dim: d}, v, items, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	// Through the index (as "more like these" scores), the same scores as one by one: the
	// corpus is within the nearest-example parts' search depth.
	for _, m := range []*Model{av, mg, vt, noVeto} {
		all, err := ScoreAll(context.Background(), ix, m)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range all {
			if want := m.Score(v[i*d : (i+1)*d]); math.Abs(float64(s-want)) > 1e-3*(1+math.Abs(float64(want))) {
				t.Fatalf("%s: item %d scores %v through the index, %v alone", m.Kind, i, s, want)
			}
		}
	}
	heavy, err := Fit(x, d, y, index.L2, Options{Kind: "logistic+first*1000"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := Fit(x, d, y, index.L2, Options{Kind: "first"})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := ScoreAll(context.Background(), ix, heavy)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := ScoreAll(context.Background(), ix, first)
	if err != nil {
		t.Fatal(err)
	}
	a, b := Top(hs, 10, nil), Top(fs, 10, nil)
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Fatalf("first weighted 1000 ranks %v, the first example alone %v", a, b)
		}
	}
}
