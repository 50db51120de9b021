package notebooks

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corpushunt/corpushunt/datasets/cifar10"
	"github.com/corpushunt/corpushunt/datasets/yelp"
	"github.com/corpushunt/corpushunt/internal/browsercheck"
	"github.com/corpushunt/corpushunt/simsearch"
	"github.com/corpushunt/corpushunt/simsearch/backend"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/index"
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
	Source   any      `json:"source"`
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

// run is an executed notebook.
type run struct {
	cells []cell
	html  string // the path of its HTML export
}

// execute runs a notebook headless (small size, models and indexes in a temporary folder)
// and exports the executed notebook to HTML. CORPUSHUNT_NB_KEEP=dir keeps both there.
func execute(t *testing.T, name string, env ...string) run {
	t.Helper()
	requireJupyter(t)
	start := time.Now()
	outDir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "jupyter", "nbconvert", "--to", "notebook", "--execute",
		"--ExecutePreprocessor.kernel_name=gonb", "--ExecutePreprocessor.timeout=900",
		"--output-dir", outDir, name)
	cmd.Env = append(append(os.Environ(), "CORPUSHUNT_NB_SIZE=small", "CORPUSHUNT_NB_OUT="+filepath.Join(outDir, "work")), env...)
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
	t.Logf("%s executed and exported in %s", name, time.Since(start).Round(time.Second))
	exported := strings.TrimSuffix(executed, ".ipynb") + ".html"
	if keep := os.Getenv("CORPUSHUNT_NB_KEEP"); keep != "" {
		// Keep the executed notebook and its export to look at.
		for _, p := range []string{executed, exported} {
			if b, err := os.ReadFile(p); err != nil || os.MkdirAll(keep, 0o755) != nil || os.WriteFile(filepath.Join(keep, filepath.Base(p)), b, 0o644) != nil {
				t.Logf("CORPUSHUNT_NB_KEEP: could not keep %s", p)
			}
		}
	}
	return run{nb.Cells, exported}
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
func (r run) htmlOutputs(t *testing.T) []string {
	t.Helper()
	var out []string
	for i, c := range r.cells {
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

// stdout is everything the cells printed.
func (r run) stdout() string {
	var b strings.Builder
	for _, c := range r.cells {
		for _, o := range c.Outputs {
			if o.OutputType == "stream" && o.Name == "stdout" {
				b.WriteString(joined(o.Text))
			}
		}
	}
	return b.String()
}

// checkSetup checks the set-up cell (the first code cell): one line saying where the
// module is, nothing of the go commands' chatter, and the chart library once when the
// notebook has charts (else not at all).
func (r run) checkSetup(t *testing.T, charts bool) {
	t.Helper()
	var first *cell
	for i := range r.cells {
		if r.cells[i].CellType == "code" {
			first = &r.cells[i]
			break
		}
	}
	if first == nil {
		t.Fatal("no code cell")
	}
	var text string
	libs := 0
	for _, o := range first.Outputs {
		switch o.OutputType {
		case "stream":
			text += joined(o.Text)
		case "display_data":
			if h := joined(o.Data["text/html"]); strings.Contains(h, "(function(define){") {
				libs++
			} else {
				t.Errorf("set-up cell: unexpected HTML output %.300s", h)
			}
		default:
			t.Errorf("set-up cell: unexpected %s output %s %s", o.OutputType, o.Ename, o.Evalue)
		}
	}
	if lines := strings.Split(strings.TrimSpace(text), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "corpushunt ready: module at /") {
		t.Errorf("set-up cell: want the one line \"corpushunt ready: module at …\", got:\n%s", tail(text))
	}
	for _, noise := range []string{"go: downloading", "go: added", "replace rule"} {
		if strings.Contains(text, noise) {
			t.Errorf("set-up cell prints %q", noise)
		}
	}
	if want := map[bool]int{true: 1, false: 0}[charts]; libs != want {
		t.Errorf("set-up cell: the chart library shown %d times, want %d", libs, want)
	}
}

// checkOneLibrary checks the chart library travels once in the whole notebook (1 MB):
// charts only refer to it.
func checkOneLibrary(t *testing.T, outs []string, want int) {
	t.Helper()
	if n := countWith(outs, func(h string) bool { return strings.Contains(h, "(function(define){") }); n != want {
		t.Errorf("the chart library is in %d outputs, want %d", n, want)
	}
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

var listItem = regexp.MustCompile(`<li[ >]`)

func textListWith(items int) func(string) bool {
	return func(h string) bool {
		return strings.Contains(h, "corpushunt-texts") && len(listItem.FindAllString(h, -1)) == items
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
	r := execute(t, "quickstart.ipynb")
	outs := r.htmlOutputs(t)
	r.checkSetup(t, false)
	if n := countWith(outs, galleryWith(80)); n != 1 {
		t.Errorf("want the class-sample gallery (80 images), found %d", n)
	}
	if n := countWith(outs, galleryWith(11)); n != 1 {
		t.Errorf("want one ranked gallery with the query and 10 neighbours (11 images), found %d", n)
	}
	checkOneLibrary(t, outs, 0)
	checkBrowser(t, r.html, 91, 0)
}

func TestCIFAR10Notebook(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model: skipped with -short")
	}
	needCIFAR(t)
	r := execute(t, "cifar10.ipynb")
	outs := r.htmlOutputs(t)
	r.checkSetup(t, true)
	if n := countWith(outs, galleryWith(100)); n != 1 {
		t.Errorf("want the class-sample gallery (100 images), found %d", n)
	}
	if n := countWith(outs, galleryWith(20)); n != 1 {
		t.Errorf("want the reconstruction gallery (20 images), found %d", n)
	}
	if n := countWith(outs, galleryWith(16)); n != 2 {
		t.Errorf("want the item gallery (query + 15) and the near-duplicate pairs (16 images), found %d", n)
	}
	if n := countWith(outs, galleryWith(11)); n != 4 {
		t.Errorf("want 4 image-query galleries (query + 10), found %d", n)
	}
	if n := countWith(outs, galleryWith(8)); n != 1 {
		t.Errorf("want the outlier gallery (8 images), found %d", n)
	}
	if n := countWith(outs, isChart); n != 3 {
		t.Errorf("want the loss, recall and histogram charts, found %d chart outputs", n)
	}
	checkOneLibrary(t, outs, 1)
	checkBrowser(t, r.html, 100+20+16+44+8+16, 3)
}

func TestYelpNotebook(t *testing.T) {
	if _, err := yelp.Find(""); err != nil {
		t.Skipf("Yelp sentences not found, the notebook needs them: %v", err)
	}
	requireJupyter(t) // before training the model the notebook is given
	r := execute(t, "yelp.ipynb", "CORPUSHUNT_YELP_INDEX="+tinyDAAEIndex(t))
	outs := r.htmlOutputs(t)
	r.checkSetup(t, false)
	if n := countWith(outs, textListWith(10)); n != 6 {
		t.Errorf("want 6 lists of 10 sentences (bag of words, then the DAAE), found %d", n)
	}
	if n := countWith(outs, func(h string) bool { return strings.Contains(h, "<mark>") }); n < 3 {
		t.Errorf("want shared words highlighted in every list, found %d lists with highlights", n)
	}
	if n := strings.Count(r.stdout(), "sentiment agreement@1"); n != 2 {
		t.Errorf("want the bag of words and the DAAE scored, found %d scores:\n%s", n, r.stdout())
	}
	checkOneLibrary(t, outs, 0)
	checkBrowser(t, r.html, 0, 0)
}

// tinyDAAEIndex trains a deliberately tiny DAAE for one pass over the 2,000 sentences of
// sentiment/1000.{neg,pos} and indexes them through the facade: enough to run the
// notebook's DAAE cell end to end, not to judge the model.
func tinyDAAEIndex(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	c, err := simsearch.Open("yelp:sentiment/1000.neg,sentiment/1000.pos")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := corpus.Collect(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	toks := make([][]string, len(recs))
	for i, r := range recs {
		toks[i] = yelp.Tokenize(r.Text)
	}
	v := textae.BuildVocab(toks, 1500)
	cfg, err := textae.CPU().Vocab(v.Len()-5).Sizes(16, 16, 8).SampledSoftmax(256).Done()
	if err != nil {
		t.Fatal(err)
	}
	train, _ := textae.Prepare(toks, v, cfg.MaxLen)
	be, err := backend.New(simsearch.TextBackend(""))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "daae")
	if _, err := textae.Train(ctx, be, model, cfg, v, train, nil, textae.TrainOptions{Epochs: 1, Tokenizer: yelp.TokenizerName}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "index")
	ix, err := simsearch.Build(ctx, c, out, simsearch.BuildOptions{
		Encoder: simsearch.EncoderOptions{Name: model}, Factory: "Flat", Metric: index.Cosine, Progress: func(int, int) {}})
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	return out
}

// shapesFolder writes a labelled folder of small grayscale PNGs, one subfolder per class
// (discs, squares, stripes, n of each, at random places and sizes), with a hidden file,
// a non-image file and a broken PNG that the notebook must report as skipped.
func shapesFolder(t *testing.T, n int) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "shapes")
	r := rand.New(rand.NewPCG(7, 7))
	draw := map[string]func(x, y, cx, cy, s int) bool{
		"discs":   func(x, y, cx, cy, s int) bool { return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= s*s },
		"squares": func(x, y, cx, cy, s int) bool { return abs(x-cx) <= s && abs(y-cy) <= s },
		"stripes": func(x, y, cx, cy, s int) bool { return (y+cy)/max(2, s/2)%2 == 0 },
	}
	for _, class := range []string{"discs", "squares", "stripes"} {
		inside := draw[class]
		if err := os.MkdirAll(filepath.Join(root, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			img := image.NewGray(image.Rect(0, 0, 16, 16))
			cx, cy, s := 4+r.IntN(8), 4+r.IntN(8), 2+r.IntN(3)
			for y := range 16 {
				for x := range 16 {
					v := 230 - r.IntN(30)
					if inside(x, y, cx, cy, s) {
						v = 20 + r.IntN(40)
					}
					img.SetGray(x, y, color.Gray{Y: uint8(v)})
				}
			}
			writePNG(t, filepath.Join(root, class, fmt.Sprintf("%03d.png", i)), img)
		}
	}
	for name, data := range map[string]string{".hidden.png": "x", "notes.txt": "not an image", "squares/broken.png": "\x89PNG\r\n\x1a\nbroken"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func abs(x int) int { return max(x, -x) }

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// queryJPEG writes a colour disc of another size and format than the folder's images.
func queryJPEG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 40))
	for y := range 40 {
		for x := range 48 {
			c := color.RGBA{240, 240, 235, 255}
			if (x-24)*(x-24)+(y-20)*(y-20) <= 100 {
				c = color.RGBA{40, 30, 120, 255}
			}
			img.Set(x, y, c)
		}
	}
	path := filepath.Join(t.TempDir(), "query.jpg")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(f, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestYourImagesNotebook(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model: skipped with -short")
	}
	requireJupyter(t)
	r := execute(t, "your-images.ipynb", "CORPUSHUNT_IMAGES="+shapesFolder(t, 40), "CORPUSHUNT_QUERY_IMAGE="+queryJPEG(t))
	outs := r.htmlOutputs(t)
	r.checkSetup(t, true)
	stdout := r.stdout()
	for _, want := range []string{"120 items in 3 labels", "1 bad images", "1 hidden files", "1 non-image files", "discs", "pixels index: 120 images", "autoencoder index: 120 images"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the notebook does not say %q:\n%s", want, stdout)
		}
	}
	if n := countWith(outs, galleryWith(24)); n != 1 {
		t.Errorf("want the sample gallery (3 labels × 8 images), found %d", n)
	}
	if n := countWith(outs, galleryWith(11)); n != 3 {
		t.Errorf("want 3 searches shown (query + 10: pixels by item and by file, autoencoder by item), found %d", n)
	}
	if n := countWith(outs, galleryWith(8)); n != 1 {
		t.Errorf("want the outlier gallery (8 images), found %d", n)
	}
	if n := countWith(outs, func(h string) bool {
		return strings.Contains(h, "corpushunt-eval") && strings.Contains(h, "autoencoder") && strings.Contains(h, "precision@10")
	}); n != 1 {
		t.Errorf("want the table comparing pixels and autoencoder, found %d", n)
	}
	if n := countWith(outs, isChart); n != 1 {
		t.Errorf("want the training chart, found %d chart outputs", n)
	}
	checkOneLibrary(t, outs, 1)
	checkBrowser(t, r.html, 24+33+8, 1)
}

// ticketsCSV writes support tickets in three categories (with a few exact duplicates and
// an empty message the notebook must skip).
func ticketsCSV(t *testing.T) string {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 3))
	templates := map[string][]string{
		"billing": {"I was charged twice for my %s subscription", "the invoice for %s shows the wrong amount",
			"please refund the %s payment taken last week", "why did the price of %s go up on my bill"},
		"shipping": {"my order of %s never arrived", "the %s package was delivered to the wrong address",
			"tracking for the %s parcel has not moved in days", "the box with my %s came damaged"},
		"login": {"I cannot log in to my account since the %s update", "the password reset email for %s never comes",
			"two factor code for %s is rejected every time", "my account got locked after the %s login attempts"},
	}
	things := []string{"premium", "family", "laptop", "shoes", "garden", "office", "music", "camera"}
	path := filepath.Join(t.TempDir(), "tickets.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"id", "category", "message"})
	id := 0
	for _, cat := range []string{"billing", "shipping", "login"} {
		for i := range 50 {
			id++
			msg := fmt.Sprintf(templates[cat][r.IntN(4)], things[r.IntN(len(things))])
			if i%7 == 3 {
				msg += ", and the service was slow to answer"
			}
			w.Write([]string{fmt.Sprint(id), cat, msg})
		}
	}
	w.Write([]string{"999", "login", " "})
	w.Flush()
	if err := f.Close(); err != nil || w.Error() != nil {
		t.Fatal(err, w.Error())
	}
	return path
}

func TestYourTextNotebook(t *testing.T) {
	requireJupyter(t)
	r := execute(t, "your-text.ipynb", "CORPUSHUNT_TEXT="+ticketsCSV(t), "CORPUSHUNT_TEXT_COLUMN=message", "CORPUSHUNT_LABEL_COLUMN=category")
	outs := r.htmlOutputs(t)
	r.checkSetup(t, false)
	stdout := r.stdout()
	for _, want := range []string{"150 items in 3 labels; skipped 1 empty texts", "150 texts indexed", "precision@10", "shipping"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the notebook does not say %q:\n%s", want, stdout)
		}
	}
	if n := countWith(outs, textListWith(10)); n != 4 {
		t.Errorf("want 4 lists of 10 texts (3 typed queries, 1 item), found %d", n)
	}
	if n := countWith(outs, func(h string) bool {
		return strings.Contains(h, "corpushunt-pairs") && strings.Count(h, "<tr>") == 8
	}); n != 1 {
		t.Errorf("want the table of 8 near-duplicate pairs, found %d", n)
	}
	checkOneLibrary(t, outs, 0)
	checkBrowser(t, r.html, 0, 0)
}

func TestLabellingNotebook(t *testing.T) {
	needCIFAR(t)
	r := execute(t, "labelling.ipynb")
	outs := r.htmlOutputs(t)
	r.checkSetup(t, true)
	stdout := r.stdout()
	if !strings.Contains(stdout, "pixels index built: 3000 CIFAR-10 training images") {
		t.Errorf("the notebook does not say it indexed 3,000 images:\n%s", stdout)
	}
	for _, g := range []struct {
		images, want int
		what         string
	}{
		{21, 1, "the search by the example (query + 20)"},
		{30, 2, "the 30 best untagged images, before and after the rounds"},
		{10, 1, "the 10 most uncertain images"},
		{16, 1, "the export read back (2 labels × 8 images)"},
		{8, 10, "the 10 clusters (8 typical images each)"},
	} {
		if n := countWith(outs, galleryWith(g.images)); n != g.want {
			t.Errorf("want %d galleries of %d images: %s; found %d", g.want, g.images, g.what, n)
		}
	}

	// "More like these": the ships among the top 100 rise over the rounds.
	var found []int
	for _, m := range regexp.MustCompile(`(?m)^round (\d+): (\d+) of the top 100 are ships`).FindAllStringSubmatch(stdout, -1) {
		if m[1] != strconv.Itoa(len(found)) {
			t.Errorf("round %s printed as round number %d", m[1], len(found))
		}
		n, _ := strconv.Atoi(m[2])
		found = append(found, n)
	}
	if len(found) != 4 {
		t.Errorf("want rounds 0 to 3 printed, got %v:\n%s", found, stdout)
	} else if found[3] < found[0] || found[3] == 0 {
		t.Errorf("ships among the top 100 per round %v: want them to rise overall", found)
	}

	// The export reads back as a folder of two labels, as many as were exported.
	exp := regexp.MustCompile(`exported (\d+) ship and (\d+) not_ship images`).FindStringSubmatch(stdout)
	back := regexp.MustCompile(`read back: (\d+) items in 2 labels`).FindStringSubmatch(stdout)
	if exp == nil || back == nil {
		t.Errorf("want the export's counts and its read-back with 2 labels:\n%s", stdout)
	} else {
		pos, _ := strconv.Atoi(exp[1])
		neg, _ := strconv.Atoi(exp[2])
		if n, _ := strconv.Atoi(back[1]); n != pos+neg || pos < 50 {
			t.Errorf("exported %d + %d images (want ≥ 50 ships), read back %d", pos, neg, n)
		}
		for _, l := range []string{"ship", "not_ship"} {
			if !regexp.MustCompile(`(?m)^  ` + l + ` +\d+ images$`).MatchString(stdout) {
				t.Errorf("the read-back does not list the label %s:\n%s", l, stdout)
			}
		}
	}

	// Prevalence: an interval around the estimate that holds the true share.
	p := regexp.MustCompile(`ships are ([\d.]+)% of the corpus \(95% interval ([\d.]+)%–([\d.]+)%\)`).FindStringSubmatch(stdout)
	truth := regexp.MustCompile(`the true share: ([\d.]+)%`).FindStringSubmatch(stdout)
	if p == nil || truth == nil {
		t.Errorf("want the prevalence line and the true share:\n%s", stdout)
	} else {
		est, _ := strconv.ParseFloat(p[1], 64)
		lo, _ := strconv.ParseFloat(p[2], 64)
		hi, _ := strconv.ParseFloat(p[3], 64)
		tr, _ := strconv.ParseFloat(truth[1], 64)
		if !(lo <= est && est <= hi && lo <= tr && tr <= hi) {
			t.Errorf("prevalence %.1f%% in [%.1f%%, %.1f%%], truth %.1f%%: want the estimate and the truth inside the interval", est, lo, hi, tr)
		}
	}
	if n := countWith(outs, isChart); n != 1 {
		t.Errorf("want the map, found %d chart outputs", n)
	}
	checkOneLibrary(t, outs, 1)
	checkBrowser(t, r.html, 21+2*30+10+16+10*8, 1)
}
