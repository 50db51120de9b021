package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/corpushunt/corpushunt/simsearch/index"
)

// holder names this process in a writer's lease.
func holder() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("pid %d on %s", os.Getpid(), h)
}

// lease takes (or renews) the collection's writer's lease: an object created only if
// absent, so of two writers one gets index.ErrBusy; a lease not renewed for Lease
// (its writer died) is taken over.
func (s *Store) lease(ctx context.Context) error {
	id := metaUUID(s.o.Collection, "writer")
	props := map[string]any{"collection": s.o.Collection, "holder": holder(), "expires": time.Now().Add(Lease).Unix()}
	if s.leased {
		// Renewed with retries, like writes: a node restarting must not fail an ingest.
		var err error
		pause := 250 * time.Millisecond
		for try := 0; try < 9; try++ {
			err = s.c.Data().Updater().WithClassName(metaClass).WithID(id).WithProperties(props).WithMerge().
				WithConsistencyLevel(level(s.o.Write)).Do(ctx)
			if err == nil {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pause):
			}
			pause = min(2*pause, 10*time.Second)
		}
		return describe(err, "renew the writer's lease of "+s.o.Collection)
	}
	for try := 0; try < 2; try++ {
		_, err := s.c.Data().Creator().WithClassName(metaClass).WithID(id).WithProperties(props).
			WithConsistencyLevel(level(s.o.Write)).Do(ctx)
		if err == nil {
			s.leased = true
			return nil
		}
		var we *fault.WeaviateClientError
		if !errors.As(err, &we) || we.StatusCode != 422 {
			return describe(err, "take the writer's lease of "+s.o.Collection)
		}
		objs, gerr := s.c.Data().ObjectsGetter().WithClassName(metaClass).WithID(id).Do(ctx)
		if gerr != nil || len(objs) == 0 {
			continue
		}
		p, _ := objs[0].Properties.(map[string]any)
		who, _ := p["holder"].(string)
		exp := toInt(p["expires"])
		if time.Now().Unix() < exp {
			return fmt.Errorf("%w: weaviate collection %s is being written by %s (lease until %s)", index.ErrBusy,
				s.o.Collection, who, time.Unix(exp, 0).UTC().Format(time.RFC3339))
		}
		if derr := s.c.Data().Deleter().WithClassName(metaClass).WithID(id).Do(ctx); derr != nil {
			return describe(derr, "take over the expired writer's lease of "+s.o.Collection)
		}
	}
	return fmt.Errorf("%w: could not take the writer's lease of weaviate collection %s", index.ErrBusy, s.o.Collection)
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case int64:
		return x
	case json.Number:
		n, _ := x.Int64()
		return n
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// Add appends vectors (n·Dim values) with one item each, as rows Len()..Len()+n-1,
// Batch objects per request; a request's failed objects are retried (a node may be
// restarting) before Add gives up. The first Add takes the writer's lease. Rows stored
// before an error or a cancelled ctx stay.
func (s *Store) Add(ctx context.Context, vectors []float32, items []index.Item, progress func(done, total int)) error {
	n, err := index.CheckVectors(vectors, s.m.Dim)
	if err != nil {
		return fmt.Errorf("add: %w", err)
	}
	if len(items) != n {
		return fmt.Errorf("add: %d vectors but %d items", n, len(items))
	}
	if s.m.Metric == index.Cosine {
		vectors = index.Normalized(vectors, s.m.Dim)
	}
	// One Add at a time (wmu); searches go on meanwhile and see each batch once stored.
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.RLock()
	closed, base := s.closed, len(s.items)
	s.mu.RUnlock()
	if closed {
		return fmt.Errorf("add: the store is closed")
	}
	if err := s.lease(ctx); err != nil {
		return err
	}
	d := s.m.Dim
	renewed := time.Now()
	for start := 0; start < n; start += Batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Since(renewed) > Lease/4 {
			if err := s.lease(ctx); err != nil {
				return err
			}
			renewed = time.Now()
		}
		end := min(start+Batch, n)
		objs := make([]*models.Object, 0, end-start)
		for i := start; i < end; i++ {
			row := int64(base + i)
			props := map[string]any{"rowid": row, "ref": items[i].Ref, "label": items[i].Label, "text": items[i].Text}
			if len(items[i].Meta) > 0 {
				b, _ := json.Marshal(items[i].Meta)
				props["meta"] = string(b)
			}
			objs = append(objs, &models.Object{Class: s.o.Collection, ID: strfmt.UUID(rowUUID(s.o.Collection, row)),
				Properties: props, Vector: models.C11yVector(vectors[i*d : (i+1)*d])})
		}
		if err := s.write(ctx, objs); err != nil {
			return fmt.Errorf("add rows %d..%d to weaviate collection %s: %w", base+start, base+end-1, s.o.Collection, err)
		}
		s.mu.Lock()
		s.items = append(s.items, items[start:end]...)
		s.mu.Unlock()
		if progress != nil {
			progress(end, n)
		}
	}
	return nil
}

// write sends objects, retrying those that failed with a growing pause (about 1 minute
// in all) so that a node's restart does not fail an ingest.
func (s *Store) write(ctx context.Context, objs []*models.Object) error {
	pause := 250 * time.Millisecond
	var last error
	for try := 0; try < 9; try++ {
		res, err := s.c.Batch().ObjectsBatcher().WithObjects(objs...).WithConsistencyLevel(level(s.o.Write)).Do(ctx)
		var failed []*models.Object
		if err != nil {
			last, failed = describe(err, "batch"), objs
		} else {
			byID := map[strfmt.UUID]*models.Object{}
			for _, o := range objs {
				byID[o.ID] = o
			}
			for _, r := range res {
				if r.Result != nil && r.Result.Errors != nil && len(r.Result.Errors.Error) > 0 {
					last = fmt.Errorf("object %s: %s", r.ID, r.Result.Errors.Error[0].Message)
					if o := byID[r.ID]; o != nil {
						failed = append(failed, o)
					}
				}
			}
		}
		if len(failed) == 0 {
			return nil
		}
		objs = failed
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 10*time.Second)
	}
	return fmt.Errorf("%d objects not stored after retries: %w", len(objs), last)
}

// Search returns the k nearest rows of each query (queries holds q·Dim values), scored
// as index.Hit documents; queries run concurrently. opts.Nprobe is for FAISS IVF
// indexes and is refused: a collection's HNSW ef is set when it is created (?ef=).
func (s *Store) Search(ctx context.Context, queries []float32, k int, opts index.SearchOptions) ([][]index.Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, fmt.Errorf("%w (got %d)", index.ErrBadK, k)
	}
	if opts.Nprobe != 0 {
		return nil, fmt.Errorf("search: nprobe applies to FAISS IVF indexes; weaviate collection %s searches %s with ef %d", s.o.Collection, s.m.VectorIndex, s.m.Ef)
	}
	nq, err := index.CheckVectors(queries, s.m.Dim)
	if err != nil {
		if errors.Is(err, index.ErrEmpty) {
			return nil, fmt.Errorf("search: %w: empty query", index.ErrEmpty)
		}
		return nil, fmt.Errorf("search: %w", err)
	}
	if s.m.Metric == index.Cosine {
		queries = index.Normalized(queries, s.m.Dim)
	}
	total := s.Len()
	if total == 0 {
		return nil, fmt.Errorf("search: %w in the store", index.ErrEmpty)
	}
	var warn error
	if k > total {
		warn = fmt.Errorf("%w: asked for %d neighbours, the store holds %d; returning %d", index.ErrKTooLarge, k, total, total)
		k = total
	}
	out := make([][]index.Hit, nq)
	errs := make([]error, nq)
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(4, 2*runtime.GOMAXPROCS(0)))
	d := s.m.Dim
	for i := range nq {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = s.search1(ctx, queries[i*d:(i+1)*d], k, total)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, warn
}

func (s *Store) search1(ctx context.Context, q []float32, k, total int) ([]index.Hit, error) {
	nv := (&graphql.NearVectorArgumentBuilder{}).WithVector(q)
	res, err := s.c.Experimental().Search().WithCollection(s.o.Collection).WithNearVector(nv).WithLimit(k).
		WithProperties("rowid").WithMetadata(&graphql.Metadata{ID: true, Distance: true}).
		WithConsistencyLevel(level(s.o.Read)).Do(ctx)
	if err != nil {
		return nil, describe(err, "search "+s.o.Collection)
	}
	s.mu.RLock()
	n := len(s.items)
	s.mu.RUnlock()
	if len(res) == k && slices.ContainsFunc(res, func(r graphql.SearchResult) bool { row, _, _ := itemOf(r.Properties); return row >= int64(n) }) {
		// Rows being written (here or by another writer) are not ours to show yet: ask
		// again for rows below n only (a filtered search, which only this case pays for).
		where := filters.Where().WithPath([]string{"rowid"}).WithOperator(filters.LessThan).WithValueInt(int64(n))
		res, err = s.c.Experimental().Search().WithCollection(s.o.Collection).WithNearVector(nv).WithLimit(k).WithWhere(where).
			WithProperties("rowid").WithMetadata(&graphql.Metadata{ID: true, Distance: true}).
			WithConsistencyLevel(level(s.o.Read)).Do(ctx)
		if err != nil {
			return nil, describe(err, "search "+s.o.Collection)
		}
	}
	hits := make([]index.Hit, 0, len(res))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, r := range res {
		row, _, err := itemOf(r.Properties)
		if err != nil {
			return nil, fmt.Errorf("%w: weaviate collection %s, object %s: %v", index.ErrCorrupt, s.o.Collection, r.ID, err)
		}
		if row >= int64(len(s.items)) {
			continue // the tail of an interrupted write, or another writer's rows not loaded here
		}
		hits = append(hits, index.Hit{Rank: len(hits) + 1, ID: row, Distance: score(s.m.Metric, r.Metadata.Distance), Item: s.items[row]})
	}
	return hits, nil
}

// score turns Weaviate's distance into the index.Hit score of the metric.
func score(m index.Metric, dist float32) float32 {
	switch m {
	case index.IP:
		return -dist
	case index.Cosine:
		return 1 - dist
	}
	return dist
}

// SearchByID uses row id's stored vector as the query; with excludeSelf the row itself
// is left out of the k results.
func (s *Store) SearchByID(ctx context.Context, id int64, k int, excludeSelf bool, opts index.SearchOptions) ([]index.Hit, error) {
	return index.SearchByVectorOf(ctx, s, id, k, excludeSelf, opts)
}

// Flush has nothing to do: Weaviate has stored every row Add acknowledged, at the
// write consistency level.
func (s *Store) Flush(ctx context.Context) error { return ctx.Err() }

// Asset returns a named asset saved with the store (e.g. a text encoder's vocabulary).
func (s *Store) Asset(name string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.m.Assets[name]
	if !ok {
		return nil, fmt.Errorf("%w %q in weaviate collection %s", index.ErrNoAsset, name, s.o.Collection)
	}
	return b, nil
}

// SetAsset saves a named asset with the store's manifest.
func (s *Store) SetAsset(name string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m.Assets == nil {
		s.m.Assets = map[string][]byte{}
	}
	s.m.Assets[name] = append([]byte(nil), data...)
	return s.writeManifest(context.Background(), false)
}

// Close gives up the writer's lease, if taken.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.leased {
		s.leased = false
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.c.Data().Deleter().WithClassName(metaClass).WithID(metaUUID(s.o.Collection, "writer")).Do(ctx); err != nil {
			return describe(err, "release the writer's lease of "+s.o.Collection)
		}
	}
	return nil
}

// Drop deletes the collection, its manifest and its tags: every row is lost.
func Drop(ctx context.Context, o Options) error {
	c, err := connect(ctx, o)
	if err != nil {
		return err
	}
	if err := c.Schema().ClassDeleter().WithClassName(o.Collection).Do(ctx); err != nil {
		return describe(err, "drop "+o.Collection)
	}
	c.Schema().ClassDeleter().WithClassName(TagClass(o.Collection)).Do(ctx)
	for _, what := range []string{"manifest", "writer"} {
		c.Data().Deleter().WithClassName(metaClass).WithID(metaUUID(o.Collection, what)).Do(ctx)
	}
	return nil
}

// AssetNames lists the store's assets, sorted.
func (s *Store) AssetNames() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.m.Assets))
	for n := range s.m.Assets {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
