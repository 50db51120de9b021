// Package tags records what a user says about items: each mark puts an item (by its
// reference, so marks survive re-indexing with another encoder) under a tag, as a
// positive ("is X") or a negative ("is not X") example, or removes it.
//
// Marks are kept beside an index in tags.jsonl, an append-only log: each Add appends its
// marks as JSON lines under an exclusive file lock and syncs them to disk before
// returning, so a crash loses at most an Add that had not returned, and a torn last line
// is ignored when the log is read. The last mark of an item under a tag wins.
package tags

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// FileName is the log's name in an index directory.
const FileName = "tags.jsonl"

// ErrTag is returned for a tag name that cannot be used (it names export folders).
var ErrTag = errors.New("bad tag name")

// Mark is one statement about an item.
type Mark struct {
	Time     time.Time `json:"time"`
	Tag      string    `json:"tag"`
	Ref      string    `json:"ref"`
	Positive bool      `json:"positive"`
	Remove   bool      `json:"remove,omitempty"`
	// Round groups the marks of one Add (a round of tagging), to report how many of the
	// items a user looked at in a round were X.
	Round int64 `json:"round"`
}

// CheckTag accepts 1 to 64 letters, digits, spaces, '-', '_' and '.', not starting with a
// dot or a space.
func CheckTag(t string) error {
	if t == "" || utf8.RuneCountInString(t) > 64 || t[0] == '.' || t[0] == ' ' {
		return fmt.Errorf("%w %q: 1 to 64 characters, not starting with '.' or a space", ErrTag, t)
	}
	for _, r := range t {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' && r != '-' && r != '_' && r != '.' {
			return fmt.Errorf("%w %q: use letters, digits, spaces, '-', '_' and '.'", ErrTag, t)
		}
	}
	return nil
}

// Log is the tags of one index.
type Log struct {
	path    string
	journal Journal // nil: the file at path
	valid   int64   // bytes of complete marks: a torn tail past it is cut before appending
	noEOL   bool    // the last complete mark lacks its newline
	mu      sync.RWMutex
	marks   []Mark
	state   map[string]map[string]bool // tag → ref → positive
}

// Journal keeps a Log's marks somewhere other than an index directory's file: a vector
// store's own (see RegisterJournal).
type Journal interface {
	// Load returns every mark, in the order they were appended.
	Load() ([]Mark, error)
	// Append stores marks (stamped) durably after the ones stored before.
	Append(marks []Mark) error
}

var (
	journalsMu sync.RWMutex
	journals   = map[string]func(addr string) (Journal, error){}
)

// RegisterJournal makes Open keep the tags of stores addressed SCHEME://... in the
// journal open returns; a store's package registers it beside the store.
func RegisterJournal(scheme string, open func(addr string) (Journal, error)) {
	journalsMu.Lock()
	defer journalsMu.Unlock()
	journals[scheme] = open
}

// Open reads the log of an index directory (an absent log is empty), or of a store
// addressed SCHEME://... whose package registered a journal.
func Open(dir string) (*Log, error) {
	if scheme, _, ok := strings.Cut(dir, "://"); ok && scheme != "" && !strings.ContainsAny(scheme, "/\\.") {
		journalsMu.RLock()
		open := journals[scheme]
		journalsMu.RUnlock()
		if open == nil {
			return nil, fmt.Errorf("tags of %s: no journal for %s:// stores (import the store's package)", dir, scheme)
		}
		j, err := open(dir)
		if err != nil {
			return nil, err
		}
		l := &Log{path: dir, journal: j}
		return l, l.reload()
	}
	l := &Log{path: filepath.Join(dir, FileName)}
	return l, l.reload()
}

func (l *Log) reload() error {
	if l.journal != nil {
		ms, err := l.journal.Load()
		if err != nil {
			return fmt.Errorf("tags of %s: %w", l.path, err)
		}
		l.marks, l.state = nil, map[string]map[string]bool{}
		for _, m := range ms {
			l.apply(m)
		}
		return nil
	}
	b, err := os.ReadFile(l.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	l.marks, l.state = nil, map[string]map[string]bool{}
	l.valid = int64(bytes.LastIndexByte(b, '\n') + 1)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	l.noEOL = false
	last := bytes.Count(b, []byte("\n")) + 1 // the number of an unterminated last line
	for line := 1; sc.Scan(); line++ {
		var m Mark
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || CheckTag(m.Tag) != nil || m.Ref == "" {
			if !bytes.HasSuffix(b, []byte("\n")) && line == last {
				break // a torn last line: the Add that wrote it never returned
			}
			return fmt.Errorf("%s:%d: not a tag mark", l.path, line)
		}
		if !bytes.HasSuffix(b, []byte("\n")) && line == last {
			l.valid, l.noEOL = int64(len(b)), true // complete, only its newline missing
		}
		l.apply(m)
	}
	return nil
}

func (l *Log) apply(m Mark) {
	l.marks = append(l.marks, m)
	s := l.state[m.Tag]
	if s == nil {
		s = map[string]bool{}
		l.state[m.Tag] = s
	}
	if m.Remove {
		delete(s, m.Ref)
	} else {
		s[m.Ref] = m.Positive
	}
}

// Add appends marks (stamped with the time and one new round number) and syncs them.
func (l *Log) Add(marks ...Mark) error {
	now := time.Now().UTC()
	marks = slices.Clone(marks)
	for i := range marks {
		marks[i].Time, marks[i].Round = now, now.UnixNano()
	}
	return l.Append(marks...)
}

// Count is a tag's number of positive and negative examples.
type Count struct {
	Tag                string
	Positive, Negative int
}

// Tags lists the tags with their counts, by name.
func (l *Log) Tags() []Count {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []Count
	for t, s := range l.state {
		c := Count{Tag: t}
		for _, pos := range s {
			if pos {
				c.Positive++
			} else {
				c.Negative++
			}
		}
		if c.Positive+c.Negative > 0 {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tag < out[j].Tag })
	return out
}

// Labels returns a tag's examples: reference → positive.
func (l *Log) Labels(tag string) map[string]bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make(map[string]bool, len(l.state[tag]))
	for r, p := range l.state[tag] {
		out[r] = p
	}
	return out
}

// Round is what one round of tagging found: of the items tagged in it, how many were X.
type Round struct {
	Round              int64
	Time               time.Time
	Positive, Negative int
}

// Precision is the fraction of the round's marks that were positive.
func (r Round) Precision() float64 {
	if r.Positive+r.Negative == 0 {
		return 0
	}
	return float64(r.Positive) / float64(r.Positive+r.Negative)
}

// Rounds lists a tag's rounds in order.
func (l *Log) Rounds(tag string) []Round {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []Round
	for _, m := range l.marks {
		if m.Tag != tag || m.Remove {
			continue
		}
		if len(out) == 0 || out[len(out)-1].Round != m.Round {
			out = append(out, Round{Round: m.Round, Time: m.Time})
		}
		if m.Positive {
			out[len(out)-1].Positive++
		} else {
			out[len(out)-1].Negative++
		}
	}
	return slices.Clip(out)
}

// Marks returns a copy of every mark in the order they were added (to move a log to
// another store).
func (l *Log) Marks() []Mark {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return slices.Clone(l.marks)
}

// Append adds marks as they are, keeping their times and rounds (to move a log to
// another store; Add is for new marks). In an index directory it appends JSON lines
// under an exclusive file lock, after reading what other processes appended and cutting
// a torn tail, and syncs them before returning.
func (l *Log) Append(marks ...Mark) error {
	for _, m := range marks {
		if err := CheckTag(m.Tag); err != nil {
			return err
		}
		if m.Ref == "" {
			return fmt.Errorf("tags: a mark without an item reference")
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.journal != nil {
		if err := l.journal.Append(marks); err != nil {
			return fmt.Errorf("tags of %s: %w", l.path, err)
		}
		for _, m := range marks {
			l.apply(m)
		}
		return nil
	}
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	if err := l.reload(); err != nil {
		return err
	}
	if st, err := f.Stat(); err == nil && st.Size() > l.valid {
		if err := f.Truncate(l.valid); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if l.noEOL {
		buf.WriteByte('\n')
	}
	for _, m := range marks {
		b, _ := json.Marshal(m)
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	for _, m := range marks {
		l.apply(m)
	}
	return nil
}
