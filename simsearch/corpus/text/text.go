package text

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
)

func init() {
	corpus.Register("text", corpus.Text,
		"a .txt file (an item per non-empty line), a folder of .txt/.md files (an item per file), CSV/TSV (--text-column) or JSONL (by field)",
		Open)
}

// Options of the text source, besides corpus.OptSkipBad and corpus.OptLabels.
const (
	OptTextColumn  = "text-column"  // CSV/TSV: header name of the text column (required)
	OptLabelColumn = "label-column" // CSV/TSV: header name of the label column
	OptTextField   = "text-field"   // JSONL: the text field (default "text")
	OptLabelField  = "label-field"  // JSONL: the label field
	OptDelimiter   = "delimiter"    // CSV/TSV: field delimiter, one character or "tab"
	OptFormat      = "format"       // auto, lines, csv, tsv, jsonl (files); auto, folder (folders)
)

// Limits on what one record may hold.
const (
	MaxLine     = 1 << 20  // bytes in a line of a text file, line ending excluded
	MaxJSONLine = 16 << 20 // bytes in a line of a JSONL file
	MaxDocument = 64 << 20 // bytes in a document of a folder
)

// Formats.
const (
	fmtAuto   = "auto"
	fmtFolder = "folder"
	fmtLines  = "lines"
	fmtCSV    = "csv"
	fmtTSV    = "tsv"
	fmtJSONL  = "jsonl"
)

// Label modes.
const (
	labelsAuto    = corpus.LabelsAuto
	labelsNone    = corpus.LabelsNone
	labelsFolders = corpus.LabelsFolders
)

// Reasons for skipping, as counted in the Summary, besides corpus.SkipHidden,
// corpus.SkipLinkedFolder and corpus.SkipBrokenLink.
const (
	skipOther     = "other files"
	skipEmptyFile = "empty files"
	skipBadFile   = "bad files"
	skipBadLine   = "bad lines"
	skipBadRow    = "bad rows"
	skipEmptyText = "empty texts"
)

var (
	errInvalidUTF8 = errors.New("invalid UTF-8")
	errLineTooLong = errors.New("line too long")
)

// Open opens spec.Root: a folder of documents, a CSV/TSV, JSONL or plain text file (see
// the package documentation). A single file is read through once to count and validate
// its records.
func Open(spec corpus.Spec) (corpus.Corpus, error) {
	if spec.Root == "" {
		return nil, fmt.Errorf("%w: text: no file or folder given", corpus.ErrSpec)
	}
	skipBad, err := corpus.BoolOption(spec, "text", corpus.OptSkipBad)
	if err != nil {
		return nil, err
	}
	format := strings.ToLower(strings.TrimSpace(spec.Option(OptFormat, fmtAuto)))
	if format == "" {
		format = fmtAuto
	}

	st, err := os.Stat(spec.Root)
	if err != nil {
		return nil, fmt.Errorf("text: %w", err)
	}
	if st.IsDir() {
		if format != fmtAuto && format != fmtFolder {
			return nil, fmt.Errorf("%w: text: %s=%s, but %s is a folder", corpus.ErrSpec, OptFormat, format, spec.Root)
		}
		if err := checkOptions(spec, "a folder", OptFormat); err != nil {
			return nil, err
		}
		labels, err := corpus.LabelsMode(spec, "text", labelsAuto, labelsNone, labelsFolders)
		if err != nil {
			return nil, err
		}
		return openFolder(spec, labels, skipBad)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("text: %s is neither a regular file nor a folder", spec.Root)
	}
	if format == fmtAuto {
		format = formatOf(spec.Root)
	}
	labels, err := corpus.LabelsMode(spec, "text", labelsAuto, labelsNone)
	if labels == labelsFolders {
		return nil, fmt.Errorf("%w: text: %s=folders needs a folder; %s is a file", corpus.ErrSpec, corpus.OptLabels, spec.Root)
	}
	if err != nil {
		return nil, err
	}
	c := &fileCorpus{
		spec:    spec,
		path:    spec.Root,
		name:    filepath.Base(spec.Root),
		format:  format,
		skipBad: skipBad,
	}
	switch format {
	case fmtLines:
		err = checkOptions(spec, "a text file", OptFormat)
	case fmtCSV, fmtTSV:
		if err = checkOptions(spec, "a CSV/TSV file", OptFormat, OptTextColumn, OptLabelColumn, OptDelimiter); err == nil {
			c.csv, err = newCSVLayout(spec, format, labels)
		}
	case fmtJSONL:
		if err = checkOptions(spec, "a JSONL file", OptFormat, OptTextField, OptLabelField); err == nil {
			c.json = newJSONLayout(spec, labels)
		}
	default:
		err = fmt.Errorf("%w: text: %s=%q: want auto, lines, csv, tsv or jsonl", corpus.ErrSpec, OptFormat, format)
	}
	if err != nil {
		return nil, err
	}
	if err := c.scanAll(); err != nil {
		return nil, err
	}
	return c, nil
}

// formatOf picks a single file's format by its extension.
func formatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return fmtCSV
	case ".tsv", ".tab":
		return fmtTSV
	case ".jsonl", ".ndjson":
		return fmtJSONL
	}
	return fmtLines
}

// checkOptions refuses options the format does not use.
func checkOptions(spec corpus.Spec, what string, allowed ...string) error {
	allowed = append(allowed, corpus.OptSkipBad, corpus.OptLabels)
	for _, k := range slices.Sorted(maps.Keys(spec.Options)) {
		if !slices.Contains(allowed, k) {
			slices.Sort(allowed)
			return fmt.Errorf("%w: text: option %q does not apply to %s (%s); options: %s",
				corpus.ErrSpec, k, what, spec.Root, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// invalidAt returns the index of the first byte of b that is not valid UTF-8, or -1.
func invalidAt(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// bom is the UTF-8 byte order mark.
const bom = "\ufeff"
