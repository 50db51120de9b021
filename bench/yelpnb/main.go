// Command yelpnb measures how well a sentence's words predict its Yelp sentiment label when
// labels are used: a multinomial naive Bayes over word unigrams and bigrams, trained on the
// labelled dev/test sentences except the eval queries, tested on the queries. It is a
// reference point for the unsupervised encoders' sentiment agreement (how much of the
// labels is noise), not part of the product. With -probe it also fits a linear classifier
// to each named index's vectors (see probe).
//
//	go run ./bench/yelpnb [-data DIR] [-probe INDEXDIR,...]
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/corpushunt/corpushunt/datasets/yelp"
)

func main() {
	data := flag.String("data", "", "data root (default: as corpushunt finds it)")
	probes := flag.String("probe", "", "comma-separated text index directories to fit a linear probe to")
	flag.Parse()
	if err := run(*data, *probes); err != nil {
		fmt.Fprintln(os.Stderr, "yelpnb:", err)
		os.Exit(1)
	}
}

// features are a sentence's distinct unigrams and bigrams.
func features(toks []string) map[string]bool {
	f := make(map[string]bool, 2*len(toks))
	for i, w := range toks {
		f[w] = true
		if i > 0 {
			f[toks[i-1]+" "+w] = true
		}
	}
	return f
}

func run(data, probes string) error {
	c, err := yelp.Locate(data)
	if err != nil {
		return err
	}
	all, _, err := yelp.ReadFiles(c, yelp.IndexFiles, 0, false)
	if err != nil {
		return err
	}
	queries, _, err := yelp.ReadFiles(c, yelp.QueryFiles, 0, false)
	if err != nil {
		return err
	}
	train, held := yelp.Without(all, queries)
	var count [2]map[string]float64
	var docs, total [2]float64
	for l := range count {
		count[l] = map[string]float64{}
	}
	for _, s := range train {
		for f := range features(s.Tokens()) {
			count[s.Label][f]++
			total[s.Label]++
		}
		docs[s.Label]++
	}
	vocab := map[string]bool{}
	for l := range count {
		for f := range count[l] {
			vocab[f] = true
		}
	}
	v := float64(len(vocab))
	correct := 0
	for _, q := range queries {
		score := math.Log(docs[1] / docs[0])
		for f := range features(q.Tokens()) {
			if vocab[f] {
				score += math.Log((count[1][f]+1)/(total[1]+v)) - math.Log((count[0][f]+1)/(total[0]+v))
			}
		}
		if (score > 0) == (q.Label == 1) {
			correct++
		}
	}
	fmt.Printf("naive Bayes (unigrams+bigrams) trained on %d labelled sentences (%d copies of queries left out): accuracy on the %d queries %.3f\n",
		len(train), held, len(queries), float64(correct)/float64(len(queries)))
	if probes == "" {
		return nil
	}
	queryLabel := make(map[string]int, len(queries))
	for _, q := range queries {
		queryLabel[q.Text] = q.Label
	}
	for _, dir := range strings.Split(probes, ",") {
		if err := probe(dir, queryLabel); err != nil {
			return err
		}
	}
	return nil
}
