package index

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// LockName is the lock file of an index directory. Writers hold an exclusive flock on it
// from the moment they open (or start building) an index until they have saved it, so a
// second writer fails with ErrBusy instead of overwriting the first one's work.
const LockName = ".corpushunt.lock"

// journalName lists, before they are created, the data files a save is about to write,
// with the process that writes them. A save that dies before its commit leaves them
// behind; the next writer (holding the lock) removes exactly the files listed there that
// no manifest uses, and nothing else.
const journalName = ".corpushunt.journal"

// LockOptions adjust Lock.
type LockOptions struct {
	// AllowNonEmpty lets an index be written into a folder that already holds other files
	// and no index. corpushunt never deletes or overwrites those files; without this
	// option such a folder is refused with ErrNotIndexDir, so a typo in --out cannot mix
	// an index into someone's documents.
	AllowNonEmpty bool
}

// DirLock is an exclusive writer's lock on an index directory.
type DirLock struct {
	dir     string // absolute
	f       *os.File
	opts    LockOptions
	created bool // Lock made the folder
}

var (
	heldMu sync.Mutex
	held   = map[string]*DirLock{} // absolute dir → lock held by this process
)

// Lock takes the writer's lock on dir, creating the folder if needed. It fails at once
// with ErrBusy when another writer (in this or another process) holds it, and with
// ErrNotIndexDir when dir holds files but no index (see LockOptions.AllowNonEmpty). The
// lock is released by Close, or by the operating system when the process dies.
func Lock(dir string, opts LockOptions) (*DirLock, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	heldMu.Lock()
	defer heldMu.Unlock()
	if _, ok := held[abs]; ok {
		return nil, fmt.Errorf("%w: %s is being written by this process", ErrBusy, dir)
	}
	_, statErr := os.Stat(abs)
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("index folder: %w", err)
	}
	if !opts.AllowNonEmpty {
		if err := checkWritable(abs, dir); err != nil {
			return nil, err
		}
	}
	p := filepath.Join(abs, LockName)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		who, _ := os.ReadFile(p)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			msg := strings.TrimSpace(string(who))
			if msg != "" {
				msg = " (" + msg + ")"
			}
			return nil, fmt.Errorf("%w: another corpushunt process is writing %s%s; wait for it to finish", ErrBusy, dir, msg)
		}
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	// Who holds it, for the message a second writer gets. Best effort.
	f.Truncate(0)
	f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+" since "+time.Now().UTC().Format(time.RFC3339)+"\n"), 0)
	l := &DirLock{dir: abs, f: f, opts: opts, created: errors.Is(statErr, os.ErrNotExist)}
	held[abs] = l
	return l, nil
}

// Dir is the locked directory (absolute).
func (l *DirLock) Dir() string { return l.dir }

// Close releases the lock. Closing a nil or released lock does nothing. A folder that
// Lock created and that never received an index is removed again.
func (l *DirLock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	heldMu.Lock()
	delete(held, l.dir)
	heldMu.Unlock()
	if l.created {
		if _, err := os.Stat(filepath.Join(l.dir, ManifestName)); errors.Is(err, os.ErrNotExist) {
			os.Remove(filepath.Join(l.dir, LockName))
			os.Remove(l.dir) // only if empty
		}
	}
	err := l.f.Close() // releases the flock
	l.f = nil
	return err
}

// heldLock returns this process's lock on dir, or nil.
func heldLock(dir string) *DirLock {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	heldMu.Lock()
	defer heldMu.Unlock()
	return held[abs]
}

// checkWritable refuses a folder that holds files but no index.
func checkWritable(abs, shown string) error {
	if _, err := os.Stat(filepath.Join(abs, ManifestName)); err == nil {
		return nil
	}
	ents, err := os.ReadDir(abs)
	if err != nil {
		return fmt.Errorf("index folder: %w", err)
	}
	var others []string
	for _, e := range ents {
		switch e.Name() {
		case LockName, journalName:
			continue
		}
		others = append(others, e.Name())
	}
	if len(others) == 0 {
		return nil
	}
	list := strings.Join(others[:min(3, len(others))], ", ")
	if len(others) > 3 {
		list += fmt.Sprintf(" and %d more", len(others)-3)
	}
	return fmt.Errorf("%w: %s already holds %s and no index (no %s); choose a new or empty folder, or allow writing beside those files (they are never touched)",
		ErrNotIndexDir, shown, list, ManifestName)
}

// OpenWriter opens an index to change it: it takes the writer's lock (failing with
// ErrBusy when another writer holds it), then opens the index. The lock is held until
// Close, so nobody else can commit between this open and the Save that follows.
func OpenWriter(dir string) (*Index, error) {
	lk, err := Lock(dir, LockOptions{})
	if err != nil {
		return nil, err
	}
	ix, err := Open(dir)
	if err != nil {
		lk.Close()
		return nil, err
	}
	ix.lock = lk
	return ix, nil
}

// MoveLockTo hands the writer's lock this index holds (OpenWriter) to dst, which replaces
// it (a rebuilt index about to be saved in the same folder); ix no longer releases it.
func (ix *Index) MoveLockTo(dst *Index) {
	ix.mu.Lock()
	lk := ix.lock
	ix.lock = nil
	ix.mu.Unlock()
	dst.mu.Lock()
	dst.lock = lk
	dst.mu.Unlock()
}
