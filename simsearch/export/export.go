// Package export writes chosen items of an index to a labelled folder tree, ready to
// train a classifier elsewhere or to be indexed again (`corpushunt index --images OUT`
// reads the folder names back as labels):
//
//	OUT/<label>/<file>     images: the original file, hard-linked when possible, else
//	                       copied; images that are records rather than files (CIFAR-10's)
//	                       written as PNG
//	OUT/items.jsonl        texts: one JSON object per item (text, label, ref, meta); or
//	OUT/items.csv          with Format "csv"
//	OUT/manifest.json      what was exported, from which index and corpus, how chosen
//
// OUT must be new or empty; files are created exclusively, so nothing is overwritten.
package export

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// ErrNotEmpty is returned when the output folder already holds files.
var ErrNotEmpty = errors.New("export folder is not empty")

// Choice is one item to export under a label (a tag, or "not_<tag>" for its negatives).
type Choice struct {
	ID    int64
	Label string
	Score float32 // how it was chosen (a classifier's or a query's score), for the manifest
}

// Options configure Write.
type Options struct {
	Format string // texts: "jsonl" (default) or "csv"
	How    string // how the items were chosen, recorded in the manifest
	// Source resolves payloads (the index's corpus, corpus.Open(ix.Corpus())).
	Source corpus.Corpus
}

// Manifest describes an export.
type Manifest struct {
	Created time.Time      `json:"created"`
	Index   string         `json:"index"`
	Corpus  corpus.Spec    `json:"corpus"`
	How     string         `json:"how"`
	Counts  map[string]int `json:"counts"`
	Items   []Entry        `json:"items"`
}

// Entry is one exported item.
type Entry struct {
	ID    int64   `json:"id"`
	Ref   string  `json:"ref"`
	Label string  `json:"label"`
	Score float32 `json:"score"`
	File  string  `json:"file,omitempty"` // path inside the export, for images
}

// Write exports the chosen items of ix (opened from indexDir) into out.
func Write(ix index.Store, indexDir string, items []Choice, out string, o Options) (*Manifest, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("export: nothing chosen")
	}
	if err := emptyDir(out); err != nil {
		return nil, err
	}
	m := &Manifest{Created: time.Now().UTC(), Index: indexDir, Corpus: ix.Corpus(), How: o.How, Counts: map[string]int{}}
	isText := false
	if it, err := ix.Item(items[0].ID); err == nil && it.Text != "" {
		isText = true
	}
	if isText {
		if err := writeTexts(ix, items, out, o, m); err != nil {
			return nil, err
		}
	} else {
		if err := writeImages(ix, items, out, o, m); err != nil {
			return nil, err
		}
	}
	f, err := create(filepath.Join(out, "manifest.json"))
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		f.Close()
		return nil, err
	}
	return m, f.Close()
}

func emptyDir(out string) error {
	ents, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(out, 0o755)
	}
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return fmt.Errorf("%w: %s holds %d entries; choose a new or empty folder", ErrNotEmpty, out, len(ents))
	}
	return nil
}

// create makes a new file, never replacing one.
func create(p string) (*os.File, error) {
	return os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
}

// folder turns a label into a folder name (labels are tags or corpus labels).
func folder(label string) string {
	if label == "" {
		return "unlabelled"
	}
	r := strings.NewReplacer("/", "_", "\\", "_", "\x00", "_")
	s := r.Replace(label)
	if s == "." || s == ".." || strings.HasPrefix(s, ".") {
		s = "_" + s
	}
	return s
}

func writeImages(ix index.Store, items []Choice, out string, o Options, m *Manifest) error {
	var root string
	if o.Source != nil && o.Source.Spec().Source == "images" {
		root = o.Source.Spec().Root
	}
	used := map[string]bool{}
	for _, c := range items {
		it, err := ix.Item(c.ID)
		if err != nil {
			return err
		}
		dir := filepath.Join(out, folder(c.Label))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		base := strings.NewReplacer("/", "_", "#", "_", ":", "_").Replace(it.Ref)
		var dst string
		if root != "" {
			src, err := corpus.Resolve(root, it.Ref)
			if err != nil {
				return err
			}
			dst = unique(filepath.Join(dir, filepath.Base(src)), used)
			if err := os.Link(src, dst); err != nil {
				if err := copyFile(src, dst); err != nil {
					return fmt.Errorf("export %s: %w", it.Ref, err)
				}
			}
		} else {
			if o.Source == nil {
				return fmt.Errorf("export: no corpus to read %s from", it.Ref)
			}
			rec, err := o.Source.Resolve(it.Ref)
			if err != nil {
				return err
			}
			if rec.Image == nil {
				return fmt.Errorf("export: %s is not an image", it.Ref)
			}
			dst = unique(filepath.Join(dir, strings.TrimSuffix(base, filepath.Ext(base))+".png"), used)
			f, err := create(dst)
			if err != nil {
				return err
			}
			if err := png.Encode(f, rec.Image); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		}
		rel, _ := filepath.Rel(out, dst)
		m.Items = append(m.Items, Entry{ID: c.ID, Ref: it.Ref, Label: c.Label, Score: c.Score, File: filepath.ToSlash(rel)})
		m.Counts[c.Label]++
	}
	return nil
}

// unique returns p, or p with a numeric suffix when an earlier item took that name.
func unique(p string, used map[string]bool) string {
	q := p
	for i := 2; used[q]; i++ {
		ext := filepath.Ext(p)
		q = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(p, ext), i, ext)
	}
	used[q] = true
	return q
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func writeTexts(ix index.Store, items []Choice, out string, o Options, m *Manifest) error {
	format := o.Format
	if format == "" {
		format = "jsonl"
	}
	if format != "jsonl" && format != "csv" {
		return fmt.Errorf("export: text format %q (jsonl or csv)", format)
	}
	f, err := create(filepath.Join(out, "items."+format))
	if err != nil {
		return err
	}
	var cw *csv.Writer
	var metaKeys []string
	if format == "csv" {
		cw = csv.NewWriter(f)
		seen := map[string]bool{}
		for _, c := range items {
			it, _ := ix.Item(c.ID)
			for k := range it.Meta {
				if !seen[k] {
					seen[k] = true
					metaKeys = append(metaKeys, k)
				}
			}
		}
		sort.Strings(metaKeys)
		cw.Write(append([]string{"text", "label", "ref", "score"}, metaKeys...))
	}
	enc := json.NewEncoder(f)
	for _, c := range items {
		it, err := ix.Item(c.ID)
		if err != nil {
			f.Close()
			return err
		}
		if cw != nil {
			row := []string{it.Text, c.Label, it.Ref, fmt.Sprint(c.Score)}
			for _, k := range metaKeys {
				row = append(row, it.Meta[k])
			}
			cw.Write(row)
		} else if err := enc.Encode(map[string]any{"text": it.Text, "label": c.Label, "ref": it.Ref, "score": c.Score, "meta": it.Meta}); err != nil {
			f.Close()
			return err
		}
		m.Items = append(m.Items, Entry{ID: c.ID, Ref: it.Ref, Label: c.Label, Score: c.Score})
		m.Counts[c.Label]++
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
