package serve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/corpushunt/corpushunt/simsearch"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/corpus/images"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
)

//go:embed web
var webFS embed.FS

// UploadsDir is the folder, inside an index directory, where images added through the
// API are kept (named by their SHA-256), so their payloads survive restarts.
const UploadsDir = "uploads"

// uploadRef prefixes the references of uploaded items.
const uploadRef = "upload:"

// Server serves indexes over HTTP. Create it with New; it is an http.Handler.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	handles []*handle
	byName  map[string]*handle
	jobs    jobs
	reg     *prometheus.Registry
	reqs    *prometheus.CounterVec
	lat     *prometheus.HistogramVec
	items   *prometheus.GaugeVec
	bg      sync.WaitGroup
}

// handle is one served index.
type handle struct {
	name, dir string
	mu        sync.RWMutex // queries hold it shared; commits and swaps exclusively
	ix        *simsearch.Index
	wmu       sync.Mutex // one writer (add, retrain) at a time
	busy      string     // the job holding wmu, for 409 answers
}

// New opens the indexes (taking their writer locks) and prepares the routes.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), byName: map[string]*handle{}, reg: prometheus.NewRegistry()}
	for _, spec := range cfg.Indexes {
		ix, err := simsearch.LoadWriter(spec.Dir)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("index %s: %w", spec.Dir, err)
		}
		h := &handle{name: spec.Name, dir: spec.Dir, ix: ix}
		s.handles = append(s.handles, h)
		s.byName[spec.Name] = h
	}
	s.metrics()
	s.routes()
	return s, nil
}

// Close closes the indexes, releasing their locks.
func (s *Server) Close() error {
	var errs []error
	for _, h := range s.handles {
		h.mu.Lock()
		if h.ix != nil {
			errs = append(errs, h.ix.Close())
			h.ix = nil
		}
		h.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Wait waits for background jobs (retrains) to finish.
func (s *Server) Wait() { s.bg.Wait() }

func (s *Server) metrics() {
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corpushunt_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"})
	s.lat = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "corpushunt_http_request_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"route"})
	s.items = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "corpushunt_index_items", Help: "Items in each served index."}, []string{"index"})
	s.reg.MustRegister(s.reqs, s.lat, s.items, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	for _, h := range s.handles {
		s.items.WithLabelValues(h.name).Set(float64(h.ix.Len()))
	}
}

// apiFunc is a handler of one index.
type apiFunc func(w http.ResponseWriter, r *http.Request, h *handle) error

func (s *Server) routes() {
	api := func(method, path string, write bool, f apiFunc) {
		for _, prefix := range []string{"/api/v1", "/api/v1/indexes/{index}"} {
			route := method + " " + prefix + path
			s.mux.Handle(route, s.instrument(prefix+path, func(w http.ResponseWriter, r *http.Request) error {
				h := s.handles[0]
				if name := r.PathValue("index"); name != "" {
					var ok bool
					if h, ok = s.byName[name]; !ok {
						return httpErr(http.StatusNotFound, "no index named %q (serving: %s)", name, strings.Join(s.names(), ", "))
					}
				}
				if write {
					if err := s.authorize(r); err != nil {
						return err
					}
				}
				r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
				return f(w, r, h)
			}))
		}
	}
	api("POST", "/query", false, s.query)
	api("GET", "/items/{id}", false, s.item)
	api("GET", "/items/{id}/payload", false, s.payload)
	api("POST", "/items", true, s.add)
	api("POST", "/train", true, s.train)
	api("GET", "/jobs/{job}", false, s.job)
	api("GET", "/index", false, s.info)
	api("GET", "/tags", false, s.tagsList)
	api("POST", "/tags", true, s.tagItems)
	api("GET", "/more", false, s.more)
	maps := &projections{} // this server's cached map projections
	api("GET", "/map", false, func(w http.ResponseWriter, r *http.Request, h *handle) error { return s.mapPoints(w, r, h, maps) })
	s.mux.Handle("GET /echarts.js", s.instrument("/echarts.js", serveECharts))
	s.mux.Handle("GET /api/v1/indexes", s.instrument("/api/v1/indexes", func(w http.ResponseWriter, r *http.Request) error {
		var out []map[string]any
		for _, h := range s.handles {
			out = append(out, s.describe(h))
		}
		return writeJSON(w, map[string]any{"indexes": out})
	}))
	s.mux.Handle("GET /healthz", s.instrument("/healthz", func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, map[string]any{"ok": true, "indexes": s.names()})
	}))
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	web, _ := fs.Sub(webFS, "web")
	files := http.FileServerFS(web)
	s.mux.Handle("/", s.instrument("/", func(w http.ResponseWriter, r *http.Request) error {
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/"):
			return httpErr(http.StatusNotFound, "no such API route: %s %s", r.Method, r.URL.Path)
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			return httpErr(http.StatusMethodNotAllowed, "%s %s: the page is read-only", r.Method, r.URL.Path)
		}
		files.ServeHTTP(w, r)
		return nil
	}))
}

func (s *Server) names() []string {
	var out []string
	for _, h := range s.handles {
		out = append(out, h.name)
	}
	return out
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
}

// apiError is an error with an HTTP status.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return e.msg }

func httpErr(code int, format string, args ...any) error {
	return &apiError{code, fmt.Sprintf(format, args...)}
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// instrument turns an error-returning handler into an http.Handler that answers errors
// as JSON, never lets a panic take the server down, and records metrics.
func (s *Server) instrument(route string, f func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				writeError(sw, &apiError{http.StatusInternalServerError, fmt.Sprintf("internal error: %v", p)})
			}
			s.reqs.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
			s.lat.WithLabelValues(route).Observe(time.Since(t0).Seconds())
		}()
		if err := f(sw, r); err != nil {
			writeError(sw, err)
		}
	})
}

func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		code = ae.code
	case errors.As(err, &mbe):
		code = http.StatusRequestEntityTooLarge
		err = fmt.Errorf("request body over the %d-byte limit", mbe.Limit)
	case errors.Is(err, index.ErrNoItem), errors.Is(err, corpus.ErrNoRef):
		code = http.StatusNotFound
	case errors.Is(err, index.ErrBadK), errors.Is(err, index.ErrDimension), errors.Is(err, index.ErrBadVector),
		errors.Is(err, ingest.ErrKind), errors.Is(err, simsearch.ErrUnknownWords), errors.Is(err, simsearch.ErrEmptyQuery),
		errors.Is(err, corpus.ErrBadItem):
		code = http.StatusBadRequest
	case errors.Is(err, index.ErrBusy):
		code = http.StatusConflict
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

func (s *Server) authorize(r *http.Request) error {
	if s.cfg.Token == "" {
		return nil
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) != 1 {
		return httpErr(http.StatusUnauthorized, "this call needs the server's token: Authorization: Bearer TOKEN")
	}
	return nil
}

// Result is one ranked hit as the API answers it.
type Result struct {
	Rank  int               `json:"rank"`
	ID    int64             `json:"id"`
	Score float32           `json:"score"`
	Label string            `json:"label,omitempty"`
	Ref   string            `json:"ref"`
	Text  string            `json:"text,omitempty"`
	Meta  map[string]string `json:"meta,omitempty"`
}

// queryRequest is the JSON body of a query.
type queryRequest struct {
	Item   *int64    `json:"item"`
	Text   *string   `json:"text"`
	Vector []float32 `json:"vector"`
	K      *int      `json:"k"`
	Nprobe *int      `json:"nprobe"`
}

func (s *Server) intParam(r *http.Request, name string, body *int, def, lo, hi int) (int, error) {
	v := def
	if body != nil {
		v = *body
	}
	str := r.URL.Query().Get(name)
	if str == "" && r.MultipartForm != nil {
		if vs := r.MultipartForm.Value[name]; len(vs) > 0 {
			str = vs[0]
		}
	}
	if str != "" {
		n, err := strconv.Atoi(str)
		if err != nil {
			return 0, httpErr(http.StatusBadRequest, "%s %q is not a number", name, str)
		}
		v = n
	}
	if v < lo || v > hi {
		return 0, httpErr(http.StatusBadRequest, "%s %d outside %d..%d", name, v, lo, hi)
	}
	return v, nil
}

func (s *Server) query(w http.ResponseWriter, r *http.Request, h *handle) error {
	var req queryRequest
	var img image.Image
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return bodyErr(err, "multipart form")
		}
		defer r.MultipartForm.RemoveAll()
		files := r.MultipartForm.File["image"]
		if len(files) == 0 {
			return httpErr(http.StatusBadRequest, `no "image" file in the form`)
		}
		var err error
		if img, _, err = s.readImage(files[0]); err != nil {
			return err
		}
	} else {
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return bodyErr(err, "JSON body")
		}
	}
	k, err := s.intParam(r, "k", req.K, 10, 1, s.cfg.MaxK)
	if err != nil {
		return err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	ix := h.ix
	nprobe, err := s.intParam(r, "nprobe", req.Nprobe, 0, 0, ix.NList())
	if err != nil {
		return err
	}
	given := 0
	for _, b := range []bool{img != nil, req.Item != nil, req.Text != nil, req.Vector != nil} {
		if b {
			given++
		}
	}
	if given != 1 {
		return httpErr(http.StatusBadRequest, `give exactly one of "item", "text", "vector" (JSON) or an "image" file (multipart)`)
	}
	opts := index.SearchOptions{Nprobe: nprobe}
	var hits []index.Hit
	var q []float32
	switch {
	case req.Item != nil:
		if *req.Item < 0 || *req.Item >= int64(ix.Len()) {
			return httpErr(http.StatusNotFound, "no item %d: ids run from 0 to %d", *req.Item, ix.Len()-1)
		}
		hits, err = ix.SearchByID(r.Context(), *req.Item, k, true, opts)
		if hits == nil && err != nil {
			return err
		}
	case req.Text != nil:
		if len(*req.Text) > 10000 || !utf8.ValidString(*req.Text) {
			return httpErr(http.StatusBadRequest, "text must be valid UTF-8 of at most 10,000 bytes")
		}
		if q, _, err = ix.EncodeText(r.Context(), *req.Text); err != nil {
			return err
		}
	case req.Vector != nil:
		if len(req.Vector) != ix.Dim() {
			return httpErr(http.StatusBadRequest, "vector has %d values, the index holds %d-d vectors", len(req.Vector), ix.Dim())
		}
		q = req.Vector
	default:
		iq, ok := ix.Encoder.(ingest.ImageQuerier)
		if !ok {
			return httpErr(http.StatusBadRequest, "index %s holds %s vectors, which take no images", h.name, ix.Encoder.Info().Name)
		}
		if q, err = iq.EncodeImages(r.Context(), []image.Image{img}); err != nil {
			return err
		}
	}
	if q != nil {
		res, err := ix.Search(r.Context(), q, k, opts)
		if res == nil {
			return err
		}
		hits = res[0]
	}
	out := make([]Result, len(hits))
	for i, hit := range hits {
		out[i] = Result{Rank: hit.Rank, ID: hit.ID, Score: hit.Distance, Label: hit.Item.Label, Ref: hit.Item.Ref, Text: hit.Item.Text, Meta: hit.Item.Meta}
	}
	return writeJSON(w, map[string]any{"results": out, "metric": ix.Metric(), "higher_is_closer": ix.Metric().HigherIsCloser()})
}

func bodyErr(err error, what string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return httpErr(http.StatusBadRequest, "bad %s: %v", what, err)
}

// readImage reads an uploaded image: sniffed, size-checked before decoding. It returns
// the image and the file's bytes.
func (s *Server) readImage(fh *multipart.FileHeader) (image.Image, []byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, nil, httpErr(http.StatusBadRequest, "upload %q: %v", fh.Filename, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, bodyErr(err, "upload")
	}
	if ct := http.DetectContentType(b); !strings.HasPrefix(ct, "image/") && !isTIFFOrWebP(b) {
		return nil, nil, httpErr(http.StatusUnsupportedMediaType, "upload %q is not an image (%s)", fh.Filename, ct)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, nil, httpErr(http.StatusBadRequest, "upload %q: not a readable image: %v", fh.Filename, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || int64(cfg.Width)*int64(cfg.Height) > int64(s.cfg.MaxPixels) {
		return nil, nil, httpErr(http.StatusRequestEntityTooLarge, "upload %q declares %d×%d pixels, more than the %d allowed", fh.Filename, cfg.Width, cfg.Height, s.cfg.MaxPixels)
	}
	img, err := images.Decode(bytes.NewReader(b), fh.Filename)
	if err != nil {
		return nil, nil, httpErr(http.StatusBadRequest, "upload %q: %v", fh.Filename, err)
	}
	return img, b, nil
}

func isTIFFOrWebP(b []byte) bool {
	return bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*")) ||
		(len(b) > 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP")
}

func (s *Server) itemID(r *http.Request, h *handle) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, httpErr(http.StatusBadRequest, "item id %q is not a number", r.PathValue("id"))
	}
	if n := int64(h.ix.Len()); id < 0 || id >= n {
		return 0, httpErr(http.StatusNotFound, "no item %d: ids run from 0 to %d", id, n-1)
	}
	return id, nil
}

func (s *Server) item(w http.ResponseWriter, r *http.Request, h *handle) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	id, err := s.itemID(r, h)
	if err != nil {
		return err
	}
	it, err := h.ix.Item(id)
	if err != nil {
		return err
	}
	return writeJSON(w, map[string]any{"id": id, "ref": it.Ref, "label": it.Label, "text": it.Text, "meta": it.Meta})
}

func (s *Server) payload(w http.ResponseWriter, r *http.Request, h *handle) error {
	h.mu.RLock()
	id, err := s.itemID(r, h)
	if err != nil {
		h.mu.RUnlock()
		return err
	}
	it, _ := h.ix.Item(id)
	c := h.ix.Corpus
	h.mu.RUnlock()
	if it.Text != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err := io.WriteString(w, it.Text)
		return err
	}
	var img image.Image
	if name, ok := strings.CutPrefix(it.Ref, uploadRef); ok {
		if img, err = images.DecodeFile(filepath.Join(h.dir, UploadsDir, filepath.Base(name))); err != nil {
			return err
		}
	} else {
		if c == nil {
			return httpErr(http.StatusNotFound, "item %d: the index's corpus is not where it was indexed (re-point it)", id)
		}
		rec, err := c.Resolve(it.Ref)
		if err != nil {
			return err
		}
		if rec.Image == nil {
			if rec.Text != "" {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				_, err := io.WriteString(w, rec.Text)
				return err
			}
			return httpErr(http.StatusNotFound, "item %d has no image or text payload", id)
		}
		img = rec.Image
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, err = w.Write(buf.Bytes())
	return err
}

func (s *Server) describe(h *handle) map[string]any {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ix := h.ix
	kind := ""
	if ix.Encoder != nil {
		kind = string(ix.Encoder.Kind())
	}
	out := map[string]any{
		"name": h.name, "items": ix.Len(), "dim": ix.Dim(), "metric": ix.Metric(),
		"higher_is_closer": ix.Metric().HigherIsCloser(), "encoder": ix.Store.Encoder(), "kind": kind,
		"corpus": ix.Store.Corpus(), "max_k": s.cfg.MaxK, "token_required": s.cfg.Token != "",
	}
	if ix.FAISS() != nil {
		out["factory"], out["nprobe"], out["nlist"], out["tuning"] = ix.Factory(), ix.Nprobe(), ix.NList(), ix.Tuning()
	} else {
		if d, ok := ix.Store.(interface{ Short() string }); ok {
			out["store"] = d.Short()
		}
		if d, ok := ix.Store.(interface{ Describe() string }); ok {
			out["store_detail"] = d.Describe()
		}
	}
	return out
}

func (s *Server) info(w http.ResponseWriter, r *http.Request, h *handle) error {
	return writeJSON(w, s.describe(h))
}

// textItem is one text to add.
type textItem struct {
	Text  string            `json:"text"`
	Label string            `json:"label"`
	Meta  map[string]string `json:"meta"`
}

func (s *Server) add(w http.ResponseWriter, r *http.Request, h *handle) error {
	if !h.wmu.TryLock() {
		return httpErr(http.StatusConflict, "index %s is busy (%s): try again when it is done", h.name, h.busy)
	}
	defer h.wmu.Unlock()
	h.busy = "adding items"
	ix := h.ix // only writers swap h.ix, and this is the writer
	var recs []corpus.Record
	var uploads [][]byte
	kind := ix.Encoder.Kind()
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if kind != corpus.Image {
			return httpErr(http.StatusBadRequest, "index %s holds %s items: add them as JSON {\"texts\": [...]}", h.name, kind)
		}
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return bodyErr(err, "multipart form")
		}
		defer r.MultipartForm.RemoveAll()
		files := r.MultipartForm.File["image"]
		if len(files) == 0 {
			return httpErr(http.StatusBadRequest, `no "image" files in the form`)
		}
		if len(files) > s.cfg.MaxBatch {
			return httpErr(http.StatusRequestEntityTooLarge, "%d images in one add; at most %d", len(files), s.cfg.MaxBatch)
		}
		labels := r.MultipartForm.Value["label"]
		for i, fh := range files {
			img, b, err := s.readImage(fh)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			name := hex.EncodeToString(sum[:]) + imageExt(b)
			rec := corpus.Record{Item: corpus.Item{Ref: uploadRef + name, Meta: map[string]string{"filename": filepath.Base(fh.Filename)}}, Image: img}
			if i < len(labels) {
				rec.Label = labels[i]
			}
			recs = append(recs, rec)
			uploads = append(uploads, b)
		}
	} else {
		if kind != corpus.Text {
			return httpErr(http.StatusBadRequest, "index %s holds %s items: add images as a multipart form with \"image\" files", h.name, kind)
		}
		var body struct {
			Texts []textItem `json:"texts"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			return bodyErr(err, "JSON body")
		}
		if len(body.Texts) == 0 || len(body.Texts) > s.cfg.MaxBatch {
			return httpErr(http.StatusBadRequest, "give 1 to %d texts", s.cfg.MaxBatch)
		}
		stamp := time.Now().UTC().Format("20060102T150405.000000000")
		for i, t := range body.Texts {
			if strings.TrimSpace(t.Text) == "" || !utf8.ValidString(t.Text) || len(t.Text) > 100000 {
				return httpErr(http.StatusBadRequest, "text %d: want non-empty valid UTF-8 of at most 100,000 bytes", i)
			}
			recs = append(recs, corpus.Record{Item: corpus.Item{Ref: fmt.Sprintf("api:%s:%d", stamp, i), Label: t.Label, Meta: t.Meta}, Text: t.Text})
		}
	}
	// Keep the uploaded files first: an item never refers to a missing payload.
	if len(uploads) > 0 && index.IsStoreURL(h.dir) {
		return httpErr(http.StatusBadRequest, "index %s is kept in %s, which has no folder to keep uploaded images in: add them with `corpushunt add --store`", h.name, h.dir)
	}
	for i, b := range uploads {
		if err := keepUpload(h.dir, strings.TrimPrefix(recs[i].Ref, uploadRef), b); err != nil {
			return err
		}
	}
	vecs, err := ix.Encoder.Encode(r.Context(), recs)
	if err != nil {
		return httpErr(http.StatusBadRequest, "encode: %v", err)
	}
	items := make([]index.Item, len(recs))
	for i, rec := range recs {
		items[i] = ingest.ItemOf(rec, kind)
	}
	// Commit with queries held off: they see the items once saved, never before.
	h.mu.Lock()
	defer h.mu.Unlock()
	first := ix.Len()
	if err := ix.Add(context.WithoutCancel(r.Context()), vecs, items, nil); err != nil {
		return s.reload(h, fmt.Errorf("add: %w", err))
	}
	if err := ix.Flush(context.WithoutCancel(r.Context())); err != nil {
		return s.reload(h, fmt.Errorf("save: %w", err))
	}
	s.items.WithLabelValues(h.name).Set(float64(ix.Len()))
	ids := make([]int64, len(recs))
	for i := range ids {
		ids[i] = int64(first + i)
	}
	w.WriteHeader(http.StatusCreated)
	return writeJSON(w, map[string]any{"ids": ids, "items": ix.Len()})
}

// reload drops uncommitted in-memory changes by reopening the index from disk (called
// with h.mu held), and returns err.
func (s *Server) reload(h *handle, err error) error {
	fresh, lerr := simsearch.Load(h.dir)
	if lerr != nil {
		return errors.Join(err, fmt.Errorf("reload after a failed commit: %w", lerr))
	}
	if old, nw := h.ix.FAISS(), fresh.FAISS(); old != nil && nw != nil {
		old.MoveLockTo(nw)
	}
	h.ix.Close()
	h.ix = fresh
	return err
}

func imageExt(b []byte) string {
	switch ct := http.DetectContentType(b); ct {
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "image/bmp":
		return ".bmp"
	case "image/webp":
		return ".webp"
	}
	if isTIFFOrWebP(b) && b[0] != 'R' {
		return ".tif"
	}
	return ".img"
}

// keepUpload writes an uploaded image under dir/uploads/NAME (named by its content:
// an existing file is the same image), atomically.
func keepUpload(dir, name string, b []byte) error {
	up := filepath.Join(dir, UploadsDir)
	if err := os.MkdirAll(up, 0o755); err != nil {
		return err
	}
	p := filepath.Join(up, name)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	tmp, err := os.CreateTemp(up, ".upload-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	tmp.Close()
	return os.Rename(tmp.Name(), p)
}
