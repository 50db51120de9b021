// Command labelling measures "more like these" on a labelled index with the labels hidden
// from the procedure: for each label, a simulated user starts from one example, and each
// round tags the 20 best untagged items with the truth and refits; the table gives how
// many of that label the top 500 holds for the plain query by example (round 0) and after
// each round, averaged over several starting examples.
//
//	go run ./bench/labelling -index out/px [-starts 3] [-rounds 5] [-per-round 20] [-top 500] [-list] [-model K] [-only a,b] [-v]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/learn"
)

func main() {
	dir := flag.String("index", "", "a labelled index directory")
	starts := flag.Int("starts", 3, "starting examples per label (the first items of each label)")
	rounds := flag.Int("rounds", 5, "rounds of tagging")
	per := flag.Int("per-round", 20, "items tagged per round")
	top := flag.Int("top", 500, "how deep the ranking is scored")
	kind := flag.String("model", "", "model from round 1: \"\" (the default, learn.HybridParts), a kind of learn.Options (logistic, rocchio, nearest, first, avoid, margin, veto), or a weighted sum such as logistic+first*2+veto")
	only := flag.String("only", "", "comma-separated labels to run (default: all)")
	list := flag.Bool("list", false, "count the tag's list (tagged X items first, then the ranking of the rest) rather than the raw ranking")
	verbose := flag.Bool("v", false, "print each starting example's figures too (on standard error)")
	flag.Parse()
	if err := run(*dir, *starts, *rounds, *per, *top, *kind, *list, *only, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "labelling:", err)
		os.Exit(1)
	}
}

func run(dir string, starts, rounds, per, top int, kind string, list bool, only string, verbose bool) error {
	ix, err := index.Open(dir)
	if err != nil {
		return err
	}
	defer ix.Close()
	items := ix.Items()
	byLabel := map[string][]int64{}
	for i, it := range items {
		if it.Label != "" {
			byLabel[it.Label] = append(byLabel[it.Label], int64(i))
		}
	}
	if len(byLabel) == 0 {
		return fmt.Errorf("%s has no labels to simulate a user with", dir)
	}
	labels := make([]string, 0, len(byLabel))
	for l := range byLabel {
		if only == "" || slices.Contains(strings.Split(only, ","), l) {
			labels = append(labels, l)
		}
	}
	sort.Strings(labels)
	model := kind
	if model == "" {
		model = learn.HybridParts + " (the default)"
	}
	fmt.Printf("index %s: %d items, %s, %s; model %s; %d starts per label, %d rounds of %d tags, found in the top %d\n",
		dir, ix.Len(), ix.Encoder().Name, ix.Metric(), model, starts, rounds, per, top)
	head := []string{"label", "in corpus", "query by example"}
	for r := 1; r <= rounds; r++ {
		head = append(head, fmt.Sprintf("round %d", r))
	}
	head = append(head, "precision per round")
	fmt.Println("| " + strings.Join(head, " | ") + " |")
	fmt.Println("|" + strings.Repeat("---|", len(head)))
	total := make([]float64, rounds+1)
	for _, l := range labels {
		found := make([]float64, rounds+1)
		prec := make([]float64, rounds)
		truth := func(id int64) bool { return items[id].Label == l }
		n := min(starts, len(byLabel[l]))
		for s := range n {
			res, err := learn.SimulateWith(context.Background(), ix, truth, byLabel[l][s], rounds, per, top, kind)
			if err != nil {
				return err
			}
			var each []string
			for _, r := range res {
				f := r.FoundTopK
				if list {
					f = r.FoundList
				}
				each = append(each, fmt.Sprint(f))
				found[r.Round] += float64(f) / float64(n)
				if r.Round < rounds {
					prec[r.Round] += r.Precision / float64(n)
				}
			}
			if verbose {
				fmt.Fprintf(os.Stderr, "%s, starting from item %d: %s\n", l, byLabel[l][s], strings.Join(each, " "))
			}
		}
		row := []string{l, fmt.Sprint(len(byLabel[l]))}
		for r, f := range found {
			row = append(row, fmt.Sprintf("%.0f", f))
			total[r] += f / float64(len(labels))
		}
		var ps []string
		for _, p := range prec {
			ps = append(ps, fmt.Sprintf("%.2f", p))
		}
		row = append(row, strings.Join(ps, " "))
		fmt.Println("| " + strings.Join(row, " | ") + " |")
	}
	row := []string{"mean", ""}
	for _, f := range total {
		row = append(row, fmt.Sprintf("%.0f", f))
	}
	fmt.Println("| " + strings.Join(append(row, ""), " | ") + " |")
	return nil
}
