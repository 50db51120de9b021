package index_test

import (
	"context"
	"testing"

	"github.com/corpushunt/corpushunt/internal/storetest"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// TestStoreConformance runs the vector-store contract's suite against the FAISS index
// directory (exact Flat index: recall 1).
func TestStoreConformance(t *testing.T) {
	ctx := context.Background()
	dirs := map[index.Store]string{}
	storetest.Run(t, storetest.Factory{
		MinRecall: 0.999,
		Create: func(t *testing.T, cfg index.Config) index.Store {
			dir := t.TempDir()
			s, err := index.OpenStore(ctx, dir, true, cfg)
			if err != nil {
				t.Fatal(err)
			}
			dirs[s] = dir
			t.Cleanup(func() { s.Close() })
			return s
		},
		Reopen: func(t *testing.T, s index.Store) index.Store {
			dir := dirs[s]
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2, err := index.OpenStore(ctx, dir, false, index.Config{})
			if err != nil {
				t.Fatal(err)
			}
			dirs[s2] = dir
			t.Cleanup(func() { s2.Close() })
			return s2
		},
	})
}
