package serve

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corpushunt/corpushunt/simsearch"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

var ctx = context.Background()

func pngBytes(t testing.TB, w, h int, level uint8) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = level + uint8(i%13)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fixture builds an image index (two labelled classes of 20×20 PNGs) and a text index.
func fixture(t testing.TB) (imgDir, txtDir string) {
	data := t.TempDir()
	for ci, class := range []string{"dark", "light"} {
		os.MkdirAll(filepath.Join(data, class), 0o755)
		for i := range 40 {
			os.WriteFile(filepath.Join(data, class, fmt.Sprintf("%02d.png", i)), pngBytes(t, 20, 20, uint8(30+150*ci+i%7)), 0o644)
		}
	}
	c, err := simsearch.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	imgDir = filepath.Join(t.TempDir(), "img")
	ix, err := simsearch.Build(ctx, c, imgDir, simsearch.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	txt := filepath.Join(t.TempDir(), "t.csv")
	os.WriteFile(txt, []byte("body,team\nprinter on floor 3 is jammed,facilities\nthe printer is out of toner,facilities\ncannot log in to the vpn,it\nvpn password expired,it\n"), 0o644)
	tc, err := simsearch.Open(txt, simsearch.Opt("text-column", "body"), simsearch.Opt("label-column", "team"))
	if err != nil {
		t.Fatal(err)
	}
	txtDir = filepath.Join(t.TempDir(), "txt")
	tix, err := simsearch.Build(ctx, tc, txtDir, simsearch.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tix.Close()
	return imgDir, txtDir
}

func newServer(t testing.TB, cfg Config) (*Server, *httptest.Server) {
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() { ts.Close(); s.Wait(); s.Close() })
	return s, ts
}

func form(t testing.TB, files map[string][]byte, fields map[string]string) (string, *bytes.Buffer) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for name, data := range files {
		fw, _ := mw.CreateFormFile("image", name)
		fw.Write(data)
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	mw.Close()
	return mw.FormDataContentType(), &b
}

type answer struct {
	code int
	body map[string]any
	raw  string
}

func do(t testing.TB, method, url, ctype string, body io.Reader, token string) answer {
	req, _ := http.NewRequest(method, url, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, raw: string(b)}
	json.Unmarshal(b, &a.body)
	return a
}

func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestQueriesAndBadRequests(t *testing.T) {
	imgDir, txtDir := fixture(t)
	_, ts := newServer(t, Config{Indexes: []IndexSpec{{Dir: imgDir}, {Name: "tickets", Dir: txtDir}}, Token: "s3cret", MaxBodyBytes: 1 << 20})
	u := ts.URL + "/api/v1"
	// Good queries.
	a := do(t, "POST", u+"/query", "application/json", strings.NewReader(`{"item": 3, "k": 5}`), "")
	if a.code != 200 || len(a.body["results"].([]any)) != 5 {
		t.Fatalf("query by item: %d %s", a.code, a.raw)
	}
	ct, body := form(t, map[string][]byte{"q.png": pngBytes(t, 300, 200, 190)}, map[string]string{"k": "25"})
	a = do(t, "POST", u+"/query", ct, body, "")
	res := a.body["results"].([]any)
	if a.code != 200 || len(res) != 25 || res[0].(map[string]any)["label"] != "light" {
		t.Fatalf("query by a 300×200 upload: %d %s", a.code, a.raw)
	}
	a = do(t, "POST", u+"/indexes/tickets/query?k=2", "application/json", strings.NewReader(`{"text": "my printer is jammed"}`), "")
	if a.code != 200 || !strings.Contains(a.raw, "jammed") {
		t.Fatalf("text query: %d %s", a.code, a.raw)
	}
	if a := do(t, "GET", u+"/items/3/payload", "", nil, ""); a.code != 200 || !strings.HasPrefix(a.raw, "\x89PNG") {
		t.Errorf("payload: %d", a.code)
	}
	if a := do(t, "GET", u+"/indexes/tickets/items/1/payload", "", nil, ""); a.code != 200 || a.raw != "the printer is out of toner" {
		t.Errorf("text payload: %d %q", a.code, a.raw)
	}
	if a := do(t, "GET", ts.URL+"/metrics", "", nil, ""); a.code != 200 || !strings.Contains(a.raw, "corpushunt_http_requests_total") || !strings.Contains(a.raw, `corpushunt_index_items{index="tickets"} 4`) {
		t.Errorf("metrics: %d %s", a.code, a.raw[:min(300, len(a.raw))])
	}
	if a := do(t, "GET", ts.URL+"/", "", nil, ""); a.code != 200 || !strings.Contains(a.raw, "how many") {
		t.Errorf("page: %d", a.code)
	}

	// Bad requests: a 4xx with a JSON error naming the problem, and the server goes on.
	noFile, nb := form(t, nil, map[string]string{"k": "3"})
	notImg, ni := form(t, map[string][]byte{"notes.png": []byte("hello, I am text pretending")}, nil)
	huge, hb := form(t, map[string][]byte{"bomb.png": hugePNG(20000, 20000)}, nil)
	big := strings.NewReader(`{"text": "` + strings.Repeat("a", 2<<20) + `"}`)
	cases := []struct {
		name, method, url, ctype string
		body                     io.Reader
		token                    string
		code                     int
		want                     string
	}{
		{"no file", "POST", u + "/query", noFile, nb, "", 400, `no "image" file`},
		{"not an image", "POST", u + "/query", notImg, ni, "", 415, "not an image"},
		{"decompression bomb", "POST", u + "/query", huge, hb, "", 413, "20000×20000"},
		{"k = 0", "POST", u + "/query", "application/json", strings.NewReader(`{"item": 1, "k": 0}`), "", 400, "k 0 outside 1..500"},
		{"k = 10^6", "POST", u + "/query?k=1000000", "application/json", strings.NewReader(`{"item": 1}`), "", 400, "k 1000000"},
		{"unknown item", "POST", u + "/query", "application/json", strings.NewReader(`{"item": 999999}`), "", 404, "no item 999999"},
		{"unknown item payload", "GET", u + "/items/80/payload", "", nil, "", 404, "no item 80"},
		{"item not a number", "GET", u + "/items/..%2F..%2Fetc/payload", "", nil, "", 400, "not a number"},
		{"two kinds of query", "POST", u + "/query", "application/json", strings.NewReader(`{"item": 1, "text": "x"}`), "", 400, "exactly one"},
		{"bad JSON", "POST", u + "/query", "application/json", strings.NewReader(`{"item": `), "", 400, "bad JSON"},
		{"unknown field", "POST", u + "/query", "application/json", strings.NewReader(`{"itme": 1}`), "", 400, "unknown field"},
		{"text on images", "POST", u + "/query", "application/json", strings.NewReader(`{"text": "dark"}`), "", 400, "takes no text"},
		{"wrong vector size", "POST", u + "/query", "application/json", strings.NewReader(`{"vector": [1,2,3]}`), "", 400, "3 values"},
		{"unknown words", "POST", u + "/indexes/tickets/query", "application/json", strings.NewReader(`{"text": "zebra quokka"}`), "", 400, "none of the query's words"},
		{"unknown index", "POST", u + "/indexes/nope/query", "application/json", strings.NewReader(`{"item": 1}`), "", 404, `no index named "nope"`},
		{"no token", "POST", u + "/train", "", nil, "", 401, "token"},
		{"wrong token", "POST", u + "/items", "application/json", strings.NewReader(`{"texts":[{"text":"x"}]}`), "guess", 401, "token"},
		{"body over the limit", "POST", u + "/indexes/tickets/query", "application/json", big, "", 413, "limit"},
		{"unknown route", "GET", u + "/nothing", "", nil, "", 404, "no such API route"},
		{"unknown job", "GET", u + "/jobs/77", "", nil, "", 404, "no job 77"},
	}
	for _, c := range cases {
		a := do(t, c.method, c.url, c.ctype, c.body, c.token)
		if a.code != c.code || !strings.Contains(fmt.Sprint(a.body["error"]), c.want) {
			t.Errorf("%s: %d %s; want %d with an error saying %q", c.name, a.code, a.raw, c.code, c.want)
		}
	}
	if a := do(t, "GET", ts.URL+"/healthz", "", nil, ""); a.code != 200 {
		t.Errorf("server unhealthy after bad requests: %d", a.code)
	}
}

// Items added and a retrain done through the API survive a restart; queries run during
// adds see consistent results (run with -race).
func TestAddRetrainRestart(t *testing.T) {
	imgDir, txtDir := fixture(t)
	cfg := Config{Indexes: []IndexSpec{{Dir: imgDir}, {Name: "tickets", Dir: txtDir}}, Token: "t"}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	u := ts.URL + "/api/v1"
	// The server holds the writer's lock: a CLI writer would get "index busy".
	if _, err := index.OpenWriter(imgDir); err == nil {
		t.Error("a second writer opened a served index")
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				a := do(t, "POST", u+"/query", "application/json", strings.NewReader(`{"item": 2, "k": 3}`), "")
				if a.code != 200 {
					t.Errorf("query during adds: %d %s", a.code, a.raw)
					return
				}
			}
		}()
	}
	var ids []any
	for i := range 3 {
		ct, body := form(t, map[string][]byte{fmt.Sprintf("new%d.png", i): pngBytes(t, 64, 48, uint8(100+i))}, map[string]string{"label": "grey"})
		a := do(t, "POST", u+"/items", ct, body, "t")
		if a.code != 201 {
			t.Fatalf("add image: %d %s", a.code, a.raw)
		}
		ids = append(ids, a.body["ids"].([]any)...)
	}
	a := do(t, "POST", u+"/indexes/tickets/items", "application/json", strings.NewReader(`{"texts": [{"text": "the printer caught fire", "label": "facilities"}]}`), "t")
	if a.code != 201 {
		t.Fatalf("add text: %d %s", a.code, a.raw)
	}
	close(stop)
	wg.Wait()
	// Retrain as IVF in the background; the job reports progress and finishes.
	a = do(t, "POST", u+"/train?factory=IVF4,Flat", "", nil, "t")
	if a.code != 202 {
		t.Fatalf("train: %d %s", a.code, a.raw)
	}
	job := fmt.Sprint(a.body["job"])
	deadline := time.Now().Add(30 * time.Second)
	for {
		a = do(t, "GET", u+"/jobs/"+job, "", nil, "")
		if a.body["state"] != "running" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if a.body["state"] != "done" {
		t.Fatalf("job: %s", a.raw)
	}
	ts.Close()
	s.Wait()
	s.Close()

	// Restart: everything is still there.
	_, ts2 := newServer(t, cfg)
	u = ts2.URL + "/api/v1"
	a = do(t, "GET", u+"/index", "", nil, "")
	if a.body["items"] != float64(83) || a.body["factory"] != "IVF4,Flat" {
		t.Fatalf("after restart: %s", a.raw)
	}
	last := int(ids[len(ids)-1].(float64))
	if a := do(t, "GET", fmt.Sprintf("%s/items/%d/payload", u, last), "", nil, ""); a.code != 200 || !strings.HasPrefix(a.raw, "\x89PNG") {
		t.Errorf("uploaded payload after restart: %d %s", a.code, a.raw)
	}
	a = do(t, "POST", u+"/indexes/tickets/query", "application/json", strings.NewReader(`{"text": "printer fire", "k": 1}`), "")
	if !strings.Contains(a.raw, "caught fire") {
		t.Errorf("added text not found after restart: %s", a.raw)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{Addr: "0.0.0.0:8080", Indexes: []IndexSpec{{Dir: "x"}}},
		{Addr: "nonsense", Indexes: []IndexSpec{{Dir: "x"}}},
		{},
		{Indexes: []IndexSpec{{Name: "a/b", Dir: "x"}}},
		{Indexes: []IndexSpec{{Name: "a", Dir: "x"}, {Name: "a", Dir: "y"}}},
	} {
		t.Setenv(EnvToken, "")
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	c := Config{Addr: "0.0.0.0:8080", Indexes: []IndexSpec{{Dir: "x/y"}}, Token: "t"}
	if err := c.Validate(); err != nil || c.Indexes[0].Name != "y" || c.MaxK != 500 {
		t.Errorf("%+v: %v", c, err)
	}
}

var _ = color.Gray{}

func TestTagAndMoreLikeThese(t *testing.T) {
	imgDir, _ := fixture(t)
	_, ts := newServer(t, Config{Indexes: []IndexSpec{{Dir: imgDir}}, Token: "t"})
	u := ts.URL + "/api/v1"
	// Items 0..39 are "dark", 40..79 "light" (folders sorted).
	if a := do(t, "POST", u+"/tags", "application/json", strings.NewReader(`{"tag": "bright", "items": [45, 50]}`), "t"); a.code != 200 {
		t.Fatalf("tag: %d %s", a.code, a.raw)
	}
	if a := do(t, "POST", u+"/tags", "application/json", strings.NewReader(`{"tag": "bright", "items": [3], "negative": true}`), "t"); a.code != 200 {
		t.Fatalf("tag negative: %d %s", a.code, a.raw)
	}
	a := do(t, "GET", u+"/more?tag=bright&k=20&uncertain=3", "", nil, "")
	if a.code != 200 {
		t.Fatalf("more: %d %s", a.code, a.raw)
	}
	for _, r := range a.body["results"].([]any) {
		if r.(map[string]any)["label"] != "light" {
			t.Errorf("more like bright items: %v", r)
		}
	}
	for _, c := range []struct {
		method, url, body, token string
		code                     int
	}{
		{"POST", u + "/tags", `{"tag": "../x", "items": [1]}`, "t", 400},
		{"POST", u + "/tags", `{"tag": "x", "items": [9999]}`, "t", 404},
		{"POST", u + "/tags", `{"tag": "x", "items": [1]}`, "", 401},
		{"GET", u + "/more?tag=nothing", "", "", 404},
	} {
		if a := do(t, c.method, c.url, "application/json", strings.NewReader(c.body), c.token); a.code != c.code {
			t.Errorf("%s %s %s: %d %s, want %d", c.method, c.url, c.body, a.code, a.raw, c.code)
		}
	}
}

// POST /tags's marks form saves positives and negatives together as one round (one
// Log.Add): GET /more reports its precision; the items form still works; bad bodies are
// refused whole, with nothing saved.
func TestTagMarksRound(t *testing.T) {
	imgDir, _ := fixture(t)
	_, ts := newServer(t, Config{Indexes: []IndexSpec{{Dir: imgDir}}, Token: "t", MaxBatch: 4})
	u := ts.URL + "/api/v1"
	// Items 0..39 are "dark", 40..79 "light".
	a := do(t, "POST", u+"/tags", "application/json", strings.NewReader(`{"tag": "bright", "marks": [
		{"item": 45, "positive": true}, {"item": 50, "positive": true}, {"item": 3, "positive": false}]}`), "t")
	if a.code != 200 {
		t.Fatalf("marks: %d %s", a.code, a.raw)
	}
	if got := fmt.Sprint(a.body["tags"], a.body["round"]); got != "[map[Negative:1 Positive:2 Tag:bright]] map[negative:1 positive:2 precision:0.6666666666666666]" {
		t.Errorf("marks answer: %s", got)
	}
	rounds := func() string {
		t.Helper()
		a := do(t, "GET", u+"/more?tag=bright&k=5", "", nil, "")
		if a.code != 200 {
			t.Fatalf("more: %d %s", a.code, a.raw)
		}
		return fmt.Sprint(a.body["round_precision"])
	}
	if got := rounds(); got != "[0.6666666666666666]" {
		t.Errorf("round precision after one mixed round: %s, want [0.667]", got)
	}
	// The items form: one more round, all negative.
	if a := do(t, "POST", u+"/tags", "application/json", strings.NewReader(`{"tag": "bright", "items": [4, 5], "negative": true}`), "t"); a.code != 200 {
		t.Fatalf("items form: %d %s", a.code, a.raw)
	}
	if got := rounds(); got != "[0.6666666666666666 0]" {
		t.Errorf("round precision after an items round: %s", got)
	}
	for _, c := range []struct {
		name, body, token string
		code              int
		want              string
	}{
		{"items and marks", `{"tag": "bright", "items": [1], "marks": [{"item": 2, "positive": true}]}`, "t", 400, "not both"},
		{"no marks", `{"tag": "bright", "marks": []}`, "t", 400, "1 to 4 marks"},
		{"over MaxBatch", `{"tag": "bright", "marks": [{"item": 1, "positive": true}, {"item": 2, "positive": true},
			{"item": 6, "positive": true}, {"item": 7, "positive": false}, {"item": 8, "positive": false}]}`, "t", 400, "1 to 4 marks"},
		{"unknown item", `{"tag": "bright", "marks": [{"item": 1, "positive": true}, {"item": 9999, "positive": false}]}`, "t", 404, "no item 9999"},
		{"negative item", `{"tag": "bright", "marks": [{"item": -1, "positive": true}]}`, "t", 404, "no item -1"},
		{"unknown mark field", `{"tag": "bright", "marks": [{"item": 1, "positive": true, "weight": 2}]}`, "t", 400, "unknown field"},
		{"unknown field", `{"tag": "bright", "marks": [{"item": 1, "positive": true}], "round": 3}`, "t", 400, "unknown field"},
		{"no verdict", `{"tag": "bright", "marks": [{"item": 1}]}`, "t", 400, `mark 0: give {"item": ID, "positive": true or false}`},
		{"no item", `{"tag": "bright", "marks": [{"positive": true}]}`, "t", 400, "mark 0"},
		{"twice", `{"tag": "bright", "marks": [{"item": 1, "positive": true}, {"item": 1, "positive": false}]}`, "t", 400, "item 1 is marked twice"},
		{"negative with marks", `{"tag": "bright", "negative": true, "marks": [{"item": 1, "positive": true}]}`, "t", 400, `"negative" and "remove" go with "items"`},
		{"bad tag", `{"tag": "../x", "marks": [{"item": 1, "positive": true}]}`, "t", 400, "bad tag name"},
		{"no token", `{"tag": "bright", "marks": [{"item": 1, "positive": true}]}`, "", 401, "token"},
		{"not a list", `{"tag": "bright", "marks": {"item": 1}}`, "t", 400, "bad JSON body"},
	} {
		a := do(t, "POST", u+"/tags", "application/json", strings.NewReader(c.body), c.token)
		if a.code != c.code || !strings.Contains(fmt.Sprint(a.body["error"]), c.want) {
			t.Errorf("%s: %d %s; want %d with an error saying %q", c.name, a.code, a.raw, c.code, c.want)
		}
	}
	a = do(t, "GET", u+"/tags", "", nil, "")
	if got := fmt.Sprint(a.body["tags"]); got != "[map[Negative:3 Positive:2 Tag:bright]]" {
		t.Errorf("after refused requests the tags are %s, want the 2 ✓ 3 ✗ saved before", got)
	}
	if got := rounds(); got != "[0.6666666666666666 0]" {
		t.Errorf("a refused request made a round: %s", got)
	}
}
