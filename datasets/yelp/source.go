package yelp

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
)

// SourceName is the corpus source this package registers. Root is the Yelp folder;
// option "files" lists the sentence files to read (comma-separated, default
// IndexFiles), "without" lists files whose sentences are left out wherever they occur
// (default none; training leaves out QueryFiles), "skip-bad" skips bad lines. References
// are "file:line" relative to Root; labels are "negative" and "positive".
const SourceName = "yelp"

// TokenizerName is the tokenizer this package registers with ingest: Tokenize, the
// corpus's own conventions, used for its sentences and for typed queries alike.
const TokenizerName = "yelp"

// IndexFiles are the labelled files indexed by default (about 190,000 sentences).
var IndexFiles = []string{"sentiment.dev.0", "sentiment.dev.1", "sentiment.test.0", "sentiment.test.1"}

// QueryFiles are labelled files from the other source repository, used as queries.
// Their sentences also occur in IndexFiles (both repositories sampled the same Yelp
// sentences), so a model evaluated with them must be trained Without them.
var QueryFiles = []string{"sentiment/1000.neg", "sentiment/1000.pos"}

func init() {
	corpus.Register(SourceName, corpus.Text, "the Yelp review sentences (sentiment labels); options files=..., without=...", OpenCorpus)
	ingest.RegisterTokenizer(TokenizerName, Tokenize)
	corpus.RegisterName(SourceName, func(arg string) (corpus.Spec, error) { // "yelp[:file,file]"
		var files []string
		if arg != "" {
			files = strings.Split(arg, ",")
		}
		return Spec("", files)
	})
}

// Spec locates the corpus (data is the --data flag, "" to search) and returns the spec
// of the named files (nil: IndexFiles).
func Spec(data string, files []string) (corpus.Spec, error) {
	dir, err := Find(data)
	if err != nil {
		return corpus.Spec{}, err
	}
	if files == nil {
		files = IndexFiles
	}
	return corpus.Spec{Source: SourceName, Root: dir, Options: map[string]string{"files": strings.Join(files, ",")}}, nil
}

// Without returns the sentences whose text is not the text of any of held, and how many
// were left out (every copy of a held-out text goes: a query's duplicates in the training
// data would let a model see it).
func Without(sents, held []Sentence) ([]Sentence, int) {
	drop := make(map[string]bool, len(held))
	for _, h := range held {
		drop[h.Text] = true
	}
	out := make([]Sentence, 0, len(sents))
	for _, s := range sents {
		if !drop[s.Text] {
			out = append(out, s)
		}
	}
	return out, len(sents) - len(out)
}

// ReadFiles reads the named files of a corpus in order (at most limit sentences in all;
// 0: no limit).
func ReadFiles(c *Corpus, files []string, limit int, skipBad bool) ([]Sentence, int, error) {
	var out []Sentence
	skipped := 0
	for _, name := range files {
		f, err := c.File(name)
		if err != nil {
			return nil, skipped, err
		}
		s, n, err := Read(f, skipBad)
		skipped += n
		if err != nil {
			return nil, skipped, err
		}
		out = append(out, s...)
		if limit > 0 && len(out) >= limit {
			return out[:limit], skipped, nil
		}
	}
	return out, skipped, nil
}

// SentenceCorpus is a list of sentences as a corpus (they are small: held in memory).
type SentenceCorpus struct {
	C         *Corpus
	Sentences []Sentence
	spec      corpus.Spec
	skipped   int
	held      int
}

// OpenCorpus opens the files a spec names.
func OpenCorpus(spec corpus.Spec) (corpus.Corpus, error) {
	if spec.Root == "" {
		return nil, fmt.Errorf("%w: yelp needs the corpus folder as root", corpus.ErrSpec)
	}
	c, err := Open(spec.Root)
	if err != nil {
		return nil, err
	}
	files := IndexFiles
	if f := spec.Option("files", ""); f != "" {
		files = strings.Split(f, ",")
	}
	skipBad := spec.Option(corpus.OptSkipBad, "") == "true"
	sents, skipped, err := ReadFiles(c, files, 0, skipBad)
	if err != nil {
		return nil, err
	}
	sc := &SentenceCorpus{C: c, Sentences: sents, spec: spec, skipped: skipped}
	if w := spec.Option("without", ""); w != "" {
		held, _, err := ReadFiles(c, strings.Split(w, ","), 0, skipBad)
		if err != nil {
			return nil, err
		}
		sc.Sentences, sc.held = Without(sents, held)
	}
	return sc, nil
}

func (s *SentenceCorpus) Spec() corpus.Spec { return s.spec }
func (s *SentenceCorpus) Kind() corpus.Kind { return corpus.Text }
func (s *SentenceCorpus) Len() int          { return len(s.Sentences) }

func record(x Sentence) corpus.Record {
	return corpus.Record{Item: corpus.Item{Ref: x.Ref.String(), Label: LabelName(x.Label)}, Text: x.Text}
}

// Batches streams the sentences in file order.
func (s *SentenceCorpus) Batches(ctx context.Context, n int, fn func([]corpus.Record) error) error {
	batch := make([]corpus.Record, 0, n)
	for i, x := range s.Sentences {
		batch = append(batch, record(x))
		if len(batch) == n || i == len(s.Sentences)-1 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return nil
}

// Resolve reads the sentence at "file:line".
func (s *SentenceCorpus) Resolve(ref string) (corpus.Record, error) {
	i := strings.LastIndexByte(ref, ':')
	line, err := strconv.Atoi(ref[i+1:])
	if i <= 0 || err != nil || line < 1 {
		return corpus.Record{}, fmt.Errorf("%w: %q: want file:line", corpus.ErrNoRef, ref)
	}
	f, err := s.C.File(ref[:i])
	if err != nil {
		return corpus.Record{}, fmt.Errorf("%w: %v", corpus.ErrNoRef, err)
	}
	sents, _, err := Read(f, true)
	if err != nil {
		return corpus.Record{}, err
	}
	for _, x := range sents {
		if x.Ref.Line == line {
			return record(x), nil
		}
	}
	return corpus.Record{}, fmt.Errorf("%w: %s has no sentence on line %d", corpus.ErrNoRef, f.Name, line)
}

// Summary counts the sentences per label and what was skipped or held out.
func (s *SentenceCorpus) Summary() corpus.Summary {
	sum := corpus.Summary{Items: len(s.Sentences), Labels: map[string]int{}}
	for _, x := range s.Sentences {
		if l := LabelName(x.Label); l != "" {
			sum.Labels[l]++
		}
	}
	if s.skipped > 0 || s.held > 0 {
		sum.Skipped = map[string]int{}
		if s.skipped > 0 {
			sum.Skipped["bad lines"] = s.skipped
		}
		if s.held > 0 {
			sum.Skipped["held-out sentences"] = s.held
		}
	}
	return sum
}

// Tokenizer names the tokenizer the corpus's sentences are written in (TokenizerName).
func (s *SentenceCorpus) Tokenizer() string { return TokenizerName }
