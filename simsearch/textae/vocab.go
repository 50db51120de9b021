package textae

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Special tokens, always the first five ids in this order.
const (
	PadToken   = "<pad>"
	GoToken    = "<go>"
	EOSToken   = "<eos>"
	UnkToken   = "<unk>"
	BlankToken = "<blank>"
)

// Ids of the special tokens.
const (
	PadID int32 = iota
	GoID
	EOSID
	UnkID
	BlankID
)

var specials = []string{PadToken, GoToken, EOSToken, UnkToken, BlankToken}

// Vocab maps words to ids and back.
type Vocab struct {
	words []string
	ids   map[string]int32
}

// BuildVocab keeps the size most frequent words of the token lists (ties broken
// alphabetically, so the result is deterministic) after the five special tokens.
func BuildVocab(sentences [][]string, size int) *Vocab {
	counts := map[string]int{}
	for _, s := range sentences {
		for _, w := range s {
			counts[w]++
		}
	}
	for _, s := range specials {
		delete(counts, s)
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if counts[words[i]] != counts[words[j]] {
			return counts[words[i]] > counts[words[j]]
		}
		return words[i] < words[j]
	})
	if len(words) > size {
		words = words[:size]
	}
	return newVocab(append(append([]string{}, specials...), words...))
}

func newVocab(words []string) *Vocab {
	v := &Vocab{words: words, ids: make(map[string]int32, len(words))}
	for i, w := range words {
		v.ids[w] = int32(i)
	}
	return v
}

// Len is the number of ids, specials included.
func (v *Vocab) Len() int { return len(v.words) }

// ID returns the id of w, or UnkID.
func (v *Vocab) ID(w string) int32 {
	if id, ok := v.ids[w]; ok {
		return id
	}
	return UnkID
}

// Word returns the word for id, or UnkToken when out of range.
func (v *Vocab) Word(id int32) string {
	if id < 0 || int(id) >= len(v.words) {
		return UnkToken
	}
	return v.words[id]
}

// Encode maps tokens to ids (unknown words → UnkID).
func (v *Vocab) Encode(tokens []string) []int32 {
	out := make([]int32, len(tokens))
	for i, t := range tokens {
		out[i] = v.ID(t)
	}
	return out
}

// Decode maps ids back to words.
func (v *Vocab) Decode(ids []int32) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = v.Word(id)
	}
	return out
}

// Save writes one word per line, atomically (temp file + rename).
func (v *Vocab) Save(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".vocab-*")
	if err != nil {
		return fmt.Errorf("vocab save: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	for _, word := range v.words {
		fmt.Fprintln(w, word)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("vocab save %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("vocab save %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

// ErrBadVocab is returned by LoadVocab for malformed files.
var ErrBadVocab = errors.New("bad vocabulary file")

// LoadVocab reads a file written by Save and checks the special tokens.
func LoadVocab(path string) (*Vocab, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vocab load: %w", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) < len(specials) {
		return nil, fmt.Errorf("%w: %s has %d lines, fewer than the %d special tokens", ErrBadVocab, path, len(lines), len(specials))
	}
	seen := map[string]int{}
	for i, w := range lines {
		if i < len(specials) && w != specials[i] {
			return nil, fmt.Errorf("%w: %s line %d is %q, want %q", ErrBadVocab, path, i+1, w, specials[i])
		}
		if w == "" || strings.ContainsAny(w, " \t") {
			return nil, fmt.Errorf("%w: %s line %d: %q is not a single token", ErrBadVocab, path, i+1, w)
		}
		if j, dup := seen[w]; dup {
			return nil, fmt.Errorf("%w: %s line %d repeats %q from line %d", ErrBadVocab, path, i+1, w, j)
		}
		seen[w] = i + 1
	}
	return newVocab(lines), nil
}
