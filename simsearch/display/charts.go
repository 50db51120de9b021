package display

import (
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/render"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

//go:embed assets/echarts.min.js
var echartsJS string

// Chart is anything go-echarts can render as a snippet (every chart type can).
type Chart interface {
	RenderSnippet() render.ChartSnippet
}

var (
	chartSeq    atomic.Int64
	chartPrefix = func() string {
		b := make([]byte, 6)
		_, _ = rand.Read(b) // crypto/rand does not fail on supported platforms
		return hex.EncodeToString(b)
	}()
)

// initOpts sets size, title and a chart id unique across processes: every notebook cell is
// a separate program, and two charts with one id on a page break each other's scripts.
func initOpts(title string) []charts.GlobalOpts {
	id := fmt.Sprintf("corpushunt_chart_%s_%d", chartPrefix, chartSeq.Add(1))
	return []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{Width: "720px", Height: "340px", ChartID: id}),
		charts.WithTitleOpts(opts.Title{Title: title}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "bottom"}),
		charts.WithAnimation(false),
	}
}

// ChartHTML renders a chart as a self-contained HTML fragment: the ECharts library inline
// (loaded once per page), the chart's element and its script. It needs no network: the
// library is embedded, and wrapped so that pages using require.js (Jupyter's HTML
// export) do not capture it as an AMD module.
func ChartHTML(c Chart) string {
	s := c.RenderSnippet()
	var b strings.Builder
	b.WriteString(`<script type="text/javascript">if (typeof window.echarts === "undefined") { (function(define){`)
	b.WriteString(echartsJS)
	b.WriteString("\n})(undefined); }</script>\n")
	b.WriteString(s.Element)
	b.WriteString(s.Script)
	return b.String()
}

// LossPoint is one point of a loss curve.
type LossPoint struct {
	Step int64
	Loss float64
}

// LossChart draws training loss per step and validation loss per epoch.
func LossChart(title string, train, val []LossPoint) *charts.Line {
	c := charts.NewLine()
	c.SetGlobalOptions(append(initOpts(title),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "step"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "log", Name: "MSE"}),
	)...)
	pts := func(p []LossPoint) []opts.LineData {
		out := make([]opts.LineData, len(p))
		for i, q := range p {
			out[i] = opts.LineData{Value: []any{q.Step, q.Loss}}
		}
		return out
	}
	c.AddSeries("train loss", pts(train), charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)}))
	c.AddSeries("validation loss", pts(val), charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)}))
	return c
}

// RecallChart draws recall@k and queries/s against nprobe from an index's tuning table.
func RecallChart(title string, points []index.TunePoint) *charts.Line {
	c := charts.NewLine()
	c.SetGlobalOptions(append(initOpts(title),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: "nprobe"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "recall", Min: 0, Max: 1}),
	)...)
	c.ExtendYAxis(opts.YAxis{Type: "log", Name: "queries/s"})
	var xs []string
	var recall, qps, qps1 []opts.LineData
	for _, p := range points {
		xs = append(xs, fmt.Sprint(p.Nprobe))
		recall = append(recall, opts.LineData{Value: p.Recall})
		qps = append(qps, opts.LineData{Value: math.Round(p.QPS)})
		qps1 = append(qps1, opts.LineData{Value: math.Round(p.QPS1)})
	}
	c.SetXAxis(xs)
	c.AddSeries("recall", recall)
	// The axis is a series option in ECharts: per-point indexes are ignored.
	right := charts.WithLineChartOpts(opts.LineChart{YAxisIndex: 1})
	c.AddSeries("queries/s (batched)", qps, right)
	c.AddSeries("queries/s (one at a time)", qps1, right)
	return c
}

// HistogramChart draws the distribution of values (e.g. neighbour distances) in bins.
func HistogramChart(title, xName string, values []float32, bins int) *charts.Bar {
	c := charts.NewBar()
	c.SetGlobalOptions(append(initOpts(title),
		charts.WithXAxisOpts(opts.XAxis{Name: xName}),
		charts.WithYAxisOpts(opts.YAxis{Name: "count"}),
	)...)
	if len(values) == 0 || bins < 1 {
		return c
	}
	lo, hi := values[0], values[0]
	for _, v := range values {
		lo, hi = min(lo, v), max(hi, v)
	}
	width := (hi - lo) / float32(bins)
	if width == 0 {
		width = 1
	}
	counts := make([]int, bins)
	for _, v := range values {
		b := int((v - lo) / width)
		counts[min(b, bins-1)]++
	}
	xs := make([]string, bins)
	data := make([]opts.BarData, bins)
	// Enough digits that neighbouring bins read apart (scores near 1 differ in the 4th).
	digits := 3
	if hi > lo {
		span := math.Max(math.Abs(float64(lo)), math.Abs(float64(hi)))
		digits = max(3, min(8, 2+int(math.Ceil(math.Log10(span/float64(width))))))
	}
	for i := range counts {
		xs[i] = fmt.Sprintf("%.*g", digits, lo+width*(float32(i)+0.5))
		data[i] = opts.BarData{Value: counts[i]}
	}
	c.SetXAxis(xs).AddSeries("items", data)
	return c
}

// MapPoint is one item on a corpus map.
type MapPoint struct {
	X, Y  float32
	Group string // what colours it: a label, a tag, a cluster
	Tip   string // tooltip HTML (escaped text, optionally an <img> thumbnail)
}

// MapChart draws a corpus map (a 2-D projection) as a scatter coloured by group, with a
// tooltip per point and zoom; large corpora (tens of thousands of points) are drawn in
// ECharts' large mode, which keeps them responsive.
func MapChart(title string, pts []MapPoint) *charts.Scatter {
	c := charts.NewScatter()
	gopts := initOpts(title)
	gopts[0] = charts.WithInitializationOpts(opts.Initialization{Width: "900px", Height: "640px", ChartID: fmt.Sprintf("corpushunt_chart_%s_%d", chartPrefix, chartSeq.Add(1))})
	gopts = append(gopts,
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item", Enterable: opts.Bool(false),
			Formatter: opts.FuncOpts(`function (p) { return p.data && p.data.name ? p.data.name : ''; }`)}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside", XAxisIndex: []int{0}, YAxisIndex: []int{0}}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Scale: opts.Bool(true), Name: "PC1"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Scale: opts.Bool(true), Name: "PC2"}),
	)
	c.SetGlobalOptions(gopts...)
	groups := map[string][]opts.ScatterData{}
	var order []string
	for _, p := range pts {
		if _, ok := groups[p.Group]; !ok {
			order = append(order, p.Group)
		}
		groups[p.Group] = append(groups[p.Group], opts.ScatterData{Name: p.Tip, Value: []float32{p.X, p.Y}, SymbolSize: 4})
	}
	sort.Strings(order)
	for _, g := range order {
		name := g
		if name == "" {
			name = "(none)"
		}
		c.AddSeries(name, groups[g], func(s *charts.SingleSeries) {
			if len(groups[g]) > 2000 {
				s.Large, s.LargeThreshold = opts.Bool(true), 2000
			}
		})
	}
	return c
}
