package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"mime/multipart"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corpushunt/corpushunt/datasets/cifar10/cifar10test"
	"github.com/corpushunt/corpushunt/internal/clustertest"
	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/ingest"
	"github.com/corpushunt/corpushunt/simsearch/pixels"
	"github.com/corpushunt/corpushunt/simsearch/serve"
	"github.com/corpushunt/corpushunt/simsearch/tags"
)

// The README's scale-out commands on a local 3-node cluster: index into a collection,
// add, query, eval, report, tag, migrate an index directory to a collection and back.
func TestCLIWeaviateStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Weaviate cluster (-short)")
	}
	quiet = true
	ctx := context.Background()
	c := clustertest.Start(t)
	data := cifar10test.Write(t, t.TempDir(), 400, 100)
	ix := filepath.Join(t.TempDir(), "ix")
	back := filepath.Join(t.TempDir(), "back")
	w := c.URL("Tiny")
	m := c.URL("Migrated")
	for _, s := range [][]string{
		{"index", "--data", data, "--dataset", "cifar10", "--downsample", "8", "--store", w + "&shards=3&replicas=2"},
		{"add", "--data", data, "--store", w, "--dataset", "cifar10", "--split", "test"},
		{"query", "--store", w, "--item", "7", "-k", "5"},
		{"eval", "--data", data, "--store", w, "--self", "50", "-k", "1,10"},
		{"report", "--data", data, "--store", w, "--out", filepath.Join(t.TempDir(), "r.html")},
		{"tag", "--index", w, "--tag", "boat", "--items", "3,13"},
		{"more", "--index", w, "--tag", "boat", "-k", "5"},
		{"index", "--data", data, "--dataset", "cifar10", "--downsample", "8", "--out", ix},
		{"tag", "--index", ix, "--tag", "car", "--items", "1,2"},
		{"migrate", "--from", ix, "--to", m},
		{"migrate", "--from", m, "--to", back},
	} {
		if code := run(ctx, s); code != 0 {
			t.Fatalf("corpushunt %v exited %d", s, code)
		}
	}
	s, err := index.OpenStore(ctx, w, false, index.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len() != 500 {
		t.Errorf("the collection holds %d rows after indexing 400 and adding 100", s.Len())
	}
	if l, err := tags.Open(w); err != nil || len(l.Tags()) != 1 || l.Tags()[0].Positive != 2 {
		t.Errorf("tags in the collection: %v %v", l, err)
	}
	a, _ := index.Open(ix)
	defer a.Close()
	b, err := index.Open(back)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mig, err := index.OpenStore(ctx, m, false, index.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer mig.Close()
	for _, pair := range []struct {
		name string
		x, y index.Store
	}{{"directory → weaviate", a, mig}, {"→ directory again", a, b}} {
		ov, err := TopOverlap(ctx, pair.x, pair.y, 100, 10)
		if err != nil || ov < 0.95 {
			t.Errorf("%s: top-10 overlap %.3f, %v; want ≥ 0.95", pair.name, ov, err)
		}
	}
	if l, _ := tags.Open(back); len(l.Tags()) != 1 || l.Tags()[0].Tag != "car" {
		t.Errorf("tags after the round trip: %+v", l.Tags())
	}
	// The server answers from the collection: a query by item, the index's description,
	// a map; an image upload (which needs a folder to keep the file) is refused clearly.
	srv, err := serve.New(serve.Config{Indexes: []serve.IndexSpec{{Dir: w}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, rq := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/api/v1/query", `{"item": 7, "k": 3}`, 200, `"rank":3`},
		{"GET", "/api/v1/index", "", 200, `"store":"weaviate, 3 shards × 2 replicas"`},
		{"GET", "/api/v1/map?color=label", "", 200, `"items":500`},
		{"GET", "/api/v1/indexes/Tiny/items/7", "", 200, `"ref"`},
	} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(rq.method, rq.path, strings.NewReader(rq.body)))
		if rec.Code != rq.code || !strings.Contains(rec.Body.String(), rq.want) {
			t.Errorf("%s %s: %d %.300s; want %d with %s", rq.method, rq.path, rec.Code, rec.Body.String(), rq.code, rq.want)
		}
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("image", "new.png")
	png.Encode(fw, image.NewRGBA(image.Rect(0, 0, 32, 32)))
	mw.Close()
	up := httptest.NewRequest("POST", "/api/v1/items", &body)
	up.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, up)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "no folder to keep uploaded images") {
		t.Errorf("an image upload to a collection: %d %s; want 400 saying why", rec.Code, rec.Body.String())
	}
	// The collection refuses another encoder's vectors (pixels averaged 4×4, not 8×8).
	px, err := pixels.New(32, 32, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := corpus.Open(mig.Corpus())
	if err != nil {
		t.Fatal(err)
	}
	if err := ingest.Add(ctx, mig, cc, ingest.Images(px, ""), ingest.Options{Limit: 10}); !errors.Is(err, ingest.ErrEncoderMismatch) {
		t.Errorf("adding 4×4-averaged pixels to an 8×8 collection: %v, want ErrEncoderMismatch", err)
	}
	if code := run(ctx, []string{"index", "--data", data, "--dataset", "cifar10", "--store", m}); code == 0 {
		t.Error("indexing into an existing collection: exit 0")
	}
}
