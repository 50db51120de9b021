package display

import (
	"fmt"
	"image"
	"sort"
	"strconv"

	"github.com/corpushunt/corpushunt/simsearch/convae"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// QueryResult is one query and its ranked hits, for reports.
type QueryResult struct {
	Image image.Image
	Label string // the query's label name, "" when unknown
	Ref   string
	Hits  []index.Hit
}

// LossPoints splits a model's history into training (every step) and validation (epoch
// ends) curves.
func LossPoints(rows []convae.HistoryRow) (train, val []LossPoint) {
	for _, r := range rows {
		train = append(train, LossPoint{r.Step, r.TrainLoss})
		if r.ValLoss != nil {
			val = append(val, LossPoint{r.Step, *r.ValLoss})
		}
	}
	return train, val
}

// IndexSummary is the table describing an index.
func IndexSummary(ix *index.Index) (header []string, rows [][]string) {
	enc := ix.Encoder()
	rows = [][]string{
		{"items", strconv.Itoa(ix.Len())},
		{"dimension", strconv.Itoa(ix.Dim())},
		{"factory", ix.Factory()},
		{"metric", string(ix.Metric())},
		{"encoder", enc.Name + " " + enc.Model},
	}
	if ix.NList() > 0 {
		rows = append(rows, []string{"nprobe", fmt.Sprintf("%d of %d lists", ix.Nprobe(), ix.NList())})
	}
	if t := ix.Tuning(); len(t) > 0 {
		for _, p := range t {
			if p.Nprobe == ix.Nprobe() {
				rows = append(rows, []string{"recall@10 (tuned)", fmt.Sprintf("%.3f", p.Recall)},
					[]string{"queries/s", fmt.Sprintf("%.0f batched, %.0f one at a time", p.QPS, p.QPS1)})
			}
		}
	}
	return []string{"", ""}, rows
}

// CIFARReport assembles the standard report: dataset summary, training curves (when
// history is given), index summary with its tuning chart, and a ranked gallery per query.
func CIFARReport(title string, ix *index.Index, history []convae.HistoryRow, queries []QueryResult) (*Page, error) {
	p := &Page{Title: title}

	p.Heading("Dataset")
	counts := map[string]int{}
	datasets := map[string]bool{}
	for _, it := range ix.Items() {
		counts[it.LabelName]++
		datasets[it.Dataset+" "+it.Split] = true
	}
	var names []string
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	var rows [][]string
	for _, n := range names {
		rows = append(rows, []string{n, strconv.Itoa(counts[n])})
	}
	var ds []string
	for d := range datasets {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	p.Paragraph(fmt.Sprintf("%d items indexed from %v. Labels were never used for training or indexing; they only score the results.", ix.Len(), ds))
	p.Table([]string{"label", "items"}, rows)

	if len(history) > 0 {
		p.Heading("Training")
		train, val := LossPoints(history)
		p.Chart(LossChart("Reconstruction loss", train, val))
	}

	p.Heading("Index")
	h, r := IndexSummary(ix)
	p.Table(h, r)
	if t := ix.Tuning(); len(t) > 1 {
		p.Chart(RecallChart("Recall@10 and speed against nprobe", t))
	}

	if len(queries) > 0 {
		p.Heading("Search by example")
		var dists []float32
		for i, q := range queries {
			same := 0
			for _, hit := range q.Hits {
				if q.Label != "" && hit.Item.LabelName == q.Label {
					same++
				}
				dists = append(dists, hit.Distance)
			}
			t := fmt.Sprintf("Query %d (%s, %s): %d of the top %d share its class", i+1, q.Label, q.Ref, same, len(q.Hits))
			g, err := CIFARGallery(t, q.Image, q.Label, q.Hits)
			if err != nil {
				return nil, err
			}
			g.Columns, g.Size = min(len(g.Tiles), 11), 80
			p.Add(g)
		}
		p.Chart(HistogramChart("Distances of the hits shown", "distance", dists, 20))
	}
	return p, nil
}
