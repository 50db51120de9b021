package display

import (
	"fmt"
	"html"
	"time"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/corpushunt/corpushunt/simsearch/convae"
)

// TrainMonitor shows training live in a notebook: a progress line (images/s, ETA, loss)
// and a loss chart, redrawn in place at most every Interval. Outside a notebook it does
// nothing. Use its Progress method as convae.TrainOptions.Progress.
type TrainMonitor struct {
	Title    string
	Interval time.Duration // default 2s
	id       string
	train    []LossPoint
	val      []LossPoint
	last     time.Time
	start    time.Time
}

// NewTrainMonitor prepares the output area (in a notebook).
func NewTrainMonitor(title string) *TrainMonitor {
	m := &TrainMonitor{Title: title, Interval: 2 * time.Second, start: time.Now()}
	if InNotebook() {
		m.id = "corpushunt-train-" + gonbui.UniqueID()
		// The chart library, unless an output of this kernel session holds it already;
		// updates send only the chart.
		showChartsOnce()
		gonbui.UpdateHTML(m.id, "<i>starting…</i>")
	}
	return m
}

// Step is one training step of any model, as the monitor draws it.
type Step struct {
	Step        int64
	Epoch       int // 0 when the loop does not count epochs
	Done, Total int // examples processed / to process in this run
	Loss        float64
	ValLoss     float64 // 0 unless measured at this step
	Unit        string  // "images", "sentences"; default "examples"
}

// Progress records a step of the convolutional autoencoder (convae.TrainOptions.Progress).
func (m *TrainMonitor) Progress(p convae.Progress) {
	m.Step(Step{Step: p.Step, Epoch: p.Epoch, Done: p.Done, Total: p.Total, Loss: p.Loss, ValLoss: p.ValLoss, Unit: "images"})
}

// TextProgress records a step of the text autoencoder (textae.TrainOptions.Progress).
func (m *TrainMonitor) TextProgress(step int64, done, total int, loss float64) {
	m.Step(Step{Step: step, Done: done, Total: total, Loss: loss, Unit: "sentences"})
}

// Step records a step of any training loop and redraws when due (always when a
// validation loss arrives and at the end).
func (m *TrainMonitor) Step(p Step) {
	m.train = append(m.train, LossPoint{p.Step, p.Loss})
	if p.ValLoss > 0 {
		m.val = append(m.val, LossPoint{p.Step, p.ValLoss})
	}
	if m.id == "" || (time.Since(m.last) < m.Interval && p.ValLoss == 0 && p.Done < p.Total) {
		return
	}
	m.last = time.Now()
	unit := p.Unit
	if unit == "" {
		unit = "examples"
	}
	rate := float64(p.Done) / time.Since(m.start).Seconds()
	eta := time.Duration(0)
	if rate > 0 {
		eta = time.Duration(float64(p.Total-p.Done)/rate) * time.Second
	}
	epoch := ""
	if p.Epoch > 0 {
		epoch = fmt.Sprintf("epoch %d · ", p.Epoch)
	}
	line := fmt.Sprintf("%s%d/%d %s (%.0f%%) · %.0f %s/s · ETA %s · loss %.4f",
		epoch, p.Done, p.Total, unit, 100*float64(p.Done)/float64(max(p.Total, 1)), rate, unit, eta.Round(time.Second), p.Loss)
	s := LossChart(m.Title, m.train, m.val).RenderSnippet()
	gonbui.UpdateHTML(m.id, `<div style="font-family:monospace">`+html.EscapeString(line)+`</div>`+
		fmt.Sprintf(`<progress value="%d" max="%d" style="width:720px"></progress>`, p.Done, p.Total)+chartSnippetHTML(s))
}

// Done draws the final state.
func (m *TrainMonitor) Done() {
	if m.id == "" {
		return
	}
	s := LossChart(m.Title, m.train, m.val).RenderSnippet()
	gonbui.UpdateHTML(m.id, fmt.Sprintf(`<div style="font-family:monospace">done: %d steps in %s</div>`, len(m.train), time.Since(m.start).Round(time.Second))+chartSnippetHTML(s))
	gonbui.Sync()
}
