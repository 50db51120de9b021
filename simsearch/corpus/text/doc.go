// Package text is the "text" corpus source: an item per line of a text file, an item per
// document in a folder, or an item per row of a CSV/TSV file or per object of a JSONL
// file. It uses the standard library only. Importing the package registers it:
//
//	import _ "github.com/corpushunt/corpushunt/simsearch/corpus/text"
//
//	c, err := corpus.Open(corpus.Spec{Source: "text", Root: "tickets.csv",
//		Options: map[string]string{"text-column": "body", "label-column": "team"}})
//
// # Formats
//
// The format follows from spec.Root (the "format" option overrides the file extension):
//
//   - A folder: every .txt and .md file below it (any case, walked recursively in the
//     order of filepath.WalkDir) is one item whose text is the whole file, UTF-8 byte
//     order mark and surrounding white space trimmed. The reference is the path relative
//     to the folder with forward slashes, "cats/note.md". Hidden files and folders (names
//     starting with ".") are skipped and counted as "hidden files", files with other
//     extensions as "other files", empty (0-byte) files as "empty files"; symbolic links
//     to files are followed, those to folders are not ("linked folders", "broken
//     links"). Len is the number of files kept. A document holding white space only is skipped while
//     streaming and also counted as "empty files". A document over MaxDocument bytes or
//     with invalid UTF-8 is bad.
//   - A .csv or .tsv file: encoding/csv with a header row (a leading byte order mark is
//     dropped, header names are trimmed). The text-column option is required; the
//     label-column option is optional; every other column goes into Item.Meta keyed by
//     its header name ("column N" for an empty name). TSV files are read with lazy
//     quotes (a quote inside a field is kept as is). Blank lines are ignored. The
//     reference is "NAME:ROW": NAME is the file's base name and ROW the 1-based number of
//     the data row, the header not counted (rows with an empty text and bad rows keep
//     their numbers, so references stay stable). A row with another number of fields
//     than the header or with bad quoting is bad; a row whose text is empty or white
//     space is skipped and counted as "empty texts".
//   - A .jsonl or .ndjson file: one JSON object per line; blank lines are ignored. The
//     text is the string field text-field (default "text"); label-field names an
//     optional label field (a string, number or boolean). Every other scalar field goes
//     into Item.Meta as a string: strings as they are, booleans as "true"/"false",
//     numbers as written, or without an exponent when written with one and between
//     1e-6 and 1e21 in magnitude (1e3 becomes "1000"); null, objects and arrays are left
//     out. A line that is not an object, lacks the text field, has a non-string text or
//     is longer than MaxJSONLine is bad; an empty text is skipped and counted as "empty
//     texts". The reference is "NAME:LINE", LINE the 1-based line number in the file.
//   - Any other file (.txt, .log, ...): an item per non-blank line; the text is the line
//     without its line ending ("\n" or "\r\n"; a UTF-8 byte order mark at the start of
//     the file is dropped). Lines holding white space only are not items (and are not
//     counted). A line longer than MaxLine bytes is bad. The reference is "NAME:LINE",
//     LINE the 1-based line number in the file, blank lines counted.
//
// For every format invalid UTF-8 is bad, reported as a *corpus.ItemError naming the file
// and the line or row. A file (or folder) that holds no items is an error wrapping
// corpus.ErrEmpty that names it.
//
// # Options
//
//   - text-column, label-column (CSV/TSV): the header names of the text and label
//     columns. A missing or unknown text-column is a corpus.ErrSpec error listing the
//     columns the header has.
//   - text-field (default "text"), label-field (JSONL): the fields of the text and label.
//   - delimiter (CSV/TSV): the field delimiter, one character ("\t" or "tab" for a tab);
//     the default is "," for .csv and a tab for .tsv.
//   - format: "auto" (the default: by extension), "lines", "csv", "tsv" or "jsonl", to
//     read a single file whatever its extension; "folder" or "auto" for a folder.
//   - labels (corpus.OptLabels): "auto" (the default), "none" or, for folders, "folders".
//     For a folder, "folders" labels a document with the name of the first-level
//     subfolder it sits in (at any depth below it; a file directly in the folder is an
//     error) and "auto" means "folders" when every document sits in a subfolder. For
//     CSV/TSV and JSONL, "auto" takes labels from label-column / label-field when given
//     and "none" ignores them. Lines are never labelled.
//   - skip-bad (corpus.OptSkipBad): "true" skips bad lines, rows and documents, counting
//     them as "bad lines" (text and JSONL files), "bad rows" (CSV/TSV) or "bad files"
//     (folders), instead of failing with the *corpus.ItemError.
//
// Options that do not apply to the format are refused with corpus.ErrSpec, so a
// misspelt option does not go unnoticed.
//
// # Reading
//
// A single file is read once by Open, which validates every record, counts items,
// labels and skips (Summary is complete after Open) and keeps one byte offset per item
// (plus a few bytes per run of consecutive line or row numbers), never the texts.
// Batches reads the file again, streaming; Resolve seeks straight to the item's offset.
// If the file changed since Open so that the items no longer line up, Batches fails;
// items appended to the end are ignored. A folder is walked by Open; its documents are
// read by Batches and Resolve, and Summary counts the documents skipped so far.
//
// # Log lines
//
// MaskVariables replaces the variable parts of log lines (time stamps, addresses, ids,
// paths, numbers) by placeholders, so lines printed by one statement fall together;
// Tokenize splits text into lower-case word, placeholder and punctuation tokens.
package text
