package bow

import (
	"bytes"
	"context"
	"maps"
	"math"
	"runtime"
	"slices"
	"testing"
)

// FuzzParse: Parse (an encoder's JSON, e.g. an index's bow.json asset) allocates at most
// a bounded multiple of its input; what it accepts re-marshals (Marshal) to JSON that
// parses to an equal encoder and marshals to the same bytes, and encodes its own words
// to finite unit vectors.
func FuzzParse(f *testing.F) {
	fit, err := Fit(toks("the food was cold", "rude staff", "the staff was great !"), 16, 7)
	if err != nil {
		f.Fatal(err)
	}
	good, err := fit.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"dim":256,"seed":1,"docs":3,"df":{"a":1,"b":3}}`))
	f.Add([]byte(`{"dim":8,"seed":18446744073709551615,"docs":1,"df":{}}`))
	f.Add([]byte(`{"dim":8,"seed":0,"docs":1}`))
	f.Add([]byte(`{"dim":8,"seed":0,"docs":9223372036854775807,"df":{"a":9223372036854775807}}`))
	f.Add([]byte(`{"dim":65537,"seed":0,"docs":1,"df":{}}`))
	f.Add([]byte(`{"dim":8,"seed":-1,"docs":1,"df":{}}`))
	f.Add([]byte(`{"dim":8,"seed":0,"docs":2,"df":{"a":3}}`))
	f.Add([]byte(`{"dim":8,"seed":0,"docs":2,"df":{"a":0}}`))
	f.Add([]byte(`{"DIM":8,"Seed":0,"docs":2,"df":{"\ud800":1,"\xff":2},"extra":[1,2]}`))
	f.Add([]byte(`{"dim":8.5,"docs":1}`))
	f.Add(good[:len(good)/2])
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		e, err := Parse(b)
		runtime.ReadMemStats(&after)
		// JSON decoding and a map of words: a constant plus a few dozen bytes per byte.
		if got, limit := after.TotalAlloc-before.TotalAlloc, 64<<10+64*uint64(len(b)); got > limit {
			t.Fatalf("Parse allocated %d bytes for %d bytes of input (limit %d)", got, len(b), limit)
		}
		if err != nil {
			return
		}
		m, err := e.Marshal()
		if err != nil {
			t.Fatalf("accepted encoder does not marshal: %v", err)
		}
		e2, err := Parse(m)
		if err != nil {
			t.Fatalf("re-marshalled %s does not parse: %v", m, err)
		}
		if e2.D != e.D || e2.Seed != e.Seed || e2.Docs != e.Docs || !maps.Equal(e2.DF, e.DF) {
			t.Fatalf("%s parses as %+v; re-marshalled %s parses as %+v", b, e, m, e2)
		}
		if m2, _ := e2.Marshal(); !bytes.Equal(m, m2) {
			t.Fatalf("marshal is not stable: %s then %s", m, m2)
		}
		if e.D > 1024 {
			return // encoding cost grows with the dimension
		}
		words := slices.Sorted(maps.Keys(e.DF))
		sentence := append(words[:min(len(words), 3)], "an unknown word")
		v, err := e.EncodeTokens(context.Background(), [][]string{sentence})
		if err != nil || len(v) != e.D {
			t.Fatalf("encode %q: %d values, %v", sentence, len(v), err)
		}
		var norm float64
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("encode %q with %s: non-finite value %v", sentence, b, x)
			}
			norm += float64(x) * float64(x)
		}
		if norm != 0 && math.Abs(norm-1) > 1e-4 {
			t.Fatalf("encode %q: norm² %v", sentence, norm)
		}
	})
}
