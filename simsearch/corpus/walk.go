package corpus

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Reasons WalkFiles counts skipped entries under, whatever the source.
const (
	SkipHidden       = "hidden files"   // names starting with ".", files and folders alike
	SkipLinkedFolder = "linked folders" // symbolic links to folders, which are not followed
	SkipBrokenLink   = "broken links"   // symbolic links to nothing
)

// WalkOptions says how WalkFiles words its errors and counts what it passes over.
type WalkOptions struct {
	// Source names the source in errors, e.g. "images": "images: walking photos/: ...".
	Source string
	// SkipUnreadable passes over an entry below the root that cannot be read, counting it
	// under Unreadable (a folder is then not descended), instead of ending the walk with
	// an error. An unreadable root is always an error.
	SkipUnreadable bool
	// Unreadable is the reason unreadable entries are counted under; default
	// "unreadable folders".
	Unreadable string
	// Other is the reason for entries that are neither folders nor regular files (nor
	// links to one) and for files accept refuses; default "other files".
	Other string
	// Empty, when set, skips empty (0-byte) files, counting them under this reason.
	Empty string
}

// Walk is what WalkFiles found.
type Walk struct {
	// Root is the folder actually walked: the root given, or the folder it links to when
	// it is a symbolic link.
	Root string
	// Refs are the kept files' paths relative to Root, with forward slashes, in walk
	// (sorted) order: the references of a folder corpus.
	Refs []string
	// Skipped counts the entries passed over, per reason; never nil.
	Skipped map[string]int
}

// WalkFiles walks the folder root recursively in sorted order (that of filepath.WalkDir)
// and keeps the regular files whose base name accept takes (every one when accept is
// nil), for sources that read a folder of files. Hidden files and folders (names
// starting with ".") are skipped as SkipHidden, a hidden folder counted once and not
// descended. Symbolic links to files are followed; links to folders are not
// (SkipLinkedFolder), nor broken ones (SkipBrokenLink), so the walk never leaves the root
// and never loops. A root that is itself a link to a folder is walked where it points.
//
// Errors name o.Source and root; root must be a folder (callers check that first, with
// errors of their own).
func WalkFiles(root string, accept func(name string) bool, o WalkOptions) (Walk, error) {
	unreadable, other := o.Unreadable, o.Other
	if unreadable == "" {
		unreadable = "unreadable folders"
	}
	if other == "" {
		other = "other files"
	}
	w := Walk{Root: root, Skipped: map[string]int{}}
	// WalkDir does not descend into a root that is itself a symbolic link.
	if lst, err := os.Lstat(root); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
		if w.Root, err = filepath.EvalSymlinks(root); err != nil {
			return Walk{}, fmt.Errorf("%s: corpus folder %s: %w", o.Source, root, err)
		}
	}
	err := filepath.WalkDir(w.Root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path != w.Root && o.SkipUnreadable {
				w.Skipped[unreadable]++
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			return fmt.Errorf("%s: walking %s: %w", o.Source, root, err)
		}
		if path == w.Root {
			return nil
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") {
			w.Skipped[SkipHidden]++
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		var size int64 = -1 // unknown
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Stat(path)
			switch {
			case err != nil:
				w.Skipped[SkipBrokenLink]++
				return nil
			case target.IsDir():
				w.Skipped[SkipLinkedFolder]++
				return nil
			case !target.Mode().IsRegular():
				w.Skipped[other]++
				return nil
			}
			size = target.Size()
		} else if !d.Type().IsRegular() {
			w.Skipped[other]++
			return nil
		}
		if accept != nil && !accept(name) {
			w.Skipped[other]++
			return nil
		}
		if o.Empty != "" {
			if size < 0 {
				if info, err := d.Info(); err == nil {
					size = info.Size()
				}
			}
			if size == 0 {
				w.Skipped[o.Empty]++
				return nil
			}
		}
		w.Refs = append(w.Refs, Rel(w.Root, path))
		return nil
	})
	if err != nil {
		return Walk{}, err
	}
	return w, nil
}

// HasExt returns an accept function for WalkFiles that takes the names whose extension,
// in lower case, is a key of exts mapped to true (exts holds lower-case extensions with
// their dot, e.g. ".png").
func HasExt(exts map[string]bool) func(name string) bool {
	return func(name string) bool { return exts[strings.ToLower(filepath.Ext(name))] }
}

// Label modes of OptLabels that folder sources share.
const (
	LabelsAuto    = "auto"    // the source's default
	LabelsNone    = "none"    // no labels
	LabelsFolders = "folders" // the first-level subfolder of each file
)

// FolderLabels decides whether a folder corpus's items, whose references refs are as
// WalkFiles gives them, are labelled by their first-level subfolder (see Files.Label),
// for the labels mode mode: LabelsFolders says yes, and it is an error wrapping ErrSpec,
// naming source and the file, when a file lies directly in root; LabelsAuto says yes
// when every file lies in a subfolder; any other mode (LabelsNone) says no.
func FolderLabels(source string, refs []string, mode, root string) (bool, error) {
	switch mode {
	case LabelsFolders:
		for _, ref := range refs {
			if !strings.Contains(ref, "/") {
				return false, fmt.Errorf("%w: %s: %s=folders but %s lies directly in %s, not in a subfolder",
					ErrSpec, source, OptLabels, filepath.Join(root, filepath.FromSlash(ref)), root)
			}
		}
		return true, nil
	case LabelsAuto:
		for _, ref := range refs {
			if !strings.Contains(ref, "/") {
				return false, nil
			}
		}
		return true, nil
	}
	return false, nil
}

// Files are a folder corpus's files, as WalkFiles found them: how they are labelled, where
// they lie and which one a reference names. A source keeps one per opened corpus; it must
// not be copied once Find has been called, and is safe for concurrent use.
type Files struct {
	Root     string   // the folder as given; the files' paths are joined to it
	Refs     []string // the files' references, as Walk.Refs
	Labelled bool     // each file's label is its first-level subfolder (see FolderLabels)

	indexOnce sync.Once
	index     map[string]int // position in Refs by reference
}

// Label is the label of the file at ref: the first-level subfolder ("cats" for
// "cats/2019/a.png") when Labelled, else "".
func (f *Files) Label(ref string) string {
	if !f.Labelled {
		return ""
	}
	dir, _, _ := strings.Cut(ref, "/")
	return dir
}

// Path is where the file at ref lies: ref joined to Root.
func (f *Files) Path(ref string) string {
	return filepath.Join(f.Root, filepath.FromSlash(ref))
}

// Find returns ref cleaned ("a/./b.png" is "a/b.png") and the position in Refs of the
// file it names, or -1 when it names none of them (a hidden or refused file, one added
// since the walk). A reference that leaves Root is an error wrapping ErrNoRef.
func (f *Files) Find(ref string) (clean string, i int, err error) {
	if _, err := Resolve(f.Root, ref); err != nil {
		return "", -1, err
	}
	clean = filepath.ToSlash(filepath.Clean(filepath.FromSlash(ref)))
	f.indexOnce.Do(func() {
		f.index = make(map[string]int, len(f.Refs))
		for i, r := range f.Refs {
			f.index[r] = i
		}
	})
	if i, ok := f.index[clean]; ok {
		return clean, i, nil
	}
	return clean, -1, nil
}
