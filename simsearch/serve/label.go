package serve

import (
	"encoding/json"
	"net/http"

	"github.com/corpushunt/corpushunt/simsearch"
	"github.com/corpushunt/corpushunt/simsearch/learn"
	"github.com/corpushunt/corpushunt/simsearch/tags"
)

// tagsList answers GET /tags: the tags with their counts.
func (s *Server) tagsList(w http.ResponseWriter, r *http.Request, h *handle) error {
	l, err := tags.Open(h.dir)
	if err != nil {
		return err
	}
	return writeJSON(w, map[string]any{"tags": l.Tags()})
}

// tagMark is one verdict of the marks form of POST /tags.
type tagMark struct {
	Item     *int64 `json:"item"`
	Positive *bool  `json:"positive"`
}

// tagItems answers POST /tags, one round of tagging (one Log.Add) per request, in either
// form:
//
//	{"tag": "ship", "items": [12, 40], "negative": false, "remove": false}
//	{"tag": "ship", "marks": [{"item": 12, "positive": true}, {"item": 40, "positive": false}]}
//
// The second carries positives and negatives together, so that a round's precision (the
// share of the items looked at that were X) counts both. It answers the tags' counts and
// what the round held.
func (s *Server) tagItems(w http.ResponseWriter, r *http.Request, h *handle) error {
	var req struct {
		Tag      string    `json:"tag"`
		Items    []int64   `json:"items"`
		Marks    []tagMark `json:"marks"`
		Negative *bool     `json:"negative"`
		Remove   *bool     `json:"remove"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return bodyErr(err, "JSON body")
	}
	if err := tags.CheckTag(req.Tag); err != nil {
		return httpErr(http.StatusBadRequest, "%v", err)
	}
	type verdict struct {
		id            int64
		positive, rem bool
	}
	var want []verdict
	switch {
	case req.Items != nil && req.Marks != nil:
		return httpErr(http.StatusBadRequest, `give "items" or "marks", not both`)
	case req.Marks != nil:
		if req.Negative != nil || req.Remove != nil {
			return httpErr(http.StatusBadRequest, `"negative" and "remove" go with "items"; each of "marks" says "positive": true or false`)
		}
		if len(req.Marks) == 0 || len(req.Marks) > s.cfg.MaxBatch {
			return httpErr(http.StatusBadRequest, "give 1 to %d marks", s.cfg.MaxBatch)
		}
		seen := make(map[int64]bool, len(req.Marks))
		for i, m := range req.Marks {
			if m.Item == nil || m.Positive == nil {
				return httpErr(http.StatusBadRequest, `mark %d: give {"item": ID, "positive": true or false}`, i)
			}
			if seen[*m.Item] {
				return httpErr(http.StatusBadRequest, "item %d is marked twice in one round", *m.Item)
			}
			seen[*m.Item] = true
			want = append(want, verdict{id: *m.Item, positive: *m.Positive})
		}
	default:
		if len(req.Items) == 0 || len(req.Items) > s.cfg.MaxBatch {
			return httpErr(http.StatusBadRequest, "give 1 to %d item ids", s.cfg.MaxBatch)
		}
		neg, rem := req.Negative != nil && *req.Negative, req.Remove != nil && *req.Remove
		for _, id := range req.Items {
			want = append(want, verdict{id: id, positive: !neg, rem: rem})
		}
	}
	h.mu.RLock()
	marks := make([]tags.Mark, 0, len(want))
	for _, v := range want {
		it, err := h.ix.Item(v.id)
		if err != nil {
			h.mu.RUnlock()
			return httpErr(http.StatusNotFound, "no item %d", v.id)
		}
		marks = append(marks, tags.Mark{Tag: req.Tag, Ref: it.Ref, Positive: v.positive, Remove: v.rem})
	}
	h.mu.RUnlock()
	l, err := tags.Open(h.dir)
	if err != nil {
		return err
	}
	if err := l.Add(marks...); err != nil {
		return err
	}
	var rd tags.Round
	for _, m := range marks {
		switch {
		case m.Remove:
		case m.Positive:
			rd.Positive++
		default:
			rd.Negative++
		}
	}
	return writeJSON(w, map[string]any{"tags": l.Tags(),
		"round": map[string]any{"positive": rd.Positive, "negative": rd.Negative, "precision": rd.Precision()}})
}

// more answers GET /more?tag=NAME&k=N&uncertain=M: the corpus ranked by the tag's
// classifier (its examples left out), and the items it is least sure of.
func (s *Server) more(w http.ResponseWriter, r *http.Request, h *handle) error {
	tag := r.URL.Query().Get("tag")
	if err := tags.CheckTag(tag); err != nil {
		return httpErr(http.StatusBadRequest, "%v", err)
	}
	k, err := s.intParam(r, "k", nil, 20, 1, s.cfg.MaxK)
	if err != nil {
		return err
	}
	unc, err := s.intParam(r, "uncertain", nil, 0, 0, s.cfg.MaxK)
	if err != nil {
		return err
	}
	l, err := tags.Open(h.dir)
	if err != nil {
		return err
	}
	if len(l.Labels(tag)) == 0 {
		return httpErr(http.StatusNotFound, "tag %q has no examples", tag)
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	ix := h.ix.Store
	m, scores, tagged, err := simsearch.TagScores(r.Context(), ix, h.dir, tag)
	if err != nil {
		return httpErr(http.StatusBadRequest, "tag %q: %v", tag, err)
	}
	conv := func(ss []learn.Scored) []Result {
		out := make([]Result, len(ss))
		for i, s := range ss {
			it, _ := ix.Item(s.ID)
			out[i] = Result{Rank: i + 1, ID: s.ID, Score: s.Score, Label: it.Label, Ref: it.Ref, Text: it.Text, Meta: it.Meta}
		}
		return out
	}
	unsure, err := learn.MostUncertain(r.Context(), ix, m, unc, tagged)
	if err != nil {
		return err
	}
	rounds := []float64{}
	for _, rd := range l.Rounds(tag) {
		rounds = append(rounds, rd.Precision())
	}
	negs := len(tagged) - m.Positives // the user's; the model's count adds presumed ones
	return writeJSON(w, map[string]any{
		"model":              m.Kind,
		"positives":          m.Positives,
		"negatives":          negs,
		"presumed_negatives": m.Negatives - negs,
		"results":            conv(learn.Top(scores, k, tagged)),
		"uncertain":          conv(unsure),
		"round_precision":    rounds,
		"higher_is_closer":   true,
	})
}
