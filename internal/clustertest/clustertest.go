// Package clustertest starts local Weaviate clusters for tests, with one rule for a
// missing weaviate-server binary: the test is skipped, except under CI (the CI
// environment variable set), where `make setup` must have installed it and its absence
// fails the test.
package clustertest

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/corpushunt/corpushunt/simsearch/store/weaviate/localcluster"
)

// Check applies the rule to an error of localcluster.Start: nil passes, a missing binary
// skips (fails under CI), any other error fails.
func Check(tb testing.TB, err error) {
	tb.Helper()
	if errors.Is(err, localcluster.ErrNoBinary) && os.Getenv("CI") == "" {
		tb.Skipf("no weaviate-server to run a cluster with (make setup installs it): %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// Start starts a 3-node cluster on loopback for tb and stops it when tb ends.
func Start(tb testing.TB) *localcluster.Cluster {
	tb.Helper()
	c, err := localcluster.Start(context.Background(), localcluster.Options{Nodes: 3})
	Check(tb, err)
	tb.Cleanup(func() {
		if err := c.Stop(); err != nil {
			tb.Error(err)
		}
	})
	return c
}
