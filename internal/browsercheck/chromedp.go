package browsercheck

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// Browser starts headless Chromium (chrome, from Chromium()) for a test driven through
// chromedp, with the flags that keep it on loopback and quiet on these machines (no
// sandbox: tests run as root; no background networking, updates, sync or QUIC), a fresh
// profile in userDataDir and a window of width×height. Cancel the returned context to
// close it.
func Browser(ctx context.Context, chrome, userDataDir string, width, height int) (context.Context, context.CancelFunc) {
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(userDataDir),
		chromedp.WindowSize(width, height),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true),
	)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	return bctx, func() { cancelBrowser(); cancelAlloc() }
}

// ForTest returns the Chromium binary for a test that drives a browser. Without one the
// test is skipped, except under CI (the CI environment variable set), where `make setup`
// must have installed it and its absence fails the test.
func ForTest(tb testing.TB) string {
	tb.Helper()
	chrome, err := Chromium()
	if err != nil {
		if os.Getenv("CI") == "" {
			tb.Skipf("skipping the browser test: %v", err)
		}
		tb.Fatal(err)
	}
	return chrome
}

// Console collects the console messages of the browser in bctx that keep accepts, each as
// "type: text (url:line)", until the browser closes (then done is closed). lines returns
// those collected so far.
func Console(bctx context.Context, keep func(chromedp.ConsoleMessage) bool) (lines func() []string, done <-chan struct{}) {
	var mu sync.Mutex
	var got []string
	closed := make(chan struct{})
	msgs := chromedp.Console(bctx)
	go func() {
		defer close(closed)
		for m, err := range msgs {
			if err != nil {
				return
			}
			if keep(m) {
				mu.Lock()
				got = append(got, fmt.Sprintf("%s: %s (%s:%d)", m.Type, m, m.URL, m.Line+1))
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}, closed
}
