package serve

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/corpushunt/corpushunt/internal/browsercheck"
)

// EnvScreenshot names a file where TestBrowserPage saves a screenshot of the image
// gallery (e.g. CORPUSHUNT_SCREENSHOT=/tmp/corpushunt-serve.png); unset, none is saved.
const EnvScreenshot = "CORPUSHUNT_SCREENSHOT"

// TestBrowserPage drives the embedded page in a real (headless) Chromium, as a person
// would: upload an image, drag the "how many" slider, click a result, switch to the text
// index and type a query; tag results ✓ and ✗ and ask for more like them. It is skipped where Chromium is not installed (`make setup`
// installs Debian's).
func TestBrowserPage(t *testing.T) {
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("skipping the browser test: no Chromium on PATH (`make setup` installs Debian's chromium)")
	}
	imgDir, txtDir := fixture(t)
	const token = "s3cret-token"
	_, ts := newServer(t, Config{Token: token, Indexes: []IndexSpec{{Name: "img", Dir: imgDir}, {Name: "tickets", Dir: txtDir}}})
	query := filepath.Join(t.TempDir(), "query.png")
	if err := os.WriteFile(query, pngBytes(t, 64, 48, 190), 0o644); err != nil { // a light image
		t.Fatal(err)
	}

	// The whole browser session is bounded; the browser never reaches beyond loopback.
	tctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bctx, cancelBrowser := browsercheck.Browser(tctx, chrome, t.TempDir(), 1280, 900)
	defer cancelBrowser()

	// Uncaught exceptions and console errors of the page fail the test.
	var mu sync.Mutex
	var pageErrs []string
	msgs := chromedp.Console(bctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError && !strings.Contains(m.URL, "favicon.ico") {
				mu.Lock()
				pageErrs = append(pageErrs, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
				mu.Unlock()
			}
		}
	}()
	defer func() {
		cancelBrowser()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, e := range pageErrs {
			t.Errorf("page console: %s", e)
		}
	}()

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatalf("%s: %v (status line: %q)", what, err, statusLine(bctx))
		}
	}
	eval := func(what, js string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	// waitFor polls a JavaScript predicate (10 s at most).
	waitFor := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(20*time.Millisecond),
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v (status line: %q)", what, err, statusLine(bctx))
		}
	}

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
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
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

	// (d) Tag results: type a tag and the token, mark three ✓ and two ✗; the counts show,
	// the server has them, and "more like these" ranks the rest, the tagged left out.
	if v := eval("token box", `String(!document.getElementById("token").hidden)`); v != "true" {
		t.Errorf("no token box on a server that needs a token")
	}
	step("type a tag and the token", chromedp.SendKeys(chromedp.ID("tag"), "bright"), chromedp.SendKeys(chromedp.ID("token"), token))
	var tagged []string
	for i, positive := range []bool{true, true, true, false, false} {
		fig := fmt.Sprintf("#results figure:nth-child(%d)", i+1)
		btn, cls := ".yes", "pos"
		if !positive {
			btn, cls = ".no", "neg"
		}
		tagged = append(tagged, eval("tagged id", fmt.Sprintf(`document.querySelector(%q).dataset.id`, fig)))
		step("mark "+fig, chromedp.Click(chromedp.CSS(fig+" "+btn)))
		waitFor(fig+" marked "+cls, fmt.Sprintf(`document.querySelector(%q).classList.contains(%q)`, fig, cls))
	}
	waitFor("the tag's counts", `document.getElementById("tagcount").textContent === "3 ✓ 2 ✗"`)
	if v := eval("no query by a mark", `document.getElementById("status").textContent`); strings.Contains(v, "results") {
		t.Errorf("marking ran a query: status %q", v)
	}
	a := do(t, "GET", ts.URL+"/api/v1/tags", "", nil, "")
	if got := fmt.Sprint(a.body["tags"]); a.code != 200 || got != "[map[Negative:2 Positive:3 Tag:bright]]" {
		t.Errorf("GET /api/v1/tags: %d %s", a.code, a.raw)
	}
	step("more like these", chromedp.Click(chromedp.ID("more")))
	waitFor("more like the tagged", `/^25 results .* like “bright” · model /.test(document.getElementById("status").textContent) &&
		document.querySelectorAll("#results.gallery figure:not(.unsure)").length === 25 &&
		document.querySelectorAll("#results.gallery h3.unsure").length === 1 &&
		document.querySelectorAll("#results.gallery figure.unsure").length > 0`)
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

// statusLine reads the page's status line, for failure messages.
func statusLine(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("status").textContent`))
	return s
}
