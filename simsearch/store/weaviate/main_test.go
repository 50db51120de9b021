package weaviate_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/corpushunt/corpushunt/internal/clustertest"
	"github.com/corpushunt/corpushunt/simsearch/store/weaviate/localcluster"
)

// cluster returns the HTTP and gRPC addresses of a running 3-node cluster: one named by
// CORPUSHUNT_TEST_WEAVIATE=HTTP,GRPC, else one started for this test (on loopback, in a
// temporary folder, stopped at its end). Without the weaviate-server binary the test is
// skipped, except in CI (CI set), where `make setup` installs it and its absence fails.
func cluster(t *testing.T) (string, string) {
	t.Helper()
	if env := os.Getenv("CORPUSHUNT_TEST_WEAVIATE"); env != "" {
		h, g, _ := strings.Cut(env, ",")
		return h, g
	}
	sharedOnce.Do(func() {
		shared, sharedErr = localcluster.Start(context.Background(), localcluster.Options{Nodes: 3})
	})
	clustertest.Check(t, sharedErr)
	return shared.Addr(0), shared.GRPCAddr(0)
}

// The cluster the tests share (the fault test starts its own).
var (
	sharedOnce sync.Once
	shared     *localcluster.Cluster
	sharedErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop the test cluster:", err)
			code = 1
		}
	}
	os.Exit(code)
}
