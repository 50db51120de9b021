package serve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/corpushunt/corpushunt/simsearch"
	"github.com/corpushunt/corpushunt/simsearch/display"
	"github.com/corpushunt/corpushunt/simsearch/explore"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/learn"
	"github.com/corpushunt/corpushunt/simsearch/tags"
)

// MaxMapPoints is the most points GET /map answers: an index with more items is shown as
// a deterministic sample of them (the same one on every call).
const MaxMapPoints = 50_000

// mapMethods are the 2-D projections GET /map offers, with their axes' names. project
// maps the items ids (nil: every item) of a store to 2-D, row i for ids[i].
var mapMethods = map[string]struct {
	project func(ctx context.Context, ix index.Store, ids []int64) ([][2]float32, error)
	axes    [2]string
}{
	"pca": {func(ctx context.Context, ix index.Store, ids []int64) ([][2]float32, error) {
		xy, err := explore.Project2D(ctx, ix, 0) // linear in the items: all of them, then pick
		if err != nil || ids == nil {
			return xy, err
		}
		out := make([][2]float32, len(ids))
		for i, id := range ids {
			out[i] = xy[id]
		}
		return out, nil
	}, [2]string{"PC1", "PC2"}},
	"umap": {func(ctx context.Context, ix index.Store, ids []int64) ([][2]float32, error) {
		n := ix.Len()
		if ids != nil {
			n = len(ids)
		}
		o := explore.UMAPOptions{Neighbors: min(15, n-1), Seed: 1}
		var xy [][2]float32
		var err error
		if ids == nil {
			xy, err = explore.UMAP(ctx, ix, o)
		} else { // a sample of a large index: its neighbourhood graph only
			vecs := make([]float32, 0, len(ids)*ix.Dim())
			for _, id := range ids {
				v, err := ix.Vector(id)
				if err != nil {
					return nil, err
				}
				vecs = append(vecs, v...)
			}
			xy, err = explore.UMAPVectors(ctx, vecs, ix.Dim(), ix.Metric(), o)
		}
		if errors.Is(err, explore.ErrTooFewPoints) {
			err = httpErr(http.StatusBadRequest, "%v", err)
		}
		return xy, err
	}, [2]string{"UMAP 1", "UMAP 2"}},
}

// mapBasis returns the items a map of n items is made of: nil (all of them) up to
// MaxMapPoints, else a fixed sample of MaxMapPoints. A map of fewer points is a sample
// of these, so the projections are computed (and cached) on at most MaxMapPoints items.
func mapBasis(n int) []int64 {
	if n <= mapBasisMax {
		return nil
	}
	return sampleIDs(n, mapBasisMax)
}

// mapBasisMax is MaxMapPoints (a variable for the tests).
var mapBasisMax = MaxMapPoints

// MapPoint is one item on the map, as GET /map answers it.
type MapPoint struct {
	ID    int64   `json:"id"`
	X     float32 `json:"x"`
	Y     float32 `json:"y"`
	Group string  `json:"group"`
}

// projections caches each index's 2-D projections (and k-means assignments), per method,
// until the index changes: items added, or the index replaced (a retrain, a reload).
type projections struct {
	mu sync.Mutex
	by map[projKey]*projection
}

type projKey struct {
	h      *handle
	method string
}

// projection is one cached projection. Its mutex is only ever taken with the handle's
// read lock held (never the other way round), so it cannot deadlock with a writer.
type projection struct {
	mu       sync.Mutex
	ix       index.Store // which store it was computed on (a replaced one is closed: its FAISS memory is freed)
	n        int         // of how many items
	basis    []int64     // the items projected (mapBasis(n); nil: all)
	xy       [][2]float32
	clusters map[int][]int32 // k → each item's cluster (numbered largest first)
}

func (c *projections) entry(h *handle, method string) *projection {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = map[projKey]*projection{}
	}
	p := c.by[projKey{h, method}]
	if p == nil {
		p = &projection{}
		c.by[projKey{h, method}] = p
	}
	return p
}

// get returns the projection of ix (computing it if the index changed since): the items
// projected (mapBasis; nil: all) and their points, row i for basis[i] (or item i); and
// with k > 0 every item's k-means cluster. The slices returned are never modified
// afterwards.
func (p *projection) get(ctx context.Context, ix index.Store, method string, k int) (basis []int64, xy [][2]float32, cluster []int32, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := ix.Len()
	if p.ix != ix || p.n != n || p.xy == nil {
		basis := mapBasis(n)
		xy, err := mapMethods[method].project(ctx, ix, basis)
		if err != nil {
			return nil, nil, nil, err
		}
		want := n
		if basis != nil {
			want = len(basis)
		}
		if len(xy) != want {
			return nil, nil, nil, fmt.Errorf("map: %s gave %d points for %d items", method, len(xy), want)
		}
		for i := range xy { // a degenerate projection must not break the JSON answer
			for c := range 2 {
				if v := float64(xy[i][c]); math.IsNaN(v) || math.IsInf(v, 0) {
					xy[i][c] = 0
				}
			}
		}
		p.ix, p.n, p.basis, p.xy, p.clusters = ix, n, basis, xy, nil
	}
	if k <= 0 {
		return p.basis, p.xy, nil, nil
	}
	if cl, ok := p.clusters[k]; ok {
		return p.basis, p.xy, cl, nil
	}
	cls, err := explore.Clusters(ctx, ix, k, explore.ClusterOptions{Typical: 1})
	if err != nil {
		return nil, nil, nil, err
	}
	cl := make([]int32, n)
	for _, c := range cls {
		for _, id := range c.Members {
			cl[id] = int32(c.ID)
		}
	}
	if p.clusters == nil || len(p.clusters) >= 4 {
		p.clusters = map[int][]int32{}
	}
	p.clusters[k] = cl
	return p.basis, p.xy, cl, nil
}

// sampleIDs chooses m of the row ids 0..n-1 (m < n) uniformly and deterministically
// (selection sampling with a fixed seed), in increasing order, in O(n) time and O(m)
// memory.
func sampleIDs(n, m int) []int64 {
	rng := rand.New(rand.NewPCG(1, 29))
	out := make([]int64, 0, m)
	for i := 0; i < n && len(out) < m; i++ {
		if rng.IntN(n-i) < m-len(out) {
			out = append(out, int64(i))
		}
	}
	return out
}

// mapPoints answers GET /map?color=label|tag|cluster&tag=NAME&clusters=K&method=pca|umap&max=N:
// the corpus projected to 2-D, each point with its group (its label; for a tag, tagged X,
// tagged not X, predicted X or other; or its k-means cluster). At most max (default and
// limit MaxMapPoints) points: a larger index is sampled, the same sample on every call.
func (s *Server) mapPoints(w http.ResponseWriter, r *http.Request, h *handle, cache *projections) error {
	q := r.URL.Query()
	color := q.Get("color")
	if color == "" {
		color = "label"
	}
	if color != "label" && color != "tag" && color != "cluster" {
		return httpErr(http.StatusBadRequest, "color %q: label, tag or cluster", color)
	}
	tag := q.Get("tag")
	if color == "tag" {
		if err := tags.CheckTag(tag); err != nil {
			return httpErr(http.StatusBadRequest, "color=tag needs tag=NAME: %v", err)
		}
	}
	method := q.Get("method")
	if method == "" {
		method = "pca"
	}
	m, ok := mapMethods[method]
	if !ok {
		return httpErr(http.StatusBadRequest, "method %q: %s", method, strings.Join(mapMethodNames(), " or "))
	}
	limit, err := s.intParam(r, "max", nil, MaxMapPoints, 1, MaxMapPoints)
	if err != nil {
		return err
	}
	k, err := s.intParam(r, "clusters", nil, 8, 2, 64)
	if err != nil {
		return err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	ix := h.ix.Store
	n := ix.Len()
	if n < 3 {
		return httpErr(http.StatusBadRequest, "index %s has %d items: a map needs at least 3", h.name, n)
	}
	if color != "cluster" {
		k = 0
	} else if k > n {
		return httpErr(http.StatusBadRequest, "clusters %d: index %s has only %d items", k, h.name, n)
	}
	basis, xy, cluster, err := cache.entry(h, method).get(r.Context(), ix, method, k)
	if err != nil {
		return err
	}
	// The points shown: rows of the projection (all, or a fixed sample of limit), and
	// the items they are.
	rows := len(xy)
	var pick []int64
	if rows > limit {
		pick = sampleIDs(rows, limit)
	} else {
		pick = make([]int64, rows)
		for i := range pick {
			pick[i] = int64(i)
		}
	}
	ids := pick
	if basis != nil {
		ids = make([]int64, len(pick))
		for i, row := range pick {
			ids[i] = basis[row]
		}
	}
	out := map[string]any{"method": method, "axes": m.axes, "color": color, "items": n, "shown": len(ids),
		"sampled": len(ids) < n, "max_batch": s.cfg.MaxBatch, "methods": mapMethodNames()}
	var notes []string
	if len(ids) < n {
		notes = append(notes, fmt.Sprintf("showing %d of %d items, a fixed random sample", len(ids), n))
	}
	group := func(id int64, it index.Item) string {
		if it.Label == "" {
			return "(no label)"
		}
		return it.Label
	}
	switch color {
	case "cluster":
		out["clusters"] = k
		group = func(id int64, _ index.Item) string { return fmt.Sprintf("cluster %02d", cluster[id]) }
	case "tag":
		out["tag"] = tag
		g, note, err := tagGroups(r.Context(), ix, h.dir, tag)
		if err != nil {
			return err
		}
		if note != "" {
			notes = append(notes, note)
		}
		group = g
	}
	pts := make([]MapPoint, len(ids))
	seen := map[string]bool{}
	var groups []string
	for i, id := range ids {
		it, err := ix.Item(id)
		if err != nil {
			return err
		}
		g := group(id, it)
		if !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
		pts[i] = MapPoint{ID: id, X: xy[pick[i]][0], Y: xy[pick[i]][1], Group: g}
	}
	slices.Sort(groups)
	out["groups"], out["points"], out["note"] = groups, pts, strings.Join(notes, "; ")
	return writeJSON(w, out)
}

// tagGroups groups items by what a tag says of them: tagged X, tagged not X, predicted X
// (its classifier's probability ≥ ½, when it has a probabilistic one) or other. A tag
// without examples, or whose classifier cannot be fitted yet, still maps (with a note).
func tagGroups(ctx context.Context, ix index.Store, dir, tag string) (func(int64, index.Item) string, string, error) {
	l, err := tags.Open(dir)
	if err != nil {
		return nil, "", err
	}
	labels := l.Labels(tag)
	var probs []float32
	note := ""
	if len(labels) == 0 {
		note = fmt.Sprintf("tag %q has no examples yet", tag)
	} else if m, _, err := simsearch.TagModel(ix, l, tag); err != nil {
		note = fmt.Sprintf("tag %q: no classifier yet (%v)", tag, err)
	} else if p, ok, err := learn.Probabilities(ctx, ix, m); err != nil {
		return nil, "", err
	} else if ok {
		probs = p
	}
	return func(id int64, it index.Item) string {
		switch pos, ok := labels[it.Ref]; {
		case ok && pos:
			return "tagged " + tag
		case ok:
			return "tagged not " + tag
		case probs != nil && int(id) < len(probs) && probs[id] >= 0.5:
			return "predicted " + tag
		}
		return "other"
	}, note, nil
}

func mapMethodNames() []string {
	var out []string
	for name := range mapMethods {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// echartsJS is the ECharts library the display package embeds, as a script file for the
// page's map: display.ChartLibraryHTML without its <script> element's tags.
var echartsJS = sync.OnceValues(func() ([]byte, string) {
	const open, end = `<script type="text/javascript">`, "</script>\n"
	h := display.ChartLibraryHTML()
	if !strings.HasPrefix(h, open) || !strings.HasSuffix(h, end) {
		return nil, ""
	}
	b := []byte(h[len(open) : len(h)-len(end)])
	sum := sha256.Sum256(b)
	return b, `"` + hex.EncodeToString(sum[:8]) + `"`
})

// serveECharts answers GET /echarts.js: the chart library, from the binary (no network).
func serveECharts(w http.ResponseWriter, r *http.Request) error {
	b, etag := echartsJS()
	if b == nil {
		return httpErr(http.StatusInternalServerError, "the embedded chart library is not in the expected form")
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("ETag", etag)
	http.ServeContent(w, r, "echarts.js", time.Time{}, bytes.NewReader(b))
	return nil
}
