package weaviate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
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
