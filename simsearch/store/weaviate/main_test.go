package weaviate_test

import (
	"os"
	"strings"
	"testing"
)

// cluster returns the HTTP and gRPC addresses of a running cluster: for now one named by
// CORPUSHUNT_TEST_WEAVIATE=HTTP,GRPC.
func cluster(t *testing.T) (string, string) {
	t.Helper()
	env := os.Getenv("CORPUSHUNT_TEST_WEAVIATE")
	if env == "" {
		t.Skip("no cluster: set CORPUSHUNT_TEST_WEAVIATE=HOST:PORT,HOST:GRPCPORT")
	}
	h, g, _ := strings.Cut(env, ",")
	return h, g
}
