// Package serve is corpushunt's HTTP service: a JSON API to query, add to and retrain
// indexes, and a web page (embedded, offline) with an upload box, a "how many" slider and
// a ranked gallery whose results are marked ✓/✗ and saved as one round of tagging
// ("save round"), followed by more like the tagged; and a map view (ECharts, served from
// the binary at /echarts.js) of the corpus, coloured by label, tag or cluster, where a
// brushed (rectangle, lasso) or group selection is tagged ✓ or ✗ as one round.
//
//	POST /api/v1/query            {"item": ID} | {"text": "..."} | {"vector": [...]}, or a
//	                              multipart form with an "image" file; k, nprobe as fields
//	                              or query parameters
//	GET  /api/v1/items/{id}       an item's metadata
//	GET  /api/v1/items/{id}/payload   the image (PNG) or the text
//	POST /api/v1/items            add items: multipart "image" files, or JSON
//	                              {"texts": [{"text": "...", "label": "..."}]}   (token)
//	POST /api/v1/train            retrain the IVF quantizer in the background  (token)
//	GET  /api/v1/jobs/{id}        a background job's progress
//	GET  /api/v1/index            size, factory, metric, encoder, nprobe, tuning
//	GET  /api/v1/tags             tags and their counts
//	POST /api/v1/tags             one round of tagging (token): {"tag": "ship", "items":
//	                              [12, 40], "negative": false}, or positives and negatives
//	                              together: {"tag": "ship", "marks": [{"item": 12,
//	                              "positive": true}, {"item": 40, "positive": false}]}
//	GET  /api/v1/more?tag=ship&k=50&uncertain=20   more like these, and what to tag next;
//	                              positives, negatives: the user's examples;
//	                              presumed_negatives: random untagged items the model
//	                              also learnt from; round_precision: each round's share
//	                              of ✓
//	GET  /api/v1/map?color=label|tag|cluster&tag=ship&clusters=8&method=pca|umap&max=N
//	                              the corpus in 2-D: points {id, x, y, group}, at most
//	                              50,000 (a fixed sample of a larger index, said in
//	                              "sampled" and "note"); cached until items are added
//	GET  /healthz, GET /metrics   liveness; Prometheus metrics
//
// With several indexes each is also at /api/v1/indexes/{name}/...; the first is at the
// paths above. Errors are JSON {"error": "..."} with a 4xx or 5xx status.
//
// The server binds 127.0.0.1 by default; binding beyond loopback requires a token, which
// also guards every write. Bodies and images are bounded (Config), uploads are sniffed,
// client strings reach the file system only as item ids. A server holds its indexes'
// writer locks, so a CLI writer gets "index busy" rather than racing it; adds are
// committed atomically before they are visible; a retrain serves the old index until the
// new one is saved. Cancelling Run's context (SIGTERM, Ctrl-C) drains requests and
// finishes writes.
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// Config configures a server; Validate fills the defaults.
type Config struct {
	Addr    string      // listen address; default 127.0.0.1:8080
	Indexes []IndexSpec // at least one
	// Token guards adds and retrains (Authorization: Bearer TOKEN); required when Addr is
	// not a loopback address. Default $CORPUSHUNT_TOKEN.
	Token        string
	MaxBodyBytes int64 // request body limit; default 32 MiB
	MaxPixels    int   // an uploaded image's declared width×height limit; default 40 M
	MaxK         int   // the most results a query may ask for; default 500
	MaxBatch     int   // the most items one add may carry; default 1000
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
}

// IndexSpec names an index directory to serve.
type IndexSpec struct {
	Name string // default: the folder's base name
	Dir  string
}

// EnvToken is the environment variable Validate reads the token from.
const EnvToken = "CORPUSHUNT_TOKEN"

// ErrConfig is returned by Validate.
var ErrConfig = errors.New("serve: bad configuration")

// Validate checks the configuration and fills defaults.
func (c *Config) Validate() error {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("%w: address %q: %v", ErrConfig, c.Addr, err)
	}
	if c.Token == "" {
		c.Token = os.Getenv(EnvToken)
	}
	if !isLoopback(host) && c.Token == "" {
		return fmt.Errorf("%w: binding %s exposes the index beyond this machine: set a token (--token or $%s)", ErrConfig, c.Addr, EnvToken)
	}
	if len(c.Indexes) == 0 {
		return fmt.Errorf("%w: no index to serve", ErrConfig)
	}
	seen := map[string]bool{}
	for i := range c.Indexes {
		s := &c.Indexes[i]
		if s.Dir == "" {
			return fmt.Errorf("%w: index %d has no directory", ErrConfig, i)
		}
		if s.Name == "" {
			s.Name = filepath.Base(filepath.Clean(s.Dir))
			if u, err := url.Parse(s.Dir); err == nil && index.IsStoreURL(s.Dir) {
				s.Name = path.Base(u.Path) // weaviate://host:port/Collection → Collection
			}
		}
		if !validName(s.Name) {
			return fmt.Errorf("%w: index name %q: use letters, digits, '-', '_' and '.'", ErrConfig, s.Name)
		}
		if seen[s.Name] {
			return fmt.Errorf("%w: two indexes named %q", ErrConfig, s.Name)
		}
		seen[s.Name] = true
	}
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxBodyBytes, 32<<20)
	for _, p := range []struct {
		v *int
		d int
	}{{&c.MaxPixels, 40_000_000}, {&c.MaxK, 500}, {&c.MaxBatch, 1000}} {
		if *p.v <= 0 {
			*p.v = p.d
		}
	}
	for _, p := range []struct {
		v *time.Duration
		d time.Duration
	}{{&c.ReadTimeout, 30 * time.Second}, {&c.WriteTimeout, 5 * time.Minute}, {&c.IdleTimeout, 2 * time.Minute}} {
		if *p.v <= 0 {
			*p.v = p.d
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validName(s string) bool {
	if s == "" || len(s) > 64 || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			return false
		}
	}
	return true
}

// Run serves until ctx is cancelled, then drains requests (up to 30 s) and closes the
// indexes. ready, if set, is called with the address listened on.
func Run(ctx context.Context, cfg Config, ready func(addr string)) error {
	s, err := New(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: s, ReadTimeout: s.cfg.ReadTimeout, WriteTimeout: s.cfg.WriteTimeout,
		IdleTimeout: s.cfg.IdleTimeout, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = hs.Shutdown(sctx)
	s.Wait() // background jobs finish their writes
	return err
}
