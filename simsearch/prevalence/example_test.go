package prevalence_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/corpushunt/corpushunt/simsearch/prevalence"
)

// A corpus of 1000 items scored by a classifier for X: draw 60 to label, label them,
// and estimate how many items are X.
func Example() {
	scores := make([]float32, 1000)
	isX := make([]bool, 1000) // what the user will say
	for i := range scores {
		scores[i] = float32((i*7919)%1000) / 1000
		isX[i] = scores[i] >= 0.9 || i%37 == 0
	}
	d, err := prevalence.Plan(scores, 60, prevalence.Options{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for h, s := range d.Strata {
		fmt.Printf("stratum %d: scores %.3f to %.3f, %3d items, %2d drawn\n", h, s.Lo, s.Hi, s.Size, s.Drawn)
	}

	// The sheet for the user, and the user's answers.
	var sheet bytes.Buffer
	prevalence.WriteCSV(&sheet, d, scores, func(id int) string { return fmt.Sprintf("item-%d.jpg", id) })
	fmt.Print(strings.Join(strings.SplitAfter(sheet.String(), "\n")[:3], ""))
	answers := map[int]bool{}
	for _, s := range d.Sample {
		answers[s.Item] = isX[s.Item]
	}

	r, err := prevalence.Estimate(d, answers)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d of %d labelled items are X\n", r.Yes, r.Labelled)
	fmt.Printf("prevalence %.1f%%, 95%% interval %.1f%% to %.1f%%\n", 100*r.P, 100*r.Lo, 100*r.Hi)
	fmt.Printf("about %.0f items are X (%.0f to %.0f); a cut at 0.5 says %d\n", r.Count, r.CountLo, r.CountHi, prevalence.Above(scores, 0.5))
	truth := 0
	for _, x := range isX {
		if x {
			truth++
		}
	}
	fmt.Printf("(in truth %d are)\n", truth)
	// Output:
	// stratum 0: scores 0.968 to 0.999,  32 items,  3 drawn
	// stratum 1: scores 0.903 to 0.967,  65 items,  6 drawn
	// stratum 2: scores 0.774 to 0.902, 129 items,  9 drawn
	// stratum 3: scores 0.516 to 0.773, 258 items, 15 drawn
	// stratum 4: scores 0.000 to 0.515, 516 items, 27 drawn
	// order,id,ref,stratum,score,answer
	// 1,368,item-368.jpg,4,0.192,
	// 2,462,item-462.jpg,3,0.578,
	// 12 of 60 labelled items are X
	// prevalence 15.4%, 95% interval 11.6% to 23.9%
	// about 154 items are X (116 to 239); a cut at 0.5 says 500
	// (in truth 128 are)
}
