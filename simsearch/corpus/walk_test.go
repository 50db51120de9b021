package corpus

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeTree writes files (slash paths relative to a new temporary root) and returns the root.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(data), 0o644))
	}
	return root
}

func TestWalkFiles(t *testing.T) {
	root := writeTree(t, map[string]string{
		"b/2.txt":        "x",
		"a/sub/1.txt":    "x",
		"a/0.TXT":        "x",
		"a/empty.txt":    "",
		"top.txt":        "x",
		"notes.md":       "x",
		".hidden.txt":    "x",
		".git/x.txt":     "x",
		"a/.DS_Store":    "x",
		"elsewhere/y.md": "x",
	})
	if err := os.Symlink(filepath.Join(root, "b", "2.txt"), filepath.Join(root, "link.txt")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	must(t, os.Symlink(filepath.Join(root, "elsewhere"), filepath.Join(root, "linkdir")))
	must(t, os.Symlink(filepath.Join(root, "gone"), filepath.Join(root, "broken.txt")))
	must(t, os.Symlink(filepath.Join(root, "a", "empty.txt"), filepath.Join(root, "linkempty.txt")))

	w, err := WalkFiles(root, HasExt(map[string]bool{".txt": true}), WalkOptions{Source: "test", Empty: "empty files"})
	if err != nil {
		t.Fatal(err)
	}
	wantRefs := []string{"a/0.TXT", "a/sub/1.txt", "b/2.txt", "link.txt", "top.txt"}
	if w.Root != root || !reflect.DeepEqual(w.Refs, wantRefs) {
		t.Errorf("walk %s, refs %q; want %s, %q", w.Root, w.Refs, root, wantRefs)
	}
	wantSkipped := map[string]int{
		SkipHidden: 3, SkipLinkedFolder: 1, SkipBrokenLink: 1,
		"empty files": 2, // a/empty.txt and the link to it
		"other files": 2, // notes.md, elsewhere/y.md
	}
	if !reflect.DeepEqual(w.Skipped, wantSkipped) {
		t.Errorf("skipped %v, want %v", w.Skipped, wantSkipped)
	}

	// Without Empty, empty files are kept; a root that is a link is walked where it points.
	link := filepath.Join(t.TempDir(), "root")
	must(t, os.Symlink(filepath.Join(root, "a"), link))
	w, err = WalkFiles(link, nil, WalkOptions{Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"0.TXT", "empty.txt", "sub/1.txt"}; w.Root != filepath.Join(root, "a") || !reflect.DeepEqual(w.Refs, want) {
		t.Errorf("walk of a link: %s, %q; want %q", w.Root, w.Refs, want)
	}
	if !reflect.DeepEqual(w.Skipped, map[string]int{SkipHidden: 1}) {
		t.Errorf("walk of a link skipped %v", w.Skipped)
	}

	// An empty folder walks to nothing, with a non-nil Skipped.
	w, err = WalkFiles(t.TempDir(), nil, WalkOptions{Source: "test"})
	if err != nil || len(w.Refs) != 0 || w.Skipped == nil {
		t.Errorf("empty folder: %+v, %v", w, err)
	}
}

func TestWalkFilesErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := WalkFiles(missing, nil, WalkOptions{Source: "test", SkipUnreadable: true})
	if err == nil || !strings.HasPrefix(err.Error(), "test: walking "+missing+": ") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing root: %v", err)
	}

	if os.Geteuid() == 0 {
		t.Skip("root reads every folder")
	}
	root := writeTree(t, map[string]string{"ok/a.txt": "x", "locked/b.txt": "x"})
	locked := filepath.Join(root, "locked")
	must(t, os.Chmod(locked, 0))
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	if _, err := WalkFiles(root, nil, WalkOptions{Source: "test"}); err == nil || !strings.Contains(err.Error(), "test: walking "+root) {
		t.Errorf("unreadable folder without SkipUnreadable: %v", err)
	}
	w, err := WalkFiles(root, nil, WalkOptions{Source: "test", SkipUnreadable: true, Unreadable: "bad files"})
	if err != nil || !reflect.DeepEqual(w.Refs, []string{"ok/a.txt"}) || !reflect.DeepEqual(w.Skipped, map[string]int{"bad files": 1}) {
		t.Errorf("unreadable folder with SkipUnreadable: %+v, %v", w, err)
	}
}

func TestFolderLabels(t *testing.T) {
	nested := []string{"cats/a.png", "dogs/2019/b.png"}
	loose := []string{"cats/a.png", "c.png"}
	for _, tc := range []struct {
		mode string
		refs []string
		want bool
		err  string
	}{
		{LabelsAuto, nested, true, ""},
		{LabelsAuto, loose, false, ""},
		{LabelsFolders, nested, true, ""},
		{LabelsFolders, loose, false, "src: labels=folders but " + filepath.Join("root", "c.png") + " lies directly in root, not in a subfolder"},
		{LabelsNone, nested, false, ""},
	} {
		got, err := FolderLabels("src", tc.refs, tc.mode, "root")
		if tc.err != "" {
			if !errors.Is(err, ErrSpec) || !strings.HasSuffix(err.Error(), tc.err) {
				t.Errorf("%s %q: %v, want %q", tc.mode, tc.refs, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %q: %v, %v; want %v", tc.mode, tc.refs, got, err, tc.want)
		}
	}
}

func TestFiles(t *testing.T) {
	f := &Files{Root: "root", Refs: []string{"cats/a.png", "dogs/2019/b.png"}}
	if got := f.Label("dogs/2019/b.png"); got != "" {
		t.Errorf("Label unlabelled = %q", got)
	}
	f.Labelled = true
	if got := f.Label("dogs/2019/b.png"); got != "dogs" {
		t.Errorf("Label = %q", got)
	}
	if got, want := f.Path("dogs/2019/b.png"), filepath.Join("root", "dogs", "2019", "b.png"); got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
	for _, tc := range []struct {
		ref, clean string
		i          int
	}{
		{"cats/a.png", "cats/a.png", 0},
		{"dogs/./2019//b.png", "dogs/2019/b.png", 1},
		{"cats/../dogs/2019/b.png", "dogs/2019/b.png", 1},
		{"cats/missing.png", "cats/missing.png", -1},
		{"cats", "cats", -1},
	} {
		clean, i, err := f.Find(tc.ref)
		if err != nil || clean != tc.clean || i != tc.i {
			t.Errorf("Find(%q) = %q, %d, %v; want %q, %d", tc.ref, clean, i, err, tc.clean, tc.i)
		}
	}
	for _, ref := range []string{"../x.png", "..", "cats/../../x.png"} {
		if _, i, err := f.Find(ref); !errors.Is(err, ErrNoRef) || i != -1 {
			t.Errorf("Find(%q): %d, %v; want ErrNoRef", ref, i, err)
		}
	}
}

func TestOptions(t *testing.T) {
	spec := func(kv ...string) Spec {
		s := Spec{Source: "x", Root: "r", Options: map[string]string{}}
		for i := 0; i < len(kv); i += 2 {
			s.Options[kv[i]] = kv[i+1]
		}
		return s
	}
	for _, tc := range []struct {
		v    string
		want bool
		err  bool
	}{{"", false, false}, {" ", false, false}, {"true", true, false}, {" 1 ", true, false}, {"FALSE", false, false}, {"maybe", false, true}} {
		got, err := BoolOption(spec(OptSkipBad, tc.v), "src", OptSkipBad)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("skip-bad=%q: %v, %v", tc.v, got, err)
		}
		if err != nil && (!errors.Is(err, ErrSpec) || !strings.HasSuffix(err.Error(), `: src: skip-bad="maybe": want true or false`)) {
			t.Errorf("skip-bad=%q: %v", tc.v, err)
		}
	}
	if got, err := BoolOption(spec(), "src", OptSkipBad); got || err != nil {
		t.Errorf("unset: %v, %v", got, err)
	}

	all := []string{LabelsAuto, LabelsNone, LabelsFolders}
	for _, tc := range []struct {
		v, want string
		allowed []string
		err     string
	}{
		{"", LabelsAuto, all, ""},
		{" Folders ", LabelsFolders, all, ""},
		{"NONE", LabelsNone, nil, ""},
		{"whatever", "whatever", nil, ""},
		{"x", "x", all, `src: labels="x": want auto, none or folders`},
		{"folders", "folders", all[:2], `src: labels="folders": want auto or none`},
		{"none", "none", all[:1], `src: labels="none": want auto`},
	} {
		got, err := LabelsMode(spec(OptLabels, tc.v), "src", tc.allowed...)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && (!errors.Is(err, ErrSpec) || !strings.HasSuffix(err.Error(), ": "+tc.err)) {
			t.Errorf("labels=%q %q: %q, %v; want %q, %q", tc.v, tc.allowed, got, err, tc.want, tc.err)
		}
	}
	if got, err := LabelsMode(spec(), "src", all...); got != LabelsAuto || err != nil {
		t.Errorf("unset labels: %q, %v", got, err)
	}
}

func TestBatcher(t *testing.T) {
	rec := func(i int) Record { return Record{Item: Item{Ref: string(rune('a' + i))}} }
	var got [][]string
	collect := func(b []Record) error {
		var refs []string
		for _, r := range b {
			refs = append(refs, r.Ref)
		}
		got = append(got, refs)
		return nil
	}
	b := NewBatcher(context.Background(), 2, 5, collect)
	for i := range 5 {
		must(t, b.Add(rec(i)))
	}
	if b.Len() != 1 {
		t.Errorf("Len = %d before Flush, want 1", b.Len())
	}
	must(t, b.Flush())
	must(t, b.Flush()) // nothing left: fn is not called again
	if want := [][]string{{"a", "b"}, {"c", "d"}, {"e"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("batches %q, want %q", got, want)
	}

	stop := errors.New("stop")
	b = NewBatcher(context.Background(), 1, 0, func([]Record) error { return stop })
	if err := b.Add(rec(0)); err != stop {
		t.Errorf("fn's error: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	b = NewBatcher(ctx, 3, 3, func([]Record) error { called = true; return nil })
	must(t, b.Add(rec(0)))
	if err := b.Flush(); !errors.Is(err, context.Canceled) || called {
		t.Errorf("cancelled: %v, fn called %v", err, called)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
