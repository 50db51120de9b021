package tags

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLogRoundTripTornLineAndRounds(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(Mark{Tag: "ship", Ref: "a.png", Positive: true}, Mark{Tag: "ship", Ref: "b.png"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(Mark{Tag: "ship", Ref: "c.png", Positive: true}, Mark{Tag: "ship", Ref: "b.png", Remove: true}, Mark{Tag: "car", Ref: "b.png", Positive: true}); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of an Add leaves a torn line: ignored, then cut by the next Add.
	f, _ := os.OpenFile(filepath.Join(dir, FileName), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"tag":"ship","ref":"d.p`)
	f.Close()
	l2, err := Open(dir)
	if err != nil {
		t.Fatalf("reading a log with a torn last line: %v", err)
	}
	if got := l2.Labels("ship"); len(got) != 2 || !got["a.png"] || !got["c.png"] {
		t.Errorf("ship labels %v", got)
	}
	if err := l2.Add(Mark{Tag: "ship", Ref: "e.png"}); err != nil {
		t.Fatal(err)
	}
	l3, err := Open(dir)
	if err != nil {
		t.Fatalf("after appending past a torn line: %v", err)
	}
	c := l3.Tags()
	if len(c) != 2 || c[0] != (Count{"car", 1, 0}) || c[1] != (Count{"ship", 2, 1}) {
		t.Errorf("counts %+v", c)
	}
	r := l3.Rounds("ship")
	if len(r) != 3 || r[0].Positive != 1 || r[0].Negative != 1 || r[1].Positive != 1 || r[2].Negative != 1 || r[0].Precision() != 0.5 {
		t.Errorf("rounds %+v", r)
	}
	for _, bad := range []string{"", ".hidden", "a/b", "../x", "tab\t"} {
		if err := l3.Add(Mark{Tag: bad, Ref: "x"}); !errors.Is(err, ErrTag) {
			t.Errorf("tag %q: %v", bad, err)
		}
	}
	// A damaged middle line is an error naming the line, not silently dropped marks.
	os.WriteFile(filepath.Join(dir, FileName), []byte("{\"tag\":\"ship\",\"ref\":\"a\",\"positive\":true}\nnot json\n{\"tag\":\"ship\",\"ref\":\"b\"}\n"), 0o644)
	if _, err := Open(dir); err == nil {
		t.Error("a damaged line in the middle of the log was accepted")
	}
}

func FuzzLog(f *testing.F) {
	f.Add([]byte("{\"tag\":\"ship\",\"ref\":\"a\",\"positive\":true}\n"))
	f.Add([]byte("{\"tag\":\"ship\",\"ref\":\"a\",\"remove\":true}\n{\"tag\""))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, FileName), b, 0o644)
		l, err := Open(dir)
		if err != nil {
			return
		}
		for _, c := range l.Tags() {
			if CheckTag(c.Tag) != nil || c.Positive+c.Negative == 0 {
				t.Errorf("bad count %+v", c)
			}
		}
		if err := l.Add(Mark{Tag: "x", Ref: "r", Positive: true}); err != nil {
			t.Fatalf("append to a log that opened: %v", err)
		}
		if l2, err := Open(dir); err != nil || !l2.Labels("x")["r"] {
			t.Fatalf("reopen after append: %v", err)
		}
	})
}
