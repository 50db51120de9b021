// Package corpus is what corpushunt searches: a collection of items (images, texts or
// vectors), each with a reference that locates its payload relative to the corpus root,
// an optional label and optional metadata.
//
// A corpus is opened from a Spec by a source registered under a name, the way
// image.RegisterFormat plugs decoders into package image. The generic sources live in
// the sub-packages images (a folder of image files), text (a text file, a folder of
// documents, CSV/TSV or JSONL) and vectors (.npy, .fvecs, CSV of numbers); datasets such
// as CIFAR-10 register their own. Importing a source package registers it:
//
//	import _ "github.com/corpushunt/corpushunt/simsearch/corpus/images"
//
//	c, err := corpus.Open(corpus.Spec{Source: "images", Root: "photos/"})
//	err = c.Batches(ctx, 256, func(b []corpus.Record) error { ...; return nil })
//
// A corpus streams its records in a fixed order (memory O(batch)), knows its length up
// front, and resolves a reference back to its payload, so galleries and lists work for
// any corpus. Bad input is an error naming the file and the record (*ItemError); with the
// skip-bad option the source skips it and counts it in the Summary instead.
package corpus

import (
	"context"
	"errors"
	"fmt"
	"image"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Kind is what an item's payload is.
type Kind string

const (
	Image  Kind = "image"
	Text   Kind = "text"
	Vector Kind = "vector"
)

// Item is one element of a corpus, without its payload.
type Item struct {
	// Ref locates the payload relative to the corpus root: "cats/001.png",
	// "tickets.csv:12" (a row), "app.log:42" (a line), "emb.npy:7" (a row). Stable: the
	// same corpus always gives an item the same reference.
	Ref   string            `json:"ref"`
	Label string            `json:"label,omitempty"` // "" when unlabelled
	Meta  map[string]string `json:"meta,omitempty"`  // other fields, e.g. CSV columns
}

// Record is an item with its payload; only the field of the corpus's Kind is set.
type Record struct {
	Item
	Image  image.Image // Kind Image: decoded, at its own size
	Text   string      // Kind Text
	Vector []float32   // Kind Vector
}

// Spec says how to open a corpus. It is recorded in index manifests, so a saved index
// can find its items' payloads again (Root may be re-pointed when the data moves).
type Spec struct {
	Source  string            `json:"source"`            // registered source name
	Root    string            `json:"root"`              // the file or folder opened
	Options map[string]string `json:"options,omitempty"` // source options, e.g. "text-column"
}

// Option returns an option's value, or def when unset.
func (s Spec) Option(name, def string) string {
	if v, ok := s.Options[name]; ok {
		return v
	}
	return def
}

// String writes the spec as Parse reads it: source:root?opt=value&...
func (s Spec) String() string {
	out := s.Source + ":" + s.Root
	if len(s.Options) > 0 {
		v := url.Values{}
		for k, x := range s.Options {
			v.Set(k, x)
		}
		out += "?" + v.Encode()
	}
	return out
}

// ParseSpec reads "source:root" with optional "?opt=value&..." options, e.g.
// "images:photos/", "text:tickets.csv?text-column=body&label-column=team",
// "cifar10:train".
func ParseSpec(s string) (Spec, error) {
	src, rest, ok := strings.Cut(s, ":")
	if !ok || src == "" {
		return Spec{}, fmt.Errorf("%w: %q: want source:root (sources: %s)", ErrSpec, s, strings.Join(Sources(), ", "))
	}
	sp := Spec{Source: src, Root: rest}
	if root, q, ok := strings.Cut(rest, "?"); ok {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return Spec{}, fmt.Errorf("%w: %q: options: %v", ErrSpec, s, err)
		}
		sp.Root, sp.Options = root, map[string]string{}
		for k, v := range vals {
			sp.Options[k] = v[len(v)-1]
		}
	}
	return sp, nil
}

// Corpus is an opened collection of items.
type Corpus interface {
	Spec() Spec
	Kind() Kind
	// Len is the number of items Batches will yield (items skipped as bad excepted,
	// which are counted in Summary once streamed).
	Len() int
	// Batches calls fn with consecutive records, n at a time (the last batch may be
	// shorter), in a fixed order. The batch slice may be reused once fn returns; the
	// records' payloads are not, so they may be kept. It stops at the first error from fn or from reading, and when ctx is cancelled.
	Batches(ctx context.Context, n int, fn func(batch []Record) error) error
	// Resolve returns the record a reference names.
	Resolve(ref string) (Record, error)
	// Summary describes what was read so far: items, labels, what was skipped and why.
	Summary() Summary
}

// Summary counts what a corpus held and skipped.
type Summary struct {
	Items   int            `json:"items"`
	Labels  map[string]int `json:"labels,omitempty"`  // items per label
	Skipped map[string]int `json:"skipped,omitempty"` // skipped files or records per reason
}

// SkippedTotal is the number of skipped files and records.
func (s Summary) SkippedTotal() int {
	n := 0
	for _, c := range s.Skipped {
		n += c
	}
	return n
}

// String is a one-line account, e.g. "1,204 items in 3 labels; skipped 2 hidden files, 1 bad image".
func (s Summary) String() string {
	out := fmt.Sprintf("%d items", s.Items)
	if len(s.Labels) > 0 {
		out += fmt.Sprintf(" in %d labels", len(s.Labels))
	}
	if len(s.Skipped) > 0 {
		var parts []string
		for _, r := range slices.Sorted(maps.Keys(s.Skipped)) {
			parts = append(parts, fmt.Sprintf("%d %s", s.Skipped[r], r))
		}
		out += "; skipped " + strings.Join(parts, ", ")
	}
	return out
}

// Sentinel errors, matchable with errors.Is.
var (
	ErrSpec          = errors.New("bad corpus spec")
	ErrUnknownSource = errors.New("unknown corpus source")
	ErrBadItem       = errors.New("bad item")
	ErrNoRef         = errors.New("no such item reference")
	ErrEmpty         = errors.New("corpus holds no items")
)

// ItemError names the file and the record (line, row; 0 when the whole file is bad) of
// bad input. errors.Is(err, ErrBadItem) is true for it.
type ItemError struct {
	File   string
	Record int    // 1-based line or row; 0 for the whole file
	What   string // "line", "row", "record"; default "record"
	Err    error
}

func (e *ItemError) Error() string {
	if e.Record > 0 {
		what := e.What
		if what == "" {
			what = "record"
		}
		return fmt.Sprintf("%s: %s %d: %v", e.File, what, e.Record, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ItemError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrBadItem) true.
func (e *ItemError) Is(target error) bool { return target == ErrBadItem }

// Options every source understands.
const (
	// OptSkipBad ("true") skips bad files and records, counting them in the Summary,
	// instead of failing on the first one.
	OptSkipBad = "skip-bad"
	// OptLabels says where labels come from: "auto" (the source's default), "none", or a
	// source-specific way such as "folders" (the first-level subfolder of each file).
	OptLabels = "labels"
)

// BoolOption reads a true/false option of spec (as strconv.ParseBool does), false when
// unset or blank. Any other value is an error wrapping ErrSpec that names source, e.g.
// `images: skip-bad="maybe": want true or false`.
func BoolOption(spec Spec, source, name string) (bool, error) {
	v := strings.TrimSpace(spec.Option(name, ""))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%w: %s: %s=%q: want true or false", ErrSpec, source, name, v)
	}
	return b, nil
}

// LabelsMode reads spec's OptLabels option, trimmed and in lower case; LabelsAuto when
// unset or blank. When allowed lists modes, any other is an error wrapping ErrSpec that
// names source and them, e.g. `images: labels="x": want auto, none or folders`; the mode
// is returned with that error too, for a source to word a refusal of its own.
func LabelsMode(spec Spec, source string, allowed ...string) (string, error) {
	mode := strings.ToLower(strings.TrimSpace(spec.Option(OptLabels, LabelsAuto)))
	if mode == "" {
		mode = LabelsAuto
	}
	if len(allowed) == 0 || slices.Contains(allowed, mode) {
		return mode, nil
	}
	want := allowed[len(allowed)-1]
	if len(allowed) > 1 {
		want = strings.Join(allowed[:len(allowed)-1], ", ") + " or " + want
	}
	return mode, fmt.Errorf("%w: %s: %s=%q: want %s", ErrSpec, source, OptLabels, mode, want)
}

// Opener opens a corpus from a spec.
type Opener func(spec Spec) (Corpus, error)

type source struct {
	kind Kind
	open Opener
	doc  string
}

var (
	regMu   sync.RWMutex
	sources = map[string]source{}
)

// Register makes a source available by name to Open. doc is a one-line description for
// help texts. Registering a name twice panics (a programming error, as in package image).
func Register(name string, kind Kind, doc string, open Opener) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := sources[name]; dup {
		panic("corpus: source " + name + " registered twice")
	}
	sources[name] = source{kind, open, doc}
}

// Sources lists the registered source names, sorted.
func Sources() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Describe returns a registered source's kind and one-line description.
func Describe(name string) (Kind, string, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	s, ok := sources[name]
	return s.kind, s.doc, ok
}

// Open opens the corpus a spec names.
func Open(spec Spec) (Corpus, error) {
	regMu.RLock()
	s, ok := sources[spec.Source]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (registered: %s)", ErrUnknownSource, spec.Source, strings.Join(Sources(), ", "))
	}
	return s.open(spec)
}

// Rel returns path relative to root with forward slashes, for references.
func Rel(root, path string) string {
	r, err := filepath.Rel(root, path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(r)
}

// Resolve joins a reference's path part to root, refusing references that leave it.
func Resolve(root, rel string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(rel))
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: %q lies outside the corpus root", ErrNoRef, rel)
	}
	return filepath.Join(root, clean), nil
}

// Collect reads a whole corpus into memory: for small corpora, tests and notebooks.
func Collect(ctx context.Context, c Corpus) ([]Record, error) {
	var out []Record
	err := c.Batches(ctx, 256, func(b []Record) error {
		out = append(out, b...)
		return nil
	})
	return out, err
}

// Namer turns what follows a registered dataset name ("train" in "cifar10:train", "" for
// the bare name) into the spec of that dataset, located where its package looks for data.
type Namer func(arg string) (Spec, error)

var (
	namesMu sync.RWMutex
	names   = map[string]Namer{}
)

// RegisterName makes a dataset openable by a short name ("cifar10", "cifar10:test",
// "yelp"), as its package decides. Registering a name twice panics.
func RegisterName(name string, fn Namer) {
	namesMu.Lock()
	defer namesMu.Unlock()
	if _, dup := names[name]; dup {
		panic("corpus: name " + name + " registered twice")
	}
	names[name] = fn
}

// Named resolves "name" or "name:arg" for a registered dataset name; ok is false when
// what names none.
func Named(what string) (sp Spec, ok bool, err error) {
	name, arg, _ := strings.Cut(what, ":")
	namesMu.RLock()
	fn, ok := names[name]
	namesMu.RUnlock()
	if !ok {
		return Spec{}, false, nil
	}
	sp, err = fn(arg)
	return sp, true, err
}
