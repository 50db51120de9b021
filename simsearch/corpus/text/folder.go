package text

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// docExtensions are the extensions (lower case) of the documents a folder holds.
var docExtensions = map[string]bool{".txt": true, ".md": true}

// folderCorpus is a folder of documents, an item per file.
type folderCorpus struct {
	spec    corpus.Spec
	root    string
	refs    []string // slash-separated paths relative to root, in walk order
	folders bool     // labels are first-level subfolder names
	skipBad bool
	walked  map[string]int // what the walk skipped, per reason
	labels  map[string]int // documents per label, as walked

	mu      sync.Mutex
	skipped map[int]string // documents skipped while reading, and why

	indexOnce sync.Once
	index     map[string]int
}

var _ corpus.Corpus = (*folderCorpus)(nil)

func openFolder(spec corpus.Spec, labels string, skipBad bool) (*folderCorpus, error) {
	root := spec.Root
	walkRoot := root
	if lst, err := os.Lstat(root); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
		if walkRoot, err = filepath.EvalSymlinks(root); err != nil {
			return nil, fmt.Errorf("text: %w", err)
		}
	}
	c := &folderCorpus{spec: spec, root: root, skipBad: skipBad, walked: map[string]int{}, skipped: map[int]string{}}
	err := filepath.WalkDir(walkRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path != walkRoot && skipBad {
				c.walked[skipBadFile]++
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			return fmt.Errorf("text: walking %s: %w", root, err)
		}
		if path == walkRoot {
			return nil
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") {
			c.walked[skipHidden]++
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		var size int64 = -1
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Stat(path)
			switch {
			case err != nil:
				c.walked[skipBrokenLink]++
				return nil
			case target.IsDir():
				c.walked[skipLinkedDir]++
				return nil
			case !target.Mode().IsRegular():
				c.walked[skipOther]++
				return nil
			}
			size = target.Size()
		} else if !d.Type().IsRegular() {
			c.walked[skipOther]++
			return nil
		}
		if !docExtensions[strings.ToLower(filepath.Ext(name))] {
			c.walked[skipOther]++
			return nil
		}
		if size < 0 {
			if info, err := d.Info(); err == nil {
				size = info.Size()
			}
		}
		if size == 0 {
			c.walked[skipEmptyFile]++
			return nil
		}
		c.refs = append(c.refs, corpus.Rel(walkRoot, path))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(c.refs) == 0 {
		what := ""
		if len(c.walked) > 0 {
			what = " (" + strings.TrimPrefix(corpus.Summary{Skipped: c.walked}.String(), "0 items; ") + ")"
		}
		return nil, fmt.Errorf("text: %w: no .txt or .md files in %s%s", corpus.ErrEmpty, root, what)
	}
	switch labels {
	case labelsFolders:
		for _, ref := range c.refs {
			if !strings.Contains(ref, "/") {
				return nil, fmt.Errorf("%w: text: %s=folders but %s lies directly in %s, not in a subfolder",
					corpus.ErrSpec, corpus.OptLabels, c.path(ref), root)
			}
		}
		c.folders = true
	case labelsAuto:
		c.folders = true
		for _, ref := range c.refs {
			if !strings.Contains(ref, "/") {
				c.folders = false
				break
			}
		}
	}
	if c.folders {
		c.labels = map[string]int{}
		for _, ref := range c.refs {
			c.labels[c.label(ref)]++
		}
	}
	return c, nil
}

func (c *folderCorpus) Spec() corpus.Spec { return c.spec }
func (c *folderCorpus) Kind() corpus.Kind { return corpus.Text }

// Len is the number of documents the walk found; those found empty or bad while
// streaming are counted in Summary.
func (c *folderCorpus) Len() int { return len(c.refs) }

// Summary counts the documents the walk found less those skipped so far (as empty or
// bad) while streaming or resolving, and what was skipped.
func (c *folderCorpus) Summary() corpus.Summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := corpus.Summary{Items: len(c.refs) - len(c.skipped)}
	if c.labels != nil {
		s.Labels = maps.Clone(c.labels)
	}
	if len(c.walked) > 0 || len(c.skipped) > 0 {
		s.Skipped = maps.Clone(c.walked)
	}
	for i, why := range c.skipped {
		s.Skipped[why]++
		if s.Labels != nil {
			l := c.label(c.refs[i])
			if s.Labels[l]--; s.Labels[l] == 0 {
				delete(s.Labels, l)
			}
		}
	}
	return s
}

func (c *folderCorpus) label(ref string) string {
	if !c.folders {
		return ""
	}
	dir, _, _ := strings.Cut(ref, "/")
	return dir
}

func (c *folderCorpus) path(ref string) string {
	return filepath.Join(c.root, filepath.FromSlash(ref))
}

// read reads document i. A document of white space only gives ok false.
func (c *folderCorpus) read(i int) (rec corpus.Record, ok bool, err error) {
	ref := c.refs[i]
	path := c.path(ref)
	data, err := readFile(path, MaxDocument)
	if err != nil {
		return rec, false, &corpus.ItemError{File: path, Err: err}
	}
	if at := invalidAt(data); at >= 0 {
		line := 1 + bytes.Count(data[:at], []byte{'\n'})
		return rec, false, &corpus.ItemError{File: path, Record: line, What: "line", Err: errInvalidUTF8}
	}
	text := strings.TrimSpace(strings.TrimPrefix(string(data), bom))
	if text == "" {
		return rec, false, nil
	}
	return corpus.Record{Item: corpus.Item{Ref: ref, Label: c.label(ref)}, Text: text}, true, nil
}

// readFile reads a file of at most max bytes.
func readFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if st, err := f.Stat(); err == nil && st.Size() <= max {
		buf.Grow(int(st.Size()) + 1)
	}
	n, err := io.Copy(&buf, io.LimitReader(f, max+1))
	if err != nil {
		return nil, unwrapPath(err)
	}
	if n > max {
		return nil, fmt.Errorf("larger than %d MiB", max>>20)
	}
	return buf.Bytes(), nil
}

// unwrapPath drops the path from an *fs.PathError, which ItemError names already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// note records that document i was skipped.
func (c *folderCorpus) note(i int, why string) {
	c.mu.Lock()
	c.skipped[i] = why
	c.mu.Unlock()
}

// Batches reads the documents in walk order, n at a time. Documents of white space only
// are skipped and counted as "empty files"; with skip-bad, bad ones as "bad files".
func (c *folderCorpus) Batches(ctx context.Context, n int, fn func(batch []corpus.Record) error) error {
	if n < 1 {
		return fmt.Errorf("text: batch size %d: want at least 1", n)
	}
	batch := make([]corpus.Record, 0, min(n, len(c.refs)))
	for i := range c.refs {
		if len(batch) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, ok, err := c.read(i)
		switch {
		case err != nil && c.skipBad:
			c.note(i, skipBadFile)
			continue
		case err != nil:
			return err
		case !ok:
			c.note(i, skipEmptyFile)
			continue
		}
		batch = append(batch, rec)
		if len(batch) == n {
			if err := fn(batch); err != nil {
				return err
			}
			clear(batch)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(batch)
	}
	return nil
}

// Resolve reads the document a reference names. It must be one of the corpus's
// documents: references outside the root, to hidden files, other files or files added
// since Open are refused with corpus.ErrNoRef, and so is an empty document.
func (c *folderCorpus) Resolve(ref string) (corpus.Record, error) {
	if _, err := corpus.Resolve(c.root, ref); err != nil {
		return corpus.Record{}, err
	}
	clean := filepath.ToSlash(filepath.Clean(filepath.FromSlash(ref)))
	c.indexOnce.Do(func() {
		c.index = make(map[string]int, len(c.refs))
		for i, r := range c.refs {
			c.index[r] = i
		}
	})
	i, ok := c.index[clean]
	if !ok {
		return corpus.Record{}, fmt.Errorf("%w: %q is not a document of %s", corpus.ErrNoRef, ref, c.root)
	}
	rec, ok, err := c.read(i)
	if err != nil {
		return corpus.Record{}, err
	}
	if !ok {
		return corpus.Record{}, fmt.Errorf("%w: %s is empty", corpus.ErrNoRef, c.path(clean))
	}
	return rec, nil
}
