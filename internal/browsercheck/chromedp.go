package browsercheck

import (
	"context"

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
