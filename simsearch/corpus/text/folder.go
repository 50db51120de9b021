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
	"strings"
	"sync"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

// docExtensions are the extensions (lower case) of the documents a folder holds.
var docExtensions = map[string]bool{".txt": true, ".md": true}

// folderCorpus is a folder of documents, an item per file.
type folderCorpus struct {
	spec    corpus.Spec
	files   corpus.Files // the documents, in walk order, and their labels
	skipBad bool
	walked  map[string]int // what the walk skipped, per reason
	labels  map[string]int // documents per label, as walked

	mu      sync.Mutex
	skipped map[int]string // documents skipped while reading, and why
}

var _ corpus.Corpus = (*folderCorpus)(nil)

func openFolder(spec corpus.Spec, labels string, skipBad bool) (*folderCorpus, error) {
	root := spec.Root
	w, err := corpus.WalkFiles(root, corpus.HasExt(docExtensions), corpus.WalkOptions{
		Source: "text", SkipUnreadable: skipBad, Unreadable: skipBadFile, Other: skipOther, Empty: skipEmptyFile,
	})
	if err != nil {
		return nil, err
	}
	c := &folderCorpus{spec: spec, files: corpus.Files{Root: root, Refs: w.Refs}, skipBad: skipBad, walked: w.Skipped, skipped: map[int]string{}}
	if len(w.Refs) == 0 {
		what := ""
		if len(c.walked) > 0 {
			what = " (" + strings.TrimPrefix(corpus.Summary{Skipped: c.walked}.String(), "0 items; ") + ")"
		}
		return nil, fmt.Errorf("text: %w: no .txt or .md files in %s%s", corpus.ErrEmpty, root, what)
	}
	if c.files.Labelled, err = corpus.FolderLabels("text", w.Refs, labels, root); err != nil {
		return nil, err
	}
	if c.files.Labelled {
		c.labels = map[string]int{}
		for _, ref := range c.files.Refs {
			c.labels[c.files.Label(ref)]++
		}
	}
	return c, nil
}

func (c *folderCorpus) Spec() corpus.Spec { return c.spec }
func (c *folderCorpus) Kind() corpus.Kind { return corpus.Text }

// Len is the number of documents the walk found; those found empty or bad while
// streaming are counted in Summary.
func (c *folderCorpus) Len() int { return len(c.files.Refs) }

// Summary counts the documents the walk found less those skipped so far (as empty or
// bad) while streaming or resolving, and what was skipped.
func (c *folderCorpus) Summary() corpus.Summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := corpus.Summary{Items: len(c.files.Refs) - len(c.skipped)}
	if c.labels != nil {
		s.Labels = maps.Clone(c.labels)
	}
	if len(c.walked) > 0 || len(c.skipped) > 0 {
		s.Skipped = maps.Clone(c.walked)
	}
	for i, why := range c.skipped {
		s.Skipped[why]++
		if s.Labels != nil {
			l := c.files.Label(c.files.Refs[i])
			if s.Labels[l]--; s.Labels[l] == 0 {
				delete(s.Labels, l)
			}
		}
	}
	return s
}

// read reads document i. A document of white space only gives ok false.
func (c *folderCorpus) read(i int) (rec corpus.Record, ok bool, err error) {
	ref := c.files.Refs[i]
	path := c.files.Path(ref)
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
	return corpus.Record{Item: corpus.Item{Ref: ref, Label: c.files.Label(ref)}, Text: text}, true, nil
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
	b := corpus.NewBatcher(ctx, n, len(c.files.Refs), fn)
	for i := range c.files.Refs {
		if b.Len() == 0 {
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
		if err := b.Add(rec); err != nil {
			return err
		}
	}
	return b.Flush()
}

// Resolve reads the document a reference names. It must be one of the corpus's
// documents: references outside the root, to hidden files, other files or files added
// since Open are refused with corpus.ErrNoRef, and so is an empty document.
func (c *folderCorpus) Resolve(ref string) (corpus.Record, error) {
	clean, i, err := c.files.Find(ref)
	if err != nil {
		return corpus.Record{}, err
	}
	if i < 0 {
		return corpus.Record{}, fmt.Errorf("%w: %q is not a document of %s", corpus.ErrNoRef, ref, c.files.Root)
	}
	rec, ok, err := c.read(i)
	if err != nil {
		return corpus.Record{}, err
	}
	if !ok {
		return corpus.Record{}, fmt.Errorf("%w: %s is empty", corpus.ErrNoRef, c.files.Path(clean))
	}
	return rec, nil
}
