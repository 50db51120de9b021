// Package cifar10 reads CIFAR-10 (Krizhevsky, 2009): 60,000 32×32 colour images in ten
// classes.
//
// Two layouts are read:
//
//   - the official binary batches (cifar-10-batches-bin/: data_batch_1..5.bin,
//     test_batch.bin, batches.meta.txt), records of 1 label byte followed by 3072 bytes
//     holding the R, G and B planes of a 32×32 image. When test_batch.bin is absent but
//     test_batch_first1000.bin (the shared partial copy) is there, that is the test split,
//     and Split.Partial says so.
//   - the PNG folder layout of the original tutorial: cifar/train/<id>_<label>.png,
//     cifar/test/<id>_<label>.png and cifar/labels.txt (class names, one a line).
//
// Splits are read in order in batches (memory stays proportional to the batch) or one
// record at a time by index. Every record carries a stable Ref (file and record number,
// or path) so a search hit can always be traced back to its source. Malformed input is an
// error naming the file and record (*FormatError, matching ErrBadData); Options.SkipBad
// skips bad records instead and counts them.
//
// Open finds the data with package datasets' search order; Download fetches the official
// archive when it is nowhere.
package cifar10
