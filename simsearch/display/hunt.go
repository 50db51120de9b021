package display

import (
	"context"
	"errors"
	"fmt"
	"image"
	"slices"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/explore"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// ImageQuerier encodes decoded images of any size (ingest.Images' adapters are ones).
type ImageQuerier interface {
	EncodeImages(ctx context.Context, imgs []image.Image) ([]float32, error)
}

// Samples shows the first perLabel images of every label of an image corpus, a row per
// label (for an unlabelled corpus, one row of perLabel images).
func Samples(ctx context.Context, c corpus.Corpus, perLabel int) (Gallery, error) {
	rows := map[string][]Tile{}
	var order []string
	full := 0
	stop := errors.New("enough")
	err := c.Batches(ctx, 256, func(b []corpus.Record) error {
		for _, r := range b {
			row := rows[r.Label]
			if row == nil {
				order = append(order, r.Label)
			}
			if len(row) >= perLabel {
				continue
			}
			t := Tile{Image: r.Image, Caption: []string{r.Ref}}
			if len(row) == 0 && r.Label != "" {
				t.Caption = []string{r.Label}
			}
			rows[r.Label] = append(row, t)
			if len(rows[r.Label]) == perLabel {
				full++
			}
		}
		// Labels may still appear later in the corpus: stop early only for unlabelled
		// corpora or once every label seen so far is full and many were read.
		if len(order) == 1 && order[0] == "" && full == 1 {
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return Gallery{}, err
	}
	slices.Sort(order)
	g := Gallery{Title: fmt.Sprintf("%s: %d per label", c.Spec().Root, perLabel), Columns: perLabel, Size: 64}
	for _, l := range order {
		g.Tiles = append(g.Tiles, rows[l]...)
	}
	return g, nil
}

// ItemGallery searches by an indexed item ("find me more like this") and shows the query
// and its k neighbours; images come from r.
func ItemGallery(ctx context.Context, ix index.Store, r Resolver, id int64, k int) (Gallery, error) {
	q, err := ix.Item(id)
	if err != nil {
		return Gallery{}, err
	}
	hits, err := ix.SearchByID(ctx, id, k, true, index.SearchOptions{})
	if hits == nil {
		return Gallery{}, err
	}
	img, err := imageOf(r, q.Ref)
	if err != nil {
		return Gallery{}, err
	}
	return HitsGallery(galleryTitle(fmt.Sprintf("item %d", id), q.Label, hits), img, q.Label, hits, ix.Metric(), r)
}

// ImageGallery encodes an image of any size with enc, searches and shows the result.
// label may be "" when unknown.
func ImageGallery(ctx context.Context, ix index.Store, enc ImageQuerier, r Resolver, img image.Image, label string, k int) (Gallery, error) {
	v, err := enc.EncodeImages(ctx, []image.Image{img})
	if err != nil {
		return Gallery{}, err
	}
	res, err := ix.Search(ctx, v, k, index.SearchOptions{})
	if res == nil {
		return Gallery{}, err
	}
	return HitsGallery(galleryTitle("image", label, res[0]), img, label, res[0], ix.Metric(), r)
}

func galleryTitle(what, label string, hits []index.Hit) string {
	same := 0
	for _, h := range hits {
		if label != "" && h.Item.Label == label {
			same++
		}
	}
	if label == "" {
		return fmt.Sprintf("Top %d for %s", len(hits), what)
	}
	return fmt.Sprintf("Top %d for %s (%s): %d share its label", len(hits), what, label, same)
}

// Reconstructor is a model that reconstructs images (convae.Encoder).
type Reconstructor interface {
	InputShape() (h, w, c int)
	Reconstruct(ctx context.Context, images []float32, n int) ([]float32, error)
}

// ReconstructionGallery shows images prepared as the model's input (top row) over the
// model's reconstructions. x holds n images of the model's input size (HWC, [0,1]).
func ReconstructionGallery(ctx context.Context, m Reconstructor, x []float32, n int) (Gallery, error) {
	out, err := m.Reconstruct(ctx, x, n)
	if err != nil {
		return Gallery{}, err
	}
	h, w, c := m.InputShape()
	size := h * w * c
	g := Gallery{Title: "originals (top) and reconstructions (bottom)", Columns: n, Size: 80}
	for i := range n {
		g.Tiles = append(g.Tiles, Tile{Image: FloatImageC(x[i*size:(i+1)*size], h, w, c)})
	}
	for i := range n {
		g.Tiles = append(g.Tiles, Tile{Image: FloatImageC(out[i*size:(i+1)*size], h, w, c)})
	}
	return g, nil
}

// OutlierGallery shows the most isolated items.
func OutlierGallery(items []explore.Scored, r Resolver) (Gallery, error) {
	g := Gallery{Title: "Most isolated items (mean distance to their nearest neighbours)", Size: 80}
	for _, it := range items {
		img, err := imageOf(r, it.Item.Ref)
		if err != nil {
			return g, err
		}
		g.Tiles = append(g.Tiles, Tile{Image: img, Caption: []string{fmt.Sprintf("id %d", it.ID), it.Item.Label, fmt.Sprintf("%.3g", it.Score)}})
	}
	return g, nil
}

// PairsGallery shows near-duplicate pairs side by side.
func PairsGallery(pairs []explore.Pair, m index.Metric, r Resolver) (Gallery, error) {
	g := Gallery{Title: "Closest pairs (near duplicates)", Columns: 8, Size: 80}
	for _, p := range pairs {
		for _, h := range []index.Hit{p.A, p.B} {
			img, err := imageOf(r, h.Item.Ref)
			if err != nil {
				return g, err
			}
			g.Tiles = append(g.Tiles, Tile{Image: img, Caption: []string{fmt.Sprintf("id %d", h.ID), h.Item.Label, Score(m, p.Distance)}})
		}
	}
	return g, nil
}

// ClusterView shows a cluster by its most typical members: a gallery for images (read
// through r), a list for texts.
func ClusterView(c explore.Cluster, m index.Metric, r Resolver) (Shower, error) {
	title := fmt.Sprintf("Cluster %d: %d items", c.ID, c.Size)
	if len(c.Typical) > 0 && c.Typical[0].Item.Text != "" {
		return TextList{Query: title, Hits: c.Typical, Metric: index.L2}, nil
	}
	g, err := HitsGallery(title, nil, "", c.Typical, index.L2, r)
	if err != nil {
		return nil, err
	}
	g.Columns, g.Size = min(len(g.Tiles), 10), 72
	return g, nil
}
