package main

import (
	"context"
	"fmt"
	"time"

	"github.com/corpushunt/corpushunt/simsearch/store/weaviate/localcluster"
)

func init() {
	register("weaviate-cluster", "run a local Weaviate cluster on loopback (for the weaviate:// store) until Ctrl-C", cmdWeaviateCluster)
}

func cmdWeaviateCluster(ctx context.Context, args []string) error {
	fs := newFlags("weaviate-cluster", "weaviate-cluster [--nodes 3] [--data DIR]")
	nodes := fs.Int("nodes", 3, "number of nodes")
	data := fs.String("data", "", "data directory, kept and reusable (default: a temporary one, removed on exit)")
	binary := fs.String("binary", "", "weaviate-server binary (default $"+localcluster.EnvBinary+", PATH, then $(go env GOPATH)/bin)")
	ready := fs.Duration("ready", 60*time.Second, "how long to wait for every node to be ready and healthy")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *nodes < 1 {
		fmt.Fprintln(fs.Output(), "--nodes must be at least 1")
		fs.Usage()
		return errUsage
	}
	t0 := time.Now()
	c, err := localcluster.Start(ctx, localcluster.Options{Nodes: *nodes, Dir: *data, Binary: *binary, Ready: *ready})
	if err != nil {
		return err
	}
	defer c.Stop()
	where := c.Dir()
	if *data == "" {
		where += ", removed on exit"
	}
	fmt.Printf("weaviate cluster: %d node(s) ready and healthy in %.1fs (data and logs: %s)\n",
		c.Nodes(), time.Since(t0).Seconds(), where)
	for i := 0; i < c.Nodes(); i++ {
		fmt.Printf("  node%-3d http %-21s grpc %s\n", i, c.Addr(i), c.GRPCAddr(i))
	}
	fmt.Printf("store URL: %s\n", c.URL("Collection"))
	fmt.Println("Ctrl-C stops the nodes")
	<-ctx.Done()
	t1 := time.Now()
	if err := c.Stop(); err != nil {
		return err
	}
	fmt.Printf("stopped %d node(s) in %.1fs\n", c.Nodes(), time.Since(t1).Seconds())
	return nil
}
