package vectors

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// fuzzFile writes data as a file called name, opens it and streams it, checking that
// nothing panics, that what Open and Batches allocate stays within a small multiple of
// the file's size (a header cannot make it allocate what it declares), that records are
// consistent with Len and Dim, and that Resolve agrees with Batches.
func fuzzFile(t *testing.T, name string, data []byte, opts ...string) {
	path := writeFile(t, t.TempDir(), name, data)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c, err := openSpec(t, path, opts...)
	var recs []corpus.Record
	if err == nil {
		recs, err = corpus.Collect(context.Background(), c)
	}
	runtime.ReadMemStats(&after)
	// Constant slack for buffers and bookkeeping; per record, its struct in Collect's
	// growing slice, its ref and vector header.
	limit := 1<<20 + 2*uint64(len(data)) + 512*uint64(len(recs))
	if got := after.TotalAlloc - before.TotalAlloc; got > limit {
		t.Fatalf("allocated %d bytes for a %d-byte file (%d records), over %d", got, len(data), len(recs), limit)
	}
	if c == nil {
		return
	}
	if c.Len() < 1 || c.Dim() < 1 || c.Dim() > MaxDim || len(recs) > c.Len() {
		t.Fatalf("Len %d, Dim %d, %d records", c.Len(), c.Dim(), len(recs))
	}
	last := -1
	for i, r := range recs {
		if len(r.Vector) != c.Dim() {
			t.Fatalf("record %s: %d values, Dim %d", r.Ref, len(r.Vector), c.Dim())
		}
		for _, v := range r.Vector {
			if !finite32(v) {
				t.Fatalf("record %s: non-finite value %v", r.Ref, v)
			}
		}
		row, err := c.parseRef(r.Ref)
		if err != nil || row <= last {
			t.Fatalf("record %d: ref %q (after row %d): %v", i, r.Ref, last, err)
		}
		last = row
		if i < 20 {
			got, err := c.Resolve(r.Ref)
			if err != nil || !reflect.DeepEqual(got, r) {
				t.Fatalf("Resolve(%q) = %+v, %v; Batches gave %+v", r.Ref, got, err, r)
			}
		}
	}
	if err == nil && !c.skipBad && len(recs) != c.Len() {
		t.Fatalf("%d records without error, Len %d", len(recs), c.Len())
	}
}

func FuzzNpy(f *testing.F) {
	rows := testRows(3, 2)
	good := f32Bytes(rows)
	f.Add(npyF32(rows))
	f.Add(npyBytes(npyFile{major: 2, descr: "<f8", shape: "(3, 2)", data: f64Bytes([][]float64{{1, 2}, {3, 4}, {5, 1e300}})}))
	f.Add(npyBytes(npyFile{major: 3, descr: "<f4", shape: "(3L, 2L)", data: good}))
	f.Add(npyBytes(npyFile{descr: "<f4", shape: "(1000000000000, 512)", data: good}))
	f.Add(npyBytes(npyFile{descr: "<f4", shape: "(2, 65536)"}))
	f.Add(npyBytes(npyFile{descr: ">f4", shape: "(3, 2)", data: good}))
	f.Add(npyBytes(npyFile{descr: "<f4", fortran: true, shape: "(3, 2)", data: good}))
	f.Add(npyBytes(npyFile{descr: "<f4", shape: "(3, 2)", data: good[:20]}))
	f.Add(npyBytes(npyFile{descr: "<f4", shape: "(1, 6)", data: f32Bytes([][]float32{{1, 2, 3, 4, 5, float32(nan())}})}))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff{}"))
	f.Add([]byte("\x93NUMPY\x01\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFile(t, "f.npy", data)
		fuzzFile(t, "f.npy", data, "skip-bad", "true")
	})
}

func FuzzFvecs(f *testing.F) {
	f.Add(fvecsBytes(testRows(3, 2)))
	f.Add(fvecsBytes([][]float32{{1, 2}, {3}, {4, 5, 6}}))
	f.Add(fvecsBytes([][]float32{{1, 2}, {3, 4, 5}}))
	f.Add(fvecsBytes([][]float32{{1, float32(nan())}, {3, 4}}))
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFile(t, "f.fvecs", data)
		fuzzFile(t, "f.fvecs", data, "skip-bad", "true")
	})
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("1,2,3\n4,5,6\n"), "", "", false)
	f.Add([]byte("id,x,label,y\nr1,1,cat,2\n\"r,2\",-4,\"dog \"\"x\"\"\",5\n"), "label", "id", false)
	f.Add([]byte("cat 1 2\ndog 3 4\n# c\n\nbird 5\n"), "0", "", true)
	f.Add([]byte("a\tb\n1\tnan\n2\t3\n"), "", "", true)
	f.Add([]byte("\uFEFF1;2\r\n3;4\r\n"), "", "1", false)
	f.Add([]byte("\"unterminated\n1,2\n"), "", "", true)
	f.Fuzz(func(t *testing.T, data []byte, labelCol, idCol string, skipBad bool) {
		var opts []string
		if labelCol != "" {
			opts = append(opts, OptLabelColumn, labelCol)
		}
		if idCol != "" {
			opts = append(opts, OptIDColumn, idCol)
		}
		opts = append(opts, corpus.OptSkipBad, strconv.FormatBool(skipBad))
		fuzzFile(t, "f.csv", data, opts...)
		fuzzFile(t, "f.txt", data, opts...)
	})
}

func FuzzNpyHeader(f *testing.F) {
	for _, s := range []string{
		"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }          \n",
		`{"descr": "<f8", "fortran_order": True, "shape": (3L,)}`,
		"{'descr': [('x', '<f4'), ('y', '<i8', (2,))], 'fortran_order': False, 'shape': ()}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 99999999999999999999)}",
		`{'descr': 'a\'b\\', 'fortran_order': False, 'shape': [], 'x': {'y': None}}`,
		"{'descr': '<f4'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseNpyHeader(s)
		if err != nil {
			return
		}
		// What parses re-encodes to a header that parses the same.
		fortran := "False"
		if h.fortran {
			fortran = "True"
		}
		again := fmt.Sprintf("{'descr': %s, 'fortran_order': %s, 'shape': %s}", pyQuote(h.descr), fortran, formatShape(h.shape))
		h2, err := parseNpyHeader(again)
		if err != nil || h2.descr != h.descr || h2.fortran != h.fortran || !slices.Equal(h2.shape, h.shape) {
			t.Fatalf("%q parses as %+v; re-encoded as %q it parses as %+v, %v", s, h, again, h2, err)
		}
	})
}

// pyQuote writes s as a single-quoted Python string literal that parseNpyHeader reads
// back.
func pyQuote(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '\\':
			out = append(out, '\\', c)
		case '\n':
			out = append(out, '\\', 'n')
		case '\t':
			out = append(out, '\\', 't')
		default:
			out = append(out, c)
		}
	}
	return string(append(out, '\''))
}
