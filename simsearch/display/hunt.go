package display

import (
	"context"
	"fmt"
	"image"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/simsearch/explore"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// ImageEncoder is what the hunting helpers need from an encoder (pixels, a trained model).
type ImageEncoder interface {
	EncodeImages(ctx context.Context, images []float32, n int) ([]float32, error)
}

// ClassSamples shows the first perClass images of every class of a split, a row per class.
func ClassSamples(ds *cifar10.Dataset, split string, perClass int) (Gallery, error) {
	s, err := ds.Split(split)
	if err != nil {
		return Gallery{}, err
	}
	rows := make([][]Tile, len(ds.Classes))
	left := len(ds.Classes)
	for b, err := range s.Batches(512) {
		if err != nil {
			return Gallery{}, err
		}
		for i := range b {
			r := &b[i]
			if len(rows[r.Label]) >= perClass {
				continue
			}
			t := Tile{Image: r.Image()}
			if len(rows[r.Label]) == 0 {
				t.Caption = []string{ds.Classes[r.Label]}
			} else {
				t.Caption = []string{"#" + fmt.Sprint(r.Index)}
			}
			rows[r.Label] = append(rows[r.Label], t)
			if len(rows[r.Label]) == perClass {
				left--
			}
		}
		if left == 0 {
			break
		}
	}
	g := Gallery{Title: fmt.Sprintf("CIFAR-10 %s: %d per class", split, perClass), Columns: perClass, Size: 64}
	for _, r := range rows {
		g.Tiles = append(g.Tiles, r...)
	}
	return g, nil
}

// ItemGallery searches by an indexed item ("find me more like this") and shows the query
// and its k neighbours.
func ItemGallery(ctx context.Context, ix *index.Index, id int64, k int) (Gallery, error) {
	q, err := ix.Item(id)
	if err != nil {
		return Gallery{}, err
	}
	hits, err := ix.SearchByID(ctx, id, k, true, index.SearchOptions{})
	if hits == nil {
		return Gallery{}, err
	}
	ref, err := cifar10.ParseRef(q.Ref)
	if err != nil {
		return Gallery{}, err
	}
	rec, err := cifar10.ReadRef(ref)
	if err != nil {
		return Gallery{}, err
	}
	return CIFARGallery(galleryTitle(fmt.Sprintf("item %d", id), q.LabelName, hits), rec.Image(), q.LabelName, hits)
}

// ImageGallery encodes a 32×32 image (HWC bytes) with enc, searches and shows the result.
// label may be "" when unknown.
func ImageGallery(ctx context.Context, ix *index.Index, enc ImageEncoder, pixels []byte, label string, k int) (Gallery, error) {
	rec := cifar10.Record{Pixels: pixels}
	v, err := enc.EncodeImages(ctx, rec.AppendFloat32(nil), 1)
	if err != nil {
		return Gallery{}, err
	}
	res, err := ix.Search(ctx, v, k, index.SearchOptions{})
	if res == nil {
		return Gallery{}, err
	}
	return CIFARGallery(galleryTitle("image", label, res[0]), rec.Image(), label, res[0])
}

func galleryTitle(what, label string, hits []index.Hit) string {
	same := 0
	for _, h := range hits {
		if label != "" && h.Item.LabelName == label {
			same++
		}
	}
	if label == "" {
		return fmt.Sprintf("Top %d for %s", len(hits), what)
	}
	return fmt.Sprintf("Top %d for %s (%s): %d share its class", len(hits), what, label, same)
}

// Reconstructor is a model that reconstructs images (convae.Encoder).
type Reconstructor interface {
	Reconstruct(ctx context.Context, images []float32, n int) ([]float32, error)
}

// ReconstructionGallery shows records (top row) over the model's reconstructions.
func ReconstructionGallery(ctx context.Context, m Reconstructor, recs []cifar10.Record) (Gallery, error) {
	var x []float32
	for i := range recs {
		x = recs[i].AppendFloat32(x)
	}
	out, err := m.Reconstruct(ctx, x, len(recs))
	if err != nil {
		return Gallery{}, err
	}
	g := Gallery{Title: "originals (top) and reconstructions (bottom)", Columns: len(recs), Size: 80}
	for i := range recs {
		g.Tiles = append(g.Tiles, Tile{Image: recs[i].Image()})
	}
	for i := range recs {
		g.Tiles = append(g.Tiles, Tile{Image: FloatImage(out[i*cifar10.PixelBytes:(i+1)*cifar10.PixelBytes], cifar10.Height, cifar10.Width)})
	}
	return g, nil
}

// OutlierGallery shows the most isolated items.
func OutlierGallery(items []explore.Scored) (Gallery, error) {
	g := Gallery{Title: "Most isolated items (mean distance to their nearest neighbours)", Size: 80}
	for _, it := range items {
		img, err := refImage(it.Item.Ref)
		if err != nil {
			return g, err
		}
		g.Tiles = append(g.Tiles, Tile{Image: img, Caption: []string{fmt.Sprintf("id %d", it.ID), it.Item.LabelName, fmt.Sprintf("%.3g", it.Score)}})
	}
	return g, nil
}

// PairsGallery shows near-duplicate pairs side by side.
func PairsGallery(pairs []explore.Pair) (Gallery, error) {
	g := Gallery{Title: "Closest pairs (near duplicates)", Columns: 8, Size: 80}
	for _, p := range pairs {
		for _, h := range []index.Hit{p.A, p.B} {
			img, err := refImage(h.Item.Ref)
			if err != nil {
				return g, err
			}
			g.Tiles = append(g.Tiles, Tile{Image: img, Caption: []string{fmt.Sprintf("id %d", h.ID), h.Item.LabelName, fmt.Sprintf("d=%.3g", p.Distance)}})
		}
	}
	return g, nil
}

func refImage(s string) (image.Image, error) {
	ref, err := cifar10.ParseRef(s)
	if err != nil {
		return nil, err
	}
	rec, err := cifar10.ReadRef(ref)
	if err != nil {
		return nil, err
	}
	return rec.Image(), nil
}
