package serve

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch"
)

// mapAnswer is GET /map's answer.
type mapAnswer struct {
	Method   string     `json:"method"`
	Axes     [2]string  `json:"axes"`
	Color    string     `json:"color"`
	Tag      string     `json:"tag"`
	Items    int        `json:"items"`
	Shown    int        `json:"shown"`
	Sampled  bool       `json:"sampled"`
	MaxBatch int        `json:"max_batch"`
	Methods  []string   `json:"methods"`
	Groups   []string   `json:"groups"`
	Note     string     `json:"note"`
	Points   []MapPoint `json:"points"`
}

func getMap(t *testing.T, url string) mapAnswer {
	t.Helper()
	a := do(t, "GET", url, "", nil, "")
	if a.code != 200 {
		t.Fatalf("GET %s: %d %s", url, a.code, a.raw)
	}
	var m mapAnswer
	if err := json.Unmarshal([]byte(a.raw), &m); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return m
}

// GET /map: every item as a point {id, x, y, group} of a PCA projection, grouped by label,
// tag or cluster; bounded by max (sampled deterministically beyond it); cached until
// items are added; bad parameters are 400s with JSON errors.
func TestMap(t *testing.T) {
	imgDir, txtDir := fixture(t)
	s, ts := newServer(t, Config{Indexes: []IndexSpec{{Name: "img", Dir: imgDir}, {Name: "tickets", Dir: txtDir}}, Token: "t", MaxBatch: 100})
	u := ts.URL + "/api/v1"
	// The cache: a second projection of the same index is the first one.
	cache := &projections{}
	h := s.handles[0]
	project := func() [][2]float32 {
		t.Helper()
		h.mu.RLock()
		defer h.mu.RUnlock()
		_, xy, _, err := cache.entry(h, "pca").get(ctx, h.ix.Store, "pca", 0)
		if err != nil {
			t.Fatal(err)
		}
		return xy
	}
	xy := project()
	if again := project(); len(xy) != 80 || &again[0] != &xy[0] {
		t.Errorf("the projection was computed again for an unchanged index")
	}

	m := getMap(t, u+"/map")
	if m.Method != "pca" || m.Color != "label" || m.Items != 80 || m.Shown != 80 || m.Sampled || len(m.Points) != 80 ||
		m.MaxBatch != 100 || m.Axes != [2]string{"PC1", "PC2"} || fmt.Sprint(m.Groups) != "[dark light]" || m.Note != "" {
		t.Fatalf("map: %+v", m)
	}
	at := map[int64]MapPoint{}
	var spread [2]float32
	for i, p := range m.Points {
		if p.ID != int64(i) {
			t.Fatalf("point %d has id %d: want every item in order", i, p.ID)
		}
		if want := []string{"dark", "light"}[i/40]; p.Group != want {
			t.Errorf("item %d in group %q, want %q", i, p.Group, want)
		}
		at[p.ID] = p
		spread[0] = max(spread[0], abs32(p.X-m.Points[0].X))
		spread[1] = max(spread[1], abs32(p.Y-m.Points[0].Y))
	}
	if spread[0] == 0 || spread[1] == 0 {
		t.Errorf("the points do not spread in 2-D: %v", spread)
	}
	// The first principal component separates dark from light.
	if (m.Points[0].X < m.Points[79].X) != (m.Points[5].X < m.Points[45].X) {
		t.Errorf("PC1 does not separate the classes: %+v %+v %+v %+v", m.Points[0], m.Points[79], m.Points[5], m.Points[45])
	}

	// Bounded: max=10 shows 10 items, the same ones every time, and says so.
	s1, s2 := getMap(t, u+"/map?max=10"), getMap(t, u+"/indexes/img/map?max=10&color=label")
	if s1.Shown != 10 || len(s1.Points) != 10 || !s1.Sampled || s1.Items != 80 || !strings.Contains(s1.Note, "showing 10 of 80 items") {
		t.Errorf("map?max=10: %+v", s1)
	}
	if fmt.Sprint(s1.Points) != fmt.Sprint(s2.Points) {
		t.Errorf("two samples differ:\n%v\n%v", s1.Points, s2.Points)
	}
	for i, p := range s1.Points {
		if i > 0 && p.ID <= s1.Points[i-1].ID || p != at[p.ID] {
			t.Errorf("sampled point %d: %+v (the full map has %+v)", i, p, at[p.ID])
		}
	}

	// UMAP: the same items, another layout, with its own axes; the methods offered.
	if fmt.Sprint(m.Methods) != "[pca umap]" {
		t.Errorf("methods: %v", m.Methods)
	}
	um := getMap(t, u+"/map?method=umap")
	if um.Method != "umap" || um.Axes != [2]string{"UMAP 1", "UMAP 2"} || len(um.Points) != 80 || fmt.Sprint(um.Groups) != "[dark light]" {
		t.Errorf("umap map: %s %v %d points %v", um.Method, um.Axes, len(um.Points), um.Groups)
	}
	for i, p := range um.Points {
		if p.ID != int64(i) || p.Group != m.Points[i].Group {
			t.Fatalf("umap point %d: %+v, pca %+v", i, p, m.Points[i])
		}
	}

	if m := getMap(t, u+"/indexes/tickets/map?method=umap"); len(m.Points) != 4 {
		t.Errorf("umap of 4 texts: %+v", m)
	}

	// Clusters: k groups, the same coordinates.
	c := getMap(t, u+"/map?color=cluster&clusters=2")
	if fmt.Sprint(c.Groups) != "[cluster 00 cluster 01]" || len(c.Points) != 80 {
		t.Errorf("clusters: %v, %d points", c.Groups, len(c.Points))
	}
	for _, p := range c.Points {
		if q := at[p.ID]; p.X != q.X || p.Y != q.Y {
			t.Fatalf("item %d moved between colourings: %+v, %+v", p.ID, p, q)
		}
	}

	// A tag: no examples yet still maps (all "other", with a note); with examples, the
	// tagged items and the classifier's predictions.
	g := getMap(t, u+"/map?color=tag&tag=bright")
	if fmt.Sprint(g.Groups) != "[other]" || !strings.Contains(g.Note, "no examples") || g.Tag != "bright" {
		t.Errorf("an unknown tag: %v %q", g.Groups, g.Note)
	}
	if a := do(t, "POST", u+"/tags", "application/json", strings.NewReader(`{"tag": "bright", "marks": [
		{"item": 45, "positive": true}, {"item": 50, "positive": true}, {"item": 3, "positive": false}]}`), "t"); a.code != 200 {
		t.Fatalf("tag: %d %s", a.code, a.raw)
	}
	g = getMap(t, u+"/map?color=tag&tag=bright")
	byGroup := map[string][]int64{}
	for _, p := range g.Points {
		byGroup[p.Group] = append(byGroup[p.Group], p.ID)
	}
	if fmt.Sprint(byGroup["tagged bright"]) != "[45 50]" || fmt.Sprint(byGroup["tagged not bright"]) != "[3]" {
		t.Errorf("tag groups: %v", byGroup)
	}
	for _, id := range byGroup["predicted bright"] {
		if id < 40 {
			t.Errorf("dark item %d predicted bright", id)
		}
	}
	if len(byGroup["predicted bright"]) < 20 {
		t.Errorf("%d items predicted bright, want most of the 38 light ones untagged", len(byGroup["predicted bright"]))
	}

	// Items added: the projection is computed again, with the new item. Maps asked for
	// meanwhile see the index before or after the add, never half of it.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 3 {
				url := u + []string{"/map", "/map?color=cluster&clusters=2", "/map?color=tag&tag=bright"}[(i+j)%3]
				a := do(t, "GET", url, "", nil, "")
				pts, _ := a.body["points"].([]any)
				if n := len(pts); a.code != 200 || n != 80 && n != 81 || a.body["items"] != float64(n) {
					t.Errorf("GET %s during an add: %d, %d points of %v items", url, a.code, n, a.body["items"])
				}
			}
		}()
	}
	ct, body := form(t, map[string][]byte{"new.png": pngBytes(t, 20, 20, 200)}, map[string]string{"label": "light"})
	if a := do(t, "POST", u+"/items", ct, body, "t"); a.code != 201 {
		t.Fatalf("add: %d %s", a.code, a.raw)
	}
	wg.Wait()
	if m := getMap(t, u+"/map"); m.Items != 81 || len(m.Points) != 81 || m.Points[80].ID != 80 || m.Points[80].Group != "light" {
		t.Errorf("after an add: %d items, %d points", m.Items, len(m.Points))
	}
	if again := project(); len(again) != 81 {
		t.Errorf("after an add the cached projection has %d points, want 81", len(again))
	}
	// The text index has its own map.
	if m := getMap(t, u+"/indexes/tickets/map"); m.Items != 4 || len(m.Points) != 4 || fmt.Sprint(m.Groups) != "[facilities it]" {
		t.Errorf("text index map: %+v", m)
	}

	for _, c := range []struct{ query, want string }{
		{"color=size", `color "size": label, tag or cluster`},
		{"color=tag", "color=tag needs tag=NAME"},
		{"color=tag&tag=../x", "bad tag name"},
		{"method=tsne", `method "tsne": pca or umap`},
		{"max=0", "max 0 outside 1..50000"},
		{"max=50001", "max 50001 outside 1..50000"},
		{"max=lots", `max "lots" is not a number`},
		{"color=cluster&clusters=1", "clusters 1 outside 2..64"},
		{"color=cluster&clusters=many", "not a number"},
	} {
		a := do(t, "GET", u+"/map?"+c.query, "", nil, "")
		if a.code != 400 || !strings.Contains(fmt.Sprint(a.body["error"]), c.want) {
			t.Errorf("map?%s: %d %s; want 400 with an error saying %q", c.query, a.code, a.raw, c.want)
		}
	}
	if a := do(t, "GET", u+"/indexes/tickets/map?color=cluster&clusters=5", "", nil, ""); a.code != 400 || !strings.Contains(fmt.Sprint(a.body["error"]), "only 4 items") {
		t.Errorf("5 clusters of 4 items: %d %s", a.code, a.raw)
	}

	// The page's chart library is served from the binary.
	a := do(t, "GET", ts.URL+"/echarts.js", "", nil, "")
	if a.code != 200 || len(a.raw) < 1_000_000 || !strings.Contains(a.raw, "echarts") || strings.Contains(a.raw, "<script") {
		t.Errorf("GET /echarts.js: %d, %d bytes", a.code, len(a.raw))
	}
}

// An index larger than the bound is mapped from a fixed sample of the bound's size (with
// the bound lowered to 50 for the test): PCA and UMAP are computed on those items only,
// and a smaller max shows a sample of them. A real index over 50,000 items shows 50,000.
func TestMapSampledBasis(t *testing.T) {
	defer func(m int) { mapBasisMax = m }(mapBasisMax)
	mapBasisMax = 50
	imgDir, _ := fixture(t)
	_, ts := newServer(t, Config{Indexes: []IndexSpec{{Dir: imgDir}}})
	u := ts.URL + "/api/v1/map"
	basis := sampleIDs(80, 50)
	for _, method := range []string{"pca", "umap"} {
		m := getMap(t, u+"?method="+method)
		var ids []int64
		at := map[int64]MapPoint{}
		for _, p := range m.Points {
			ids = append(ids, p.ID)
			at[p.ID] = p
		}
		if m.Items != 80 || m.Shown != 50 || !m.Sampled || !slices.Equal(ids, basis) || !strings.Contains(m.Note, "showing 50 of 80 items") {
			t.Errorf("%s: %d items, %d shown, sampled %v, note %q, ids %v", method, m.Items, m.Shown, m.Sampled, m.Note, ids)
		}
		small := getMap(t, u+"?color=cluster&clusters=2&max=10&method="+method)
		if len(small.Points) != 10 || small.Shown != 10 {
			t.Errorf("%s max=10: %d points", method, len(small.Points))
		}
		for _, p := range small.Points {
			if q, ok := at[p.ID]; !ok || q.X != p.X || q.Y != p.Y || !strings.HasPrefix(p.Group, "cluster 0") {
				t.Errorf("%s max=10: point %+v is not the full map's %+v", method, p, q)
			}
		}
	}
	mapBasisMax = MaxMapPoints
	_, ts = newServer(t, Config{Indexes: []IndexSpec{{Dir: vectorFixture(t, MaxMapPoints+500, 4)}}})
	m := getMap(t, ts.URL+"/api/v1/map")
	if m.Items != MaxMapPoints+500 || m.Shown != MaxMapPoints || len(m.Points) != MaxMapPoints || !m.Sampled ||
		!strings.Contains(m.Note, "showing 50000 of 50500 items") || fmt.Sprint(m.Groups) != "[(no label)]" {
		t.Errorf("a 50,500-item index: %d items, %d shown, %d points, note %q, groups %v", m.Items, m.Shown, len(m.Points), m.Note, m.Groups)
	}
}

// sampleIDs picks m distinct ids of n, in order, the same ones every time.
func TestSampleIDs(t *testing.T) {
	for _, c := range [][2]int{{10, 3}, {1000, 999}, {200_000, MaxMapPoints}} {
		n, m := c[0], c[1]
		a, b := sampleIDs(n, m), sampleIDs(n, m)
		if len(a) != m || !slices.Equal(a, b) || !slices.IsSorted(a) || a[0] < 0 || a[m-1] >= int64(n) {
			t.Fatalf("sampleIDs(%d, %d): %d ids, %v…", n, m, len(a), a[:min(5, len(a))])
		}
		for i := 1; i < m; i++ {
			if a[i] == a[i-1] {
				t.Fatalf("sampleIDs(%d, %d) repeats %d", n, m, a[i])
			}
		}
	}
	// Spread over the whole range, not the first m ids.
	a := sampleIDs(200_000, MaxMapPoints)
	if a[len(a)-1] < 190_000 || a[MaxMapPoints/2] < 80_000 || a[MaxMapPoints/2] > 120_000 {
		t.Errorf("sample not uniform: last %d, median %d", a[len(a)-1], a[MaxMapPoints/2])
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// vectorFixture builds an index of n random d-dimensional vectors (no labels, no
// payloads) in five clusters along the first principal direction.
func vectorFixture(t testing.TB, n, d int) string {
	rng := rand.New(rand.NewPCG(7, 7))
	var buf bytes.Buffer
	row := make([]byte, 4+4*d)
	binary.LittleEndian.PutUint32(row, uint32(d))
	for range n {
		c := float32(rng.IntN(5))
		for j := range d {
			binary.LittleEndian.PutUint32(row[4+4*j:], math.Float32bits(c*float32(j%3)+0.5*float32(rng.NormFloat64())))
		}
		buf.Write(row)
	}
	path := filepath.Join(t.TempDir(), "emb.fvecs")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := simsearch.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "vec")
	ix, err := simsearch.Build(ctx, c, dir, simsearch.BuildOptions{Factory: "Flat"})
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	return dir
}
