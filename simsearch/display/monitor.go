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
		// The chart library once; later updates send only the chart.
		gonbui.DisplayHTML(`<script type="text/javascript">if (typeof window.echarts === "undefined") { (function(define){` +
			echartsJS + "\n})(undefined); }</script>")
		gonbui.UpdateHTML(m.id, "<i>starting…</i>")
	}
	return m
}

// Progress records a step and redraws when due (always on epoch ends).
func (m *TrainMonitor) Progress(p convae.Progress) {
	m.train = append(m.train, LossPoint{p.Step, p.Loss})
	if p.ValLoss > 0 {
		m.val = append(m.val, LossPoint{p.Step, p.ValLoss})
	}
	if m.id == "" || (time.Since(m.last) < m.Interval && p.ValLoss == 0 && p.Done < p.Total) {
		return
	}
	m.last = time.Now()
	eta := time.Duration(float64(p.Total-p.Done)/p.ImagesPerSec) * time.Second
	line := fmt.Sprintf("epoch %d · %d/%d images (%.0f%%) · %.0f images/s · ETA %s · loss %.4f",
		p.Epoch, p.Done, p.Total, 100*float64(p.Done)/float64(p.Total), p.ImagesPerSec, eta.Round(time.Second), p.Loss)
	s := LossChart(m.Title, m.train, m.val).RenderSnippet()
	gonbui.UpdateHTML(m.id, `<div style="font-family:monospace">`+html.EscapeString(line)+`</div>`+
		fmt.Sprintf(`<progress value="%d" max="%d" style="width:720px"></progress>`, p.Done, p.Total)+s.Element+s.Script)
}

// Done draws the final state.
func (m *TrainMonitor) Done() {
	if m.id == "" {
		return
	}
	s := LossChart(m.Title, m.train, m.val).RenderSnippet()
	gonbui.UpdateHTML(m.id, fmt.Sprintf(`<div style="font-family:monospace">done: %d steps in %s</div>`, len(m.train), time.Since(m.start).Round(time.Second))+s.Element+s.Script)
	gonbui.Sync()
}
