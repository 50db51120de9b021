package localcluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// needBinary returns the weaviate-server binary. Without one the test is skipped, except
// under CI (the CI environment variable set), where `make setup` must have installed it.
func needBinary(t *testing.T) string {
	t.Helper()
	bin, err := FindBinary("")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and %v", err)
		}
		t.Skipf("no weaviate-server, so no cluster to test (CI would fail here): %v", err)
	}
	return bin
}

// alive reports whether process pid exists (a reaped process does not).
func alive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, []byte(b.String())
}

// checkAllHealthy asserts, independently of the package's own wait, that node i answers
// ready and lists every one of want as HEALTHY.
func checkAllHealthy(t *testing.T, c *Cluster, i int, want []string) {
	t.Helper()
	if code, _ := get(t, "http://"+c.Addr(i)+"/v1/.well-known/ready"); code != 200 {
		t.Fatalf("node%d ready: HTTP %d", i, code)
	}
	code, body := get(t, "http://"+c.Addr(i)+"/v1/nodes")
	if code != 200 {
		t.Fatalf("node%d /v1/nodes: HTTP %d: %s", i, code, body)
	}
	var st struct {
		Nodes []struct{ Name, Status, Version string }
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("node%d /v1/nodes: %v: %s", i, err, body)
	}
	got := map[string]string{}
	for _, n := range st.Nodes {
		got[n.Name] = n.Status
		if n.Version != Version {
			t.Errorf("node%d: %s runs Weaviate %q, want %s", i, n.Name, n.Version, Version)
		}
	}
	for _, name := range want {
		if got[name] != "HEALTHY" {
			t.Fatalf("node%d /v1/nodes: %s is %q, want HEALTHY (all: %v)", i, name, got[name], got)
		}
	}
}

func TestThreeNodesKillRestartStop(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	ctx := context.Background()
	t0 := time.Now()
	c, err := Start(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			c.Stop()
		}
	}()
	t.Logf("3 nodes ready and healthy in %.1fs", time.Since(t0).Seconds())

	if c.Nodes() != 3 {
		t.Fatalf("Nodes() = %d, want 3", c.Nodes())
	}
	all := []string{"node0", "node1", "node2"}
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		checkAllHealthy(t, c, i, all)
		for _, a := range []string{c.Addr(i), c.GRPCAddr(i)} {
			if !strings.HasPrefix(a, "127.0.0.1:") || seen[a] {
				t.Errorf("address %s: not loopback or not distinct", a)
			}
			seen[a] = true
		}
		if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("node%d.log", i))); err != nil {
			t.Errorf("node%d log: %v", i, err)
		}
	}
	// The gRPC port accepts connections.
	if conn, err := net.DialTimeout("tcp", c.GRPCAddr(2), 2*time.Second); err != nil {
		t.Errorf("gRPC %s: %v", c.GRPCAddr(2), err)
	} else {
		conn.Close()
	}
	wantURL := "weaviate://" + c.Addr(0) + "/Items?grpc=" + c.GRPCAddr(0)
	if got := c.URL("Items"); got != wantURL {
		t.Errorf("URL = %q, want %q", got, wantURL)
	}

	// A crash of node 1: the others keep answering.
	pid1 := c.PID(1)
	if err := c.Kill(1); err != nil {
		t.Fatal(err)
	}
	if alive(pid1) {
		t.Fatalf("node1 (pid %d) still exists after Kill", pid1)
	}
	if err := c.Kill(1); err == nil {
		t.Error("Kill of a killed node: no error")
	}
	for _, i := range []int{0, 2} {
		if code, _ := get(t, "http://"+c.Addr(i)+"/v1/.well-known/ready"); code != 200 {
			t.Errorf("node%d after node1's kill: ready HTTP %d", i, code)
		}
		// (/v1/nodes answers 500 while a node is unreachable: Weaviate asks each node.)
		if code, body := get(t, "http://"+c.Addr(i)+"/v1/meta"); code != 200 {
			t.Errorf("node%d after node1's kill: /v1/meta HTTP %d: %.300s", i, code, body)
		}
	}

	// Back on the same ports and data: healthy again everywhere.
	t1 := time.Now()
	addr1 := c.Addr(1)
	if err := c.Restart(ctx, 1); err != nil {
		t.Fatal(err)
	}
	t.Logf("node1 restarted and the cluster healthy in %.1fs", time.Since(t1).Seconds())
	if c.Addr(1) != addr1 || c.PID(1) == pid1 {
		t.Errorf("restart: address %s → %s, pid %d → %d", addr1, c.Addr(1), pid1, c.PID(1))
	}
	for i := 0; i < 3; i++ {
		checkAllHealthy(t, c, i, all)
	}

	// Stop: no node process left, the caller's directory kept, a second Stop harmless.
	pids := []int{c.PID(0), c.PID(1), c.PID(2)}
	t2 := time.Now()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	t.Logf("stopped in %.1fs", time.Since(t2).Seconds())
	for i, pid := range pids {
		if alive(pid) {
			t.Errorf("node%d (pid %d) survives Stop", i, pid)
		}
	}
	if conn, err := net.DialTimeout("tcp", c.Addr(0), time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Stop", c.Addr(0))
	}
	if _, err := os.Stat(filepath.Join(dir, "node0")); err != nil {
		t.Errorf("Stop removed the caller's Dir: %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := c.Restart(ctx, 1); err == nil {
		t.Error("Restart after Stop: no error")
	}
	// The data is for 3 nodes: a 1-node start on it is refused at once.
	if _, err := Start(ctx, Options{Dir: dir, Nodes: 1}); err == nil || !strings.Contains(err.Error(), "3-node") {
		t.Errorf("1 node on a 3-node cluster's data: %v", err)
	}
}

// One node on a temporary directory: cancelling Start's context stops it and removes
// the directory.
func TestCancelStopsAndCleansUp(t *testing.T) {
	needBinary(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log syncWriter
	t0 := time.Now()
	c, err := Start(ctx, Options{Nodes: 1, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	t.Logf("1 node ready in %.1fs", time.Since(t0).Seconds())
	checkAllHealthy(t, c, 0, []string{"node0"})
	if c.LogPath(0) != "" {
		t.Errorf("LogPath = %q with Options.Log set", c.LogPath(0))
	}
	pid, dir := c.PID(0), c.Dir()
	cancel()
	t1 := time.Now()
	deadline := t1.Add(20 * time.Second)
	for alive(pid) || dirExists(dir) {
		if time.Now().After(deadline) {
			t.Fatalf("20s after cancel: process %d alive %v, directory %s exists %v", pid, alive(pid), dir, dirExists(dir))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("stopped %.1fs after cancel", time.Since(t1).Seconds())
	if err := c.Stop(); err != nil {
		t.Errorf("Stop after cancel: %v", err)
	}
	if !strings.Contains(log.String(), "node0 | ") {
		t.Errorf("Options.Log got no prefixed node output: %.300q", log.String())
	}
}

// syncWriter is a strings.Builder safe to read while nodes write to it.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// A node that cannot start: the error names the node and quotes its log.
func TestStartFailureNamesNodeAndLog(t *testing.T) {
	needBinary(t)
	_, err := Start(context.Background(), Options{Nodes: 1, Ready: 20 * time.Second,
		Env: []string{"RAFT_BOOTSTRAP_EXPECT=notanumber"}})
	if err == nil {
		t.Fatal("Start with a broken setting: no error")
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "node0") || !strings.Contains(err.Error(), "last lines of node0") {
		t.Errorf("error does not name the node and its log: %v", err)
	}
}

func TestMissingBinary(t *testing.T) {
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "weaviate-server"))
	_, err := FindBinary("")
	if !errors.Is(err, ErrNoBinary) || !strings.Contains(err.Error(), "make setup") || !strings.Contains(err.Error(), InstallCommand) {
		t.Errorf("FindBinary with a bad $%s: %v", EnvBinary, err)
	}
	if _, err := Start(context.Background(), Options{}); !errors.Is(err, ErrNoBinary) {
		t.Errorf("Start without a binary: %v", err)
	}
}

func TestPickPorts(t *testing.T) {
	ps, err := pickPorts(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ps {
		for _, port := range []int{p.HTTP, p.GRPC, p.Gossip, p.Gossip + 1, p.Raft, p.Raft + 1} {
			if port <= 0 || port > 65535 || seen[port] {
				t.Fatalf("ports %+v: %d bad or repeated", ps, port)
			}
			seen[port] = true
		}
	}
}
