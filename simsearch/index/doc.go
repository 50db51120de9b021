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
//	manifest.json      format version, dimension, metric, factory, nprobe, count, encoder,
//	                   corpus spec, creation time, tuning table, the SHA-256 and size of
//	                   every file below, and the previous generation's file names
//	index-N.faiss      the index in FAISS's own format (faiss.write_index), so FAISS's
//	                   Python or C++ bindings can open it
//	items-N.jsonl      row id → item (reference relative to the corpus root, label, text,
//	                   metadata)
//	vectors-N.f32      the raw vectors (little-endian float32, n×d), used for query by
//	                   example, exact ground truth when tuning, and incremental adds
//	asset-NAME-N.EXT   what the encoder needs to answer queries (SetAsset: a fitted
//	                   vocabulary), so a copied folder is self-contained
//	.corpushunt.lock   the writers' lock (Lock, OpenWriter)
//
// Save is atomic: the data files of generation N are written first and manifest.json is
// replaced last with a rename, so a crash or Ctrl-C at any point leaves the previous
// complete index (or none) and never a half-written one. The files of generation N-1 stay
// until generation N+1 is committed, so a reader that read the old manifest can finish.
// Open validates every manifest field, confines file names to the folder, verifies every
// checksum and size, and checks the FAISS file against the manifest (dimension, count,
// metric); it refuses a mismatch with ErrCorrupt or ErrDimension.
//
// Writers take an exclusive lock on the folder (Lock, OpenWriter): a second writer fails
// with ErrBusy rather than overwriting the first's work, and a writer whose index changed
// on disk since it opened it gets ErrConflict. A save never deletes or overwrites a file
// that no manifest of the index listed and no save created: names are chosen free, files
// are created exclusively and recorded in a journal first, so a killed save is cleaned up
// by the next one and nothing else is touched. A folder holding other files and no index
// is refused (ErrNotIndexDir) unless the lock allows writing beside them.
//
// One loaded *Index serves concurrent searches from many goroutines; adds, training and
// nprobe changes are serialised against them.
package index
