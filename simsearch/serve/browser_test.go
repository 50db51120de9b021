package serve

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/corpushunt/corpushunt/internal/browsercheck"
)

// EnvScreenshot names a file where TestBrowserPage saves a screenshot of the image
// gallery (e.g. CORPUSHUNT_SCREENSHOT=/tmp/corpushunt-serve.png), and TestBrowserMap one
// of the map beside it (/tmp/corpushunt-serve-map.png); unset, none is saved.
const EnvScreenshot = "CORPUSHUNT_SCREENSHOT"

// TestBrowserPage drives the embedded page in a real (headless) Chromium, as a person
// would: upload an image, drag the "how many" slider, click a result, switch to the text
// index and type a query; mark results ✓ and ✗, save them as one round and get more like
// them. It is skipped where Chromium is not installed (`make setup` installs Debian's).
func TestBrowserPage(t *testing.T) {
	chrome := browsercheck.ForTest(t)
	imgDir, txtDir := fixture(t)
	const token = "s3cret-token"
	_, ts := newServer(t, Config{Token: token, Indexes: []IndexSpec{{Name: "img", Dir: imgDir}, {Name: "tickets", Dir: txtDir}}})
	query := filepath.Join(t.TempDir(), "query.png")
	if err := os.WriteFile(query, pngBytes(t, 64, 48, 190), 0o644); err != nil { // a light image
		t.Fatal(err)
	}

	p := openBrowser(t, chrome)
	step, eval, waitFor := p.step, p.eval, p.waitFor

	// (a) Open the page, upload an image: a gallery of the default 20 results.
	step("open the page", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("drop")))
	waitFor("the index selector lists both indexes", `document.querySelectorAll("#index option").length === 2`)
	if v := eval("text box", `getComputedStyle(document.getElementById("textform")).display`); v != "none" {
		t.Errorf("the text search form shows (display %q) on an image index, which takes no text", v)
	}
	step("upload an image", chromedp.SetUploadFiles(chromedp.ID("file"), []string{query}))
	waitFor("results of the upload", `/^20 results/.test(document.getElementById("status").textContent) &&
		document.querySelectorAll("#results.gallery figure img").length === 20`)
	if v := eval("preview", `String(!document.getElementById("preview").hidden && document.getElementById("preview").src.startsWith("blob:"))`); v != "true" {
		t.Errorf("the uploaded image is not previewed")
	}
	if v := eval("top label", `document.querySelector("#results figcaption .label").textContent`); v != "light" {
		t.Errorf("the nearest item to a light image is labelled %q, want light", v)
	}

	// Drag the slider to 25: the page asks again and shows 25 images, all of them loaded.
	if v := eval("slider", `(() => { const k = document.getElementById("k"); k.value = "25";
		k.dispatchEvent(new Event("input", { bubbles: true })); return k.value; })()`); v != "25" {
		t.Fatalf("the slider took %q, not 25", v)
	}
	waitFor("25 results, all loaded", `/^25 results/.test(document.getElementById("status").textContent) &&
		[...document.querySelectorAll("#results.gallery figure img")].length === 25 &&
		[...document.querySelectorAll("#results.gallery figure img")].every((i) => i.complete && i.naturalWidth > 0)`)
	if n := eval("images", `String(document.querySelectorAll("#results img").length)`); n != "25" {
		t.Errorf("%s result images, want 25", n)
	}
	if v := eval("slider label", `document.getElementById("kout").value`); v != "25" {
		t.Errorf("the slider's label says %q, want 25", v)
	}
	if v := eval("ranks", `[...document.querySelectorAll("#results figcaption")].map((c) => c.textContent.split(" ")[0]).join(",")`); !strings.HasPrefix(v, "#1,#2,#3,") || !strings.HasSuffix(v, ",#25") {
		t.Errorf("ranks in the gallery: %s", v)
	}
	if path := os.Getenv(EnvScreenshot); path != "" {
		png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Error(err)
		}
		t.Logf("screenshot of the gallery: %s", path)
	}

	// A slow answer to an earlier drag position must not replace a newer one: hold the
	// k=30 request back 500 ms, drag to 30 and then back to 25; 25 must stay.
	eval("slow network", `(() => { const orig = window.fetch; window.__orig = orig;
		window.fetch = async (url, opts) => {
			if (!(opts && opts.body instanceof FormData && opts.body.get("k") === "30")) return orig(url, opts);
			window.__slowSeen = true;
			await new Promise((r) => setTimeout(r, 500));
			const r = await orig(url, opts);
			setTimeout(() => { window.__slowDone = true; }, 100);
			return r;
		}; return ""; })()`)
	slide := func(k int) string {
		return fmt.Sprintf(`(() => { const k = document.getElementById("k"); k.value = "%d";
			k.dispatchEvent(new Event("input", { bubbles: true })); return ""; })()`, k)
	}
	eval("slide to 30", slide(30))
	waitFor("the k=30 request", `window.__slowSeen === true`)
	eval("slide back to 25", slide(25))
	waitFor("the late k=30 answer", `window.__slowDone === true && !/searching/.test(document.getElementById("status").textContent)`)
	if v := eval("after a late answer", `document.getElementById("status").textContent + " / " + document.querySelectorAll("#results figure").length`); !strings.HasPrefix(v, "25 results") || !strings.HasSuffix(v, " / 25") {
		t.Errorf("a late answer for k=30 replaced the one for k=25: %s", v)
	}
	eval("fast network", `(() => { window.fetch = window.__orig; return ""; })()`)
	waitFor("25 results, all loaded", `/^25 results/.test(document.getElementById("status").textContent) &&
		[...document.querySelectorAll("#results.gallery figure img")].every((i) => i.complete && i.naturalWidth > 0)`)

	// (c) Click a result: its neighbours replace the gallery.
	id := eval("third result's id", `document.querySelector("#results figure:nth-child(3) figcaption").textContent.match(/id (\d+)/)[1]`)
	step("click a result", chromedp.Click(chromedp.CSS("#results figure:nth-child(3)")))
	waitFor("the neighbours of the clicked item", fmt.Sprintf(`/^25 results .* for item %s$/.test(document.getElementById("status").textContent) &&
		document.querySelectorAll("#results.gallery figure img").length === 25`, id))
	if v := eval("self left out", `[...document.querySelectorAll("#results figcaption")].map((c) => c.textContent.match(/id (\d+)/)[1]).join(",")`); strings.Contains(","+v+",", ","+id+",") {
		t.Errorf("the neighbours of item %s include itself: %s", id, v)
	}
	if v := eval("preview of the clicked item", `document.getElementById("preview").src`); !strings.HasSuffix(v, "/items/"+id+"/payload") {
		t.Errorf("the preview shows %s, not item %s", v, id)
	}

	// (d) Tag results: type a tag and the token, mark three ✓ and two ✗ (after changing
	// one mark and clearing another): they are pending, on the page only, until "save
	// round" sends them in one request. Then the server has them as one round of precision
	// 3/5, the page says so, and asks for more like them, the tagged left out.
	if v := eval("token box", `String(!document.getElementById("token").hidden)`); v != "true" {
		t.Errorf("no token box on a server that needs a token")
	}
	step("type a tag and the token", chromedp.SendKeys(chromedp.ID("tag"), "bright"), chromedp.SendKeys(chromedp.ID("token"), token))
	fig := func(i int) string { return fmt.Sprintf("#results figure:nth-child(%d)", i) }
	click := func(i int, positive bool) {
		t.Helper()
		btn := ".yes"
		if !positive {
			btn = ".no"
		}
		step(fmt.Sprintf("click %s on %s", btn, fig(i)), chromedp.Click(chromedp.CSS(fig(i)+" "+btn)))
	}
	classOf := func(i int) string {
		t.Helper()
		return eval("marks of "+fig(i), fmt.Sprintf(`(() => { const f = document.querySelector(%q);
			return ["pos", "neg", "pendpos", "pendneg"].filter((c) => f.classList.contains(c)).join(" ") + "/" +
				f.querySelector(".yes").getAttribute("aria-pressed") + f.querySelector(".no").getAttribute("aria-pressed"); })()`, fig(i)))
	}
	click(4, true) // ✓ then ✗: changed to ✗
	if v := classOf(4); v != "pendpos/truefalse" {
		t.Errorf("after ✓ the 4th result shows %q, want pending ✓", v)
	}
	click(4, false)
	click(6, true) // ✓ twice: cleared
	click(6, true)
	if v := classOf(6); v != "/falsefalse" {
		t.Errorf("after ✓ twice the 6th result shows %q, want no mark", v)
	}
	var tagged []string
	for i, positive := range []bool{true, true, true, false, false} {
		tagged = append(tagged, eval("tagged id", fmt.Sprintf(`document.querySelector(%q).dataset.id`, fig(i+1))))
		if i != 3 {
			click(i+1, positive)
		}
		want := "pendpos/truefalse"
		if !positive {
			want = "pendneg/falsetrue"
		}
		if v := classOf(i + 1); v != want {
			t.Errorf("%s shows %q, want %q", fig(i+1), v, want)
		}
	}
	if v := eval("save button", `document.getElementById("save").textContent + "/" + document.getElementById("save").disabled`); v != "save round (5 marks)/false" {
		t.Errorf("save button: %q", v)
	}
	if v := eval("no query by a mark", `document.getElementById("status").textContent`); strings.Contains(v, "results") {
		t.Errorf("marking ran a query: status %q", v)
	}
	if a := do(t, "GET", ts.URL+"/api/v1/tags", "", nil, ""); a.code != 200 || a.body["tags"] != nil {
		t.Errorf("pending marks reached the server before the round was saved: %d %s", a.code, a.raw)
	}
	step("save the round", chromedp.Click(chromedp.ID("save")))
	waitFor("the tag's counts", `document.getElementById("tagcount").textContent === "3 ✓ 2 ✗"`)
	waitFor("more like the tagged", `/^25 results .* like “bright” · model .* · last round's precision 60% · round saved: 3 ✓ 2 ✗, precision 60%$/.test(document.getElementById("status").textContent) &&
		document.querySelectorAll("#results.gallery figure:not(.unsure)").length === 25 &&
		document.querySelectorAll("#results.gallery h3.unsure").length === 1 &&
		document.querySelectorAll("#results.gallery figure.unsure").length > 0`)
	if v := eval("save button after saving", `document.getElementById("save").textContent + "/" + document.getElementById("save").disabled`); v != "save round (0 marks)/true" {
		t.Errorf("save button after saving: %q", v)
	}
	a := do(t, "GET", ts.URL+"/api/v1/tags", "", nil, "")
	if got := fmt.Sprint(a.body["tags"]); a.code != 200 || got != "[map[Negative:2 Positive:3 Tag:bright]]" {
		t.Errorf("GET /api/v1/tags: %d %s", a.code, a.raw)
	}
	a = do(t, "GET", ts.URL+"/api/v1/more?tag=bright&k=1", "", nil, "")
	if got := fmt.Sprint(a.body["round_precision"]); a.code != 200 || got != "[0.6]" {
		t.Errorf("GET /api/v1/more: round_precision %s (%d), want one round of precision 0.6", got, a.code)
	}
	if p, n, pn := a.body["positives"], a.body["negatives"], a.body["presumed_negatives"]; p != 3.0 || n != 2.0 || pn.(float64) <= 0 {
		t.Errorf("GET /api/v1/more: %v positives, %v negatives, %v presumed; want the user's 3 and 2, and some presumed", p, n, pn)
	}
	shown := eval("ids shown", `[...document.querySelectorAll("#results figure")].map((f) => f.dataset.id).join(",")`)
	for _, id := range tagged {
		if strings.Contains(","+shown+",", ","+id+",") {
			t.Errorf("more like these shows tagged item %s: %s", id, shown)
		}
	}

	// (b) Switch to the text index, type a query: ranked sentences with its words marked.
	step("choose the text index", chromedp.SetValue(chromedp.ID("index"), "tickets"))
	eval("change event", `String(document.getElementById("index").dispatchEvent(new Event("change", { bubbles: true })))`)
	waitFor("the text form", `getComputedStyle(document.getElementById("drop")).display === "none" &&
		document.getElementById("results").children.length === 0`)
	if v := eval("slider on a 4-item index", `document.getElementById("k").value + "/" + document.getElementById("kout").value`); v != "4/4" {
		t.Errorf("slider value/label on a 4-item index: %s, want 4/4", v)
	}
	step("type a query", chromedp.SendKeys(chromedp.ID("text"), "Printer jammed"), chromedp.Click(chromedp.CSS("#textform button")))
	waitFor("ranked sentences", `/^4 results/.test(document.getElementById("status").textContent) &&
		document.querySelectorAll("#results ol.texts li").length === 4`)
	if v := eval("top sentence", `document.querySelector("#results ol.texts li").textContent`); !strings.Contains(v, "printer on floor 3 is jammed") {
		t.Errorf("top sentence: %q", v)
	}
	if v := eval("marks", `[...document.querySelectorAll("#results ol.texts li:first-child mark")].map((m) => m.textContent).join(",")`); v != "printer,jammed" {
		t.Errorf("marked words of the top sentence: %q, want printer,jammed", v)
	}
	if v := eval("marks elsewhere", `[...document.querySelectorAll("#results ol.texts mark")].map((m) => m.textContent.toLowerCase()).filter((w) => w !== "printer" && w !== "jammed").join(",")`); v != "" {
		t.Errorf("words marked that are not in the query: %s", v)
	}
}

// TestBrowserMap opens the page's map in Chromium: the ECharts scatter of the image index
// coloured by label, a group selected from the keyboard, a rectangle brushed through
// ECharts' dispatchAction and tagged ✓, a lasso tagged ✗, each one round whose counts the
// server has; hovering a point shows its image; the text index's map shows texts; a
// large-mode map of 2,500 vectors brushes exactly the points inside the rectangle.
func TestBrowserMap(t *testing.T) {
	chrome := browsercheck.ForTest(t)
	imgDir, txtDir := fixture(t)
	const token = "s3cret-token"
	vecDir := vectorFixture(t, 2500, 16)
	_, ts := newServer(t, Config{Token: token, Indexes: []IndexSpec{{Name: "img", Dir: imgDir}, {Name: "tickets", Dir: txtDir}, {Name: "vec", Dir: vecDir}}})
	u := ts.URL + "/api/v1/indexes/img"
	query := filepath.Join(t.TempDir(), "query.png")
	if err := os.WriteFile(query, pngBytes(t, 64, 48, 190), 0o644); err != nil {
		t.Fatal(err)
	}
	p := openBrowser(t, chrome)
	step, eval, waitFor := p.step, p.eval, p.waitFor
	const chart = `echarts.getInstanceByDom(document.getElementById("map"))`
	const groups = chart + `.getOption().series.filter((s) => s.id !== "selection")` // the groups' series

	step("open the page", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("drop")))
	waitFor("the index selector lists the indexes", `document.querySelectorAll("#index option").length === 3`)
	step("type a tag and the token", chromedp.SendKeys(chromedp.ID("tag"), "lit"), chromedp.SendKeys(chromedp.ID("token"), token))
	step("upload an image", chromedp.SetUploadFiles(chromedp.ID("file"), []string{query}))
	waitFor("results of the upload", `document.querySelectorAll("#results.gallery figure img").length === 20`)
	step("open the map", chromedp.Click(chromedp.ID("view-map")))
	waitFor("the map of 80 items, coloured by label", `window.echarts !== undefined && `+chart+` !== undefined &&
		`+groups+`.map((s) => s.name + ":" + s.data.length).join(",") === "dark:40,light:40" &&
		/^80 of 80 items · pca/.test(document.getElementById("mapnote").textContent) &&
		document.querySelectorAll("#map canvas").length > 0`)
	if v := eval("projections offered", `[...document.getElementById("mapmethod").options].map((o) => o.value).join()`); v != "pca,umap" {
		t.Errorf("the projection menu offers %s, want pca,umap", v)
	}
	shown := `[..."results ask mapview".split(" ").map((id) => getComputedStyle(document.getElementById(id)).display !== "none"),
		document.getElementById("view-results").getAttribute("aria-pressed"), document.getElementById("view-map").getAttribute("aria-pressed")].join()`
	if v := eval("views", shown); v != "false,false,true,false,true" {
		t.Errorf("in the map view, results shown, query box shown, map shown, results pressed, map pressed: %s", v)
	}

	// A group, from the keyboard: the 40 dark items.
	step("choose a group", chromedp.SetValue(chromedp.ID("mapgroup"), "dark"))
	step("select it with the keyboard", chromedp.Focus(chromedp.ID("selgroup")), chromedp.KeyEvent(kb.Enter))
	waitFor("40 selected", `document.getElementById("selcount").textContent === "40 selected" && !document.getElementById("tagyes").disabled`)
	step("clear the selection", chromedp.Click(chromedp.ID("selclear")))
	waitFor("0 selected", `document.getElementById("selcount").textContent === "0 selected" && document.getElementById("tagyes").disabled`)

	// Brush a rectangle, through ECharts, around the points left of a third of the way
	// along x (midway between two points' x) and above the widest gap along y, if the map
	// spreads along y at all; the page selects exactly the points inside.
	m := getMap(t, u+"/map")
	pts := m.Points
	lo, hi := pts[0], pts[0]
	for _, q := range pts {
		lo.X, lo.Y, hi.X, hi.Y = min(lo.X, q.X), min(lo.Y, q.Y), max(hi.X, q.X), max(hi.Y, q.Y)
	}
	pad := func(a, b float32) float32 { return (b - a) / 100 }
	xs := split(pts, func(q MapPoint) float32 { return q.X }, (hi.X-lo.X)/1e4, 3)
	var left []MapPoint
	for _, q := range pts {
		if q.X < xs {
			left = append(left, q)
		}
	}
	x0, x1, y0, y1 := lo.X-pad(lo.X, hi.X), xs, lo.Y-pad(lo.Y, hi.Y), hi.Y+pad(lo.Y, hi.Y)
	if hi.Y-lo.Y > (hi.X-lo.X)/100 { // the fixture's second component may be only rounding noise
		y0 = split(left, func(q MapPoint) float32 { return q.Y }, (hi.Y-lo.Y)/1e4, 2)
	}
	var inside, outside []int64
	for _, q := range pts {
		if q.X >= x0 && q.X <= x1 && q.Y >= y0 && q.Y <= y1 {
			inside = append(inside, q.ID)
		} else {
			outside = append(outside, q.ID)
		}
	}
	if len(inside) == 0 || len(outside) == 0 {
		t.Fatalf("no useful rectangle on the map: %d inside, %d outside", len(inside), len(outside))
	}
	t.Logf("brushing x %g..%g, y %g..%g: %d of %d points", x0, x1, y0, y1, len(inside), len(pts))
	brush := func(x0, x1, y0, y1 float32) {
		t.Helper()
		eval("brush", fmt.Sprintf(`(() => { %s.dispatchAction({ type: "brush",
			areas: [{ brushType: "rect", xAxisIndex: 0, coordRange: [[%g, %g], [%g, %g]] }] }); return ""; })()`, chart, x0, x1, y0, y1))
	}
	selectedIDs := `JSON.stringify(selected.slice().sort((a, b) => a - b))`
	brush(x0, x1, y0, y1)
	waitFor(fmt.Sprintf("%d selected", len(inside)), fmt.Sprintf(`document.getElementById("selcount").textContent === "%d selected"`, len(inside)))
	if v := eval("the selection", selectedIDs); v != jsonIDs(inside) {
		t.Errorf("brushed %s, want %s", v, jsonIDs(inside))
	}
	if v := eval("tag button", `document.getElementById("tagyes").textContent + "/" + document.getElementById("tagyes").getAttribute("aria-label")`); v != fmt.Sprintf("tag ✓ as lit/tag the %d selected items as “lit”", len(inside)) {
		t.Errorf("tag button: %q", v)
	}
	step("tag the selection ✓", chromedp.Click(chromedp.ID("tagyes")))
	waitFor("the map coloured by the tag", fmt.Sprintf(`/^tagged %d items as “lit”, in one round$/.test(document.getElementById("status").textContent) &&
		document.getElementById("mapcolor").value === "tag" &&
		%s.getOption().series.some((s) => s.name === "tagged lit" && s.data.length === %d) &&
		document.getElementById("selcount").textContent === "0 selected"`, len(inside), chart, len(inside)))
	waitFor("the tag's counts", fmt.Sprintf(`document.getElementById("tagcount").textContent === "%d ✓ 0 ✗"`, len(inside)))
	a := do(t, "GET", u+"/tags", "", nil, "")
	if got, want := fmt.Sprint(a.body["tags"]), fmt.Sprintf("[map[Negative:0 Positive:%d Tag:lit]]", len(inside)); got != want {
		t.Errorf("after tagging the brushed points ✓: tags %s, want %s", got, want)
	}

	// The rest of the map, in a lasso (a triangle whose left edge is the rectangle's right
	// one, and whose apex lies beyond the map) tagged ✗: a second round.
	h := hi.Y - lo.Y + (hi.X-lo.X)/100
	tri := [][2]float32{{xs, lo.Y - h}, {xs, hi.Y + h}, {hi.X + (hi.X - xs), (lo.Y + hi.Y) / 2}}
	var right []int64
	for _, q := range pts {
		if inPolygon(q, tri) {
			right = append(right, q.ID)
		}
	}
	if len(right)+len(inside) != len(pts) {
		t.Fatalf("the lasso holds %d points, the rectangle %d, of %d", len(right), len(inside), len(pts))
	}
	eval("lasso", fmt.Sprintf(`(() => { %s.dispatchAction({ type: "brush",
		areas: [{ brushType: "polygon", xAxisIndex: 0, coordRange: [[%g, %g], [%g, %g], [%g, %g]] }] }); return ""; })()`,
		chart, tri[0][0], tri[0][1], tri[1][0], tri[1][1], tri[2][0], tri[2][1]))
	waitFor(fmt.Sprintf("%d selected", len(right)), fmt.Sprintf(`document.getElementById("selcount").textContent === "%d selected"`, len(right)))
	if v := eval("the selection", selectedIDs); v != jsonIDs(right) {
		t.Errorf("brushed %s, want %s", v, jsonIDs(right))
	}
	step("tag the selection ✗", chromedp.Click(chromedp.ID("tagno")))
	waitFor("the map coloured by the tag", fmt.Sprintf(`/^tagged %d items as not “lit”, in one round$/.test(document.getElementById("status").textContent) &&
		%s.getOption().series.some((s) => s.name === "tagged not lit" && s.data.length === %d)`, len(right), chart, len(right)))
	a = do(t, "GET", u+"/tags", "", nil, "")
	if got, want := fmt.Sprint(a.body["tags"]), fmt.Sprintf("[map[Negative:%d Positive:%d Tag:lit]]", len(right), len(inside)); got != want {
		t.Errorf("after tagging the second area ✗: tags %s, want %s", got, want)
	}
	if a := do(t, "GET", u+"/more?tag=lit&k=1", "", nil, ""); fmt.Sprint(a.body["round_precision"]) != "[1 0]" {
		t.Errorf("rounds: %s, want two, of precision 1 and 0", a.raw)
	}

	// Hover a point: its image.
	waitFor("the hovered item's image", `(() => { `+chart+`.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: 0 });
		return [...document.querySelectorAll("#map img")].some((i) => /\/items\/\d+\/payload$/.test(i.src) && i.complete && i.naturalWidth > 0); })()`)
	if path := os.Getenv(EnvScreenshot); path != "" {
		path = strings.TrimSuffix(path, filepath.Ext(path)) + "-map" + filepath.Ext(path)
		png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Error(err)
		}
		t.Logf("screenshot of the map: %s", path)
	}

	// The text index's map: hover shows the text.
	step("choose the text index", chromedp.SetValue(chromedp.ID("index"), "tickets"))
	eval("change event", `String(document.getElementById("index").dispatchEvent(new Event("change", { bubbles: true })))`)
	step("colour by label", chromedp.SetValue(chromedp.ID("mapcolor"), "label"))
	eval("change event", `String(document.getElementById("mapcolor").dispatchEvent(new Event("change", { bubbles: true })))`)
	waitFor("the text map", groups+`.map((s) => s.name + ":" + s.data.length).join(",") === "facilities:2,it:2"`)
	waitFor("the hovered text", `(() => { `+chart+`.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: 0 });
		return /printer/.test(document.getElementById("map").textContent); })()`)

	// A map in ECharts' large mode (2,500 points in one group), where ECharts reports no
	// brushed points: the page finds those inside the rectangle itself; more than
	// MaxBatch (1,000 here) cannot be tagged in one round; hovering a point shows it.
	step("choose the vector index", chromedp.SetValue(chromedp.ID("index"), "vec"))
	eval("change event", `String(document.getElementById("index").dispatchEvent(new Event("change", { bubbles: true })))`)
	waitFor("the large map", `(() => { const s = `+chart+`.getOption().series; return s.length === 2 && s[0].large && s[0].data.length === 2500; })()`)
	vm := getMap(t, ts.URL+"/api/v1/indexes/vec/map")
	xq, yq := quantiles(vm.Points, func(q MapPoint) float32 { return q.X }), quantiles(vm.Points, func(q MapPoint) float32 { return q.Y })
	bx0, bx1, by0, by1 := xq(0), xq(0.7), yq(0.1), yq(1)
	var big []int64
	for _, q := range vm.Points {
		if q.X >= bx0 && q.X <= bx1 && q.Y >= by0 && q.Y <= by1 {
			big = append(big, q.ID)
		}
	}
	brush(bx0, bx1, by0, by1)
	waitFor(fmt.Sprintf("%d selected, too many to tag", len(big)), fmt.Sprintf(`document.getElementById("selcount").textContent ===
		"%d selected (at most 1000 can be tagged in one round: select fewer)" && document.getElementById("tagyes").disabled &&
		document.getElementById("tagno").disabled`, len(big)))
	if v := eval("the selection", selectedIDs); v != jsonIDs(big) {
		t.Errorf("brushed on the large map: %d points, want %d", strings.Count(v, ",")+1, len(big))
	}
	step("clear the selection", chromedp.Click(chromedp.ID("selclear")))
	eval("mouse over a point", `(() => { const c = `+chart+`, d = c.getOption().series[0].data[7];
		const [x, y] = c.convertToPixel({ seriesIndex: 0 }, [d[0], d[1]]), r = document.getElementById("map").getBoundingClientRect();
		const el = document.elementFromPoint(r.left + x, r.top + y);
		for (const dx of [3, 0]) el.dispatchEvent(new MouseEvent("mousemove", { clientX: r.left + x + dx, clientY: r.top + y, bubbles: true }));
		return ""; })()`)
	waitFor("the hovered point's tooltip", `/\(no label\) · item \d+/.test(document.getElementById("map").textContent)`)

	// Back to the results: the query box, not the map.
	step("back to the results", chromedp.Click(chromedp.ID("view-results")))
	if v := eval("views", shown); v != "true,true,false,true,false" {
		t.Errorf("in the results view, results shown, query box shown, map shown, results pressed, map pressed: %s", v)
	}
}

// quantiles returns a function giving, for 0 ≤ q ≤ 1, a value midway between two
// neighbouring values of f over the points about a fraction q through them (beyond the
// ends for 0 and 1): a boundary no point lies on.
func quantiles(pts []MapPoint, f func(MapPoint) float32) func(q float64) float32 {
	var v []float32
	for _, p := range pts {
		v = append(v, f(p))
	}
	slices.Sort(v)
	pad := (v[len(v)-1] - v[0]) / 100
	return func(q float64) float32 {
		i := int(q * float64(len(v)))
		switch {
		case i <= 0:
			return v[0] - pad
		case i >= len(v):
			return v[len(v)-1] + pad
		}
		return (v[i-1] + v[i]) / 2
	}
}

// split returns a value a 1/part of the way through the distinct values of f over the
// points (values closer than tol are one), midway between two of them.
func split(pts []MapPoint, f func(MapPoint) float32, tol float32, part int) float32 {
	var v []float32
	for _, q := range pts {
		v = append(v, f(q))
	}
	slices.Sort(v)
	distinct := []float32{v[0]}
	for _, x := range v[1:] {
		if x-distinct[len(distinct)-1] > tol {
			distinct = append(distinct, x)
		}
	}
	if len(distinct) < 2 {
		return v[0] - tol
	}
	i := max(1, len(distinct)/part)
	return (distinct[i-1] + distinct[i]) / 2
}

// inPolygon says whether a point is inside a polygon (even-odd rule).
func inPolygon(q MapPoint, poly [][2]float32) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a[1] > q.Y) != (b[1] > q.Y) && q.X < (b[0]-a[0])*(q.Y-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

func jsonIDs(ids []int64) string {
	s := slices.SortedFunc(slices.Values(ids), cmp.Compare)
	return strings.ReplaceAll(fmt.Sprint(s), " ", ",")
}

// browserPage is a headless Chromium session on the page, bounded to 60 s, that never
// reaches beyond loopback; uncaught exceptions and console errors of the page fail the
// test.
type browserPage struct {
	t   *testing.T
	ctx context.Context
}

// openBrowser starts Chromium; it is closed when the test ends (before the servers the
// test started earlier).
func openBrowser(t *testing.T, chrome string) *browserPage {
	tctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	bctx, cancelBrowser := browsercheck.Browser(tctx, chrome, t.TempDir(), 1280, 900)
	pageErrs, done := browsercheck.Console(bctx, func(m chromedp.ConsoleMessage) bool {
		return m.IsException() || m.Type == chromedp.ConsoleError && !strings.Contains(m.URL, "favicon.ico")
	})
	t.Cleanup(func() {
		cancelBrowser()
		<-done
		cancel()
		for _, e := range pageErrs() {
			t.Errorf("page console: %s", e)
		}
	})
	return &browserPage{t, bctx}
}

func (p *browserPage) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v (status line: %q)", what, err, statusLine(p.ctx))
	}
}

func (p *browserPage) eval(what, js string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitFor polls a JavaScript predicate (10 s at most).
func (p *browserPage) waitFor(what, js string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(20*time.Millisecond),
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		p.t.Fatalf("waiting for %s: %v (status line: %q)", what, err, statusLine(p.ctx))
	}
}

// statusLine reads the page's status line, for failure messages.
func statusLine(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("status").textContent`))
	return s
}
