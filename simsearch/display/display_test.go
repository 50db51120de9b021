package display

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

func TestEChartsAssetChecksum(t *testing.T) {
	sum := sha256.Sum256([]byte(echartsJS))
	if got := hex.EncodeToString(sum[:]); got != "1156429a16a38cb8604dcc6518c19406d4226142d908f8edd2e3531443c54d19" {
		t.Errorf("echarts.min.js sha256 %s: not the npm echarts@5.4.3 file (see assets/README.md)", got)
	}
}

func TestGalleryHTML(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	g := Gallery{Title: "a <b>", Tiles: []Tile{{Image: img, Caption: []string{"query"}, Query: true}, {Image: img, Caption: []string{"#1", "cat & dog"}, Match: true}}}
	h := g.HTML()
	if n := strings.Count(h, "<img "); n != 2 {
		t.Errorf("%d <img>, want 2", n)
	}
	for _, want := range []string{"data:image/png;base64,", "image-rendering:pixelated", "a &lt;b&gt;", "cat &amp; dog", "3px solid"} {
		if !strings.Contains(h, want) {
			t.Errorf("gallery HTML lacks %q", want)
		}
	}
	if txt := g.Text(); !strings.Contains(txt, "#1 | cat & dog") {
		t.Errorf("text %q", txt)
	}
}

func TestTextListHighlightsSharedWordsAndNamesScores(t *testing.T) {
	r := TextList{Query: "The food was COLD!", Hits: []index.Hit{{Rank: 1, Distance: 0.5, Item: index.Item{Text: "cold food , rude staff", Label: "negative"}}}}
	h := r.HTML()
	if !strings.Contains(h, "<mark>cold</mark> <mark>food</mark> , rude staff") || !strings.Contains(h, "d=0.5") {
		t.Errorf("text list HTML %s", h)
	}
	r.Metric = index.Cosine
	if h := r.HTML(); !strings.Contains(h, "s=0.5") || strings.Contains(h, "d=0.5") {
		t.Errorf("a cosine score is a similarity, not a distance: %s", h)
	}
}

type oneImage struct{}

func (oneImage) Resolve(ref string) (corpus.Record, error) {
	if ref == "missing" {
		return corpus.Record{}, corpus.ErrNoRef
	}
	return corpus.Record{Item: corpus.Item{Ref: ref}, Image: image.NewGray(image.Rect(0, 0, 5, 3))}, nil
}

func TestHitsGalleryResolvesAnyCorpus(t *testing.T) {
	hits := []index.Hit{{Rank: 1, ID: 4, Distance: 0.9, Item: index.Item{Ref: "a/b.png", Label: "cat"}}, {Rank: 2, ID: 9, Distance: 0.5, Item: index.Item{Ref: "c.png", Label: "dog"}}}
	g, err := HitsGallery("t", nil, "cat", hits, index.IP, oneImage{})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Tiles) != 2 || !g.Tiles[0].Match || g.Tiles[1].Match || g.Tiles[0].Caption[0] != "#1  s=0.9" {
		t.Errorf("tiles %+v", g.Tiles)
	}
	hits[1].Item.Ref = "missing"
	if _, err := HitsGallery("t", nil, "", hits, index.L2, oneImage{}); !errors.Is(err, corpus.ErrNoRef) {
		t.Errorf("missing payload: %v", err)
	}
}

func TestChartAndPage(t *testing.T) {
	c := LossChart("loss", []LossPoint{{1, 0.5}, {2, 0.25}}, []LossPoint{{2, 0.3}})
	h := ChartHTML(c)
	if !strings.Contains(h, "(function(define){") || !strings.Contains(h, "echarts.init") || !strings.Contains(h, "validation loss") {
		t.Error("chart HTML lacks the wrapped library, the init call or the series")
	}
	p := &Page{Title: "T"}
	p.Heading("x").Paragraph("y").Table([]string{"a"}, [][]string{{"1"}}).Chart(RecallChart("r", []index.TunePoint{{Nprobe: 1, Recall: 0.5, QPS: 10}, {Nprobe: 2, Recall: 0.9, QPS: 5}}))
	p.Chart(HistogramChart("h", "d", []float32{1, 2, 2, 3}, 3))
	doc := p.HTML()
	if strings.Count(doc, "(function(define){") != 1 || strings.Count(doc, "echarts.init") != 2 {
		t.Error("page should inline the library once and init two charts")
	}
	out := filepath.Join(t.TempDir(), "sub", "r.html")
	if err := p.WriteFile(out); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("report file: %v %v", st, err)
	}
}

func TestShowOutsideNotebookPrintsSummary(t *testing.T) {
	if InNotebook() {
		t.Skip("running inside a notebook")
	}
	// Show must not panic or emit HTML outside a notebook; ShowChart must not render.
	t.Setenv("CORPUSHUNT_QUIET", "1")
	Show(Gallery{})
	ShowChart(LossChart("x", nil, nil), "summary")
}
