package weaviate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/corpushunt/corpushunt/internal/storetest"
	"github.com/corpushunt/corpushunt/simsearch/index"
	"github.com/corpushunt/corpushunt/simsearch/store/weaviate"
)

// TestStoreConformance runs the vector-store contract's suite against a collection
// sharded over the 3-node cluster and replicated twice.
func TestStoreConformance(t *testing.T) {
	host, grpc := cluster(t)
	ctx := context.Background()
	storetest.Run(t, storetest.Factory{
		MinRecall: 0.95,
		Create: func(t *testing.T, cfg index.Config) index.Store {
			o := weaviate.Options{Host: host, GRPC: grpc, Collection: fmt.Sprintf("Conf%08x", rand.Uint32()), Shards: 3, Replicas: 2}
			s, err := weaviate.Create(ctx, o, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close(); weaviate.Drop(ctx, o) })
			return s
		},
		Reopen: func(t *testing.T, s index.Store) index.Store {
			o := s.(*weaviate.Store).Options()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2, err := weaviate.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s2.Close() })
			return s2
		},
	})
}

// TestShardedAndReplicated checks the conformance suite's layout: a collection created
// with 3 shards and 2 replicas on 3 nodes has each shard on two nodes and every node
// holding some.
func TestShardedAndReplicated(t *testing.T) {
	host, grpc := cluster(t)
	ctx := context.Background()
	o := weaviate.Options{Host: host, GRPC: grpc, Collection: fmt.Sprintf("Layout%08x", rand.Uint32()), Shards: 3, Replicas: 2}
	s, err := weaviate.Create(ctx, o, index.Config{Dim: 8, Metric: index.L2})
	if err != nil {
		t.Fatal(err)
	}
	defer weaviate.Drop(ctx, o)
	defer s.Close()
	v, items := storetest.Data(3000, 8, 11)
	if err := s.Add(ctx, v, items, nil); err != nil {
		t.Fatal(err)
	}
	pl, err := s.Placement(ctx)
	if err != nil {
		t.Fatal(err)
	}
	replicas := map[string]int{}
	for node, shards := range pl {
		for sh := range shards {
			replicas[sh]++
		}
		t.Logf("%s holds %v", node, shards)
	}
	if len(pl) != 3 {
		t.Errorf("%d nodes hold shards of the collection, want 3: %v", len(pl), pl)
	}
	if len(replicas) != 3 {
		t.Errorf("%d shards, want 3: %v", len(replicas), replicas)
	}
	for sh, n := range replicas {
		if n != 2 {
			t.Errorf("shard %s has %d replicas, want 2", sh, n)
		}
	}
	if !strings.Contains(s.Describe(), "3 shards × 2 replicas") {
		t.Errorf("Describe() = %q", s.Describe())
	}
}
