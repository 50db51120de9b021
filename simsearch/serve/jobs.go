package serve

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Job is a background task's state, as GET /api/v1/jobs/{id} answers it.
type Job struct {
	ID       int       `json:"id"`
	Index    string    `json:"index"`
	Kind     string    `json:"kind"`  // "train"
	State    string    `json:"state"` // running, done, failed
	Done     int       `json:"done"`
	Total    int       `json:"total"`
	Error    string    `json:"error,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
}

type jobs struct {
	mu   sync.Mutex
	next int
	all  map[int]*Job
}

func (j *jobs) start(index, kind string) *Job {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.all == nil {
		j.all = map[int]*Job{}
	}
	j.next++
	jb := &Job{ID: j.next, Index: index, Kind: kind, State: "running", Started: time.Now().UTC()}
	j.all[jb.ID] = jb
	return jb
}

func (j *jobs) update(jb *Job, f func(*Job)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f(jb)
}

func (j *jobs) get(id int) (Job, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	jb, ok := j.all[id]
	if !ok {
		return Job{}, false
	}
	return *jb, true
}

// train retrains the index's IVF quantizer on its current vectors in the background;
// queries are answered by the old index until the new one is saved.
func (s *Server) train(w http.ResponseWriter, r *http.Request, h *handle) error {
	if !h.wmu.TryLock() {
		return httpErr(http.StatusConflict, "index %s is busy (%s): try again when it is done", h.name, h.busy)
	}
	h.busy = "retraining"
	factory := r.URL.Query().Get("factory")
	if factory != "" && len(factory) > 100 {
		h.wmu.Unlock()
		return httpErr(http.StatusBadRequest, "factory string too long")
	}
	old := h.ix
	ofx := old.FAISS()
	if ofx == nil {
		h.wmu.Unlock()
		return httpErr(http.StatusBadRequest, "index %s is kept in %s, which builds its own index: nothing to retrain", h.name, h.dir)
	}
	if ofx.NList() == 0 && factory == "" {
		h.wmu.Unlock()
		return httpErr(http.StatusBadRequest, "index %s is %s, which has no quantizer to retrain (give ?factory=IVF256,Flat to rebuild it as IVF)", h.name, ofx.Factory())
	}
	jb := s.jobs.start(h.name, "train")
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer h.wmu.Unlock()
		// The job outlives the request; a server shutdown waits for it (Run).
		ctx := context.Background()
		fresh, err := ofx.Rebuild(ctx, factory, func(done, total int) {
			s.jobs.update(jb, func(j *Job) { j.Done, j.Total = done, total })
		})
		if err == nil {
			err = fresh.Save(ctx, h.dir)
			if err != nil {
				fresh.Close()
			}
		}
		if err != nil {
			s.jobs.update(jb, func(j *Job) { j.State, j.Error, j.Finished = "failed", err.Error(), time.Now().UTC() })
			return
		}
		h.mu.Lock()
		ofx.MoveLockTo(fresh)
		swapped := *old
		swapped.Store = fresh
		h.ix = &swapped
		h.mu.Unlock()
		ofx.Close()
		s.jobs.update(jb, func(j *Job) { j.State, j.Finished = "done", time.Now().UTC() })
	}()
	w.Header().Set("Location", fmt.Sprintf("/api/v1/jobs/%d", jb.ID))
	w.WriteHeader(http.StatusAccepted)
	return writeJSON(w, map[string]any{"job": jb.ID})
}

func (s *Server) job(w http.ResponseWriter, r *http.Request, _ *handle) error {
	id, err := strconv.Atoi(r.PathValue("job"))
	if err != nil {
		return httpErr(http.StatusBadRequest, "job id %q is not a number", r.PathValue("job"))
	}
	jb, ok := s.jobs.get(id)
	if !ok {
		return httpErr(http.StatusNotFound, "no job %d", id)
	}
	return writeJSON(w, jb)
}
