package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/corpushunt/corpushunt/simsearch"
	"github.com/corpushunt/corpushunt/simsearch/display"
	"github.com/corpushunt/corpushunt/simsearch/explore"
	"github.com/corpushunt/corpushunt/simsearch/export"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/learn"
	"github.com/corpushunt/corpushunt/simsearch/prevalence"
	"github.com/corpushunt/corpushunt/simsearch/tags"
)

func init() {
	register("tag", "mark items as X (or, --negative, as not X) under a tag", cmdTag)
	register("tags", "list an index's tags with their counts and rounds", cmdTags)
	register("more", "rank the corpus for a tag from its examples (more like these), and what to tag next", cmdMore)
	register("clusters", "k-means over the vectors: each cluster's size and most typical items", cmdClusters)
}

// parseIDs reads "12,40,77" or ranges "10-19".
func parseIDs(s string, n int) ([]int64, error) {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		lo, hi, isRange := strings.Cut(f, "-")
		a, err1 := strconv.ParseInt(lo, 10, 64)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.ParseInt(hi, 10, 64)
		}
		if err1 != nil || err2 != nil || a < 0 || b < a || b >= int64(n) || b-a > 100000 {
			return nil, fmt.Errorf("--items %q: %q is not an item id (or range a-b) from 0 to %d", s, f, n-1)
		}
		for id := a; id <= b; id++ {
			out = append(out, id)
		}
	}
	return out, nil
}

func cmdTag(ctx context.Context, args []string) error {
	fs := newFlags("tag", "tag --index DIR --tag NAME --items 12,40,77 [--negative] [--remove]")
	dir := fs.String("index", "", "index directory (required)")
	tag := fs.String("tag", "", "the tag (required): letters, digits, spaces, '-', '_', '.'")
	items := fs.String("items", "", "item ids, comma-separated, or ranges a-b (required)")
	neg := fs.Bool("negative", false, "the items are NOT X")
	remove := fs.Bool("remove", false, "take the items' marks under the tag back")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "index", "tag", "items"); err != nil {
		return err
	}
	if err := tags.CheckTag(*tag); err != nil {
		return err
	}
	ix, err := openIndex(ctx, *dir, false)
	if err != nil {
		return err
	}
	defer ix.Close()
	ids, err := parseIDs(*items, ix.Len())
	if err != nil {
		return err
	}
	l, err := tags.Open(*dir)
	if err != nil {
		return err
	}
	var marks []tags.Mark
	for _, id := range ids {
		it, _ := ix.Item(id)
		marks = append(marks, tags.Mark{Tag: *tag, Ref: it.Ref, Positive: !*neg, Remove: *remove})
	}
	if err := l.Add(marks...); err != nil {
		return err
	}
	for _, c := range l.Tags() {
		if c.Tag == *tag {
			fmt.Printf("tag %q: %d positive, %d negative examples\n", c.Tag, c.Positive, c.Negative)
		}
	}
	return nil
}

func cmdTags(ctx context.Context, args []string) error {
	fs := newFlags("tags", "tags --index DIR")
	dir := fs.String("index", "", "index directory (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "index"); err != nil {
		return err
	}
	l, err := tags.Open(*dir)
	if err != nil {
		return err
	}
	list := l.Tags()
	if len(list) == 0 {
		fmt.Println("no tags yet: corpushunt tag --index", *dir, "--tag NAME --items ID,...")
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "tag\tpositive\tnegative\trounds (of the items tagged in each, the fraction that were X)")
	for _, c := range list {
		var rs []string
		for _, r := range l.Rounds(c.Tag) {
			rs = append(rs, fmt.Sprintf("%d/%d", r.Positive, r.Positive+r.Negative))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", c.Tag, c.Positive, c.Negative, strings.Join(rs, " "))
	}
	return tw.Flush()
}

// tagModel fits the model of a tag on an index (see simsearch.TagModel).
func tagModel(ix index.Store, l *tags.Log, tag string) (*learn.Model, map[int64]bool, error) {
	m, tagged, err := simsearch.TagModel(ix, l, tag)
	if err != nil && len(l.Labels(tag)) == 0 {
		return nil, nil, fmt.Errorf("%w: corpushunt tag --tag %q --items ID,...", err, tag)
	}
	return m, tagged, err
}

func cmdMore(ctx context.Context, args []string) error {
	fs := newFlags("more", "more --index DIR --tag NAME [-k 50] [--uncertain 20]")
	dir := fs.String("index", "", "index directory (required)")
	tag := fs.String("tag", "", "the tag (required)")
	k := fs.Int("k", 50, "items to show, best first (1 to 10000)")
	unc := fs.Int("uncertain", 0, "also show the N items the classifier is least sure of (to tag next)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "index", "tag"); err != nil {
		return err
	}
	if *k < 1 || *k > maxK || *unc < 0 || *unc > maxK {
		return fmt.Errorf("-k %d, --uncertain %d: want 1 to %d and 0 to %d", *k, *unc, maxK, maxK)
	}
	ix, err := openIndex(ctx, *dir, false)
	if err != nil {
		return err
	}
	defer ix.Close()
	m, scores, tagged, err := simsearch.TagScores(ctx, ix, *dir, *tag)
	if err != nil {
		return err
	}
	l, err := tags.Open(*dir)
	if err != nil {
		return err
	}
	top := learn.Top(scores, *k, tagged)
	var uncertain []learn.Scored
	if *unc > 0 {
		if uncertain, err = learn.MostUncertain(ctx, ix, m, *unc, tagged); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSONOut(map[string]any{"model": m.Kind, "top": scoredItems(ix, top), "uncertain": scoredItems(ix, uncertain)})
	}
	negs := len(tagged) - m.Positives
	presumed := ""
	if extra := m.Negatives - negs; extra > 0 {
		presumed = fmt.Sprintf(", with %d random untagged items as presumed negatives", extra)
	}
	fmt.Printf("%q from %d positive and %d negative examples (%s%s); the best %d untagged items:\n", *tag, m.Positives, negs, m.Kind, presumed, len(top))
	printScored(ix, top)
	if len(uncertain) > 0 {
		fmt.Printf("\nthe %d items the classifier is least sure of (tag them next):\n", len(uncertain))
		printScored(ix, uncertain)
	}
	if rs := l.Rounds(*tag); len(rs) > 0 {
		var parts []string
		for _, r := range rs {
			parts = append(parts, fmt.Sprintf("%.0f%%", 100*r.Precision()))
		}
		fmt.Printf("\nrounds so far (share of each round's tagged items that were %q): %s\n", *tag, strings.Join(parts, " "))
	}
	var ids []string
	for _, s := range top[:min(20, len(top))] {
		ids = append(ids, strconv.FormatInt(s.ID, 10))
	}
	fmt.Printf("next: corpushunt tag --index %s --tag %q --items %s   (and --negative for those that are not)\n", *dir, *tag, strings.Join(ids, ","))
	return nil
}

func scoredItems(ix index.Store, s []learn.Scored) []map[string]any {
	var out []map[string]any
	for _, x := range s {
		it, _ := ix.Item(x.ID)
		out = append(out, map[string]any{"id": x.ID, "score": x.Score, "ref": it.Ref, "label": it.Label, "text": it.Text})
	}
	return out
}

func printScored(ix index.Store, s []learn.Scored) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\tid\tscore\tlabel\titem")
	for i, x := range s {
		it, _ := ix.Item(x.ID)
		ref := it.Ref
		if it.Text != "" {
			ref = it.Text
		}
		fmt.Fprintf(tw, "%d\t%d\t%.4f\t%s\t%s\n", i+1, x.ID, x.Score, it.Label, ref)
	}
	tw.Flush()
}

func cmdClusters(ctx context.Context, args []string) error {
	fs := newFlags("clusters", "clusters --index DIR [-n 20] [--out clusters.html]")
	dir := fs.String("index", "", "index directory (required)")
	n := fs.Int("n", 20, "number of clusters")
	per := fs.Int("typical", 8, "typical items shown per cluster")
	out := fs.String("out", "", "write an HTML page of the clusters (galleries or lists)")
	root := fs.String("root", "", "where the indexed corpus lives now, if it moved")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "index"); err != nil {
		return err
	}
	if *per < 1 || *per > 100 {
		return fmt.Errorf("--typical %d: want 1 to 100", *per)
	}
	ix, err := openIndex(ctx, *dir, false)
	if err != nil {
		return err
	}
	defer ix.Close()
	cl, err := explore.Clusters(ctx, ix, *n, explore.ClusterOptions{Typical: *per})
	if err != nil {
		return err
	}
	for _, c := range cl {
		var lab []string
		for l, k := range c.Labels {
			lab = append(lab, fmt.Sprintf("%s %d", l, k))
		}
		var ex []string
		for _, h := range c.Typical[:min(3, len(c.Typical))] {
			s := h.Item.Ref
			if h.Item.Text != "" {
				s = strconv.Quote(truncate(h.Item.Text, 60))
			}
			ex = append(ex, s)
		}
		fmt.Printf("cluster %2d: %6d items  e.g. %s", c.ID, c.Size, strings.Join(ex, ", "))
		if len(lab) > 0 {
			fmt.Printf("  [labels: %s]", strings.Join(lab, ", "))
		}
		fmt.Println()
	}
	if *out != "" {
		return writeClustersPage(ix, cl, *root, *out)
	}
	return nil
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func writeJSONOut(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeClustersPage writes a self-contained page of the clusters.
func writeClustersPage(ix index.Store, cl []explore.Cluster, root, out string) error {
	var r display.Resolver
	if c, err := corpusOf(ix, root); err == nil {
		r = c
	} else if len(cl) > 0 && len(cl[0].Typical) > 0 && cl[0].Typical[0].Item.Text == "" {
		return err
	}
	p := &display.Page{Title: fmt.Sprintf("corpushunt: %d clusters of %d items", len(cl), ix.Len())}
	var sizes []string
	for _, c := range cl {
		sizes = append(sizes, strconv.Itoa(c.Size))
	}
	p.Paragraph("k-means over the vectors (FAISS). Each cluster is shown by the members nearest its centre; sizes: " + strings.Join(sizes, ", ") + ".")
	for _, c := range cl {
		v, err := display.ClusterView(c, ix.Metric(), r)
		if err != nil {
			return err
		}
		p.Add(v)
	}
	if err := p.WriteFile(out); err != nil {
		return err
	}
	fmt.Printf("clusters page written to %s\n", out)
	return nil
}

func init() {
	register("export", "write a tag, a query's top N or a score threshold to a labelled folder tree", cmdExport)
}

func cmdExport(ctx context.Context, args []string) error {
	fs := newFlags("export", "export --index DIR (--tag NAME [--top N | --min-score S] | --query-item ID -k N) --out DIR")
	dir := fs.String("index", "", "index directory (required)")
	tag := fs.String("tag", "", "export this tag's examples (positives under TAG/, negatives under not_TAG/)")
	top := fs.Int("top", 0, "with --tag: also the N items its classifier ranks highest, under TAG/")
	minScore := fs.Float64("min-score", -1, "with --tag: also every item its classifier gives at least this probability, under TAG/")
	qItem := fs.Int64("query-item", -1, "export the top -k neighbours of this item (under its label, or 'query')")
	k := fs.Int("k", 100, "with --query-item: how many")
	format := fs.String("format", "jsonl", "texts: jsonl or csv")
	root := fs.String("root", "", "where the indexed corpus lives now, if it moved")
	out := fs.String("out", "", "new or empty folder to write (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "index", "out"); err != nil {
		return err
	}
	if (*tag == "") == (*qItem < 0) {
		return fmt.Errorf("give --tag or --query-item")
	}
	if *top < 0 || *top > 1_000_000 || *k < 1 || *k > maxK {
		return fmt.Errorf("--top %d, -k %d: want 0..1000000 and 1..%d", *top, *k, maxK)
	}
	ix, err := openIndex(ctx, *dir, false)
	if err != nil {
		return err
	}
	defer ix.Close()
	src, err := corpusOf(ix, *root)
	if err != nil {
		return err
	}
	var chosen []export.Choice
	var how string
	if *tag != "" {
		l, err := tags.Open(*dir)
		if err != nil {
			return err
		}
		labels := l.Labels(*tag)
		byRef := map[string]int64{}
		for i, it := range ix.Items() {
			byRef[it.Ref] = int64(i)
		}
		taken := map[int64]bool{}
		for ref, pos := range labels {
			id, ok := byRef[ref]
			if !ok {
				continue
			}
			label := *tag
			if !pos {
				label = "not_" + *tag
			}
			chosen = append(chosen, export.Choice{ID: id, Label: label, Score: 1})
			taken[id] = true
		}
		how = fmt.Sprintf("tag %q: its examples", *tag)
		if *top > 0 || *minScore >= 0 {
			m, tagged, err := tagModel(ix, l, *tag)
			if err != nil {
				return err
			}
			scores, err := learn.ScoreAll(ctx, ix, m)
			if err != nil {
				return err
			}
			n := *top
			if *minScore >= 0 {
				// A threshold is on the probability of X, and ranks by it.
				probs, ok, err := learn.Probabilities(ctx, ix, m)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("--min-score: tag %q has no negative examples, so its model gives no probabilities; use --top", *tag)
				}
				scores, n = probs, ix.Len()
			}
			for _, s := range learn.Top(scores, n, tagged) {
				if *minScore >= 0 && float64(s.Score) < *minScore {
					break
				}
				chosen = append(chosen, export.Choice{ID: s.ID, Label: *tag, Score: s.Score})
			}
			how += fmt.Sprintf(", and the untagged items its %s classifier ranks highest (top %d, min score %g)", m.Kind, *top, *minScore)
		}
	} else {
		hits, err := ix.SearchByID(ctx, *qItem, *k, false, index.SearchOptions{})
		if hits == nil {
			return err
		}
		q, _ := ix.Item(*qItem)
		label := q.Label
		if label == "" {
			label = "query"
		}
		for _, h := range hits {
			chosen = append(chosen, export.Choice{ID: h.ID, Label: label, Score: h.Distance})
		}
		how = fmt.Sprintf("the %d nearest neighbours of item %d (%s)", len(hits), *qItem, q.Ref)
	}
	m, err := export.Write(ix, *dir, chosen, *out, export.Options{Format: *format, How: how, Source: src})
	if err != nil {
		return err
	}
	var parts []string
	for l, n := range m.Counts {
		parts = append(parts, fmt.Sprintf("%s %d", l, n))
	}
	sort.Strings(parts)
	fmt.Printf("exported %d items to %s (%s); manifest.json says how they were chosen\n", len(m.Items), *out, strings.Join(parts, ", "))
	return nil
}

func init() {
	register("map", "a 2-D map of the corpus (PCA or UMAP) as an HTML scatter coloured by label, tag or cluster; brush points to get the command that tags them", cmdMap)
}

func cmdMap(ctx context.Context, args []string) error {
	fs := newFlags("map", "map --index DIR [--method pca|umap] [--color label|tag:NAME|clusters:N] [--thumbs 1000] --out map.html")
	dir := fs.String("index", "", "index directory (required)")
	method := fs.String("method", "pca", "the projection: pca (principal components: fast, linear) or umap (keeps near neighbours together: slower)")
	color := fs.String("color", "label", "what colours the points: label, tag:NAME (its examples and its classifier's verdict), clusters:N")
	thumbs := fs.Int("thumbs", 1000, "image indexes: points (a random sample) whose tooltip shows a thumbnail")
	root := fs.String("root", "", "where the indexed corpus lives now, if it moved")
	out := fs.String("out", "", "HTML file to write (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "index", "out"); err != nil {
		return err
	}
	if *thumbs < 0 || *thumbs > 20000 {
		return fmt.Errorf("--thumbs %d: want 0 to 20000", *thumbs)
	}
	if *method != "pca" && *method != "umap" {
		return fmt.Errorf("--method %q: want pca or umap", *method)
	}
	ix, err := openIndex(ctx, *dir, false)
	if err != nil {
		return err
	}
	defer ix.Close()
	src, _ := corpusOf(ix, *root)
	s := &simsearch.Index{Store: ix, Dir: *dir, Corpus: src}
	t := *thumbs
	if t == 0 {
		t = -1 // none
	}
	c, err := s.MapChart(ctx, simsearch.MapOptions{Color: *color, Thumbs: t, Method: *method})
	if err != nil {
		return err
	}
	p := &display.Page{Title: fmt.Sprintf("corpushunt map: %s (%d items, %s)", filepath.Base(*dir), ix.Len(), ix.Encoder().Name)}
	if *method == "umap" {
		p.Paragraph("UMAP of the vectors: every item lies near its nearest neighbours, so groups of similar items show as islands (distances between islands mean little). Hover a point to see it; scroll to zoom; click a legend entry to hide a group.")
	} else {
		p.Paragraph("Principal component analysis of the vectors: nearby points are similar items. Hover a point to see it; scroll to zoom; click a legend entry to hide a group.")
	}
	p.Paragraph("Select points with the brush (toolbox, top right: rectangle or polygon): the command that tags them appears under the map, ready to copy.")
	p.Chart(c)
	if err := p.WriteFile(*out); err != nil {
		return err
	}
	fmt.Printf("map of %d items written to %s\n", ix.Len(), *out)
	return nil
}

func init() {
	register("sample", "draw a sample stratified by a tag's classifier, for you to label yes/no (then: prevalence)", cmdSample)
	register("prevalence", "how common is X: an estimate with a 95% interval from a labelled sample", cmdPrevalence)
}

// designPath is where sample keeps the design beside the sheet.
func designPath(sheet string) string {
	return strings.TrimSuffix(sheet, filepath.Ext(sheet)) + ".design.json"
}

func cmdSample(ctx context.Context, args []string) error {
	fs := newFlags("sample", "sample --index DIR --tag NAME [-n 100] --out sample.csv")
	dir := fs.String("index", "", "index directory (required)")
	tag := fs.String("tag", "", "the tag whose classifier stratifies the sample (required)")
	n := fs.Int("n", 100, "items to label")
	strata := fs.Int("strata", prevalence.DefaultStrata, "score strata")
	seed := fs.Uint64("seed", 1, "which items are drawn")
	out := fs.String("out", "", "the CSV sheet to write (required); its answer column is for you to fill with yes/no")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "index", "tag", "out"); err != nil {
		return err
	}
	for _, p := range []string{*out, designPath(*out)} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s exists: choose another --out (a sheet you are labelling is never overwritten)", p)
		}
	}
	ix, err := openIndex(ctx, *dir, false)
	if err != nil {
		return err
	}
	defer ix.Close()
	_, scores, _, err := simsearch.TagScores(ctx, ix, *dir, *tag)
	if err != nil {
		return err
	}
	d, err := prevalence.Plan(scores, *n, prevalence.Options{Strata: *strata, Seed: *seed})
	if err != nil {
		return err
	}
	items := ix.Items()
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if err := prevalence.WriteCSV(f, d, nil, func(id int) string {
		if t := items[id].Text; t != "" {
			return truncate(t, 200)
		}
		return items[id].Ref
	}); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(struct {
		Tag    string             `json:"tag"`
		Index  string             `json:"index"`
		Design *prevalence.Design `json:"design"`
	}{*tag, *dir, d}, "", "  ")
	if err := os.WriteFile(designPath(*out), b, 0o644); err != nil {
		return err
	}
	fmt.Printf("%d items to label in %s (the answer column: yes or no); the design is in %s\nthen: corpushunt prevalence --index %s --tag %q --sample %s\n",
		len(d.Sample), *out, designPath(*out), *dir, *tag, *out)
	return nil
}

func cmdPrevalence(ctx context.Context, args []string) error {
	fs := newFlags("prevalence", "prevalence --index DIR --tag NAME --sample sample.csv [--threshold 0.5]")
	dir := fs.String("index", "", "index directory (required)")
	tag := fs.String("tag", "", "the tag (required)")
	sheet := fs.String("sample", "", "the labelled sheet written by `corpushunt sample` (required)")
	thr := fs.Float64("threshold", 0.5, "also count the items the classifier scores at least this")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "index", "tag", "sample"); err != nil {
		return err
	}
	b, err := os.ReadFile(designPath(*sheet))
	if err != nil {
		return fmt.Errorf("the sample's design: %w (it is written by `corpushunt sample` beside the sheet)", err)
	}
	var saved struct {
		Tag    string             `json:"tag"`
		Design *prevalence.Design `json:"design"`
	}
	if err := json.Unmarshal(b, &saved); err != nil || saved.Design == nil {
		return fmt.Errorf("%s: not a sample design (%v)", designPath(*sheet), err)
	}
	if err := saved.Design.Validate(); err != nil {
		return fmt.Errorf("%s: %w", designPath(*sheet), err)
	}
	if saved.Tag != *tag {
		return fmt.Errorf("the sample was drawn for tag %q, not %q", saved.Tag, *tag)
	}
	f, err := os.Open(*sheet)
	if err != nil {
		return err
	}
	answers, err := prevalence.ReadAnswers(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *sheet, err)
	}
	ix, err := openIndex(ctx, *dir, false)
	if err != nil {
		return err
	}
	defer ix.Close()
	if saved.Design.Items != ix.Len() {
		return fmt.Errorf("the sample was drawn from %d items; the index now holds %d: draw a new sample", saved.Design.Items, ix.Len())
	}
	r, err := prevalence.Estimate(saved.Design, answers)
	if err != nil {
		return fmt.Errorf("%s: %w", *sheet, err)
	}
	fmt.Printf("%q: %.1f%% of the corpus (95%% interval %.1f%% to %.1f%%), about %.0f items (%.0f to %.0f) of %d; from %d labelled items, %d of them X\n",
		*tag, 100*r.P, 100*r.Lo, 100*r.Hi, r.Count, r.CountLo, r.CountHi, ix.Len(), r.Labelled, r.Yes)
	l, err := tags.Open(*dir)
	if err != nil {
		return err
	}
	if m, _, err := tagModel(ix, l, *tag); err == nil {
		if probs, ok, err := learn.Probabilities(ctx, ix, m); err == nil && ok {
			fmt.Printf("the classifier gives %d items a probability of %.2f or more (a hard cut, without an interval)\n", prevalence.Above(probs, float32(*thr)), *thr)
		}
	}
	return nil
}
