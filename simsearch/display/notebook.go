package display

import (
	"fmt"
	"html"
	"os"
	"time"

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

// ShowChart displays a chart inline (outside a notebook: its one-line summary).
func ShowChart(c Chart, summary string) {
	if InNotebook() {
		Show(HTMLFragment{Content: ChartHTML(c), Summary: summary})
		return
	}
	Show(HTMLFragment{Summary: summary})
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
