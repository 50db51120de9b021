package notebooks

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/datasets/yelp"
	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/internal/browsercheck"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
	"github.com/corpushunt/corpushunt/simsearch/textae"
)

type output struct {
	OutputType string         `json:"output_type"`
	Name       string         `json:"name"`
	Text       any            `json:"text"`
	Data       map[string]any `json:"data"`
	Ename      string         `json:"ename"`
	Evalue     string         `json:"evalue"`
}

type cell struct {
	CellType string   `json:"cell_type"`
	Outputs  []output `json:"outputs"`
}

func joined(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		var b strings.Builder
		for _, s := range t {
			b.WriteString(s.(string))
		}
		return b.String()
	}
	return ""
}

// execute runs a notebook headless (small size) and returns its executed cells and the
// path of the HTML export.
func execute(t *testing.T, name string, env ...string) ([]cell, string) {
	t.Helper()
	requireJupyter(t)
	outDir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "jupyter", "nbconvert", "--to", "notebook", "--execute",
		"--ExecutePreprocessor.kernel_name=gonb", "--ExecutePreprocessor.timeout=900",
		"--output-dir", outDir, name)
	cmd.Env = append(append(os.Environ(), "CORPUSHUNT_NB_SIZE=small"), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert --execute %s: %v\n%s", name, err, tail(string(out)))
	}
	executed := filepath.Join(outDir, name)
	b, err := os.ReadFile(executed)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []cell `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatal(err)
	}
	html := exec.CommandContext(ctx, "jupyter", "nbconvert", "--to", "html", "--output-dir", outDir, executed)
	if out, err := html.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert --to html: %v\n%s", err, tail(string(out)))
	}
	return nb.Cells, strings.TrimSuffix(executed, ".ipynb") + ".html"
}

// requireJupyter skips the test when Jupyter or the GoNB kernel is missing (make setup
// installs both).
func requireJupyter(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("jupyter"); err != nil {
		t.Skip("jupyter not installed (make setup installs it)")
	}
	if out, err := exec.Command("jupyter", "kernelspec", "list").Output(); err != nil || !strings.Contains(string(out), "gonb") {
		t.Skip("the gonb Jupyter kernel is not registered (make setup registers it)")
	}
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}

// htmlOutputs returns every text/html output, and fails on error outputs and Go panics.
func htmlOutputs(t *testing.T, cells []cell) []string {
	t.Helper()
	var out []string
	for i, c := range cells {
		for _, o := range c.Outputs {
			switch o.OutputType {
			case "error":
				t.Errorf("cell %d: error output %s: %s", i, o.Ename, o.Evalue)
			case "stream":
				if s := joined(o.Text); strings.Contains(s, "panic:") || strings.Contains(s, "exit status") {
					t.Errorf("cell %d: the Go program failed:\n%s", i, tail(s))
				}
			case "display_data", "execute_result", "update_display_data":
				out = append(out, joined(o.Data["text/html"]))
			}
		}
	}
	return out
}

func countWith(outputs []string, pred func(string) bool) int {
	n := 0
	for _, o := range outputs {
		if pred(o) {
			n++
		}
	}
	return n
}

func galleryWith(imgs int) func(string) bool {
	return func(h string) bool {
		return strings.Contains(h, "corpushunt-gallery") && strings.Count(h, "<img ") == imgs
	}
}

func isChart(h string) bool { return strings.Contains(h, "echarts.init") }

func checkBrowser(t *testing.T, htmlPath string, minImages, minCharts int) {
	t.Helper()
	if _, err := browsercheck.Chromium(); err != nil {
		t.Skipf("no Chromium to open the HTML export in (make setup installs it): %v", err)
	}
	r, err := browsercheck.Check(context.Background(), htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if r.Images < minImages || r.Loaded != r.Images {
		t.Errorf("%s in Chromium: %d of %d images loaded, want ≥ %d all loaded", filepath.Base(htmlPath), r.Loaded, r.Images, minImages)
	}
	if r.Charts < minCharts || r.Drawn < minCharts {
		t.Errorf("%s in Chromium: %d charts initialised, %d canvases drawn, want ≥ %d", filepath.Base(htmlPath), r.Charts, r.Drawn, minCharts)
	}
}

func needCIFAR(t *testing.T) {
	t.Helper()
	if _, err := cifar10.Find(""); err != nil {
		t.Skipf("CIFAR-10 not found, the notebook needs it: %v", err)
	}
}

func TestQuickstartNotebook(t *testing.T) {
	needCIFAR(t)
	cells, html := execute(t, "quickstart.ipynb")
	outs := htmlOutputs(t, cells)
	if n := countWith(outs, galleryWith(80)); n != 1 {
		t.Errorf("want the class-sample gallery (80 images), found %d", n)
	}
	if n := countWith(outs, galleryWith(11)); n != 1 {
		t.Errorf("want one ranked gallery with the query and 10 neighbours (11 images), found %d", n)
	}
	checkBrowser(t, html, 91, 0)
}

func TestCIFAR10Notebook(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model: skipped with -short")
	}
	needCIFAR(t)
	cells, html := execute(t, "cifar10.ipynb")
	outs := htmlOutputs(t, cells)
	if n := countWith(outs, galleryWith(100)); n != 1 {
		t.Errorf("want the class-sample gallery (100 images), found %d", n)
	}
	if n := countWith(outs, galleryWith(20)); n != 1 {
		t.Errorf("want the reconstruction gallery (20 images), found %d", n)
	}
	if n := countWith(outs, galleryWith(16)); n < 2 {
		t.Errorf("want the item gallery (query + 15) and the near-duplicate pairs (16 images), found %d", n)
	}
	if n := countWith(outs, galleryWith(11)); n != 4 {
		t.Errorf("want 4 image-query galleries (query + 10), found %d", n)
	}
	if n := countWith(outs, isChart); n < 3 {
		t.Errorf("want the loss, recall and histogram charts, found %d chart outputs", n)
	}
	checkBrowser(t, html, 100+20+16+44+8+16, 3)
}

func TestYelpNotebook(t *testing.T) {
	if _, err := yelp.Find(""); err != nil {
		t.Skipf("Yelp sentences not found, the notebook needs them: %v", err)
	}
	requireJupyter(t) // before training the model the notebook is given
	cells, html := execute(t, "yelp.ipynb", "CORPUSHUNT_YELP_INDEX="+tinyDAAEIndex(t))
	outs := htmlOutputs(t, cells)
	lists := countWith(outs, func(h string) bool {
		return strings.Contains(h, "corpushunt-reviews") && strings.Count(h, "<li>") == 10
	})
	if lists != 6 {
		t.Errorf("want 6 review lists of 10 (bag of words, then the DAAE), found %d", lists)
	}
	if n := countWith(outs, func(h string) bool { return strings.Contains(h, "<mark>") }); n < 3 {
		t.Errorf("want shared words highlighted in every list, found %d lists with highlights", n)
	}
	checkBrowser(t, html, 0, 0)
}

// tinyDAAEIndex trains a deliberately tiny DAAE for one pass over 2,000 Yelp sentences and
// indexes them: enough to run the notebook's DAAE cell end to end, not to judge the model.
func tinyDAAEIndex(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	c, err := yelp.Locate("")
	if err != nil {
		t.Fatal(err)
	}
	var sents []yelp.Sentence
	for _, f := range []string{"sentiment.dev.0", "sentiment.dev.1"} {
		s, err := ingest.ReadYelp(c, []string{f}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		sents = append(sents, s...)
	}
	toks := make([][]string, len(sents))
	for i, s := range sents {
		toks[i] = s.Tokens()
	}
	v := textae.BuildVocab(toks, 1500)
	cfg, err := textae.CPU().Vocab(v.Len()-5).Sizes(16, 16, 8).SampledSoftmax(256).Done()
	if err != nil {
		t.Fatal(err)
	}
	train, _ := textae.Prepare(toks, v, cfg.MaxLen)
	be, err := backend.New("go:parallelism=-1")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "daae")
	if _, err := textae.Train(ctx, be, model, cfg, v, train, nil, textae.TrainOptions{Epochs: 1}); err != nil {
		t.Fatal(err)
	}
	enc, err := textae.LoadEncoder(be, model)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := ingest.Texts(ctx, sents, enc, ingest.Options{Factory: "Flat", Metric: index.Cosine})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	out := filepath.Join(dir, "index")
	if err := ix.Save(ctx, out); err != nil {
		t.Fatal(err)
	}
	return out
}
