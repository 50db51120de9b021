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

// tagItems answers POST /tags: {"tag": "ship", "items": [12, 40], "negative": false,
// "remove": false}.
func (s *Server) tagItems(w http.ResponseWriter, r *http.Request, h *handle) error {
	var req struct {
		Tag      string  `json:"tag"`
		Items    []int64 `json:"items"`
		Negative bool    `json:"negative"`
		Remove   bool    `json:"remove"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return bodyErr(err, "JSON body")
	}
	if err := tags.CheckTag(req.Tag); err != nil {
		return httpErr(http.StatusBadRequest, "%v", err)
	}
	if len(req.Items) == 0 || len(req.Items) > s.cfg.MaxBatch {
		return httpErr(http.StatusBadRequest, "give 1 to %d item ids", s.cfg.MaxBatch)
	}
	h.mu.RLock()
	var marks []tags.Mark
	for _, id := range req.Items {
		it, err := h.ix.Item(id)
		if err != nil {
			h.mu.RUnlock()
			return httpErr(http.StatusNotFound, "no item %d", id)
		}
		marks = append(marks, tags.Mark{Tag: req.Tag, Ref: it.Ref, Positive: !req.Negative, Remove: req.Remove})
	}
	h.mu.RUnlock()
	l, err := tags.Open(h.dir)
	if err != nil {
		return err
	}
	if err := l.Add(marks...); err != nil {
		return err
	}
	return writeJSON(w, map[string]any{"tags": l.Tags()})
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
	ix := h.ix.Index
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
	return writeJSON(w, map[string]any{"model": m.Kind, "positives": m.Positives, "negatives": m.Negatives,
		"results": conv(learn.Top(scores, k, tagged)), "uncertain": conv(unsure),
		"round_precision": rounds, "higher_is_closer": true})
}
