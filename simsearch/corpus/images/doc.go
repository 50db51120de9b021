// Package images is the "images" corpus source: a folder of image files (PNG, JPEG,
// GIF, BMP, TIFF, WebP), walked recursively. Importing the package registers it:
//
//	import _ "github.com/corpushunt/corpushunt/simsearch/corpus/images"
//
//	c, err := corpus.Open(corpus.Spec{Source: "images", Root: "photos/"})
//
// # The walk
//
// Open walks the folder once, in sorted order (the order of filepath.WalkDir), and keeps
// the files whose extension is .png, .jpg, .jpeg, .gif, .bmp, .tif, .tiff or .webp (in any
// case); the corpus's Len is their number. A file's reference is its path relative to the
// root with forward slashes, e.g. "cats/001.png". Hidden files and folders (names
// starting with ".") are skipped and counted as "hidden files" in the Summary, other
// files as "non-image files". Symbolic links to files are followed; symbolic links to
// folders are not (they are counted as "linked folders"), so the walk never leaves the
// root and never loops.
//
// # Options
//
//   - labels (corpus.OptLabels): "auto" (the default), "none" or "folders". With
//     "folders" an image's label is the name of the first-level subfolder it sits in
//     (at any depth below it), the ImageFolder convention: root/cat/x.png and
//     root/cat/2019/y.png are both labelled "cat"; an image directly in the root is an
//     error. "auto" means "folders" when every image sits in a subfolder, else "none".
//   - skip-bad (corpus.OptSkipBad): "true" skips images that cannot be decoded (corrupt,
//     truncated, too large, unreadable), counting them as "bad images", instead of
//     stopping at the first one with a *corpus.ItemError naming the file.
//
// # Safe decoding
//
// Decode and DecodeFile read at most MaxFileBytes, read the image header with
// image.DecodeConfig first and refuse an image that declares more than MaxPixels pixels
// before any pixel memory is allocated, so a small hostile file cannot make the process
// allocate gigabytes.
//
// # Preparing pixels for encoders
//
// AppendHWC and PrepareBatch turn images of any size and colour model into the float32
// tensors encoders take: exactly h×w pixels, c = 1 (luminance) or 3 (RGB) channels,
// values in [0,1], row-major HWC. Transparent pixels are composited over white. The Fit
// says how an image of another aspect ratio is made h×w:
//
//   - Crop ("crop", the default): scale so the shorter side fits, then cut the centre
//     out of the longer side.
//   - Pad ("pad"): scale so the longer side fits, then pad the shorter side with white,
//     keeping the whole picture.
//
// Images are resampled with Catmull-Rom (golang.org/x/image/draw); an image that is
// already the right size is copied directly. ShapeOf and (*Corpus).Shape report a
// corpus's most common image size, for encoders that pick their input size from the data.
package images
