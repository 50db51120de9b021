package weaviate_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corpushunt/corpushunt/internal/clustertest"
	"github.com/corpushunt/corpushunt/internal/storetest"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/store/weaviate"
)

// TestNodeKilled kills -9 one of three nodes while queries and adds run against a
// collection sharded over the three and replicated twice, writes at consistency QUORUM
// (both replicas) and reads at ONE: queries must keep answering in full with no error,
// adds must resume (those whose shard has a replica on the dead node wait for it: the
// writer retries), and once the node is back every acknowledged row must be there and
// found by its own vector, but for rows whose write was under way in the 2 s before the
// kill (below).
func TestNodeKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster and waits out a node's death and return (-short)")
	}
	c := clustertest.Start(t)
	ctx := context.Background()
	const dim = 16
	o := weaviate.Options{Host: c.Addr(0), GRPC: c.GRPCAddr(0), Collection: "Fault", Shards: 3, Replicas: 2, Write: "QUORUM", Read: "ONE"}
	s, err := weaviate.Create(ctx, o, index.Config{Dim: dim, Metric: index.Cosine, Encoder: index.EncoderInfo{Name: "fault"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, items := storetest.Data(20000, dim, 9)
	if err := s.Add(ctx, v[:2000*dim], items[:2000], nil); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var queries, short, qerrs atomic.Int64
	var firstErr atomic.Value
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := r.IntN(2000)
				res, err := s.Search(ctx, v[id*dim:(id+1)*dim], 10, index.SearchOptions{})
				queries.Add(1)
				switch {
				case err != nil:
					qerrs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				case len(res[0]) != 10:
					short.Add(1)
				}
			}
		}()
	}
	var acked atomic.Int64
	var ackMu sync.Mutex
	sentAt := map[int]time.Time{}  // batch (row/100) → when its write began
	ackedAt := map[int]time.Time{} // batch (row/100) → when it was acknowledged
	acked.Store(2000)
	var addErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for next := 2000; next+100 <= len(items); next += 100 {
			select {
			case <-stop:
				return
			default:
			}
			ackMu.Lock()
			sentAt[next/100] = time.Now()
			ackMu.Unlock()
			if err := s.Add(ctx, v[next*dim:(next+100)*dim], items[next:next+100], nil); err != nil {
				addErr = err
				return
			}
			acked.Store(int64(next + 100))
			ackMu.Lock()
			ackedAt[next/100] = time.Now()
			ackMu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()

	time.Sleep(2 * time.Second)
	before := acked.Load()
	killedAt := time.Now()
	if err := c.Kill(2); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed node 2 after %d rows acknowledged, %d queries", before, queries.Load())
	time.Sleep(6 * time.Second)
	during := acked.Load()
	qDuring := queries.Load()
	if err := c.Restart(ctx, 2); err != nil {
		t.Fatal(err)
	}
	t.Logf("node 2 back: %d rows acknowledged while it was down", during-before)
	back := acked.Load()
	time.Sleep(3 * time.Second)
	for deadline := time.Now().Add(time.Minute); acked.Load() == back && back < int64(len(items)) && time.Now().Before(deadline); {
		time.Sleep(time.Second) // adds must resume once the node is back
	}
	after := acked.Load()
	close(stop)
	wg.Wait()
	if addErr != nil {
		t.Fatalf("add failed: %v", addErr)
	}
	t.Logf("%d queries, %d errors, %d with fewer than 10 hits; %d rows acknowledged", queries.Load(), qerrs.Load(), short.Load(), acked.Load())
	if qerrs.Load() > 0 {
		t.Errorf("%d of %d queries failed at read consistency ONE with one node of three down (first: %v)", qerrs.Load(), queries.Load(), firstErr.Load())
	}
	if short.Load() > 0 {
		t.Errorf("%d queries answered fewer than 10 hits", short.Load())
	}
	if after <= back && back < int64(len(items)) {
		t.Errorf("adds did not resume after node 2's return (%d rows acknowledged then, %d a minute later)", back, after)
	}
	if qDuring == 0 {
		t.Error("no queries ran")
	}

	// Every acknowledged row is there once the node is back: a fresh reader (all rows'
	// items, read with a cursor) and spot checks read at consistency ALL.
	want := int(acked.Load())
	if s.Len() != want {
		t.Fatalf("the writer holds %d rows, %d acknowledged", s.Len(), want)
	}
	deadline := time.Now().Add(90 * time.Second)
	var got int
	for {
		r, err := weaviate.Open(ctx, weaviate.Options{Host: c.Addr(1), GRPC: c.GRPCAddr(1), Collection: "Fault", Read: "ALL"})
		if err == nil {
			got = r.Len()
			r.Close()
			if got == want {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("a reader sees %d rows (err %v), %d were acknowledged", got, err, want)
		}
		time.Sleep(2 * time.Second)
	}
	all, err := weaviate.Open(ctx, weaviate.Options{Host: c.Addr(2), GRPC: c.GRPCAddr(2), Collection: "Fault", Read: "ALL"})
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	r := rand.New(rand.NewPCG(3, 3))
	var spot []int64
	vecs := map[int64][]float32{}
	for range 60 {
		id := int64(r.IntN(want))
		it, err := all.Item(id)
		if err != nil || it.Ref != items[id].Ref {
			t.Fatalf("row %d: %+v, %v; want %s", id, it, err, items[id].Ref)
		}
		vec, err := all.Vector(id)
		if err != nil {
			t.Fatalf("row %d's vector at consistency ALL: %v", id, err)
		}
		spot, vecs[id] = append(spot, id), vec
	}
	// Rows written in the last moments before the kill can be missing from the killed
	// node's vector index after its restart (their objects are there: read above at ALL),
	// and a search that lands on that replica misses them. Seen here: 1-2 of 60 sampled
	// rows, acknowledged in the second before the kill or in the batch under way at the
	// kill (acknowledged after it, once the writer's retries went through), still unfound
	// 2 minutes later. Any other row unfound is a failure.
	t0 := time.Now()
	for {
		var missed, atRisk []int64
		for _, id := range spot {
			hits, err := all.Search(ctx, vecs[id], 1, index.SearchOptions{})
			if err == nil && len(hits[0]) > 0 && hits[0][0].ID == id {
				continue
			}
			ackMu.Lock()
			sent, ok := sentAt[int(id)/100]
			at := ackedAt[int(id)/100]
			ackMu.Unlock()
			if ok && sent.Before(killedAt) && !at.Before(killedAt.Add(-2*time.Second)) {
				atRisk = append(atRisk, id)
			} else {
				missed = append(missed, id)
			}
		}
		if len(missed) == 0 && (len(atRisk) == 0 || time.Since(t0) > 20*time.Second) {
			t.Logf("spot checks: %d of 60 rows found themselves first (%v after the count was complete); %d written in the 2 s before the kill not searchable: %v",
				60-len(atRisk), time.Since(t0).Round(time.Second), len(atRisk), atRisk)
			break
		}
		if time.Since(t0) > time.Minute {
			t.Fatalf("%d of 60 rows not found by their own vectors a minute after the node's return: %v", len(missed), missed)
		}
		time.Sleep(2 * time.Second)
	}
}
