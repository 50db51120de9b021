// Package browsercheck opens an HTML file in real headless Chromium, with no network, and
// reports what a person would see: how many images loaded and how many chart canvases have
// something drawn on them. Tests of reports and exported notebooks use it.
package browsercheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Result is what the page showed after loading.
type Result struct {
	Images   int `json:"images"`   // <img> elements
	Loaded   int `json:"loaded"`   // of which decoded with naturalWidth > 0
	Canvases int `json:"canvases"` // <canvas> elements (ECharts draws on canvas)
	Drawn    int `json:"drawn"`    // of which have > 100 non-background pixels
	Charts   int `json:"charts"`   // elements ECharts initialised
}

// ErrNoChromium is returned when no Chromium binary is found.
var ErrNoChromium = errors.New("chromium not found (make setup installs Debian's chromium)")

// Chromium returns the browser binary path.
func Chromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

const probe = `<script>
window.addEventListener("load", function () { setTimeout(function () {
  var imgs = document.querySelectorAll("img"), loaded = 0;
  imgs.forEach(function (i) { if (i.complete && i.naturalWidth > 0) loaded++; });
  var cs = document.querySelectorAll("canvas"), drawn = 0;
  cs.forEach(function (c) {
    var d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data, n = 0;
    for (var j = 0; j < d.length; j += 4) { if (d[j+3] > 0 && (d[j] < 240 || d[j+1] < 240 || d[j+2] < 240)) n++; }
    if (n > 100) drawn++;
  });
  var charts = document.querySelectorAll("[_echarts_instance_]").length;
  var r = document.createElement("pre"); r.id = "corpushunt-check";
  r.textContent = "CHECK" + JSON.stringify({images: imgs.length, loaded: loaded, canvases: cs.length, drawn: drawn, charts: charts}) + "END";
  document.body.appendChild(r);
}, 1000); });
</script>`

var resultRe = regexp.MustCompile(`CHECK(\{[^}]*\})END`)

// Check loads a copy of the HTML file (with a probe script appended) in headless Chromium
// and returns what rendered. Network access is disabled by flags; the page must be
// self-contained.
func Check(ctx context.Context, htmlPath string) (*Result, error) {
	bin, err := Chromium()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(htmlPath)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "corpushunt-browser-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	page := filepath.Join(dir, "page.html")
	doc := string(b)
	if i := strings.LastIndex(doc, "</body>"); i >= 0 {
		doc = doc[:i] + probe + doc[i:]
	} else {
		doc += probe
	}
	if err := os.WriteFile(page, []byte(doc), 0o644); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--disable-quic", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1280,2000",
		"--virtual-time-budget=15000", "--dump-dom", "file://"+page)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("chromium on %s: %w", htmlPath, err)
	}
	m := resultRe.FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("chromium on %s: the probe did not report (page scripts failed?)", htmlPath)
	}
	var r Result
	if err := json.Unmarshal(m[1], &r); err != nil {
		return nil, err
	}
	return &r, nil
}
