package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/corpushunt/corpushunt/simsearch/serve"
)

func init() {
	register("serve", "serve indexes over HTTP: a web page (upload, how-many slider, gallery) and a JSON API", cmdServe)
}

// indexList collects repeated --index flags.
type indexList []serve.IndexSpec

func (l *indexList) String() string { return fmt.Sprint(*l) }

func (l *indexList) Set(v string) error {
	name, dir := "", v
	if i := strings.Index(v, "="); i > 0 && !strings.Contains(v[:i], "://") {
		name, dir = v[:i], v[i+1:]
	}
	*l = append(*l, serve.IndexSpec{Name: name, Dir: dir})
	return nil
}

func cmdServe(ctx context.Context, args []string) error {
	fs := newFlags("serve", "serve --index DIR [--index NAME=DIR ...] [--addr 127.0.0.1:8080] [--token T]")
	var ixs indexList
	fs.Var(&ixs, "index", "index directory to serve, NAME=DIR to name it (repeat for several; the first also answers at /api/v1/...)")
	fs.Var(&ixs, "store", "a vector store to serve (NAME=URL to name it; repeatable): "+storeUsage)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (beyond loopback needs --token)")
	token := fs.String("token", "", "token guarding adds and retrains (default $"+serve.EnvToken+")")
	maxBody := fs.Int64("max-body", 32<<20, "request body limit in bytes")
	maxPixels := fs.Int("max-pixels", 40_000_000, "an uploaded image's declared width×height limit")
	maxK := fs.Int("max-k", 500, "the most results a query may ask for")
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(ixs) == 0 {
		fmt.Fprintln(fs.Output(), "--index is required")
		fs.Usage()
		return errUsage
	}
	cfg := serve.Config{Addr: *addr, Indexes: ixs, Token: *token, MaxBodyBytes: *maxBody, MaxPixels: *maxPixels, MaxK: *maxK}
	t0 := time.Now()
	return serve.Run(ctx, cfg, func(a string) {
		fmt.Printf("serving %d index(es) at http://%s/ (opened in %.1fs); Ctrl-C stops\n", len(ixs), a, time.Since(t0).Seconds())
	})
}

var _ flag.Value = (*indexList)(nil)
