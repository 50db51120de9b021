package text

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// writeFile writes content to dir/name, making folders, and returns the path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// spec makes a spec of root with options given as name, value pairs.
func spec(root string, opts ...string) corpus.Spec {
	s := corpus.Spec{Source: "text", Root: root}
	if len(opts) > 0 {
		s.Options = map[string]string{}
		for i := 0; i+1 < len(opts); i += 2 {
			s.Options[opts[i]] = opts[i+1]
		}
	}
	return s
}

func mustOpen(t testing.TB, root string, opts ...string) corpus.Corpus {
	t.Helper()
	c, err := corpus.Open(spec(root, opts...))
	if err != nil {
		t.Fatalf("Open(%s): %v", root, err)
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

func refs(recs []corpus.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Ref)
	}
	return out
}

func texts(recs []corpus.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Text)
	}
	return out
}

// checkResolve checks that every record resolves to itself.
func checkResolve(t *testing.T, c corpus.Corpus, recs []corpus.Record) {
	t.Helper()
	for _, want := range recs {
		got, err := c.Resolve(want.Ref)
		if err != nil {
			t.Errorf("Resolve(%q): %v", want.Ref, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Resolve(%q) = %+v, want %+v", want.Ref, got, want)
		}
	}
}

// checkNoRef checks that Resolve refuses refs with corpus.ErrNoRef.
func checkNoRef(t *testing.T, c corpus.Corpus, refs ...string) {
	t.Helper()
	for _, ref := range refs {
		if _, err := c.Resolve(ref); !errors.Is(err, corpus.ErrNoRef) {
			t.Errorf("Resolve(%q) = %v, want ErrNoRef", ref, err)
		}
	}
}

func TestRegistered(t *testing.T) {
	kind, doc, ok := corpus.Describe("text")
	if !ok || kind != corpus.Text || !strings.Contains(doc, "JSONL") {
		t.Errorf("Describe(text) = %v, %q, %v", kind, doc, ok)
	}
}

func TestLines(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "app.log", "\ufeffalpha\r\nbeta \r\n\r\n   \n\tgamma  delta\n\n\nlast without newline")
	c := mustOpen(t, p)
	if c.Kind() != corpus.Text || c.Len() != 4 {
		t.Fatalf("Kind, Len = %v, %d; want text, 4", c.Kind(), c.Len())
	}
	recs := collect(t, c)
	if got, want := refs(recs), []string{"app.log:1", "app.log:2", "app.log:5", "app.log:8"}; !slices.Equal(got, want) {
		t.Errorf("refs = %q, want %q", got, want)
	}
	if got, want := texts(recs), []string{"alpha", "beta ", "\tgamma  delta", "last without newline"}; !slices.Equal(got, want) {
		t.Errorf("texts = %q, want %q", got, want)
	}
	for _, r := range recs {
		if r.Label != "" || r.Meta != nil {
			t.Errorf("%s: label %q, meta %v; want none", r.Ref, r.Label, r.Meta)
		}
	}
	if s := c.Summary(); s.Items != 4 || s.Labels != nil || s.Skipped != nil {
		t.Errorf("Summary = %+v", s)
	}
	checkResolve(t, c, recs)
	checkNoRef(t, c, "../x", "../app.log:1", "app.log:3", "app.log:4", "app.log:0", "app.log:9", "app.log:-1",
		"app.log:x", "app.log", "other.log:1", "/app.log:1")
}

func TestFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "cats/a.md", "# Cats\n\nThey purr.\n")
	writeFile(t, dir, "cats/deep/b.TXT", "  nested cat  \r\n")
	writeFile(t, dir, "dogs/c.txt", "\ufeffWoof.")
	writeFile(t, dir, "dogs/blank.md", " \n\t\n")
	writeFile(t, dir, "dogs/empty.txt", "")
	writeFile(t, dir, "dogs/.hidden.txt", "secret")
	writeFile(t, dir, ".git/notes.txt", "hidden folder")
	writeFile(t, dir, "dogs/photo.png", "\x89PNG")

	c := mustOpen(t, dir)
	if c.Len() != 4 {
		t.Errorf("Len = %d, want 4 (blank.md counted until read)", c.Len())
	}
	recs := collect(t, c)
	if got, want := refs(recs), []string{"cats/a.md", "cats/deep/b.TXT", "dogs/c.txt"}; !slices.Equal(got, want) {
		t.Errorf("refs = %q, want %q", got, want)
	}
	if got, want := texts(recs), []string{"# Cats\n\nThey purr.", "nested cat", "Woof."}; !slices.Equal(got, want) {
		t.Errorf("texts = %q, want %q", got, want)
	}
	want := corpus.Summary{
		Items:   3,
		Labels:  map[string]int{"cats": 2, "dogs": 1},
		Skipped: map[string]int{"hidden files": 2, "other files": 1, "empty files": 2},
	}
	// A second pass counts nothing twice.
	collect(t, c)
	if got := c.Summary(); !reflect.DeepEqual(got, want) {
		t.Errorf("Summary = %+v, want %+v", got, want)
	}
	checkResolve(t, c, recs)
	checkNoRef(t, c, "../x", "../cats/a.md", "cats/missing.md", "dogs/.hidden.txt", "dogs/photo.png",
		"dogs/empty.txt", "dogs/blank.md", "/cats/a.md")
	if r, err := c.Resolve("cats/./a.md"); err != nil || r.Ref != "cats/a.md" {
		t.Errorf("Resolve(cats/./a.md) = %q, %v", r.Ref, err)
	}

	if recs := collect(t, mustOpen(t, dir, "labels", "none")); recs[0].Label != "" {
		t.Errorf("labels=none: label %q", recs[0].Label)
	}

	// A document directly in the root: auto means unlabelled, folders is an error.
	writeFile(t, dir, "top.txt", "top level")
	c = mustOpen(t, dir)
	for _, r := range collect(t, c) {
		if r.Label != "" {
			t.Errorf("%s: label %q, want none", r.Ref, r.Label)
		}
	}
	if c.Summary().Labels != nil {
		t.Errorf("Summary.Labels = %v, want nil", c.Summary().Labels)
	}
	if _, err := corpus.Open(spec(dir, "labels", "folders")); !errors.Is(err, corpus.ErrSpec) || !strings.Contains(err.Error(), "top.txt") {
		t.Errorf("labels=folders with top.txt: %v", err)
	}
}

func TestCSV(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "tickets.csv", "\ufeffid,text,team,score\r\n"+
		"1,\"Hello, world\",billing,0.5\r\n"+
		"2,\"multi\nline \"\"quoted\"\"\",support,1\r\n"+
		"\r\n"+
		"3,  ,billing,2\r\n"+
		"4,plain,,3\r\n")
	c := mustOpen(t, p, "text-column", "text", "label-column", "team")
	if c.Len() != 3 {
		t.Fatalf("Len = %d, want 3", c.Len())
	}
	recs := collect(t, c)
	want := []corpus.Record{
		{Item: corpus.Item{Ref: "tickets.csv:1", Label: "billing", Meta: map[string]string{"id": "1", "score": "0.5"}}, Text: "Hello, world"},
		{Item: corpus.Item{Ref: "tickets.csv:2", Label: "support", Meta: map[string]string{"id": "2", "score": "1"}}, Text: "multi\nline \"quoted\""},
		{Item: corpus.Item{Ref: "tickets.csv:4", Meta: map[string]string{"id": "4", "score": "3"}}, Text: "plain"},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records:\n%+v\nwant\n%+v", recs, want)
	}
	wantSum := corpus.Summary{Items: 3, Labels: map[string]int{"billing": 1, "support": 1}, Skipped: map[string]int{"empty texts": 1}}
	if got := c.Summary(); !reflect.DeepEqual(got, wantSum) {
		t.Errorf("Summary = %+v, want %+v", got, wantSum)
	}
	checkResolve(t, c, recs)
	checkNoRef(t, c, "../x", "tickets.csv:0", "tickets.csv:3", "tickets.csv:5", "tickets.csv:99", "x.csv:1")

	// labels=none ignores the label column, which then lands in Meta.
	recs = collect(t, mustOpen(t, p, "text-column", "text", "label-column", "team", "labels", "none"))
	if recs[0].Label != "" || recs[0].Meta["team"] != "billing" {
		t.Errorf("labels=none: %+v", recs[0])
	}
}

func TestTSVAndDelimiter(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "data.tsv", "id\tbody\tlabel\n1\tsays \"hi\" twice\tx\n2\tsecond, with comma\ty\n")
	c := mustOpen(t, p, "text-column", "body", "label-column", "label")
	recs := collect(t, c)
	if got, want := texts(recs), []string{`says "hi" twice`, "second, with comma"}; !slices.Equal(got, want) {
		t.Errorf("texts = %q, want %q", got, want)
	}
	if got, want := refs(recs), []string{"data.tsv:1", "data.tsv:2"}; !slices.Equal(got, want) {
		t.Errorf("refs = %q, want %q", got, want)
	}
	if recs[1].Label != "y" || recs[1].Meta["id"] != "2" {
		t.Errorf("record 2 = %+v", recs[1])
	}
	checkResolve(t, c, recs)

	p = writeFile(t, dir, "semi.csv", "a;b\nx,1;one\ny,2;two\n")
	recs = collect(t, mustOpen(t, p, "text-column", "a", "delimiter", ";"))
	if got, want := texts(recs), []string{"x,1", "y,2"}; !slices.Equal(got, want) {
		t.Errorf("delimiter ;: texts = %q, want %q", got, want)
	}
	p = writeFile(t, dir, "tabs.txt", "a\tb\nx\t1\n")
	recs = collect(t, mustOpen(t, p, "format", "csv", "text-column", "b", "delimiter", "tab"))
	if got := texts(recs); !slices.Equal(got, []string{"1"}) || recs[0].Ref != "tabs.txt:1" {
		t.Errorf("format=csv delimiter=tab: %+v", recs)
	}
	if _, err := corpus.Open(spec(p, "format", "csv", "text-column", "b", "delimiter", "ab")); !errors.Is(err, corpus.ErrSpec) {
		t.Errorf("delimiter=ab: %v, want ErrSpec", err)
	}
}

func TestJSONL(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "docs.jsonl",
		`{"text":"first doc","label":"x","n":1e3,"f":2.5,"big":12345678901234567890,"tiny":1e-9,"ok":true,"name":"ann","nested":{"a":1},"list":[1],"nil":null}`+"\n"+
			"\n"+
			`  {"label":7,"text":"second \u00e9"}  `+"\r\n"+
			`{"text":"","label":"x"}`+"\n"+
			`{"text":"no label"}`)
	c := mustOpen(t, p, "label-field", "label")
	if c.Len() != 3 {
		t.Fatalf("Len = %d, want 3", c.Len())
	}
	recs := collect(t, c)
	want := []corpus.Record{
		{Item: corpus.Item{Ref: "docs.jsonl:1", Label: "x", Meta: map[string]string{
			"n": "1000", "f": "2.5", "big": "12345678901234567890", "tiny": "1e-09", "ok": "true", "name": "ann"}}, Text: "first doc"},
		{Item: corpus.Item{Ref: "docs.jsonl:3", Label: "7"}, Text: "second é"},
		{Item: corpus.Item{Ref: "docs.jsonl:5"}, Text: "no label"},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records:\n%+v\nwant\n%+v", recs, want)
	}
	wantSum := corpus.Summary{Items: 3, Labels: map[string]int{"x": 1, "7": 1}, Skipped: map[string]int{"empty texts": 1}}
	if got := c.Summary(); !reflect.DeepEqual(got, wantSum) {
		t.Errorf("Summary = %+v, want %+v", got, wantSum)
	}
	checkResolve(t, c, recs)
	checkNoRef(t, c, "../x", "docs.jsonl:2", "docs.jsonl:4", "docs.jsonl:6", "docs.jsonl:1x")

	p = writeFile(t, dir, "body.ndjson", `{"body":"b","text":1}`+"\n")
	recs = collect(t, mustOpen(t, p, "text-field", "body"))
	if len(recs) != 1 || recs[0].Text != "b" || recs[0].Meta["text"] != "1" || recs[0].Ref != "body.ndjson:1" {
		t.Errorf("text-field=body: %+v", recs)
	}
}

func TestErrors(t *testing.T) {
	long := strings.Repeat("x", MaxLine+1)
	for _, tc := range []struct {
		name, file, content string
		opts                []string
		is                  error  // errors.Is
		record              int    // ItemError.Record, when an ItemError
		what                string // ItemError.What
		msg                 []string
	}{
		{"utf8 line", "bad.txt", "ok\nbad \xff here\n", nil, corpus.ErrBadItem, 2, "line", []string{"bad.txt", "line 2", "invalid UTF-8"}},
		{"utf8 csv", "bad.csv", "a,b\n1,ok\n2,\"x\xc3\"\n", []string{"text-column", "b"}, corpus.ErrBadItem, 2, "row", []string{"bad.csv", "row 2", "invalid UTF-8", `"b"`}},
		{"utf8 csv header", "bad.csv", "a,\xffb\n1,ok\n", []string{"text-column", "a"}, corpus.ErrBadItem, 1, "line", []string{"bad.csv", "header", "invalid UTF-8"}},
		{"utf8 jsonl", "bad.jsonl", "{\"text\":\"ok\"}\n{\"text\":\"\xfe\"}\n", nil, corpus.ErrBadItem, 2, "line", []string{"bad.jsonl", "line 2", "invalid UTF-8"}},
		{"ragged csv", "r.csv", "a,b\n1,2\n3\n4,5\n", []string{"text-column", "b"}, corpus.ErrBadItem, 2, "row", []string{"r.csv", "row 2", "line 3", "1 fields, the header has 2"}},
		{"ragged csv long", "r.csv", "a,b\n1,2,3\n", []string{"text-column", "b"}, corpus.ErrBadItem, 1, "row", []string{"r.csv", "row 1"}},
		{"bad quote", "q.csv", "a,b\n1,x\"y\n", []string{"text-column", "b"}, corpus.ErrBadItem, 1, "row", []string{"q.csv", "row 1", "quote"}},
		{"unterminated quote", "q.csv", "a,b\n1,ok\n2,\"open\n3,x\n", []string{"text-column", "b"}, corpus.ErrBadItem, 2, "row", []string{"q.csv", "row 2"}},
		{"unknown column", "t.csv", "id,body,team\n1,x,y\n", []string{"text-column", "text"}, corpus.ErrSpec, 0, "", []string{`text-column="text"`, "t.csv", `"id", "body", "team"`}},
		{"no text column", "t.csv", "id,body\n1,x\n", nil, corpus.ErrSpec, 0, "", []string{"text-column", `"id", "body"`}},
		{"unknown label column", "t.csv", "id,body\n1,x\n", []string{"text-column", "body", "label-column", "team"}, corpus.ErrSpec, 0, "", []string{"label-column", `"id", "body"`}},
		{"empty txt", "e.txt", "", nil, corpus.ErrEmpty, 0, "", []string{"e.txt"}},
		{"blank txt", "e.txt", "\n \r\n\t\n", nil, corpus.ErrEmpty, 0, "", []string{"e.txt"}},
		{"empty csv", "e.csv", "", []string{"text-column", "a"}, corpus.ErrEmpty, 0, "", []string{"e.csv"}},
		{"header only csv", "e.csv", "a,b\n", []string{"text-column", "a"}, corpus.ErrEmpty, 0, "", []string{"e.csv"}},
		{"empty texts csv", "e.csv", "a,b\n,1\n", []string{"text-column", "a"}, corpus.ErrEmpty, 0, "", []string{"e.csv", "1 empty texts"}},
		{"empty jsonl", "e.jsonl", "\n\n", nil, corpus.ErrEmpty, 0, "", []string{"e.jsonl"}},
		{"jsonl array", "a.jsonl", "{\"text\":\"ok\"}\n[1,2]\n", nil, corpus.ErrBadItem, 2, "line", []string{"a.jsonl", "line 2", "an array"}},
		{"jsonl no field", "a.jsonl", "{\"body\":\"x\"}\n", nil, corpus.ErrBadItem, 1, "line", []string{"a.jsonl", "line 1", `no "text" field`}},
		{"jsonl number text", "a.jsonl", "{\"text\":42}\n", nil, corpus.ErrBadItem, 1, "line", []string{"line 1", "a number, not a string"}},
		{"jsonl bad json", "a.jsonl", "{\"text\":\"x\"\n", nil, corpus.ErrBadItem, 1, "line", []string{"line 1", "bad JSON"}},
		{"jsonl label object", "a.jsonl", "{\"text\":\"x\",\"l\":{}}\n", []string{"label-field", "l"}, corpus.ErrBadItem, 1, "line", []string{"label field"}},
		{"long line", "l.txt", "ok\n" + long + "\nok\n", nil, corpus.ErrBadItem, 2, "line", []string{"l.txt", "line 2", "too long"}},
		{"unknown option", "o.txt", "x\n", []string{"text-colum", "a"}, corpus.ErrSpec, 0, "", []string{`"text-colum"`}},
		{"option of another format", "o.txt", "x\n", []string{"text-column", "a"}, corpus.ErrSpec, 0, "", []string{`"text-column"`}},
		{"labels folders on file", "o.txt", "x\n", []string{"labels", "folders"}, corpus.ErrSpec, 0, "", []string{"folder"}},
		{"bad skip-bad", "o.txt", "x\n", []string{"skip-bad", "maybe"}, corpus.ErrSpec, 0, "", []string{"skip-bad"}},
		{"bad format", "o.txt", "x\n", []string{"format", "xml"}, corpus.ErrSpec, 0, "", []string{"format"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), tc.file, tc.content)
			_, err := corpus.Open(spec(p, tc.opts...))
			if !errors.Is(err, tc.is) {
				t.Fatalf("Open: %v, want %v", err, tc.is)
			}
			for _, m := range tc.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q lacks %q", err, m)
				}
			}
			var ie *corpus.ItemError
			if errors.As(err, &ie) != (tc.is == corpus.ErrBadItem) {
				t.Fatalf("error %T %v: ItemError %v, want %v", err, err, ie != nil, tc.is == corpus.ErrBadItem)
			}
			if ie != nil && (ie.File != p || ie.Record != tc.record || ie.What != tc.what) {
				t.Errorf("ItemError{%s, %d, %s}, want {%s, %d, %s}", ie.File, ie.Record, ie.What, p, tc.record, tc.what)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		_, err := corpus.Open(spec(filepath.Join(t.TempDir(), "nope.txt")))
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nope.txt") {
			t.Errorf("Open: %v", err)
		}
	})
	t.Run("empty folder", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "a.png", "x")
		writeFile(t, dir, ".b.txt", "x")
		_, err := corpus.Open(spec(dir))
		if !errors.Is(err, corpus.ErrEmpty) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "1 hidden files, 1 other files") {
			t.Errorf("Open: %v", err)
		}
	})
	t.Run("folder utf8", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "a.txt", "fine")
		p := writeFile(t, dir, "b.md", "line one\nline two \xc0\n")
		c := mustOpen(t, dir)
		_, err := corpus.Collect(context.Background(), c)
		var ie *corpus.ItemError
		if !errors.As(err, &ie) || ie.File != p || ie.Record != 2 || ie.What != "line" || !errors.Is(err, errInvalidUTF8) {
			t.Errorf("Collect: %v", err)
		}
		if _, err := c.Resolve("b.md"); !errors.As(err, &ie) {
			t.Errorf("Resolve(b.md): %v", err)
		}
	})
}

func TestSkipBad(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		file, content string
		opts          []string
		refs          []string
		skipped       map[string]int
	}{
		{"a.txt", "one\n\xff\n" + strings.Repeat("y", MaxLine+10) + "\r\n\ntwo\n", nil,
			[]string{"a.txt:1", "a.txt:5"}, map[string]int{"bad lines": 2}},
		{"b.csv", "t,l\nok,1\nragged\n\"x\xff\",2\nbad\"quote,3\n,4\nfine,5\n", []string{"text-column", "t", "label-column", "l"},
			[]string{"b.csv:1", "b.csv:6"}, map[string]int{"bad rows": 3, "empty texts": 1}},
		{"c.jsonl", "[1]\n{\"text\":\"a\"}\n\"s\"\n{\"text\":null}\n{\"x\":1}\n{\"text\":\"b\"}\n{\"text\":\" \"}\n", nil,
			[]string{"c.jsonl:2", "c.jsonl:6"}, map[string]int{"bad lines": 4, "empty texts": 1}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p := writeFile(t, dir, tc.file, tc.content)
			if _, err := corpus.Open(spec(p, tc.opts...)); !errors.Is(err, corpus.ErrBadItem) {
				t.Errorf("without skip-bad: %v, want an ItemError", err)
			}
			c := mustOpen(t, p, append(tc.opts, "skip-bad", "true")...)
			if c.Len() != len(tc.refs) {
				t.Errorf("Len = %d, want %d", c.Len(), len(tc.refs))
			}
			recs := collect(t, c)
			if got := refs(recs); !slices.Equal(got, tc.refs) {
				t.Errorf("refs = %q, want %q", got, tc.refs)
			}
			if got := c.Summary(); got.Items != len(tc.refs) || !reflect.DeepEqual(got.Skipped, tc.skipped) {
				t.Errorf("Summary = %+v, want skipped %v", got, tc.skipped)
			}
			checkResolve(t, c, recs)
		})
	}

	t.Run("folder", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "x/a.txt", "good")
		writeFile(t, dir, "x/b.txt", "\xff")
		writeFile(t, dir, "y/c.txt", "\xfe")
		writeFile(t, dir, "y/d.txt", "also good")
		c := mustOpen(t, dir, "skip-bad", "true")
		recs := collect(t, c)
		if got, want := refs(recs), []string{"x/a.txt", "y/d.txt"}; !slices.Equal(got, want) {
			t.Errorf("refs = %q, want %q", got, want)
		}
		want := corpus.Summary{Items: 2, Labels: map[string]int{"x": 1, "y": 1}, Skipped: map[string]int{"bad files": 2}}
		if got := c.Summary(); !reflect.DeepEqual(got, want) {
			t.Errorf("Summary = %+v, want %+v", got, want)
		}
	})
}

func TestBatches(t *testing.T) {
	dir := t.TempDir()
	var lines, csvRows, jsonl strings.Builder
	csvRows.WriteString("n,text\n")
	for i := range 10 {
		fmt.Fprintf(&lines, "line %d\n", i)
		fmt.Fprintf(&csvRows, "%d,row %d\n", i, i)
		fmt.Fprintf(&jsonl, "{\"text\":\"doc %d\"}\n", i)
		writeFile(t, dir, fmt.Sprintf("docs/%02d.txt", i), fmt.Sprintf("file %d", i))
	}
	corpora := map[string]corpus.Corpus{
		"lines":  mustOpen(t, writeFile(t, dir, "l.txt", lines.String())),
		"csv":    mustOpen(t, writeFile(t, dir, "c.csv", csvRows.String()), "text-column", "text"),
		"jsonl":  mustOpen(t, writeFile(t, dir, "j.jsonl", jsonl.String())),
		"folder": mustOpen(t, filepath.Join(dir, "docs")),
	}
	for name, c := range corpora {
		t.Run(name, func(t *testing.T) {
			first := collect(t, c)
			if len(first) != 10 || c.Len() != 10 {
				t.Fatalf("%d records, Len %d; want 10", len(first), c.Len())
			}
			for i, r := range first {
				if !strings.HasSuffix(r.Text, fmt.Sprint(i)) {
					t.Errorf("record %d: %q out of order", i, r.Text)
				}
			}
			var sizes []int
			var again []corpus.Record
			err := c.Batches(context.Background(), 3, func(b []corpus.Record) error {
				sizes = append(sizes, len(b))
				again = append(again, b...)
				return nil
			})
			if err != nil || !slices.Equal(sizes, []int{3, 3, 3, 1}) || !reflect.DeepEqual(again, first) {
				t.Errorf("Batches(3): %v, sizes %v, same records %v", err, sizes, reflect.DeepEqual(again, first))
			}

			ctx, cancel := context.WithCancel(context.Background())
			calls := 0
			err = c.Batches(ctx, 4, func(b []corpus.Record) error {
				calls++
				cancel()
				return nil
			})
			if !errors.Is(err, context.Canceled) || calls != 1 {
				t.Errorf("cancelled after the first batch: %v after %d calls", err, calls)
			}
			calls = 0
			if err := c.Batches(ctx, 4, func([]corpus.Record) error { calls++; return nil }); !errors.Is(err, context.Canceled) || calls != 0 {
				t.Errorf("cancelled before: %v after %d calls", err, calls)
			}

			stop := errors.New("stop")
			if err := c.Batches(context.Background(), 2, func([]corpus.Record) error { return stop }); err != stop {
				t.Errorf("fn error: %v, want %v", err, stop)
			}
			if err := c.Batches(context.Background(), 0, func([]corpus.Record) error { return nil }); err == nil {
				t.Error("Batches(0) gave no error")
			}
			if err := c.Batches(context.Background(), 1000, func(b []corpus.Record) error {
				if len(b) != 10 {
					t.Errorf("Batches(1000): batch of %d", len(b))
				}
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestChangedFile(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.txt", "one\ntwo\nthree\n")
	c := mustOpen(t, p)
	// Appending is fine: the new lines are not read.
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "four")
	f.Close()
	if recs := collect(t, c); len(recs) != 3 {
		t.Errorf("after appending: %d records, want 3", len(recs))
	}
	writeFile(t, dir, "a.txt", "one\n\ntwo\n")
	if _, err := corpus.Collect(context.Background(), c); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("after rewriting: %v, want a changed-file error", err)
	}
}

func TestLineReader(t *testing.T) {
	// Lines around the buffer size and the limit, with \r\n split across reads.
	const max = 40
	in := strings.Repeat("a", 15) + "\r\n" + strings.Repeat("b", 40) + "\r\n" + strings.Repeat("c", 41) + "\n" + "\r\n" + strings.Repeat("d", 100) + "\nend"
	lr := lineReader{r: bufio.NewReaderSize(strings.NewReader(in), 16), max: max}
	type got struct {
		line  string
		num   int64
		start int64
		err   error
	}
	var all []got
	for {
		line, err := lr.next()
		if err != nil && err != errLineTooLong {
			break
		}
		all = append(all, got{string(line), lr.num, lr.start, err})
	}
	want := []got{
		{strings.Repeat("a", 15), 1, 0, nil},
		{strings.Repeat("b", 40), 2, 17, nil},
		{"", 3, 59, errLineTooLong},
		{"", 4, 101, nil},
		{"", 5, 103, errLineTooLong},
		{"end", 6, 204, nil},
	}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("lines:\n%v\nwant\n%v", all, want)
	}
}

func TestIndex(t *testing.T) {
	var x index
	nums := []int64{1, 2, 3, 5, 6, 9, 20, 21}
	for i, n := range nums {
		x.add(n, int64(i*10))
	}
	if len(x.runs) != 4 {
		t.Errorf("%d runs, want 4", len(x.runs))
	}
	for i, n := range nums {
		if got := x.num(i); got != n {
			t.Errorf("num(%d) = %d, want %d", i, got, n)
		}
		if got, ok := x.find(n); !ok || got != i {
			t.Errorf("find(%d) = %d, %v; want %d", n, got, ok, i)
		}
	}
	for _, n := range []int64{0, 4, 7, 8, 10, 19, 22, 100} {
		if i, ok := x.find(n); ok {
			t.Errorf("find(%d) = %d, want none", n, i)
		}
	}
}

// BenchmarkLines opens a generated 1,000,000-line log and streams it through Batches.
// Run with -benchtime 1x.
func BenchmarkLines(b *testing.B) {
	const n = 1_000_000
	p := filepath.Join(b.TempDir(), "big.log")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range n {
		fmt.Fprintf(w, "2024-01-15T10:%02d:%02d INFO request %d served in %dms\n", i/60%60, i%60, i, i%997)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(p)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c := mustOpen(b, p)
		got := 0
		err := c.Batches(context.Background(), 512, func(batch []corpus.Record) error {
			got += len(batch)
			return nil
		})
		if err != nil || got != n {
			b.Fatalf("Batches: %v, %d records", err, got)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
