// Package index builds, tunes, saves, reopens and queries FAISS similarity indexes.
//
// Vectors go in as flat []float32 slices (n·d values, row-major) with one Item per row;
// ranked neighbours come out. Any FAISS factory string works ("Flat", "IVF256,Flat",
// "IVF1024,PQ32", ...); DefaultFactory picks one from the corpus size the way autofaiss
// does. Three metrics are offered: L2 (squared Euclidean distance, smaller is closer),
// IP (inner product, larger is closer) and Cosine (inner product of L2-normalised vectors,
// larger is closer).
//
// An index directory holds:
//
//	manifest.json   format version, dimension, metric, factory, nprobe, count, encoder,
//	                creation time, tuning table and the SHA-256 of every file below
//	index-N.faiss   the index in FAISS's own format (faiss.write_index), so FAISS's
//	                Python or C++ bindings can open it
//	items-N.jsonl   row id → item reference (dataset, split, ref, label, text)
//	vectors-N.f32   the raw vectors (little-endian float32, n×d), used for query by
//	                example, exact ground truth when tuning, and incremental adds
//
// Save is atomic: the data files of generation N are written first and manifest.json is
// replaced last with a rename, so a crash or Ctrl-C at any point leaves the previous
// complete index (or none) and never a half-written one. Open verifies every checksum
// and size and refuses a mismatching or truncated index with ErrCorrupt.
//
// One loaded *Index serves concurrent searches from many goroutines; adds, training and
// nprobe changes are serialised against them.
package index
