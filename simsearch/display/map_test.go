package display

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/corpushunt/corpushunt/internal/browsercheck"
)

// brushPoints is a map of two groups: "small", 100 points on a 10×10 grid (0, 0.1, ...,
// 0.9 on each axis) with the even ids 0..198, and "large", 3,000 random points of [0,1]²
// (ECharts' large mode) with the other ids. No point lies within 0.02 of 0.25 or 0.75 on
// either axis, so a brush of [0.25,0.75]², even drawn with the mouse, has no point on its
// edge.
func brushPoints() []MapPoint {
	var pts []MapPoint
	for i := range 100 {
		x, y := float32(i%10)/10, float32(i/10)/10
		pts = append(pts, MapPoint{X: x, Y: y, Group: "small", Tip: fmt.Sprintf("small %d", i), ID: int64(2 * i)})
	}
	r := rand.New(rand.NewPCG(1, 2))
	near := func(v float32) bool {
		return (v > 0.23 && v < 0.27) || (v > 0.73 && v < 0.77)
	}
	id := int64(1)
	for len(pts) < 3100 {
		x, y := r.Float32(), r.Float32()
		if near(x) || near(y) {
			continue
		}
		pts = append(pts, MapPoint{X: x, Y: y, Group: "large", Tip: fmt.Sprintf("large <b>%d</b>", id), ID: id})
		if id < 199 {
			id += 2
		} else if id == 199 {
			id = 200
		} else {
			id++
		}
	}
	return pts
}

// rangesOf writes sorted ids as the brush handler does: runs of 3 or more as a-b.
func rangesOf(ids []int64) string {
	var out []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if j-i >= 2 {
			out = append(out, fmt.Sprintf("%d-%d", ids[i], ids[j]))
		} else {
			for _, v := range ids[i : j+1] {
				out = append(out, strconv.FormatInt(v, 10))
			}
		}
		i = j + 1
	}
	return strings.Join(out, ",")
}

// The map chart's HTML carries the brush (rectangle and polygon in the toolbox), the
// handler that writes the tag command, every point's id in its value, large mode for
// big groups and the tooltip.
func TestMapChartBrushHTML(t *testing.T) {
	c := MapChart("corpus map (UMAP)", brushPoints(), MapChartOptions{Index: "/data/my index", Axes: [2]string{"UMAP 1", "UMAP 2"}})
	h := ChartHTML(c)
	for _, want := range []string{
		`"brush":{"xAxisIndex":"all","outOfBrush":{"colorAlpha":0.15}}`,
		`"toolbox":{"show":true`, `"brush":{"type":["rect","polygon","clear"]}`,
		`chart.on("brushSelected"`, `"corpushunt tag --index "`, `var index = "/data/my index";`,
		`"value":[0,0,0]`, `"value":[0.1,0,2]`, // the small group's first points: x, y, id
		`"large":true`, `"largeThreshold":2000`,
		`p.data.name`, `"name":"large <b>1</b>"`,
		`"name":"UMAP 1"`, `"name":"UMAP 2"`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("map chart HTML lacks %s", want)
		}
	}
	if strings.Contains(h, "%MY_ECHARTS%") || !strings.Contains(h, "var chart = goecharts_"+c.ChartID+";") {
		t.Error("the handler does not name the chart's instance")
	}
	// A path that would close the script element is escaped in the handler.
	h = ChartHTML(MapChart("m", brushPoints()[:5], MapChartOptions{Index: "</script><b>"}))
	if strings.Contains(h, "</script><b>") || !strings.Contains(h, `var index = "\u003c/script\u003e\u003cb\u003e";`) {
		t.Error("the index name is not escaped in the script")
	}
	if !strings.Contains(h, `var index = "\u003c/script`) || !strings.Contains(h, `"name":"PC1"`) {
		t.Error("default axes or index missing")
	}
	if got := rangesOf([]int64{0, 2, 3, 4, 6, 7, 9}); got != "0,2-4,6,7,9" {
		t.Errorf("rangesOf: %s", got)
	}
}

// In a real browser, a rectangle brush over the middle of the map lists exactly the ids
// of the points inside it (from both groups, the large-mode one included) in the tag
// command under the chart, with the tag name typed in the box.
func TestMapChartBrushInBrowser(t *testing.T) {
	chrome := browsercheck.ForTest(t)
	pts := brushPoints()
	c := MapChart("brush test", pts, MapChartOptions{Index: "/data/my index"})
	page := filepath.Join(t.TempDir(), "map.html")
	if err := (&Page{Title: "map"}).Chart(c).WriteFile(page); err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, p := range pts {
		if p.X >= 0.25 && p.X <= 0.75 && p.Y >= 0.25 && p.Y <= 0.75 {
			want = append(want, p.ID)
		}
	}
	slices.Sort(want)

	tctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bctx, cancelBrowser := browsercheck.Browser(tctx, chrome, t.TempDir(), 1200, 1000)
	defer cancelBrowser()
	pageErrs, done := browsercheck.Console(bctx, func(m chromedp.ConsoleMessage) bool {
		return m.IsException() || m.Type == chromedp.ConsoleError
	})
	defer func() {
		cancelBrowser()
		<-done
		for _, e := range pageErrs() {
			t.Errorf("page console: %s", e)
		}
	}()
	eval := func(what, js string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	waitFor := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(20*time.Millisecond),
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	if err := chromedp.Do(bctx, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatal(err)
	}
	box := fmt.Sprintf("document.getElementById(%q)", c.ChartID+"_brush")
	waitFor("the chart and the box under it", fmt.Sprintf(`!!(window.echarts && echarts.getInstanceByDom(document.getElementById(%q)) && %s)`, c.ChartID, box))
	if v := eval("toolbox", fmt.Sprintf(`JSON.stringify(echarts.getInstanceByDom(document.getElementById(%q)).getOption().toolbox[0].feature.brush.type)`, c.ChartID)); v != `["rect","polygon","clear"]` {
		t.Errorf("the toolbox's brush buttons are %s, want rect, polygon and clear", v)
	}
	if v := eval("hint", box+`.querySelector(".corpushunt-brush-count").textContent`); !strings.Contains(v, "Select points with the brush") {
		t.Errorf("before any selection the box says %q", v)
	}
	if v := eval("box position", fmt.Sprintf(`String(%s.getBoundingClientRect().top >= document.getElementById(%q).getBoundingClientRect().bottom)`, box, c.ChartID)); v != "true" {
		t.Error("the selection box is not under the chart")
	}
	eval("brush", fmt.Sprintf(`(echarts.getInstanceByDom(document.getElementById(%q)).dispatchAction({type: "brush",
		areas: [{brushType: "rect", xAxisIndex: 0, coordRange: [[0.25, 0.75], [0.25, 0.75]]}]}), "ok")`, c.ChartID))
	waitFor("the command", box+`.querySelector(".corpushunt-brush-cmd").value !== ""`)
	if v := eval("count", box+`.querySelector(".corpushunt-brush-count").textContent`); v != fmt.Sprintf("%d items selected", len(want)) {
		t.Errorf("count %q, want %d items selected", v, len(want))
	}
	wantCmd := "corpushunt tag --index '/data/my index' --tag TAG --items " + rangesOf(want)
	if v := eval("command", box+`.querySelector(".corpushunt-brush-cmd").value`); v != wantCmd {
		t.Errorf("command\n%s\nwant\n%s", v, wantCmd)
	}
	if !slices.ContainsFunc(want, func(id int64) bool { return id%2 == 0 && id < 200 }) || !slices.ContainsFunc(want, func(id int64) bool { return id > 200 }) {
		t.Fatalf("the brushed area should hold points of both groups: %v", want)
	}
	eval("type a tag", box+`.querySelector(".corpushunt-brush-tag").value = "has cats"; `+box+`.querySelector(".corpushunt-brush-tag").dispatchEvent(new Event("input")); "ok"`)
	waitFor("the typed tag", box+`.querySelector(".corpushunt-brush-cmd").value.includes("--tag 'has cats' --items ")`)
	// Clearing the brush empties the selection.
	eval("clear", fmt.Sprintf(`(echarts.getInstanceByDom(document.getElementById(%q)).dispatchAction({type: "brush", areas: []}), "ok")`, c.ChartID))
	waitFor("the cleared selection", box+`.querySelector(".corpushunt-brush-cmd").value === "" && `+box+`.querySelector(".corpushunt-brush-count").textContent === "0 items selected"`)

	// The same rectangle drawn with the mouse, as a person would after choosing the
	// toolbox's rectangle: the same command.
	eval("clear", fmt.Sprintf(`(echarts.getInstanceByDom(document.getElementById(%q)).dispatchAction({type: "brush", areas: []}), "ok")`, c.ChartID))
	waitFor("the cleared selection", box+`.querySelector(".corpushunt-brush-cmd").value === ""`)
	eval("rectangle tool", fmt.Sprintf(`(echarts.getInstanceByDom(document.getElementById(%q)).dispatchAction({type: "takeGlobalCursor", key: "brush",
		brushOption: {brushType: "rect", brushMode: "single"}}), "ok")`, c.ChartID))
	corner := func(x, y float64) (float64, float64) {
		t.Helper()
		v := eval("pixel", fmt.Sprintf(`(() => { const el = document.getElementById(%q), r = el.getBoundingClientRect();
			const p = echarts.getInstanceByDom(el).convertToPixel({xAxisIndex: 0, yAxisIndex: 0}, [%g, %g]);
			return (r.left + p[0]) + " " + (r.top + p[1]); })()`, c.ChartID, x, y))
		var px, py float64
		if _, err := fmt.Sscan(v, &px, &py); err != nil {
			t.Fatalf("pixel of (%g, %g): %q", x, y, v)
		}
		return px, py
	}
	x0, y0 := corner(0.25, 0.75)
	x1, y1 := corner(0.75, 0.25)
	if err := chromedp.Do(bctx, chromedp.DragAndDropXY(x0, y0, x1, y1, 10)); err != nil {
		t.Fatal(err)
	}
	waitFor("the mouse-drawn rectangle's command", box+`.querySelector(".corpushunt-brush-cmd").value.includes("--items ")`)
	if v := eval("command", box+`.querySelector(".corpushunt-brush-cmd").value`); v != "corpushunt tag --index '/data/my index' --tag 'has cats' --items "+rangesOf(want) {
		t.Errorf("the mouse-drawn rectangle gave\n%s\nwant the ids of\n%s", v, rangesOf(want))
	}

	// A polygon (a triangle) with the small group hidden in the legend: the large group's
	// points inside it (those nearer than 0.001 to an edge may go either way).
	eval("clear", fmt.Sprintf(`(echarts.getInstanceByDom(document.getElementById(%q)).dispatchAction({type: "brush", areas: []}), "ok")`, c.ChartID))
	waitFor("the cleared selection", box+`.querySelector(".corpushunt-brush-cmd").value === ""`)
	eval("hide small", fmt.Sprintf(`(echarts.getInstanceByDom(document.getElementById(%q)).dispatchAction({type: "legendUnSelect", name: "small"}), "ok")`, c.ChartID))
	tri := [][2]float64{{0.1, 0.1}, {0.9, 0.1}, {0.1, 0.93}}
	eval("polygon", fmt.Sprintf(`(echarts.getInstanceByDom(document.getElementById(%q)).dispatchAction({type: "brush",
		areas: [{brushType: "polygon", xAxisIndex: 0, coordRange: [[0.1, 0.1], [0.9, 0.1], [0.1, 0.93]]}]}), "ok")`, c.ChartID))
	waitFor("the polygon's command", box+`.querySelector(".corpushunt-brush-cmd").value !== ""`)
	cmd := eval("command", box+`.querySelector(".corpushunt-brush-cmd").value`)
	_, list, ok := strings.Cut(cmd, " --items ")
	if !ok {
		t.Fatalf("command %q", cmd)
	}
	got := map[int64]bool{}
	for _, f := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(f, "-")
		a, _ := strconv.ParseInt(lo, 10, 64)
		b := a
		if isRange {
			b, _ = strconv.ParseInt(hi, 10, 64)
		}
		for id := a; id <= b; id++ {
			got[id] = true
		}
	}
	var in, wrong int
	for _, p := range pts {
		x, y := float64(p.X), float64(p.Y)
		margin := 1.0
		var crossings int
		for i, j := 0, 2; i < 3; j, i = i, i+1 {
			a, b := tri[j], tri[i]
			// Distance to the edge a-b, and the crossing-number test.
			dx, dy := b[0]-a[0], b[1]-a[1]
			t := max(0, min(1, ((x-a[0])*dx+(y-a[1])*dy)/(dx*dx+dy*dy)))
			margin = min(margin, math.Hypot(x-a[0]-t*dx, y-a[1]-t*dy))
			if (a[1] > y) != (b[1] > y) && x < (b[0]-a[0])*(y-a[1])/(b[1]-a[1])+a[0] {
				crossings++
			}
		}
		want := crossings%2 == 1 && p.Group == "large"
		if margin < 1e-3 && p.Group == "large" {
			continue
		}
		if want {
			in++
		}
		if got[p.ID] != want {
			wrong++
		}
	}
	if wrong > 0 || in < 500 {
		t.Errorf("polygon brush: %d points misplaced (%d inside)", wrong, in)
	}
}
