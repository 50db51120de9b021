package simsearch

import (
	"context"
	"fmt"
	"html"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/display"
	"github.com/corpushunt/corpushunt/simsearch/explore"
	"github.com/corpushunt/corpushunt/simsearch/export"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/learn"
	"github.com/corpushunt/corpushunt/simsearch/prevalence"
	"github.com/corpushunt/corpushunt/simsearch/tags"
)

// The labelling loop: tag items, rank the corpus for a tag ("more like these"), export
// what was found, estimate how common it is, look at the corpus as clusters and a map.

// Tag marks items (by row id) as X (positive) or not X under a tag; the marks are kept
// beside the index in its tags log.
func (ix *Index) Tag(tag string, positive bool, ids ...int64) error {
	l, err := tags.Open(ix.Dir)
	if err != nil {
		return err
	}
	var marks []tags.Mark
	for _, id := range ids {
		it, err := ix.Item(id)
		if err != nil {
			return err
		}
		marks = append(marks, tags.Mark{Tag: tag, Ref: it.Ref, Positive: positive})
	}
	return l.Add(marks...)
}

// Tags lists the index's tags with their counts.
func (ix *Index) Tags() ([]tags.Count, error) {
	l, err := tags.Open(ix.Dir)
	if err != nil {
		return nil, err
	}
	return l.Tags(), nil
}

// TagModel fits a tag's model on an index from the examples in a tags log: with negative
// examples, learn's default hybrid (a logistic regression, with random untagged items as
// presumed negatives when the user gave few, summed with the nearest and first positive
// examples' similarities and a nearest-neighbour veto); with positives only, their
// centroid. It also returns the tagged rows.
func TagModel(ix index.Store, l *tags.Log, tag string) (*learn.Model, map[int64]bool, error) {
	labels := l.Labels(tag)
	if len(labels) == 0 {
		return nil, nil, fmt.Errorf("tag %q has no examples in this index", tag)
	}
	x, y, ids, missing, err := learn.Examples(ix, labels)
	if err != nil {
		return nil, nil, err
	}
	if len(missing) > 0 {
		Warn(fmt.Errorf("%d item(s) tagged %q are not in this index (e.g. %s)", len(missing), tag, missing[0]))
	}
	// The user's first example (the earliest mark still positive) leads: the hybrid's
	// "first" part is the query by it.
	for _, mk := range l.Marks() {
		if mk.Tag != tag || !labels[mk.Ref] {
			continue
		}
		for i, id := range ids {
			if it, err := ix.Item(id); err == nil && it.Ref == mk.Ref && i > 0 {
				d := ix.Dim()
				row := slices.Clone(x[i*d : (i+1)*d])
				copy(x[d:(i+1)*d], x[:i*d])
				copy(x[:d], row)
				copy(y[1:i+1], y[:i])
				y[0] = true
				copy(ids[1:i+1], ids[:i])
				ids[0] = id
				break
			}
		}
		break
	}
	tagged := map[int64]bool{}
	negs := 0
	for i, id := range ids {
		tagged[id] = true
		if !y[i] {
			negs++
		}
	}
	var w []float32
	if negs > 0 && negs < learn.Background {
		if x, y, w, err = learn.WithBackground(ix, x, y, tagged, learn.Background, 0.5, 1); err != nil {
			return nil, nil, err
		}
	}
	m, err := learn.Fit(x, ix.Dim(), y, ix.Metric(), learn.Options{Weights: w})
	if err != nil {
		return nil, nil, fmt.Errorf("tag %q: %w", tag, err)
	}
	return m, tagged, nil
}

// TagScores fits a tag's model from the tags log in dir (an index folder) and scores every
// item of the index: the model, the scores by row id, and the tagged rows.
func TagScores(ctx context.Context, ix index.Store, dir, tag string) (*learn.Model, []float32, map[int64]bool, error) {
	l, err := tags.Open(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	m, tagged, err := TagModel(ix, l, tag)
	if err != nil {
		return nil, nil, nil, err
	}
	scores, err := learn.ScoreAll(ctx, ix, m)
	if err != nil {
		return nil, nil, nil, err
	}
	return m, scores, tagged, nil
}

// More ranks the corpus for a tag from its examples: the k best untagged items, and the
// uncertain items the classifier is least sure of (to tag next). Scores are the
// hybrid's sums of standardised parts (higher is more like X), or similarities to the
// positives' centroid when there are no negative examples; the uncertain items carry
// their logistic probability.
func (ix *Index) More(ctx context.Context, tag string, k, uncertain int) (top, unsure []Hit, err error) {
	m, scores, tagged, err := TagScores(ctx, ix.Store, ix.Dir, tag)
	if err != nil {
		return nil, nil, err
	}
	hits := func(s []learn.Scored) []Hit {
		out := make([]Hit, len(s))
		for i, x := range s {
			it, _ := ix.Item(x.ID)
			out[i] = Hit{Rank: i + 1, ID: x.ID, Distance: x.Score, Item: it}
		}
		return out
	}
	us, err := learn.MostUncertain(ctx, ix.Store, m, uncertain, tagged)
	if err != nil {
		return nil, nil, err
	}
	return hits(learn.Top(scores, k, tagged)), hits(us), nil
}

// Export writes a tag's examples (positives under TAG/, negatives under not_TAG/) and
// the top untagged items its classifier ranks highest to a new or empty folder: a
// labelled folder tree that `corpushunt index --images` reads back with the tags as
// labels.
func (ix *Index) Export(ctx context.Context, tag string, top int, out string) (*export.Manifest, error) {
	l, err := tags.Open(ix.Dir)
	if err != nil {
		return nil, err
	}
	byRef := map[string]int64{}
	for i, it := range ix.Items() {
		byRef[it.Ref] = int64(i)
	}
	var chosen []export.Choice
	for ref, pos := range l.Labels(tag) {
		if id, ok := byRef[ref]; ok {
			label := tag
			if !pos {
				label = "not_" + tag
			}
			chosen = append(chosen, export.Choice{ID: id, Label: label, Score: 1})
		}
	}
	if top > 0 {
		more, _, err := ix.More(ctx, tag, top, 0)
		if err != nil {
			return nil, err
		}
		for _, h := range more {
			chosen = append(chosen, export.Choice{ID: h.ID, Label: tag, Score: h.Distance})
		}
	}
	return export.Write(ix.Store, ix.Dir, chosen, out, export.Options{How: fmt.Sprintf("tag %q: its examples and the %d items its classifier ranks highest", tag, top), Source: ix.Corpus})
}

// Sample draws a sample of n items stratified by a tag's classifier, for the user to
// label yes/no; Prevalence then estimates how common the tag is.
func (ix *Index) Sample(ctx context.Context, tag string, n int, seed uint64) (*prevalence.Design, error) {
	_, scores, _, err := TagScores(ctx, ix.Store, ix.Dir, tag)
	if err != nil {
		return nil, err
	}
	return prevalence.Plan(scores, n, prevalence.Options{Seed: seed})
}

// Prevalence estimates how common a tag is from the user's answers (item row id → is X)
// for a sample drawn by Sample: the share, its 95% interval, and the implied count.
func Prevalence(d *prevalence.Design, answers map[int]bool) (prevalence.Result, error) {
	return prevalence.Estimate(d, answers)
}

// Clusters partitions the index's items into k groups (FAISS k-means), largest first, each
// with its most typical members.
func (ix *Index) Clusters(ctx context.Context, k int) ([]explore.Cluster, error) {
	return explore.Clusters(ctx, ix.Store, k, explore.ClusterOptions{})
}

// MapOptions choose how MapChart projects and colours the corpus.
type MapOptions struct {
	// Color: "label" (default), "tag:NAME" (the tag's examples and its classifier's
	// verdict), or "clusters:N" (k-means clusters).
	Color string
	// Thumbs is how many points (a random sample) show a thumbnail in their tooltip, for
	// image corpora; 0 means 1,000, a negative number none.
	Thumbs int
	// Method is the projection: "pca" (default; principal components, fast, linear) or
	// "umap" (explore.UMAP: keeps near neighbours together, slower; 15 neighbours, seed 1).
	Method string
}

// MapChart draws the corpus as a 2-D map (PCA or UMAP, as o.Method says) coloured as o
// says; hover a point to see the item, brush points to get the command that tags them.
// Show it with display.ShowChart, or put it in a display.Page.
func (ix *Index) MapChart(ctx context.Context, o MapOptions) (display.Chart, error) {
	if o.Color == "" {
		o.Color = "label"
	}
	if o.Thumbs == 0 {
		o.Thumbs = 1000
	}
	var (
		xy     [][2]float32
		err    error
		method string
		axes   [2]string
	)
	switch o.Method {
	case "", "pca":
		method, axes = "PCA", [2]string{"PC1", "PC2"}
		xy, err = explore.Project2D(ctx, ix.Store, 5000)
	case "umap":
		method, axes = "UMAP", [2]string{"UMAP 1", "UMAP 2"}
		// A small corpus gets smaller neighbourhoods (UMAP needs more points than neighbours).
		xy, err = explore.UMAP(ctx, ix.Store, explore.UMAPOptions{Neighbors: max(2, min(15, ix.Len()-1)), Seed: 1})
	default:
		return nil, fmt.Errorf("map method %q: pca or umap", o.Method)
	}
	if err != nil {
		return nil, err
	}
	items := ix.Items()
	group := make([]string, len(items))
	switch {
	case o.Color == "label":
		for i, it := range items {
			group[i] = it.Label
		}
	case strings.HasPrefix(o.Color, "tag:"):
		tag := strings.TrimPrefix(o.Color, "tag:")
		m, _, _, err := TagScores(ctx, ix.Store, ix.Dir, tag)
		if err != nil {
			return nil, err
		}
		probs, hasProb, err := learn.Probabilities(ctx, ix.Store, m)
		if err != nil {
			return nil, err
		}
		l, err := tags.Open(ix.Dir)
		if err != nil {
			return nil, err
		}
		labels := l.Labels(tag)
		for i, it := range items {
			switch pos, ok := labels[it.Ref]; {
			case ok && pos:
				group[i] = "tagged " + tag
			case ok:
				group[i] = "tagged not " + tag
			case hasProb && probs[i] >= 0.5:
				group[i] = "predicted " + tag
			default:
				group[i] = "other"
			}
		}
	case strings.HasPrefix(o.Color, "clusters:"):
		k, err := strconv.Atoi(strings.TrimPrefix(o.Color, "clusters:"))
		if err != nil {
			return nil, fmt.Errorf("map colour %q: clusters:N", o.Color)
		}
		cl, err := explore.Clusters(ctx, ix.Store, k, explore.ClusterOptions{Typical: 1})
		if err != nil {
			return nil, err
		}
		for _, c := range cl {
			for _, id := range c.Members {
				group[id] = fmt.Sprintf("cluster %02d", c.ID)
			}
		}
	default:
		return nil, fmt.Errorf("map colour %q: label, tag:NAME or clusters:N", o.Color)
	}
	thumbs := map[int]bool{}
	if ix.Corpus != nil && ix.Corpus.Kind() == corpus.Image && o.Thumbs > 0 {
		for _, i := range rand.New(rand.NewPCG(1, 17)).Perm(len(items))[:min(o.Thumbs, len(items))] {
			thumbs[i] = true
		}
	}
	pts := make([]display.MapPoint, len(items))
	for i, it := range items {
		tip := "<b>" + html.EscapeString(it.Label) + "</b> " + html.EscapeString(it.Ref) + fmt.Sprintf(" (id %d)", i)
		if it.Text != "" {
			tip += "<br>" + html.EscapeString(it.Text)
		}
		if thumbs[i] {
			if rec, err := ix.Corpus.Resolve(it.Ref); err == nil && rec.Image != nil {
				tip += `<br><img width="64" height="64" style="image-rendering:pixelated" src="` + display.PNGDataURI(display.Thumbnail(rec.Image, 48)) + `">`
			}
		}
		pts[i] = display.MapPoint{X: xy[i][0], Y: xy[i][1], Group: group[i], Tip: tip, ID: int64(i)}
	}
	return display.MapChart("corpus map ("+method+"), coloured by "+o.Color, pts, display.MapChartOptions{Index: ix.Dir, Axes: axes}), nil
}
