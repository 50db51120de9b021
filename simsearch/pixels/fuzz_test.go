package pixels

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// FuzzFromInfo: FromInfo (an index manifest's encoder params "input" and "downsample")
// refuses what is not HxWxC with C 1 or 3 and a factor dividing H and W, never accepts a
// geometry whose size overflows or exceeds 2^24 pixels, allocates nothing to speak of,
// and what it accepts rebuilds from its own Info and encodes.
func FuzzFromInfo(f *testing.F) {
	f.Add("32x32x3", "1", true, true)
	f.Add("8x8x3", "2", true, true)
	f.Add("28x28x1", "4", true, true)
	f.Add("", "", false, false)
	f.Add("", "2", false, true)
	f.Add("32x32x3", "3", true, true)
	f.Add("32x32x2", "1", true, true)
	f.Add("0x32x3", "1", true, true)
	f.Add("32x32x3junk", "1", true, true)
	f.Add("32x32", "1", true, true)
	f.Add(" 32x 32x 3", "+1", true, true)
	f.Add("4096x4097x3", "1", true, true)
	f.Add("4294967296x4294967296x3", "1", true, true)
	f.Add("4611686018427387904x4x1", "2", true, true)
	f.Add("-4x-4x3", "-2", true, true)
	f.Add("32x32x3", "0", true, true)
	f.Add("32x32x3", "9999999999999999999999", true, true)
	f.Add("M", strings.Repeat("\x9b", 4093), true, true) // long bad values: the message quotes them
	f.Fuzz(func(t *testing.T, input, downsample string, hasInput, hasDown bool) {
		info := index.EncoderInfo{Name: Name, Version: Version, Params: map[string]string{}}
		if hasInput {
			info.Params["input"] = input
		}
		if hasDown {
			info.Params["downsample"] = downsample
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		e, err := FromInfo(info)
		runtime.ReadMemStats(&after)
		// A constant, plus the error message, which quotes a bad parameter twice (%q and
		// strconv's own error: up to 4 bytes a byte each, with buffer growth): what must
		// never happen is an allocation of the geometry the strings declare.
		if got, limit := after.TotalAlloc-before.TotalAlloc, 64<<10+128*uint64(len(input)+len(downsample)); got > limit {
			t.Fatalf("FromInfo allocated %d bytes for %d bytes of params (limit %d)", got, len(input)+len(downsample), limit)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "pixels: ") {
				t.Fatalf("error %v", err)
			}
			return
		}
		const maxPixels = 1 << 24
		switch {
		case e.H < 1 || e.W < 1 || (e.C != 1 && e.C != 3):
			t.Fatalf("input %q accepted as %d×%d×%d", input, e.H, e.W, e.C)
		case e.H > maxPixels || e.W > maxPixels/e.H:
			t.Fatalf("input %q accepted as %d×%d: more than 2^24 pixels", input, e.H, e.W)
		case e.Factor < 1 || e.H%e.Factor != 0 || e.W%e.Factor != 0:
			t.Fatalf("downsample %q accepted as %d for %d×%d", downsample, e.Factor, e.H, e.W)
		case e.Dim() < 1 || e.Dim() > 3*maxPixels:
			t.Fatalf("dimension %d", e.Dim())
		}
		if hasInput { // accepted only as written by Info: three whole numbers
			parts := strings.Split(input, "x")
			if len(parts) != 3 || atoi(parts[0]) != e.H || atoi(parts[1]) != e.W || atoi(parts[2]) != e.C {
				t.Fatalf("input %q accepted as %d×%d×%d", input, e.H, e.W, e.C)
			}
		}
		again, err := FromInfo(e.Info())
		if err != nil || *again != *e {
			t.Fatalf("Info %v of %+v rebuilds %+v, %v", e.Info(), e, again, err)
		}
		if in := e.H * e.W * e.C; in <= 1<<14 {
			out, err := e.EncodeImages(context.Background(), make([]float32, in), 1)
			if err != nil || len(out) != e.Dim() {
				t.Fatalf("encode: %d values, %v; want %d", len(out), err, e.Dim())
			}
		}
	})
}

// atoi is strconv.Atoi, -1 for what does not parse.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
