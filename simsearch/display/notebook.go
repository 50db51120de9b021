package display

import (
	"fmt"
	"os"

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
