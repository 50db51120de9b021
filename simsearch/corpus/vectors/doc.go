// Package vectors is the "vectors" corpus source: embeddings a user brings, one vector
// per row of a file, searched as they are (Kind corpus.Vector). Importing the package
// registers it:
//
//	import _ "github.com/corpushunt/corpushunt/simsearch/corpus/vectors"
//
//	c, err := corpus.Open(corpus.Spec{Source: "vectors", Root: "emb.npy",
//		Options: map[string]string{"labels": "emb-labels.txt"}})
//	dim, _ := vectors.DimOf(c)
//
// # Formats
//
// The extension of Spec.Root (in any case) picks the format:
//
//   - .npy: a NumPy array file, format version 1.0, 2.0 or 3.0, holding a 2-D array of
//     shape (rows, dim) in C order of little-endian float32 ('<f4') or float64 ('<f8');
//     float64 is rounded to float32. Big-endian arrays, Fortran order and other dtypes
//     are refused with an error saying how to re-save the array, e.g.
//     np.save("emb.npy", np.ascontiguousarray(a, dtype="<f4")). The file's size must be
//     exactly the header plus rows×dim values: a truncated file or one with trailing
//     bytes is refused before anything is allocated for the data.
//   - .fvecs: the TEXMEX format: each row is a little-endian int32 dim followed by dim
//     little-endian float32. Every row has the dim of the first (a row with another dim
//     is an error naming it, never skipped), and the file's size is a multiple of
//     4+4×dim.
//   - .csv, .tsv, .txt: text, one row per line. Fields are separated by tabs in a .tsv
//     file; otherwise the first row says how: by commas if it has one, else by tabs if it
//     has one, else by runs of spaces and tabs. Spaces around fields are dropped, a field
//     may be double-quoted ("" is a quote inside it; a quoted field cannot span lines),
//     and blank lines and lines starting with # are ignored. The first row is a header
//     of column names when one of its fields (other than the label and id columns given
//     by index) is not a number. Every other column holds numbers (as strconv.ParseFloat
//     reads them) and every row has as many fields as the first.
//
// Dimensions run from 1 to 65536. A value that is NaN or ±Inf (or, read from float64
// or text, too large for float32) makes its row bad. Open reads only headers (and, for
// text, counts the rows in a first pass), so Len is known at once; Batches streams the
// file with memory O(batch), and Resolve reads just the row asked for.
//
// # Options
//
//   - labels (corpus.OptLabels): "auto" (the default: labels from the label-column if one
//     is given, else none), "none" (no labels, even with a label-column), or the path of
//     a text file of labels, one per line, line i labelling row i (spaces around a label
//     are dropped; an empty line leaves its row unlabelled). Its line count must equal
//     the row count. A relative path is taken from the working directory or, when no
//     such file is there, from the folder holding Root.
//   - label-column: for text files, the column holding each row's label, by header name
//     or by 0-based index; it is not part of the vector. Use labels=FILE for .npy and
//     .fvecs.
//   - id-column: for text files, a column holding an identifier, by name or index, also
//     left out of the vector and kept in Item.Meta["id"].
//   - skip-bad (corpus.OptSkipBad): "true" skips bad rows (a non-finite value, and in
//     text files a value that is not a number or a row with the wrong number of fields),
//     counting them as "bad rows" in the Summary, instead of stopping at the first with
//     a *corpus.ItemError. A file that is bad as a whole (header, size, a ragged .fvecs
//     row) is an error either way.
//
// # References
//
// An item's reference is "NAME:ROW": NAME is the base name of the file and ROW the
// 0-based index of the row among the file's rows ("emb.npy:0" is the first row; in a
// text file the header, blank and comment lines are not rows). Rows skipped as bad keep
// their index, so references do not depend on skip-bad.
//
// Errors about a row are *corpus.ItemError values naming the file and the row (1-based,
// as ItemError counts; a text file's error names its 1-based line instead) and, for a
// value, its 0-based column, and they quote the row's reference:
//
//	emb.npy: row 3: column 7: value is NaN (ref emb.npy:2)
//
// # Dimension
//
// (*Corpus).Dim and DimOf report the dimension of the vectors, known once the file is
// open, for encoders that pass vectors through unchanged.
package vectors
