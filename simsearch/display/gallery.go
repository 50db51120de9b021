package display

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/png"
	"strings"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Tile is one picture in a gallery.
type Tile struct {
	Image   image.Image
	Caption []string // lines under the picture
	Query   bool     // the query: drawn first, outlined
	Match   bool     // shares the query's label: caption shown in green
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
		fmt.Fprintf(&b, `<figure style="margin:0;padding:2px;border:%s;text-align:center">`, border)
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

// CIFARGallery builds a gallery for a query and its hits over a CIFAR-10 index: the query
// tile first (when queryImg is not nil), then each hit with rank, distance, label and id.
func CIFARGallery(title string, queryImg image.Image, queryLabel string, hits []index.Hit) (Gallery, error) {
	g := Gallery{Title: title}
	if queryImg != nil {
		g.Tiles = append(g.Tiles, Tile{Image: queryImg, Caption: []string{"query", queryLabel}, Query: true})
	}
	for _, h := range hits {
		ref, err := cifar10.ParseRef(h.Item.Ref)
		if err != nil {
			return g, err
		}
		rec, err := cifar10.ReadRef(ref)
		if err != nil {
			return g, err
		}
		g.Tiles = append(g.Tiles, Tile{
			Image:   rec.Image(),
			Caption: []string{fmt.Sprintf("#%d  d=%.3g", h.Rank, h.Distance), h.Item.LabelName, fmt.Sprintf("id %d", h.ID)},
			Match:   queryLabel != "" && h.Item.LabelName == queryLabel,
		})
	}
	return g, nil
}

// ReviewList renders ranked sentences with distance and label, words shared with the
// query highlighted.
type ReviewList struct {
	Query string
	Hits  []index.Hit
}

// HTML renders the list.
func (r ReviewList) HTML() string {
	qwords := map[string]bool{}
	for _, w := range strings.Fields(strings.ToLower(r.Query)) {
		qwords[w] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="corpushunt-reviews" style="font-family:sans-serif"><div style="margin-bottom:4px"><b>query:</b> %s</div><ol>`, html.EscapeString(r.Query))
	for _, h := range r.Hits {
		var words []string
		for _, w := range strings.Fields(h.Item.Text) {
			e := html.EscapeString(w)
			if qwords[strings.ToLower(w)] {
				e = `<mark>` + e + `</mark>`
			}
			words = append(words, e)
		}
		fmt.Fprintf(&b, `<li><span style="color:#666;font-size:11px">d=%.3g · %s</span> %s</li>`, h.Distance, html.EscapeString(h.Item.LabelName), strings.Join(words, " "))
	}
	b.WriteString("</ol></div>")
	return b.String()
}

// Text summarises the list.
func (r ReviewList) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "query: %s\n", r.Query)
	for _, h := range r.Hits {
		fmt.Fprintf(&b, "  %2d. d=%.3g %-8s %s\n", h.Rank, h.Distance, h.Item.LabelName, h.Item.Text)
	}
	return b.String()
}
