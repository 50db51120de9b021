package vectors

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// --- fixture writers ---

// npyFile is a .npy file to write.
type npyFile struct {
	major   byte   // 1 (default), 2 or 3
	descr   string // default '<f4'
	fortran bool
	shape   string // Python tuple, default from rows
	header  string // the whole dict, overriding the fields above
	data    []byte
}

// npyBytes encodes f: magic, version, header length, dict padded with spaces to a
// multiple of 64 bytes and ended by a newline, data.
func npyBytes(f npyFile) []byte {
	major := f.major
	if major == 0 {
		major = 1
	}
	dict := f.header
	if dict == "" {
		fortran := "False"
		if f.fortran {
			fortran = "True"
		}
		dict = fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", f.descr, fortran, f.shape)
	}
	pre := 10
	if major > 1 {
		pre = 12
	}
	pad := 64 - (pre+len(dict)+1)%64
	if pad == 64 {
		pad = 0
	}
	hdr := dict + strings.Repeat(" ", pad) + "\n"
	out := []byte("\x93NUMPY")
	out = append(out, major, 0)
	if major == 1 {
		out = binary.LittleEndian.AppendUint16(out, uint16(len(hdr)))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(hdr)))
	}
	out = append(out, hdr...)
	return append(out, f.data...)
}

func f32Bytes(rows [][]float32) []byte {
	var out []byte
	for _, r := range rows {
		for _, v := range r {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	}
	return out
}

func f64Bytes(rows [][]float64) []byte {
	var out []byte
	for _, r := range rows {
		for _, v := range r {
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
		}
	}
	return out
}

// npyF32 encodes rows as a version-1.0 '<f4' .npy file.
func npyF32(rows [][]float32) []byte {
	return npyBytes(npyFile{descr: "<f4", shape: fmt.Sprintf("(%d, %d)", len(rows), len(rows[0])), data: f32Bytes(rows)})
}

// fvecsBytes encodes rows as .fvecs, each with its own length as dimension.
func fvecsBytes(rows [][]float32) []byte {
	var out []byte
	for _, r := range rows {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(r)))
		out = append(out, f32Bytes([][]float32{r})...)
	}
	return out
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// testRows are small vectors with values that survive every format exactly.
func testRows(n, d int) [][]float32 {
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = make([]float32, d)
		for j := range rows[i] {
			rows[i][j] = float32(i) + float32(j)/4 - 0.5
		}
	}
	return rows
}

func openSpec(t testing.TB, path string, opts ...string) (*Corpus, error) {
	t.Helper()
	spec := corpus.Spec{Source: "vectors", Root: path, Options: map[string]string{}}
	for i := 0; i+1 < len(opts); i += 2 {
		spec.Options[opts[i]] = opts[i+1]
	}
	c, err := corpus.Open(spec)
	if err != nil {
		return nil, err
	}
	return c.(*Corpus), nil
}

func mustOpen(t testing.TB, path string, opts ...string) *Corpus {
	t.Helper()
	c, err := openSpec(t, path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return c
}

func collect(t testing.TB, c corpus.Corpus) []corpus.Record {
	t.Helper()
	recs, err := corpus.Collect(context.Background(), c)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return recs
}

func vectorsOf(recs []corpus.Record) [][]float32 {
	out := make([][]float32, len(recs))
	for i, r := range recs {
		out[i] = r.Vector
	}
	return out
}

// checkResolve resolves every record's ref and compares, and checks refs are NAME:ROW.
func checkResolve(t *testing.T, c *Corpus, recs []corpus.Record) {
	t.Helper()
	for _, r := range recs {
		got, err := c.Resolve(r.Ref)
		if err != nil {
			t.Fatalf("Resolve(%q): %v", r.Ref, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("Resolve(%q) = %+v, Batches gave %+v", r.Ref, got, r)
		}
	}
}

// --- round trips ---

func TestRegistered(t *testing.T) {
	kind, doc, ok := corpus.Describe("vectors")
	if !ok || kind != corpus.Vector || !strings.Contains(doc, ".npy") {
		t.Fatalf("Describe(vectors) = %v, %q, %v", kind, doc, ok)
	}
}

func TestNpyFloat32(t *testing.T) {
	dir := t.TempDir()
	rows := testRows(5, 3)
	rows[2][1] = -math.MaxFloat32
	rows[3][0] = math.SmallestNonzeroFloat32
	path := writeFile(t, dir, "emb.npy", npyF32(rows))
	c := mustOpen(t, path)
	if c.Len() != 5 || c.Dim() != 3 || c.Kind() != corpus.Vector {
		t.Fatalf("Len, Dim, Kind = %d, %d, %v; want 5, 3, vector", c.Len(), c.Dim(), c.Kind())
	}
	if d, ok := DimOf(c); !ok || d != 3 {
		t.Fatalf("DimOf = %d, %v", d, ok)
	}
	recs := collect(t, c)
	if got := vectorsOf(recs); !reflect.DeepEqual(got, rows) {
		t.Fatalf("vectors = %v, want %v", got, rows)
	}
	for i, r := range recs {
		if want := fmt.Sprintf("emb.npy:%d", i); r.Ref != want || r.Label != "" || r.Meta != nil {
			t.Errorf("record %d: ref %q label %q meta %v; want ref %q, no label or meta", i, r.Ref, r.Label, r.Meta, want)
		}
	}
	if s := c.Summary(); s.Items != 5 || len(s.Labels) != 0 || len(s.Skipped) != 0 {
		t.Errorf("Summary = %+v", s)
	}
	checkResolve(t, c, recs)
}

func TestNpyVersionsAndFloat64(t *testing.T) {
	rows64 := [][]float64{{1.5, -2, 1e-3}, {0, 1e30, -1e-30}}
	want := [][]float32{{1.5, -2, float32(1e-3)}, {0, float32(1e30), float32(-1e-30)}}
	for _, major := range []byte{1, 2, 3} {
		for _, descr := range []string{"<f4", "<f8"} {
			t.Run(fmt.Sprintf("v%d.0%s", major, descr), func(t *testing.T) {
				data := f32Bytes(want)
				if descr == "<f8" {
					data = f64Bytes(rows64)
				}
				path := writeFile(t, t.TempDir(), "x.npy", npyBytes(npyFile{major: major, descr: descr, shape: "(2, 3)", data: data}))
				c := mustOpen(t, path)
				recs := collect(t, c)
				if got := vectorsOf(recs); !reflect.DeepEqual(got, want) {
					t.Fatalf("vectors = %v, want %v", got, want)
				}
				checkResolve(t, c, recs)
			})
		}
	}
}

func TestNpyHeaderVariants(t *testing.T) {
	// Python 2 longs, double quotes, keys in another order, an extra key, no trailing comma.
	for _, dict := range []string{
		`{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }`,
		`{"shape": (2, 3), "fortran_order": False, "descr": "<f4"}`,
		`{'descr':'<f4','fortran_order':False,'shape':(2,3,),'extra':[1,(2,),None,{'a':True}]}`,
	} {
		path := writeFile(t, t.TempDir(), "x.npy", npyBytes(npyFile{header: dict, data: f32Bytes(testRows(2, 3))}))
		c, err := openSpec(t, path)
		if err != nil {
			t.Errorf("header %s: %v", dict, err)
			continue
		}
		if c.Len() != 2 || c.Dim() != 3 {
			t.Errorf("header %s: Len, Dim = %d, %d", dict, c.Len(), c.Dim())
		}
	}
}

func TestParseNpyHeader(t *testing.T) {
	h, err := parseNpyHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (7,), }   \n")
	if err != nil || h.descr != "<f8" || !h.fortran || !slices.Equal(h.shape, []int64{7}) {
		t.Fatalf("parse = %+v, %v", h, err)
	}
	for _, bad := range []string{
		"",
		"{",
		"{'descr': '<f4', 'fortran_order': False}",                    // no shape
		"{'descr': '<f4', 'fortran_order': 0, 'shape': (1, 2)}",       // not a bool
		"{'descr': '<f4', 'fortran_order': False, 'shape': (1, -2)}",  // negative
		"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2.0)}", // float
		"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 99999999999999999999)}",
		"{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,)}", // structured
		"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 2)}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2)} x",
		"{'descr': '<f4 , 'fortran_order': False, 'shape': (1, 2)}",
		"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1, 2)}",
		strings.Repeat("[", 100),
		"{'a': " + strings.Repeat("(", 100) + strings.Repeat(")", 100) + "}",
	} {
		if h, err := parseNpyHeader(bad); err == nil {
			t.Errorf("parseNpyHeader(%q) = %+v, want an error", bad, h)
		}
	}
}

func TestFvecs(t *testing.T) {
	rows := testRows(7, 4)
	path := writeFile(t, t.TempDir(), "base.fvecs", fvecsBytes(rows))
	c := mustOpen(t, path)
	if c.Len() != 7 || c.Dim() != 4 {
		t.Fatalf("Len, Dim = %d, %d", c.Len(), c.Dim())
	}
	recs := collect(t, c)
	if got := vectorsOf(recs); !reflect.DeepEqual(got, rows) {
		t.Fatalf("vectors = %v, want %v", got, rows)
	}
	if recs[6].Ref != "base.fvecs:6" {
		t.Errorf("ref = %q", recs[6].Ref)
	}
	checkResolve(t, c, recs)
}

func TestCSV(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, file string
		opts       []string
		labels     []string
		ids        []string
	}{
		{name: "plain.csv", file: "1, 2.5 ,3\n-4,5e0,6\n"},
		{name: "crlf.csv", file: "\uFEFF1,2.5,3\r\n\r\n# comment\r\n-4,5,6\r\n"},
		{name: "noeol.txt", file: "1 2.5  3\n  -4   5 6"},
		{name: "tabs.txt", file: "1\t 2.5\t3\n-4\t5\t6\n"},
		{name: "tabs.tsv", file: "1\t2.5\t3\n-4\t5\t6\n"},
		{name: "header.csv", file: "a,b,c\n1,2.5,3\n-4,5,6\n"},
		{
			name:   "labelled.csv",
			file:   "id,x,label,y,z\nr1,1,cat,2.5,3\n\"r,2\",-4,\"dog \"\"x\"\"\",5,6\n",
			opts:   []string{"label-column", "label", "id-column", "id"},
			labels: []string{"cat", `dog "x"`}, ids: []string{"r1", "r,2"},
		},
		{
			name:   "byindex.csv",
			file:   "cat,1,2.5,3\ndog,-4,5,6\n",
			opts:   []string{"label-column", "0"},
			labels: []string{"cat", "dog"},
		},
		{
			name: "byindex-header.tsv",
			file: "lab\tx\ty\tz\tid\ncat\t1\t2.5\t3\t7\n\t-4\t5\t6\t8\n",
			opts: []string{"label-column", "0", "id-column", "4"}, labels: []string{"cat", ""}, ids: []string{"7", "8"},
		},
		{name: "nolabels.txt", file: "\"cat\" 1 2.5 3\ndog -4 5 6\n", opts: []string{"label-column", "0", "labels", "none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustOpen(t, writeFile(t, dir, tc.name, []byte(tc.file)), tc.opts...)
			if c.Len() != 2 || c.Dim() != 3 {
				t.Fatalf("Len, Dim = %d, %d; want 2, 3", c.Len(), c.Dim())
			}
			recs := collect(t, c)
			want := [][]float32{{1, 2.5, 3}, {-4, 5, 6}}
			if got := vectorsOf(recs); !reflect.DeepEqual(got, want) {
				t.Fatalf("vectors = %v, want %v", got, want)
			}
			for i, r := range recs {
				if want := fmt.Sprintf("%s:%d", tc.name, i); r.Ref != want {
					t.Errorf("ref = %q, want %q", r.Ref, want)
				}
				if tc.labels != nil && r.Label != tc.labels[i] || tc.labels == nil && r.Label != "" {
					t.Errorf("row %d: label %q, want %q", i, r.Label, tc.labels)
				}
				if tc.ids != nil && r.Meta["id"] != tc.ids[i] || tc.ids == nil && r.Meta != nil {
					t.Errorf("row %d: meta %v, want id %q", i, r.Meta, tc.ids)
				}
			}
			checkResolve(t, c, recs)
		})
	}
}

func TestLabelsFile(t *testing.T) {
	dir := t.TempDir()
	rows := testRows(4, 2)
	npy := writeFile(t, dir, "emb.npy", npyF32(rows))
	fv := writeFile(t, dir, "emb.fvecs", fvecsBytes(rows))
	labels := writeFile(t, dir, "labels.txt", []byte("cat\r\n dog \n\ncat"))
	want := []string{"cat", "dog", "", "cat"}
	for _, path := range []string{npy, fv} {
		c := mustOpen(t, path, "labels", labels)
		recs := collect(t, c)
		for i, r := range recs {
			if r.Label != want[i] {
				t.Errorf("%s row %d: label %q, want %q", path, i, r.Label, want[i])
			}
		}
		if s := c.Summary(); s.Items != 4 || !reflect.DeepEqual(s.Labels, map[string]int{"cat": 2, "dog": 1}) {
			t.Errorf("Summary = %+v", s)
		}
		checkResolve(t, c, recs)
	}

	// A relative path not found from the working directory is looked for next to Root.
	if c, err := openSpec(t, npy, "labels", "labels.txt"); err != nil || c.labels.path != labels {
		t.Errorf("relative labels path: %v", err)
	}

	short := writeFile(t, dir, "short.txt", []byte("cat\ndog\ncat\n"))
	_, err := openSpec(t, npy, "labels", short)
	for _, s := range []string{"short.txt", "emb.npy", "3 lines", "4 rows"} {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("labels file with too few lines: error %v, want it to say %q", err, s)
		}
	}
	long := writeFile(t, dir, "long.txt", []byte("a\nb\nc\nd\n\n"))
	if _, err := openSpec(t, npy, "labels", long); err == nil || !strings.Contains(err.Error(), "5 lines") {
		t.Errorf("labels file with too many lines: error %v", err)
	}
	if _, err := openSpec(t, npy, "labels", filepath.Join(dir, "missing.txt")); err == nil {
		t.Error("missing labels file: no error")
	}
}

// TestResolveAcrossMarks streams files longer than markEvery rows, with comment and
// blank lines in the text one, and checks Resolve against Batches for every row.
func TestResolveAcrossMarks(t *testing.T) {
	dir := t.TempDir()
	n := 2*markEvery + 37
	rows := testRows(n, 3)
	var csv, labels strings.Builder
	csv.WriteString("label,x,y,z\n")
	for i, r := range rows {
		if i%100 == 0 {
			csv.WriteString("\n# a comment\n")
		}
		fmt.Fprintf(&csv, "l%d,%g,%g,%g\n", i%7, r[0], r[1], r[2])
		fmt.Fprintf(&labels, "m%d\n", i%5)
	}
	lpath := writeFile(t, dir, "labels.txt", []byte(labels.String()))
	for _, c := range []*Corpus{
		mustOpen(t, writeFile(t, dir, "emb.csv", []byte(csv.String())), "label-column", "label"),
		mustOpen(t, writeFile(t, dir, "emb.npy", npyF32(rows)), "labels", lpath),
		mustOpen(t, writeFile(t, dir, "emb.fvecs", fvecsBytes(rows)), "labels", lpath),
	} {
		recs := collect(t, c)
		if len(recs) != n || !reflect.DeepEqual(vectorsOf(recs), rows) {
			t.Fatalf("%s: vectors differ", c.name)
		}
		if s := c.Summary(); s.Items != n || len(s.Labels) == 0 {
			t.Errorf("%s: Summary = %v", c.name, s)
		}
		checkResolve(t, c, recs)
	}
}

func TestResolveRefusesBadRefs(t *testing.T) {
	c := mustOpen(t, writeFile(t, t.TempDir(), "emb.npy", npyF32(testRows(5, 2))))
	for _, ref := range []string{"", "emb.npy", "emb.npy:", "emb.npy:-1", "emb.npy:+1", "emb.npy:01",
		"emb.npy:5", "emb.npy:99999999999999999999", "other.npy:0", "emb.npy:1.0", " emb.npy:1", "emb.npy:1 ", "x/emb.npy:1"} {
		if _, err := c.Resolve(ref); !errors.Is(err, corpus.ErrNoRef) {
			t.Errorf("Resolve(%q) = %v, want ErrNoRef", ref, err)
		}
	}
	if r, err := c.Resolve("emb.npy:4"); err != nil || r.Ref != "emb.npy:4" {
		t.Errorf("Resolve(emb.npy:4) = %v, %v", r.Ref, err)
	}
}

// --- errors ---

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	good := f32Bytes(testRows(2, 3))
	for _, tc := range []struct {
		name string
		data []byte
		opts []string
		want []string // substrings of the error
		is   error
	}{
		{name: "magic.npy", data: []byte("\x93NUMPX\x01\x00\x10\x00{}"), want: []string{"magic.npy", "not a .npy file"}, is: corpus.ErrBadItem},
		{name: "short.npy", data: []byte("\x93NU"), want: []string{"short.npy", "not a .npy file"}},
		{name: "version.npy", data: npyBytes(npyFile{major: 4, descr: "<f4", shape: "(2, 3)", data: good}), want: []string{"version 4.0"}},
		{name: "bigendian.npy", data: npyBytes(npyFile{descr: ">f4", shape: "(2, 3)", data: good}), want: []string{"big-endian", `">f4"`}},
		{name: "dtype.npy", data: npyBytes(npyFile{descr: "<i4", shape: "(2, 3)", data: good}), want: []string{"\"<i4\" is not supported"}},
		{name: "pipe.npy", data: npyBytes(npyFile{descr: "|f4", shape: "(2, 3)", data: good}), want: []string{"not supported"}},
		{name: "fortran.npy", data: npyBytes(npyFile{descr: "<f4", fortran: true, shape: "(2, 3)", data: good}), want: []string{"Fortran order", "C order"}},
		{name: "3d.npy", data: npyBytes(npyFile{descr: "<f4", shape: "(1, 2, 3)", data: good}), want: []string{"3d.npy", "(1, 2, 3)", "2-D"}},
		{name: "1d.npy", data: npyBytes(npyFile{descr: "<f4", shape: "(6,)", data: good}), want: []string{"(6,) is 1-D"}},
		{name: "norows.npy", data: npyBytes(npyFile{descr: "<f4", shape: "(0, 3)"}), is: corpus.ErrEmpty},
		{name: "nodim.npy", data: npyBytes(npyFile{descr: "<f4", shape: "(2, 0)"}), want: []string{"dimension 0"}},
		{name: "hugedim.npy", data: npyBytes(npyFile{descr: "<f4", shape: "(1, 65537)"}), want: []string{"dimension 65537"}},
		{name: "truncated.npy", data: npyBytes(npyFile{descr: "<f4", shape: "(3, 3)", data: good}), want: []string{"truncated.npy", "truncated", "36 bytes", "24"}, is: corpus.ErrBadItem},
		{name: "huge.npy", data: npyBytes(npyFile{descr: "<f4", shape: "(1000000000000, 512)", data: good}), want: []string{"huge.npy", "truncated"}},
		{name: "overflow.npy", data: npyBytes(npyFile{descr: "<f8", shape: "(9223372036854775807, 65536)", data: good}), want: []string{"truncated", "9223372036854775807×524288"}},
		{name: "trailing.npy", data: append(npyBytes(npyFile{descr: "<f4", shape: "(2, 3)", data: good}), 0), want: []string{"trailing.npy", "1 trailing byte after"}},
		{name: "header.npy", data: npyBytes(npyFile{header: "{'descr': '<f4'}"}), want: []string{"no key"}},
		{name: "hdrlen.npy", data: []byte("\x93NUMPY\x01\x00\xff\x00{}"), want: []string{"the .npy header needs 265 bytes"}},

		{name: "empty.fvecs", data: nil, is: corpus.ErrEmpty},
		{name: "ragged.fvecs", data: fvecsBytes([][]float32{{1, 2}, {3, 4}, {5, 6, 7}, {8, 9}}), want: []string{"ragged.fvecs", "row 3", "dimension 3", "is 2"}, is: corpus.ErrBadItem},
		{name: "cut.fvecs", data: fvecsBytes([][]float32{{1, 2}, {3, 4}})[:20], want: []string{"cut.fvecs", "not a multiple"}},
		{name: "negdim.fvecs", data: []byte{0xff, 0xff, 0xff, 0xff}, want: []string{"dimension -1"}},

		{name: "empty.csv", data: []byte("\n# nothing\n"), is: corpus.ErrEmpty},
		{name: "onlyheader.csv", data: []byte("a,b\n"), is: corpus.ErrEmpty},
		{name: "nocol.csv", data: []byte("a,b\n1,2\n"), opts: []string{"label-column", "c"}, want: []string{"no such column", "a, b"}, is: corpus.ErrSpec},
		{name: "noheader.csv", data: []byte("1,2\n"), opts: []string{"label-column", "name"}, want: []string{"no such column"}},
		{name: "colrange.csv", data: []byte("1,2\n"), opts: []string{"label-column", "2"}, want: []string{"columns 0 to 1"}},
		{name: "samecol.csv", data: []byte("x,1,2\n"), opts: []string{"label-column", "0", "id-column", "0"}, want: []string{"same column"}},
		{name: "onlylabel.csv", data: []byte("x\n"), opts: []string{"label-column", "0"}, want: []string{"0 numeric columns"}},
		{name: "quote.csv", data: []byte("\"a,b\n"), want: []string{"line 1", "quoted field"}},

		{name: "emb.bin", data: good, want: []string{"unknown extension"}, is: corpus.ErrSpec},
		{name: "col.npy", data: npyBytes(npyFile{descr: "<f4", shape: "(2, 3)", data: good}), opts: []string{"label-column", "0"}, is: corpus.ErrSpec},
		{name: "both.csv", data: []byte("x,1\n"), opts: []string{"label-column", "0", "labels", "l.txt"}, is: corpus.ErrSpec},
		{name: "skip.csv", data: []byte("1\n"), opts: []string{"skip-bad", "maybe"}, is: corpus.ErrSpec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, tc.name, tc.data)
			c, err := openSpec(t, path, tc.opts...)
			if err == nil {
				_, err = corpus.Collect(context.Background(), c)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
		})
	}
	if _, err := openSpec(t, filepath.Join(dir, "missing.npy")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := openSpec(t, dir+"/sub.npy/"); err == nil {
		t.Errorf("folder: no error")
	}
}

// TestRowErrors checks errors about single rows: they name the file, the row (or line)
// and the column, and skip-bad skips them.
func TestRowErrors(t *testing.T) {
	dir := t.TempDir()
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	rows := [][]float32{{1, 2, 3}, {4, nan, 6}, {7, 8, 9}, {10, 11, float32(math.Inf(-1))}, {13, 14, 15}}
	for _, tc := range []struct {
		name string
		data []byte
		want []string
		kept []int // rows kept with skip-bad
	}{
		{"nan.npy", npyF32(rows), []string{"nan.npy: row 2: column 1: value is NaN (ref nan.npy:1)"}, []int{0, 2, 4}},
		{"nan.fvecs", fvecsBytes(rows), []string{"nan.fvecs: row 2: column 1: value is NaN (ref nan.fvecs:1)"}, []int{0, 2, 4}},
		{"inf.npy", npyF32([][]float32{{1, 2}, {3, inf}}), []string{"inf.npy: row 2: column 1: value is +Inf"}, []int{0}},
		{"f64.npy", npyBytes(npyFile{descr: "<f8", shape: "(3, 2)", data: f64Bytes([][]float64{{1, 1e300}, {math.Inf(-1), 0}, {5, 6}})}),
			[]string{"f64.npy: row 1: column 1: value 1e+300 is out of float32 range (ref f64.npy:0)"}, []int{2}},
		{"nan.csv", []byte("a,b\n1,2\n3,NaN\n5,6\n7,-inf\n"), []string{`nan.csv: line 3: column 1 ("b"): value is NaN (ref nan.csv:1)`}, []int{0, 2}},
		{"big.csv", []byte("1,2\n3,1e39\n"), []string{"big.csv: line 2: column 1: value 1e39 is out of float32 range"}, []int{0}},
		{"word.csv", []byte("1,2\n\n3,x\n5,6\n"), []string{`word.csv: line 3: column 1: "x" is not a number (ref word.csv:1)`}, []int{0, 2}},
		{"ragged.csv", []byte("1,2\n3,4,5\n6,7\n8\n"), []string{"ragged.csv: line 2: 3 fields, want 2 as in the first row (ref ragged.csv:1)"}, []int{0, 2}},
		{"ragged.txt", []byte("1 2\n3 4\n5\n"), []string{"ragged.txt: line 3: 1 fields, want 2"}, []int{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, tc.name, tc.data)
			c := mustOpen(t, path)
			_, err := corpus.Collect(context.Background(), c)
			var ie *corpus.ItemError
			if !errors.As(err, &ie) || ie.File != path {
				t.Fatalf("error %v, want an *ItemError naming %s", err, path)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			// Resolve reports the bad row too.
			for i := range c.Len() {
				_, err := c.Resolve(c.ref(i))
				if (err == nil) != slices.Contains(tc.kept, i) {
					t.Errorf("Resolve(%s) = %v; kept rows %v", c.ref(i), err, tc.kept)
				}
			}

			c = mustOpen(t, path, "skip-bad", "true")
			recs := collect(t, c)
			var refs []string
			for _, r := range recs {
				refs = append(refs, r.Ref)
			}
			var want []string
			for _, i := range tc.kept {
				want = append(want, c.ref(i))
			}
			if !slices.Equal(refs, want) {
				t.Errorf("skip-bad kept %v, want %v", refs, want)
			}
			s := c.Summary()
			if s.Items != len(tc.kept) || s.Skipped["bad rows"] != c.Len()-len(tc.kept) {
				t.Errorf("Summary = %+v, want %d items, %d bad rows", s, len(tc.kept), c.Len()-len(tc.kept))
			}
		})
	}
}

// TestFvecsRaggedSameSize has rows of other dimensions that keep the file size a
// multiple of the first row's: streaming finds them.
func TestFvecsRaggedSameSize(t *testing.T) {
	// Rows of 2, 1 and 3 floats: 12+8+16 = 36 bytes = 3 rows of 12.
	path := writeFile(t, t.TempDir(), "odd.fvecs", fvecsBytes([][]float32{{1, 2}, {3}, {4, 5, 6}}))
	for _, skip := range []string{"false", "true"} {
		c := mustOpen(t, path, "skip-bad", skip)
		_, err := corpus.Collect(context.Background(), c)
		if err == nil || !strings.Contains(err.Error(), "odd.fvecs: row 2: dimension 1") {
			t.Errorf("skip-bad=%s: error %v, want row 2 named", skip, err)
		}
		if _, err := c.Resolve("odd.fvecs:1"); err == nil || !strings.Contains(err.Error(), "row 2") {
			t.Errorf("Resolve: %v", err)
		}
	}
}

// TestChangedFile truncates a file after Open: streaming fails naming it.
func TestChangedFile(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"a.npy":   npyF32(testRows(10, 4)),
		"a.fvecs": fvecsBytes(testRows(10, 4)),
		"a.csv":   []byte(strings.Repeat("1,2\n", 10)),
	} {
		path := writeFile(t, dir, name, data)
		c := mustOpen(t, path)
		if err := os.Truncate(path, int64(len(data)/2)); err != nil {
			t.Fatal(err)
		}
		if _, err := corpus.Collect(context.Background(), c); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
}

// --- batches ---

func TestBatches(t *testing.T) {
	rows := testRows(10, 2)
	c := mustOpen(t, writeFile(t, t.TempDir(), "emb.npy", npyF32(rows)))
	for _, n := range []int{1, 3, 10, 11} {
		var sizes []int
		var kept []corpus.Record
		err := c.Batches(context.Background(), n, func(b []corpus.Record) error {
			sizes = append(sizes, len(b))
			kept = append(kept, b...)
			for i := range b { // scribbling on the batch must not reach the next
				b[i].Vector[0] = -1
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range sizes {
			if s != n && (i != len(sizes)-1 || s > n) {
				t.Errorf("n=%d: batch sizes %v", n, sizes)
				break
			}
		}
		if len(kept) != 10 {
			t.Fatalf("n=%d: %d records", n, len(kept))
		}
		for i, r := range kept {
			if r.Ref != c.ref(i) || r.Vector[0] != -1 || r.Vector[1] != rows[i][1] {
				t.Errorf("n=%d: record %d = %v %v", n, i, r.Ref, r.Vector)
			}
		}
	}
	if err := c.Batches(context.Background(), 0, func([]corpus.Record) error { return nil }); err == nil {
		t.Error("n=0: no error")
	}
	stop := errors.New("stop")
	calls := 0
	if err := c.Batches(context.Background(), 2, func([]corpus.Record) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("fn error: got %v after %d calls", err, calls)
	}
}

func TestBatchesCancel(t *testing.T) {
	c := mustOpen(t, writeFile(t, t.TempDir(), "emb.csv", []byte(strings.Repeat("1,2\n", 1000))))
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := c.Batches(ctx, 3, func([]corpus.Record) error {
		calls++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("cancel in fn: %v after %d calls", err, calls)
	}
	calls = 0
	if err := c.Batches(ctx, 3, func([]corpus.Record) error { calls++; return nil }); !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("cancelled before: %v after %d calls", err, calls)
	}
}

func TestSummaryRestartsEachPass(t *testing.T) {
	path := writeFile(t, t.TempDir(), "e.csv", []byte("l,x\na,1\nb,2\na,nan\n"))
	c := mustOpen(t, path, "label-column", "l", "skip-bad", "1")
	for range 2 {
		collect(t, c)
		s := c.Summary()
		if s.Items != 2 || !reflect.DeepEqual(s.Labels, map[string]int{"a": 1, "b": 1}) || s.Skipped["bad rows"] != 1 {
			t.Errorf("Summary = %+v", s)
		}
	}
	if got := c.Summary().String(); got != "2 items in 2 labels; skipped 1 bad rows" {
		t.Errorf("Summary.String() = %q", got)
	}
}

func TestDimOfOther(t *testing.T) {
	if _, ok := DimOf(nil); ok {
		t.Error("DimOf(nil) ok")
	}
}

func TestSplitFields(t *testing.T) {
	for _, tc := range []struct {
		line string
		sep  byte
		want []string
	}{
		{"1,2,3", ',', []string{"1", "2", "3"}},
		{" 1 , 2 ,", ',', []string{"1", "2", ""}},
		{",", ',', []string{"", ""}},
		{"", ',', []string{""}},
		{`"a,""b""" , 2`, ',', []string{`a,"b"`, "2"}},
		{"a\t b\t", '\t', []string{"a", "b", ""}},
		{"  1 \t 2  3 ", 0, []string{"1", "2", "3"}},
		{`"a b" "c"`, 0, []string{"a b", "c"}},
		{"", 0, nil},
	} {
		got, err := splitFields(nil, tc.line, tc.sep)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("splitFields(%q, %q) = %q, %v; want %q", tc.line, tc.sep, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		line string
		sep  byte
	}{{`"a`, ','}, {`"a"b,1`, ','}, {`"a"b 1`, 0}, {`1,"a""`, ','}} {
		if got, err := splitFields(nil, tc.line, tc.sep); err == nil {
			t.Errorf("splitFields(%q) = %q, want an error", tc.line, got)
		}
	}
}

// --- benchmark ---

// BenchmarkNpyStream streams a 100,000×128 float32 .npy file in batches of 256.
func BenchmarkNpyStream(b *testing.B) {
	const n, d = 100_000, 128
	data := make([]float32, n*d)
	for i := range data {
		data[i] = float32(i%1000) / 7
	}
	raw := make([]byte, 0, 4*len(data))
	for _, v := range data {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	path := writeFile(b, b.TempDir(), "bench.npy", npyBytes(npyFile{descr: "<f4", shape: fmt.Sprintf("(%d, %d)", n, d), data: raw}))
	data, raw = nil, nil
	c := mustOpen(b, path)
	b.SetBytes(int64(n * d * 4))
	b.ReportAllocs()
	passes := 0
	for b.Loop() {
		rows := 0
		err := c.Batches(context.Background(), 256, func(batch []corpus.Record) error {
			rows += len(batch)
			return nil
		})
		if err != nil || rows != n {
			b.Fatalf("%d rows, %v", rows, err)
		}
		passes++
	}
	b.ReportMetric(float64(passes*n)/b.Elapsed().Seconds(), "rows/s")
}

func nan() float64 { return math.NaN() }

// TestConcurrent runs passes and resolves at once (run with -race).
func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	rows := testRows(300, 4)
	labels := writeFile(t, dir, "l.txt", []byte(strings.Repeat("a\nb\nc\n", 100)))
	c := mustOpen(t, writeFile(t, dir, "emb.npy", npyF32(rows)), "labels", labels)
	done := make(chan error, 4)
	for g := range 4 {
		go func() {
			if g%2 == 0 {
				recs, err := corpus.Collect(context.Background(), c)
				if err == nil && !reflect.DeepEqual(vectorsOf(recs), rows) {
					err = errors.New("vectors differ")
				}
				done <- err
				return
			}
			for i := range 50 {
				r, err := c.Resolve(c.ref(i * 6))
				if err != nil || !slices.Equal(r.Vector, rows[i*6]) || r.Label != "a" {
					done <- fmt.Errorf("Resolve(%d) = %v, %v", i*6, r, err)
					return
				}
				_ = c.Summary()
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	if s := c.Summary(); s.Items != 300 || s.Labels["b"] != 100 {
		t.Errorf("Summary = %+v", s)
	}
}
