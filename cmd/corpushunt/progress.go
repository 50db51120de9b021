package main

import (
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

var quiet = os.Getenv("CORPUSHUNT_QUIET") != ""

// newBar returns a progress callback drawing a bar on stderr (rate in `unit`/s and ETA),
// and a finish function. Quiet mode (CORPUSHUNT_QUIET=1) draws nothing.
func newBar(total int, desc, unit string) (update func(done, total int), finish func()) {
	if quiet {
		return func(int, int) {}, func() {}
	}
	start := time.Now()
	last := 0
	summary := func() {
		if last == 0 {
			return // failed or empty: the error says what happened
		}
		d := time.Since(start)
		fmt.Fprintf(os.Stderr, "%s: %d %s in %.1fs (%.0f %s/s)\n", desc, last, unit, d.Seconds(), float64(last)/d.Seconds(), unit)
	}
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		// Logs, CI: no bar redraws, one line at the end.
		return func(done, _ int) { last = done }, summary
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
	)
	return func(done, _ int) { last = done; bar.Set(done) }, func() {
		bar.Finish()
		summary()
	}
}

// note prints an informational line on stderr unless quiet.
func note(format string, args ...any) {
	if !quiet {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}
}
