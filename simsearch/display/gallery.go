package display

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/png"
	"strings"
	"unicode"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Tile is one picture in a gallery.
type Tile struct {
	Image   image.Image
	Caption []string // lines under the picture
	Query   bool     // the query: drawn first, outlined
	Match   bool     // shares the query's label: caption shown in green
	ID      int64    // the item's row id, when HasID (interactive panels search from it)
	HasID   bool
}

// Gallery is a ranked grid of thumbnails, rendered as an HTML fragment with the images
// inline (PNG data URIs) and upscaled with crisp, pixelated rendering.
type Gallery struct {
	Title   string
	Tiles   []Tile
	Columns int // default 8
	Size    int // thumbnail size in CSS pixels; default 96
}

// PNGDataURI encodes an image as a data: URI.
func PNGDataURI(img image.Image) string {
	var buf bytes.Buffer
	_ = png.Encode(&buf, img) // encoding an in-memory image cannot fail
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

// HTML renders the gallery.
func (g Gallery) HTML() string {
	cols, size := g.Columns, g.Size
	if cols <= 0 {
		cols = 8
	}
	if size <= 0 {
		size = 96
	}
	var b strings.Builder
	b.WriteString(`<div class="corpushunt-gallery" style="font-family:sans-serif;margin:8px 0">`)
	if g.Title != "" {
		fmt.Fprintf(&b, `<div style="font-weight:bold;margin-bottom:4px">%s</div>`, html.EscapeString(g.Title))
	}
	fmt.Fprintf(&b, `<div style="display:grid;grid-template-columns:repeat(%d,%dpx);gap:6px">`, cols, size+8)
	for _, t := range g.Tiles {
		border := "1px solid #ddd"
		if t.Query {
			border = "3px solid #d33"
		}
		color := "#333"
		if t.Match {
			color = "#187a2f"
		}
		dataID := ""
		if t.HasID {
			dataID = fmt.Sprintf(` data-id="%d"`, t.ID)
		}
		fmt.Fprintf(&b, `<figure%s style="margin:0;padding:2px;border:%s;text-align:center">`, dataID, border)
		fmt.Fprintf(&b, `<img src="%s" width="%d" height="%d" style="image-rendering:pixelated;image-rendering:crisp-edges;display:block;margin:auto">`,
			PNGDataURI(t.Image), size, size)
		fmt.Fprintf(&b, `<figcaption style="font-size:11px;line-height:1.2;color:%s">`, color)
		for i, line := range t.Caption {
			if i > 0 {
				b.WriteString("<br>")
			}
			b.WriteString(html.EscapeString(line))
		}
		b.WriteString("</figcaption></figure>")
	}
	b.WriteString("</div></div>")
	return b.String()
}

// Text summarises the gallery in plain text (for terminals and logs).
func (g Gallery) Text() string {
	var b strings.Builder
	if g.Title != "" {
		b.WriteString(g.Title + "\n")
	}
	for _, t := range g.Tiles {
		b.WriteString("  " + strings.Join(t.Caption, " | ") + "\n")
	}
	return b.String()
}

// Resolver finds an item's payload from its reference; every corpus.Corpus is one (open
// the index's corpus with corpus.Open(ix.Corpus())).
type Resolver interface {
	Resolve(ref string) (corpus.Record, error)
}

// Score formats a hit's score for captions: "d=" for L2 distances (smaller is closer),
// "s=" for inner-product and cosine similarities (larger is closer).
func Score(m index.Metric, v float32) string {
	if m.HigherIsCloser() {
		return fmt.Sprintf("s=%.3g", v)
	}
	return fmt.Sprintf("d=%.3g", v)
}

// HitsGallery builds a gallery for a query and its hits over an image index: the query
// tile first (when query is not nil), then each hit with rank, score, label and id. Hit
// images come from r.
func HitsGallery(title string, query image.Image, queryLabel string, hits []index.Hit, m index.Metric, r Resolver) (Gallery, error) {
	g := Gallery{Title: title}
	if query != nil {
		g.Tiles = append(g.Tiles, Tile{Image: query, Caption: []string{"query", queryLabel}, Query: true})
	}
	for _, h := range hits {
		img, err := imageOf(r, h.Item.Ref)
		if err != nil {
			return g, err
		}
		g.Tiles = append(g.Tiles, Tile{
			Image:   img,
			Caption: []string{fmt.Sprintf("#%d  %s", h.Rank, Score(m, h.Distance)), h.Item.Label, fmt.Sprintf("id %d", h.ID)},
			Match:   queryLabel != "" && h.Item.Label == queryLabel,
			ID:      h.ID, HasID: true,
		})
	}
	return g, nil
}

func imageOf(r Resolver, ref string) (image.Image, error) {
	if r == nil {
		return nil, fmt.Errorf("display: no corpus to read %s from", ref)
	}
	rec, err := r.Resolve(ref)
	if err != nil {
		return nil, err
	}
	if rec.Image == nil {
		return nil, fmt.Errorf("display: %s is not an image", ref)
	}
	return rec.Image, nil
}

// TextList renders ranked texts with score and label, words shared with the query
// highlighted.
type TextList struct {
	Query  string
	Hits   []index.Hit
	Metric index.Metric // how to label scores; default l2 (distance)
}

func (r TextList) score(v float32) string {
	m := r.Metric
	if m == "" {
		m = index.L2
	}
	return Score(m, v)
}

func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) })
}

func wordKey(w string) string {
	return strings.ToLower(strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }))
}

// HTML renders the list.
func (r TextList) HTML() string {
	qwords := map[string]bool{}
	for _, w := range words(r.Query) {
		if k := wordKey(w); k != "" {
			qwords[k] = true
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="corpushunt-texts" style="font-family:sans-serif"><div style="margin-bottom:4px"><b>query:</b> %s</div><ol>`, html.EscapeString(r.Query))
	for _, h := range r.Hits {
		var ws []string
		for _, w := range words(h.Item.Text) {
			e := html.EscapeString(w)
			if qwords[wordKey(w)] {
				e = `<mark>` + e + `</mark>`
			}
			ws = append(ws, e)
		}
		fmt.Fprintf(&b, `<li data-id="%d"><span style="color:#666;font-size:11px">%s · %s · %s</span> %s</li>`,
			h.ID, r.score(h.Distance), html.EscapeString(h.Item.Label), html.EscapeString(h.Item.Ref), strings.Join(ws, " "))
	}
	b.WriteString("</ol></div>")
	return b.String()
}

// Text summarises the list.
func (r TextList) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "query: %s\n", r.Query)
	for _, h := range r.Hits {
		fmt.Fprintf(&b, "  %2d. %s %-8s %s\n", h.Rank, r.score(h.Distance), h.Item.Label, h.Item.Text)
	}
	return b.String()
}

// HitTable lists hits as a table (for indexes of vectors, which have no picture).
func HitTable(title string, hits []index.Hit, m index.Metric) HTMLFragment {
	var b, t strings.Builder
	fmt.Fprintf(&b, `<div style="font-family:sans-serif"><b>%s</b><table style="border-collapse:collapse;font-size:13px">`, html.EscapeString(title))
	b.WriteString(`<tr><th>rank</th><th>id</th><th>score</th><th>label</th><th>ref</th></tr>`)
	t.WriteString(title + "\n")
	for _, h := range hits {
		fmt.Fprintf(&b, `<tr><td>%d</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td></tr>`, h.Rank, h.ID, Score(m, h.Distance), html.EscapeString(h.Item.Label), html.EscapeString(h.Item.Ref))
		fmt.Fprintf(&t, "  %2d. id %d %s %s %s\n", h.Rank, h.ID, Score(m, h.Distance), h.Item.Label, h.Item.Ref)
	}
	b.WriteString("</table></div>")
	return HTMLFragment{Content: b.String(), Summary: strings.TrimRight(t.String(), "\n")}
}
