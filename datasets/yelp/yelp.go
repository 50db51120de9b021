package yelp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/corpushunt/corpushunt/datasets"
)

// Sentiment labels.
const (
	NoLabel  = -1
	Negative = 0
	Positive = 1
)

// LabelName returns "negative", "positive" or "" for NoLabel.
func LabelName(l int) string {
	switch l {
	case Negative:
		return "negative"
	case Positive:
		return "positive"
	}
	return ""
}

// ErrBadData is matched (errors.Is) by every *FormatError.
var ErrBadData = errors.New("bad Yelp data")

// FormatError names the file and line (1-based; 0 when about the whole file).
type FormatError struct {
	File   string
	Line   int
	Reason string
}

func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("yelp: %s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("yelp: %s: %s", e.File, e.Reason)
}

// Is makes errors.Is(err, ErrBadData) true.
func (e *FormatError) Is(target error) bool { return target == ErrBadData }

// File is one sentence file of the corpus.
type File struct {
	Path  string
	Name  string // path relative to the corpus directory, e.g. "sentiment.dev.0"
	Label int    // sentiment label of every line, or NoLabel
	Lines int
}

// Ref locates one sentence: file (relative name) and 1-based line.
type Ref struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

func (r Ref) String() string { return fmt.Sprintf("%s:%d", r.File, r.Line) }

// Sentence is one line of the corpus.
type Sentence struct {
	Text  string
	Label int
	Ref   Ref
}

// Tokens splits the sentence on spaces (the corpus is already tokenised).
func (s Sentence) Tokens() []string { return strings.Fields(s.Text) }

// Corpus is an opened Yelp directory.
type Corpus struct {
	Dir   string
	Files []File // sorted by name
}

// LabelOf returns the sentiment label implied by a file name relative to the corpus.
func LabelOf(name string) int {
	name = filepath.ToSlash(name)
	switch {
	case strings.HasPrefix(name, "sentiment.") && strings.HasSuffix(name, ".0"):
		return Negative
	case strings.HasPrefix(name, "sentiment.") && strings.HasSuffix(name, ".1"):
		return Positive
	case strings.HasPrefix(name, "sentiment/") && strings.HasSuffix(name, ".neg"):
		return Negative
	case strings.HasPrefix(name, "sentiment/") && strings.HasSuffix(name, ".pos"):
		return Positive
	}
	return NoLabel
}

// Hint tells users how to provide the corpus.
const Hint = "Provide the Yelp sentences with --data DIR or $CORPUSHUNT_DATA pointing at a folder " +
	"holding yelp/ (sentiment.dev.0 ... from github.com/shentianxiao/language-style-transfer data/yelp)."

// Find locates the corpus among datasets.Roots(explicit).
func Find(explicit string) (string, error) {
	return datasets.Find("Yelp sentences", datasets.Roots(explicit), []string{"yelp", "."}, func(d string) bool {
		_, err := os.Stat(filepath.Join(d, "sentiment.dev.0"))
		if err == nil {
			return true
		}
		_, err = os.Stat(filepath.Join(d, "valid.txt"))
		return err == nil && !strings.Contains(d, "cifar")
	}, Hint)
}

// Locate finds and opens the corpus.
func Locate(explicit string) (*Corpus, error) {
	dir, err := Find(explicit)
	if err != nil {
		return nil, err
	}
	return Open(dir)
}

// Open lists the corpus files under dir with their line counts.
func Open(dir string) (*Corpus, error) {
	c := &Corpus{Dir: dir}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") || strings.HasSuffix(d.Name(), ".md") {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		n, err := countLines(p)
		if err != nil {
			return err
		}
		c.Files = append(c.Files, File{Path: p, Name: filepath.ToSlash(rel), Label: LabelOf(rel), Lines: n})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("yelp: %w", err)
	}
	if len(c.Files) == 0 {
		return nil, &FormatError{File: dir, Reason: "no sentence files"}
	}
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].Name < c.Files[j].Name })
	return c, nil
}

// File returns the named file (relative name, e.g. "sentiment.dev.0").
func (c *Corpus) File(name string) (File, error) {
	for _, f := range c.Files {
		if f.Name == name {
			return f, nil
		}
	}
	return File{}, fmt.Errorf("yelp: %s has no file %q", c.Dir, name)
}

func countLines(p string) (int, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	n := bytes.Count(b, []byte{'\n'})
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n, nil
}

// Read returns the sentences of f. Lines must be valid UTF-8 and non-empty; a bad line is
// a *FormatError naming file and line, unless skipBad, which drops it and counts it.
func Read(f File, skipBad bool) (sents []Sentence, skipped int, err error) {
	fh, err := os.Open(f.Path)
	if err != nil {
		return nil, 0, fmt.Errorf("yelp: %w", err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		var reason string
		switch {
		case !utf8.Valid(b):
			reason = "not valid UTF-8"
		case len(bytes.TrimSpace(b)) == 0:
			reason = "empty line"
		}
		if reason != "" {
			if skipBad {
				skipped++
				continue
			}
			return nil, skipped, &FormatError{File: f.Path, Line: line, Reason: reason}
		}
		sents = append(sents, Sentence{Text: string(bytes.TrimSpace(b)), Label: f.Label, Ref: Ref{File: f.Name, Line: line}})
	}
	if err := sc.Err(); err != nil {
		return nil, skipped, &FormatError{File: f.Path, Line: line + 1, Reason: err.Error()}
	}
	if line == 0 {
		return nil, 0, &FormatError{File: f.Path, Reason: "empty file"}
	}
	return sents, skipped, nil
}

// Tokenize turns a typed sentence into the corpus's conventions: lower case, words and
// punctuation separated by single spaces ("The food was COLD!" → the food was cold !).
func Tokenize(s string) []string {
	var toks []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsSpace(r): // as strings.Fields splits the corpus (NBSP, \v, \f too)
			flush()
		case strings.ContainsRune(".,!?;:()\"", r):
			flush()
			toks = append(toks, string(r))
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}
