package display

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/render"
	"github.com/janpfeifer/gonb/gonbui"
)

// Shower is what Show can display: an HTML form and a plain-text summary.
type Shower interface {
	HTML() string
	Text() string
}

// InNotebook reports whether the program runs as a GoNB notebook cell.
func InNotebook() bool { return gonbui.IsNotebook }

// Show displays x inline in a GoNB notebook; outside a notebook it prints the short text
// summary to stdout (or nothing when CORPUSHUNT_QUIET is set).
func Show(x Shower) {
	if InNotebook() {
		gonbui.DisplayHTML(x.HTML())
		gonbui.Sync() // large outputs can be lost if the cell exits first (see platform notes)
		return
	}
	if os.Getenv("CORPUSHUNT_QUIET") == "" {
		fmt.Print(x.Text())
	}
}

// HTMLFragment adapts any HTML (a chart, a report section) to Show.
type HTMLFragment struct {
	Content string
	Summary string
}

// HTML returns the fragment.
func (h HTMLFragment) HTML() string { return h.Content }

// Text returns the summary.
func (h HTMLFragment) Text() string {
	if h.Summary == "" {
		return ""
	}
	return h.Summary + "\n"
}

// ShowChart displays a chart inline (outside a notebook: its one-line summary). The chart
// library travels with the first chart of a kernel session only (none at all after
// LoadCharts); later charts refer to it.
func ShowChart(c Chart, summary string) {
	if InNotebook() {
		Show(HTMLFragment{Content: NotebookChartHTML(c), Summary: summary})
		return
	}
	Show(HTMLFragment{Summary: summary})
}

// The ECharts library is about 1 MB. A notebook page needs it once: every cell is a
// separate program, so whether this kernel session has shipped it is recorded in a file
// of GoNB's per-kernel folder ($GONB_TMP_DIR). Charts are drawn by a script that waits
// for the library when it is not on the page yet, and says so in place of the chart when
// it never comes (an output holding it was cleared).

// chartsMarker is the file that records, for a kernel session, that the library was shown.
const chartsMarker = "corpushunt-echarts-shown"

func chartsMarkerPath() string {
	if d := os.Getenv("GONB_TMP_DIR"); d != "" {
		return filepath.Join(d, chartsMarker)
	}
	return ""
}

// chartsShown reports whether an output of this kernel session already holds the library.
func chartsShown() bool {
	p := chartsMarkerPath()
	if p == "" {
		return false
	}
	_, err := os.Stat(p)
	return err == nil
}

// markChartsShown records that the library was shown; false when it cannot be recorded
// (then every chart carries the library, as a self-contained fragment).
func markChartsShown() bool {
	p := chartsMarkerPath()
	return p != "" && os.WriteFile(p, nil, 0o644) == nil
}

// LoadCharts displays the chart library in a notebook once, as an invisible output of
// the calling cell: put it in the set-up cell of a notebook with charts, so that the page
// (and its HTML export) holds the library once, above every chart. Charts shown later in
// the kernel session carry no copy. Outside a notebook it does nothing.
func LoadCharts() {
	if !InNotebook() {
		return
	}
	gonbui.DisplayHTML(ChartLibraryHTML())
	gonbui.Sync()
	markChartsShown()
}

// ChartLibraryHTML is the ECharts library as a script element, wrapped so that pages
// using require.js (Jupyter's HTML export) do not capture it as an AMD module; it also
// draws the charts of a page that were waiting for it.
func ChartLibraryHTML() string {
	var b strings.Builder
	b.Grow(len(echartsJS) + 512)
	b.WriteString(`<script type="text/javascript">if (typeof window.echarts === "undefined") { (function(define){`)
	b.WriteString(echartsJS)
	b.WriteString("\n})(undefined); }\n")
	b.WriteString(`(function () { var q = window.corpushuntCharts || []; window.corpushuntCharts = []; ` +
		`q.forEach(function (draw) { try { draw(); } catch (e) { console.error(e); } }); })();</script>` + "\n")
	return b.String()
}

// NotebookChartHTML renders a chart for a notebook output: the library inline only if no
// output of this kernel session holds it yet (see LoadCharts), then the chart's element
// and a script that draws it as soon as the library is on the page.
func NotebookChartHTML(c Chart) string {
	var b strings.Builder
	if !chartsShown() {
		if !markChartsShown() {
			return ChartHTML(c)
		}
		b.WriteString(ChartLibraryHTML())
	}
	b.WriteString(chartSnippetHTML(c.RenderSnippet()))
	return b.String()
}

// showChartsOnce displays the library as its own output unless this kernel session
// already did (for outputs updated in place, such as the training monitor's).
func showChartsOnce() {
	if chartsShown() {
		return
	}
	gonbui.DisplayHTML(ChartLibraryHTML())
	markChartsShown()
}

var (
	snippetScript = regexp.MustCompile(`(?s)^\s*<script type="text/javascript">(.*)</script>\s*$`)
	snippetID     = regexp.MustCompile(`id="([^"]+)"`)
)

// chartSnippetHTML is a chart's element and script, the script drawing it at once when the
// library is loaded, else queued for the library (see ChartLibraryHTML), with a note in
// place of the chart when the library never comes.
func chartSnippetHTML(s render.ChartSnippet) string {
	m, id := snippetScript.FindStringSubmatch(s.Script), snippetID.FindStringSubmatch(s.Element)
	if m == nil || id == nil {
		return s.Element + s.Script // an unexpected snippet: as go-echarts wrote it
	}
	return s.Element + `<script type="text/javascript">(function () {
  function draw() {` + m[1] + `}
  if (typeof window.echarts !== "undefined") { draw(); return; }
  (window.corpushuntCharts = window.corpushuntCharts || []).push(draw);
  setTimeout(function () {
    var el = document.getElementById(` + fmt.Sprintf("%q", id[1]) + `);
    if (typeof window.echarts === "undefined" && el) {
      el.style.height = "auto";
      el.textContent = "(chart not drawn: the chart library is not on this page; run the notebook's set-up cell again, or call display.LoadCharts())";
    }
  }, 4000);
})();</script>
`
}

// ProgressBar shows progress live in a notebook (a bar with counts, rate and ETA);
// outside a notebook it does nothing.
type ProgressBar struct {
	Title string
	id    string
	start time.Time
	last  time.Time
}

// NewProgressBar prepares the bar's output area (in a notebook).
func NewProgressBar(title string) *ProgressBar {
	b := &ProgressBar{Title: title, start: time.Now()}
	if InNotebook() {
		b.id = "corpushunt-progress-" + gonbui.UniqueID()
		gonbui.UpdateHTML(b.id, "<i>"+html.EscapeString(title)+"…</i>")
	}
	return b
}

// Update redraws the bar at most twice a second.
func (b *ProgressBar) Update(done, total int) {
	if b.id == "" || (time.Since(b.last) < 500*time.Millisecond && done < total) {
		return
	}
	b.last = time.Now()
	rate := float64(done) / time.Since(b.start).Seconds()
	eta := ""
	if rate > 0 && total > done {
		eta = fmt.Sprintf(" · ETA %s", (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second))
	}
	gonbui.UpdateHTML(b.id, fmt.Sprintf(`<div style="font-family:monospace">%s: %d/%d · %.0f/s%s</div><progress value="%d" max="%d" style="width:480px"></progress>`,
		html.EscapeString(b.Title), done, total, rate, eta, done, max(total, 1)))
}

// Done replaces the bar by a one-line summary.
func (b *ProgressBar) Done() {
	if b.id == "" {
		return
	}
	gonbui.UpdateHTML(b.id, fmt.Sprintf(`<div style="font-family:monospace">%s: done in %s</div>`, html.EscapeString(b.Title), time.Since(b.start).Round(100*time.Millisecond)))
	gonbui.Sync()
}
