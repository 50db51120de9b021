package display

import (
	"fmt"
	"image"
	"sort"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/simsearch/convae"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// QueryResult is one query and its ranked hits, for reports.
type QueryResult struct {
	Image image.Image // the query image (image indexes)
	Text  string      // the query text (text indexes)
	Label string      // the query's label, "" when unknown
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
func IndexSummary(ix index.Store) (header []string, rows [][]string) {
	enc := ix.Encoder()
	rows = [][]string{
		{"items", strconv.Itoa(ix.Len())},
		{"dimension", strconv.Itoa(ix.Dim())},
	}
	if d, ok := ix.(interface{ Describe() string }); ok {
		rows = append(rows, []string{"store", d.Describe()})
	}
	fx, _ := ix.(*index.Index)
	if fx != nil {
		rows = append(rows, []string{"factory", fx.Factory()})
	}
	rows = append(rows, []string{"metric", string(ix.Metric())}, []string{"encoder", strings.TrimSpace(enc.Name + " " + enc.Model)})
	if fx != nil && fx.NList() > 0 {
		rows = append(rows, []string{"nprobe", fmt.Sprintf("%d of %d lists", fx.Nprobe(), fx.NList())})
	}
	if fx != nil && len(fx.Tuning()) > 0 {
		for _, p := range fx.Tuning() {
			if p.Nprobe == fx.Nprobe() {
				rows = append(rows, []string{"recall@10 (tuned)", fmt.Sprintf("%.3f", p.Recall)},
					[]string{"queries/s", fmt.Sprintf("%.0f batched, %.0f one at a time", p.QPS, p.QPS1)})
			}
		}
	}
	if sp := ix.Corpus(); sp.Source != "" {
		rows = append(rows, []string{"corpus", sp.String()})
	}
	return []string{"", ""}, rows
}

// Report assembles the standard report of an index: what the corpus holds, training
// curves (when history is given), the index with its tuning chart, and the hits of each
// query: a ranked gallery for images (payloads read through r), a ranked list for
// texts, a table for vectors.
func Report(title string, ix index.Store, history []convae.HistoryRow, queries []QueryResult, r Resolver) (*Page, error) {
	p := &Page{Title: title}

	p.Heading("Corpus")
	counts := map[string]int{}
	for _, it := range ix.Items() {
		counts[it.Label]++
	}
	var names []string
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	var rows [][]string
	for _, n := range names {
		name := n
		if name == "" {
			name = "(no label)"
		}
		rows = append(rows, []string{name, strconv.Itoa(counts[n])})
	}
	src := "an unrecorded corpus"
	if sp := ix.Corpus(); sp.Source != "" {
		src = sp.String()
	}
	p.Paragraph(fmt.Sprintf("%d items indexed from %s. Labels were never used for training or indexing; they only score the results.", ix.Len(), src))
	if len(rows) > 1 || (len(rows) == 1 && names[0] != "") {
		p.Table([]string{"label", "items"}, rows)
	}

	if len(history) > 0 {
		p.Heading("Training")
		train, val := LossPoints(history)
		p.Chart(LossChart("Reconstruction loss", train, val))
	}

	p.Heading("Index")
	h, r2 := IndexSummary(ix)
	p.Table(h, r2)
	if fx, ok := ix.(*index.Index); ok && len(fx.Tuning()) > 1 {
		t := fx.Tuning()
		p.Chart(RecallChart("Recall@10 and speed against nprobe", t))
	}

	if len(queries) > 0 {
		p.Heading("Search by example")
		var dists []float32
		for i, q := range queries {
			same := 0
			for _, hit := range q.Hits {
				if q.Label != "" && hit.Item.Label == q.Label {
					same++
				}
				dists = append(dists, hit.Distance)
			}
			t := fmt.Sprintf("Query %d (%s)", i+1, q.Ref)
			if q.Label != "" {
				t = fmt.Sprintf("Query %d (%s, %s): %d of the top %d share its label", i+1, q.Label, q.Ref, same, len(q.Hits))
			}
			switch {
			case q.Image != nil:
				g, err := HitsGallery(t, q.Image, q.Label, q.Hits, ix.Metric(), r)
				if err != nil {
					return nil, err
				}
				g.Columns, g.Size = min(len(g.Tiles), 11), 80
				p.Add(g)
			case q.Text != "" || hasText(q.Hits):
				p.Paragraph(t)
				p.Add(TextList{Query: q.Text, Hits: q.Hits, Metric: ix.Metric()})
			default:
				p.Paragraph(t)
				var trs [][]string
				for _, h := range q.Hits {
					trs = append(trs, []string{strconv.Itoa(h.Rank), strconv.FormatInt(h.ID, 10), Score(ix.Metric(), h.Distance), h.Item.Label, h.Item.Ref})
				}
				p.Table([]string{"rank", "id", "score", "label", "ref"}, trs)
			}
		}
		what := "distance"
		if ix.Metric().HigherIsCloser() {
			what = "similarity"
		}
		p.Chart(HistogramChart("Scores of the hits shown", what, dists, 20))
	}
	return p, nil
}

func hasText(hits []index.Hit) bool {
	for _, h := range hits {
		if h.Item.Text != "" {
			return true
		}
	}
	return false
}
