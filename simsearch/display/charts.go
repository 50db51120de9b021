package display

import (
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/render"
	"github.com/go-echarts/go-echarts/v2/types"

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
	ID    int64  // the item's row id in its index: what a brush selection lists
}

// MapChartOptions adjust MapChart.
type MapChartOptions struct {
	// Index is the index directory (or store address) that the tag command of a brush
	// selection names; "" writes DIR in its place.
	Index string
	// Axes name the x and y axes; "" keeps "PC1" and "PC2".
	Axes [2]string
}

// MapChart draws a corpus map (a 2-D projection) as a scatter coloured by group, with a
// tooltip per point and zoom (scroll). Large corpora (tens of thousands of points) are
// drawn in ECharts' large mode, without animation, which keeps them responsive.
//
// The toolbox (top right) selects points with a rectangle or a polygon (ECharts' brush).
// A selection shows, under the chart, how many items it holds and a command to copy,
//
//	corpushunt tag --index DIR --tag TAG --items 3,17,40-52
//
// with the tag name typed in the box beside it: the page needs no server, so it works in
// notebooks, reports and files alike. The ids ride in the series data (each point's value
// is [x, y, id]); the handler tests the points against the brushed areas itself, in data
// coordinates, since ECharts does not report the points of large-mode series. Groups
// hidden in the legend are left out. At most one MapChartOptions is used.
func MapChart(title string, pts []MapPoint, o ...MapChartOptions) *charts.Scatter {
	var opt MapChartOptions
	if len(o) > 0 {
		opt = o[0]
	}
	if opt.Axes[0] == "" {
		opt.Axes[0] = "PC1"
	}
	if opt.Axes[1] == "" {
		opt.Axes[1] = "PC2"
	}
	c := charts.NewScatter()
	id := fmt.Sprintf("corpushunt_chart_%s_%d", chartPrefix, chartSeq.Add(1))
	gopts := initOpts(title)
	gopts[0] = charts.WithInitializationOpts(opts.Initialization{Width: "900px", Height: "640px", ChartID: id})
	gopts = append(gopts,
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item", Enterable: opts.Bool(false),
			Formatter: opts.FuncOpts(`function (p) { return p.data && p.data.name ? p.data.name : ''; }`)}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside", XAxisIndex: []int{0}, YAxisIndex: []int{0}}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Scale: opts.Bool(true), Name: opt.Axes[0]}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Scale: opts.Bool(true), Name: opt.Axes[1]}),
		charts.WithToolboxOpts(opts.Toolbox{Show: opts.Bool(true), Right: "20px",
			Feature: &opts.ToolBoxFeature{Brush: &opts.ToolBoxFeatureBrush{Type: []string{"rect", "polygon", "clear"}}}}),
		charts.WithBrush(opts.Brush{XAxisIndex: "all", OutOfBrush: &opts.BrushOutOfBrush{ColorAlpha: 0.15}}),
	)
	c.SetGlobalOptions(gopts...)
	groups := map[string][]opts.ScatterData{}
	var order []string
	for _, p := range pts {
		if _, ok := groups[p.Group]; !ok {
			order = append(order, p.Group)
		}
		groups[p.Group] = append(groups[p.Group], opts.ScatterData{Name: p.Tip, Value: []any{p.X, p.Y, p.ID}, SymbolSize: 4})
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
	dir := opt.Index
	if dir == "" {
		dir = "DIR"
	}
	c.AddJSFuncStrs(types.FuncStr(brushHandlerJS(id, dir)))
	return c
}

// brushHandlerJS is the script that turns a brush selection on the map chart with element
// id chartID into a tag command for index: it adds a box under the chart (count, tag
// name, command, copy button) and fills it on ECharts' brushSelected event. go-echarts
// joins its lines, so every statement ends with a semicolon and there are no // comments.
func brushHandlerJS(chartID, index string) string {
	js := func(s string) string {
		b, _ := json.Marshal(s) // escapes <, > and &: safe inside a <script> element
		return string(b)
	}
	return `(function () {
	var chart = %MY_ECHARTS%;
	var el = document.getElementById(` + js(chartID) + `);
	if (!el) { return; }
	var index = ` + js(index) + `;
	var box = document.createElement("div");
	box.id = ` + js(chartID+"_brush") + `;
	box.className = "corpushunt-brush";
	box.style.cssText = "font:13px sans-serif;margin:6px 0 16px 0;max-width:900px";
	box.innerHTML = '<div class="corpushunt-brush-count">Select points with the brush (toolbox, top right: rectangle or polygon) to get the command that tags them.</div>' +
		'<label>tag <input class="corpushunt-brush-tag" value="TAG" size="18"></label> ' +
		'<button type="button" class="corpushunt-brush-copy" disabled>copy</button>' +
		'<textarea class="corpushunt-brush-cmd" readonly rows="3" style="width:100%;box-sizing:border-box;font:12px monospace" placeholder="corpushunt tag --index ... --tag ... --items ..."></textarea>';
	var after = el.parentNode && el.parentNode.className === "container" ? el.parentNode : el;
	after.insertAdjacentElement("afterend", box);
	var count = box.querySelector(".corpushunt-brush-count"), tag = box.querySelector(".corpushunt-brush-tag");
	var cmd = box.querySelector(".corpushunt-brush-cmd"), copy = box.querySelector(".corpushunt-brush-copy");
	var pts = null, sel = [], legend = {};
	chart.setOption({ brush: { toolbox: ["rect", "polygon", "clear"], throttleType: "debounce", throttleDelay: 120 } });
	["legendselectchanged", "legendselected", "legendunselected", "legendselectall", "legendinverseselect"].forEach(function (e) {
		chart.on(e, function (p) { legend = p.selected || legend; });
	});
	function points() {
		if (!pts) {
			pts = (chart.getOption().series || []).map(function (s) {
				return { name: s.name, data: (s.data || []).map(function (d) { return d && d.value ? d.value : d; }) };
			});
		}
		return pts;
	}
	function inside(area, x, y) {
		var c = area.coordRange;
		if (!c) { return false; }
		if (area.brushType === "rect") {
			return x >= Math.min(c[0][0], c[0][1]) && x <= Math.max(c[0][0], c[0][1]) && y >= Math.min(c[1][0], c[1][1]) && y <= Math.max(c[1][0], c[1][1]);
		}
		if (area.brushType === "polygon") {
			var in_ = false;
			for (var i = 0, j = c.length - 1; i < c.length; j = i++) {
				if ((c[i][1] > y) !== (c[j][1] > y) && x < (c[j][0] - c[i][0]) * (y - c[i][1]) / (c[j][1] - c[i][1]) + c[i][0]) { in_ = !in_; }
			}
			return in_;
		}
		return false;
	}
	function ranges(a) {
		var out = [], i = 0;
		while (i < a.length) {
			var j = i;
			while (j + 1 < a.length && a[j + 1] === a[j] + 1) { j++; }
			if (j - i >= 2) { out.push(a[i] + "-" + a[j]); } else { for (var t = i; t <= j; t++) { out.push(String(a[t])); } }
			i = j + 1;
		}
		return out.join(",");
	}
	function quote(s) { return /^[A-Za-z0-9_.\/:@%+=-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'"; }
	function show() {
		var n = sel.length;
		count.textContent = n === 1 ? "1 item selected" : n + " items selected";
		cmd.value = n ? "corpushunt tag --index " + quote(index) + " --tag " + quote(tag.value.trim() || "TAG") + " --items " + ranges(sel) : "";
		copy.disabled = !n;
	}
	chart.on("brushSelected", function (p) {
		var areas = [];
		(p.batch || []).forEach(function (b) { areas = areas.concat(b.areas || []); });
		var seen = {};
		sel = [];
		if (areas.length) {
			points().forEach(function (s) {
				if (legend[s.name] === false) { return; }
				s.data.forEach(function (v) {
					if (!v || seen[v[2]]) { return; }
					for (var a = 0; a < areas.length; a++) {
						if (inside(areas[a], v[0], v[1])) { seen[v[2]] = true; sel.push(v[2]); return; }
					}
				});
			});
		}
		sel.sort(function (x, y) { return x - y; });
		show();
	});
	tag.addEventListener("input", function () { if (sel.length) { show(); } });
	copy.addEventListener("click", function () {
		cmd.select();
		if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(cmd.value); } else { document.execCommand("copy"); }
	});
})();`
}
