// Package localcluster runs a Weaviate cluster of weaviate-server processes on the loopback
// interface, for the Weaviate store's tests and for local experiments
// (`corpushunt weaviate-cluster`).
//
//	c, err := localcluster.Start(ctx, localcluster.Options{Nodes: 3})
//	if err != nil {
//		return err
//	}
//	defer c.Stop()
//	url := c.URL("Items") // weaviate://127.0.0.1:PORT/Items?grpc=127.0.0.1:PORT
//
// Each node gets ports found free on 127.0.0.1 (HTTP, gRPC, gossip and gossip+1 for data,
// Raft and Raft+1 for its internal RPC: Weaviate's local-cluster mode requires the +1s),
// keeps its data in Dir/node<i> and its log in Dir/node<i>.log. HTTP, gossip and Raft
// listen on 127.0.0.1 only; Weaviate itself binds gRPC and the data port on all
// interfaces. Start returns once every node answers GET /v1/.well-known/ready with 200
// and GET /v1/nodes on every node lists all nodes HEALTHY. Nodes run in their own process
// group (Ctrl-C in a terminal does not reach them: Stop does) and, on Linux, get SIGKILL
// if the process that started them dies, so no node outlives a test, even one killed by
// go test's timeout.
//
// weaviate-server (Weaviate v1.35.2) is installed by `make setup`, or by hand with
//
//	go install github.com/weaviate/weaviate/cmd/weaviate-server@v1.35.2
package localcluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Version is the Weaviate release this package is tested with and `make setup` installs.
const Version = "1.35.2"

// InstallCommand installs the weaviate-server binary this package runs.
const InstallCommand = "go install github.com/weaviate/weaviate/cmd/weaviate-server@v" + Version

// EnvBinary names the environment variable that may point at the weaviate-server binary.
const EnvBinary = "CORPUSHUNT_WEAVIATE"

// ErrNoBinary is returned (wrapped, with where it looked and how to install it) when no
// weaviate-server binary is found.
var ErrNoBinary = errors.New("weaviate-server not found")

// Options configure Start. The zero value runs 3 nodes in a new temporary directory.
type Options struct {
	// Nodes is the number of nodes (default 3).
	Nodes int
	// Dir is the data root: node i keeps its data in Dir/node<i> and, unless Log is set,
	// its log in Dir/node<i>.log. Default: a new temporary directory that Stop removes.
	// Stop never removes a Dir given here; a later Start on it brings the data back (with
	// the same number of nodes, on new ports).
	Dir string
	// Binary is the weaviate-server executable. Default: $CORPUSHUNT_WEAVIATE, else
	// weaviate-server on PATH, else in $(go env GOBIN) or $(go env GOPATH)/bin.
	Binary string
	// Log receives every node's output, each line prefixed with "node<i> | ".
	// Default: the files Dir/node<i>.log.
	Log io.Writer
	// Ready bounds how long Start (and Restart) wait for the nodes to be ready and
	// healthy (default 60s).
	Ready time.Duration
	// Env holds extra NAME=value settings for every node (Weaviate reads its
	// configuration from the environment); they override this package's.
	Env []string
}

// Cluster is a running local Weaviate cluster. Its methods are safe for concurrent use.
type Cluster struct {
	bin    string
	dir    string
	ownDir bool
	opts   Options
	nodes  []*node
	spawn  *spawner
	logMu  sync.Mutex // serializes writes to opts.Log
	client *http.Client

	quit     chan struct{} // closed when Stop begins
	quitOnce sync.Once

	mu      sync.Mutex // held by Kill, Restart and Stop
	stopped bool
	stopErr error
}

type node struct {
	i       int
	name    string
	ports   ports
	dir     string
	logPath string // "" when logs go to Options.Log
	logFile *os.File
	out     *nodeWriter

	pmu  sync.Mutex
	proc *proc // the current process; nil before the first start
}

// ports of one node. Weaviate's local-cluster mode derives the data port as Gossip+1 and
// the Raft internal RPC port as Raft+1.
type ports struct{ HTTP, GRPC, Gossip, Raft int }

type proc struct {
	cmd    *exec.Cmd
	pid    int
	exited chan struct{} // closed once the process is reaped
	err    error         // cmd.Wait's result, set before exited is closed
}

func (p *proc) running() bool {
	if p == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// errPortClash marks a start that failed because a picked port was taken meanwhile.
var errPortClash = errors.New("port taken")

// Start starts the nodes and returns once all are ready and healthy. Node 0 starts first;
// the others join its gossip port once it listens. Cancelling ctx stops the cluster (as
// Stop does) at any time, during Start or after it returned.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.Nodes < 0 {
		return nil, fmt.Errorf("localcluster: %d nodes", o.Nodes)
	}
	if o.Ready <= 0 {
		o.Ready = 60 * time.Second
	}
	bin, err := FindBinary(o.Binary)
	if err != nil {
		return nil, err
	}
	dir, ownDir := o.Dir, o.Dir == ""
	if ownDir {
		if dir, err = os.MkdirTemp("", "weaviate-cluster-"); err != nil {
			return nil, fmt.Errorf("localcluster: %w", err)
		}
	} else {
		if dir, err = filepath.Abs(dir); err == nil {
			err = os.MkdirAll(dir, 0o755)
		}
		if err != nil {
			return nil, fmt.Errorf("localcluster: data directory: %w", err)
		}
		// Raft keeps the voter count: a cluster's data only comes back with as many nodes.
		had := 0
		for dirExists(filepath.Join(dir, nodeName(had))) {
			had++
		}
		if had > 0 && had != o.Nodes {
			return nil, fmt.Errorf("localcluster: %s holds the data of a %d-node cluster, not %d: run %d nodes on it, or use another directory",
				dir, had, o.Nodes, had)
		}
	}
	const attempts = 3
	for attempt := 1; ; attempt++ {
		c, err := start(ctx, o, bin, dir, ownDir)
		if err == nil {
			go func() {
				select {
				case <-ctx.Done():
					c.Stop()
				case <-c.quit:
				}
			}()
			return c, nil
		}
		if !errors.Is(err, errPortClash) || attempt == attempts || ctx.Err() != nil {
			if ownDir {
				os.RemoveAll(dir)
			}
			return nil, err
		}
		if ownDir { // a fresh start on new ports: drop the failed attempt's state
			for i := 0; i < o.Nodes; i++ {
				os.RemoveAll(filepath.Join(dir, nodeName(i)))
			}
		}
	}
}

func nodeName(i int) string { return "node" + strconv.Itoa(i) }

func dirExists(d string) bool {
	st, err := os.Stat(d)
	return err == nil && st.IsDir()
}

// start makes one attempt on freshly picked ports; on failure everything it started is
// stopped (the directory is left to Start).
func start(ctx context.Context, o Options, bin, dir string, ownDir bool) (*Cluster, error) {
	ps, err := pickPorts(o.Nodes)
	if err != nil {
		return nil, fmt.Errorf("localcluster: picking ports: %w", err)
	}
	c := &Cluster{
		bin: bin, dir: dir, ownDir: false, opts: o,
		spawn:  newSpawner(),
		client: &http.Client{Timeout: 3 * time.Second},
		quit:   make(chan struct{}),
	}
	for i := 0; i < o.Nodes; i++ {
		n := &node{i: i, name: nodeName(i), ports: ps[i], dir: filepath.Join(dir, nodeName(i))}
		n.out = &nodeWriter{}
		if o.Log != nil {
			n.out.dst, n.out.prefix, n.out.mu = o.Log, []byte(n.name+" | "), &c.logMu
		} else {
			n.logPath = filepath.Join(dir, n.name+".log")
			f, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				c.Stop()
				return nil, fmt.Errorf("localcluster: %s log: %w", n.name, err)
			}
			n.logFile, n.out.dst = f, f
		}
		c.nodes = append(c.nodes, n)
	}
	fail := func(err error) (*Cluster, error) {
		c.Stop()
		return nil, err
	}
	deadline := time.Now().Add(o.Ready)
	// Node 0 first: a node whose CLUSTER_JOIN is refused exits.
	n0 := c.nodes[0]
	if err := c.startNode(n0, ""); err != nil {
		return fail(err)
	}
	if len(c.nodes) > 1 {
		if err := c.waitGossip(ctx, n0, deadline); err != nil {
			return fail(err)
		}
	}
	join := fmt.Sprintf("127.0.0.1:%d", n0.ports.Gossip)
	for _, n := range c.nodes[1:] {
		if err := c.startNode(n, join); err != nil {
			return fail(err)
		}
	}
	if err := c.waitHealthy(ctx, deadline, c.nodes); err != nil {
		return fail(err)
	}
	c.ownDir = ownDir // only now: Stop after a failed attempt must leave the directory to Start
	return c, nil
}

// FindBinary returns the weaviate-server executable to run: bin if not empty, else
// $CORPUSHUNT_WEAVIATE, else weaviate-server on PATH, else in $(go env GOBIN) or
// $(go env GOPATH)/bin. The error wraps ErrNoBinary and says how to install it.
func FindBinary(bin string) (string, error) {
	check := func(p, from string) (string, error) {
		if p2, err := exec.LookPath(p); err == nil {
			return p2, nil
		}
		return "", fmt.Errorf("localcluster: %w: %s=%q is not an executable file (install it with `make setup` or %s)",
			ErrNoBinary, from, p, InstallCommand)
	}
	if bin != "" {
		return check(bin, "Options.Binary")
	}
	if p := os.Getenv(EnvBinary); p != "" {
		return check(p, "$"+EnvBinary)
	}
	if p, err := exec.LookPath("weaviate-server"); err == nil {
		return p, nil
	}
	looked := []string{"$" + EnvBinary, "PATH"}
	for _, d := range goBinDirs() {
		p := filepath.Join(d, "weaviate-server")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
		looked = append(looked, d)
	}
	return "", fmt.Errorf("localcluster: %w (looked at %s): run `make setup`, or %s",
		ErrNoBinary, strings.Join(looked, ", "), InstallCommand)
}

// goBinDirs lists where `go install` puts binaries: $(go env GOBIN), $(go env GOPATH)/bin.
func goBinDirs() []string {
	var dirs []string
	add := func(d string) {
		if d == "" {
			return
		}
		for _, x := range dirs {
			if x == d {
				return
			}
		}
		dirs = append(dirs, d)
	}
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
		if len(lines) == 2 {
			add(lines[0])
			for _, p := range filepath.SplitList(lines[1]) {
				add(filepath.Join(p, "bin"))
			}
		}
	}
	add(os.Getenv("GOBIN"))
	for _, p := range filepath.SplitList(os.Getenv("GOPATH")) {
		add(filepath.Join(p, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		add(filepath.Join(home, "go", "bin"))
	}
	return dirs
}

// pickPorts finds, for each of n nodes, 6 ports free on 127.0.0.1 (gossip and gossip+1,
// Raft and Raft+1 consecutive), holding them all until every one is found so that none is
// picked twice, then releasing them. A port may still be taken before a node binds it:
// Start then tries again on new ports.
func pickPorts(n int) ([]ports, error) {
	var held []io.Closer
	defer func() {
		for _, h := range held {
			h.Close()
		}
	}()
	one := func() (int, error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		held = append(held, l)
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	// pair returns p with p and p+1 free (for TCP, and p for UDP too if udp: memberlist
	// gossips over both).
	pair := func(udp bool) (int, error) {
		for try := 0; try < 200; try++ {
			p, err := one() // stays held even if p+1 is taken, so it is not offered again
			if err != nil {
				return 0, err
			}
			if p >= 65535 {
				continue
			}
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1))
			if err != nil {
				continue
			}
			held = append(held, l)
			if udp {
				u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
				if err != nil {
					continue
				}
				held = append(held, u)
			}
			return p, nil
		}
		return 0, errors.New("found no two consecutive free ports")
	}
	out := make([]ports, n)
	for i := range out {
		var err error
		var p ports
		if p.Gossip, err = pair(true); err == nil {
			if p.Raft, err = pair(false); err == nil {
				if p.HTTP, err = one(); err == nil {
					p.GRPC, err = one()
				}
			}
		}
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// env is node n's environment: a few inherited variables, the cluster settings, then
// Options.Env. join is CLUSTER_JOIN ("" for none).
func (c *Cluster) env(n *node, join string) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "USER", "TMPDIR", "TZ", "LANG", "LC_ALL",
		"GOMAXPROCS", "GOMEMLIMIT", "GOGC", "GODEBUG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	raftJoin := make([]string, len(c.nodes))
	for j, m := range c.nodes {
		raftJoin[j] = fmt.Sprintf("%s:%d", m.name, m.ports.Raft)
	}
	p := n.ports
	env = append(env,
		"PERSISTENCE_DATA_PATH="+n.dir,
		"AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true",
		"DEFAULT_VECTORIZER_MODULE=none",
		"CLUSTER_HOSTNAME="+n.name,
		"CLUSTER_IN_LOCALHOST=true",
		"CLUSTER_ADVERTISE_ADDR=127.0.0.1",
		"CLUSTER_BIND_ADDR=127.0.0.1",
		"CLUSTER_GOSSIP_BIND_PORT="+strconv.Itoa(p.Gossip),
		"CLUSTER_DATA_BIND_PORT="+strconv.Itoa(p.Gossip+1),
		"RAFT_PORT="+strconv.Itoa(p.Raft),
		"RAFT_INTERNAL_RPC_PORT="+strconv.Itoa(p.Raft+1),
		"RAFT_JOIN="+strings.Join(raftJoin, ","),
		"RAFT_BOOTSTRAP_EXPECT="+strconv.Itoa(len(c.nodes)),
		"GRPC_PORT="+strconv.Itoa(p.GRPC),
		"DISABLE_TELEMETRY=true",
		"LOG_LEVEL=info",
		"PROMETHEUS_MONITORING_ENABLED=false",
		"GO_PROFILING_DISABLE=true", // else every node tries :6060
	)
	if join != "" {
		env = append(env, "CLUSTER_JOIN="+join)
	}
	return append(env, c.opts.Env...)
}

// startNode starts node n's process (it must not be running).
func (c *Cluster) startNode(n *node, join string) error {
	if err := os.MkdirAll(n.dir, 0o755); err != nil {
		return fmt.Errorf("localcluster: %s: %w", n.name, err)
	}
	cmd := exec.Command(c.bin, "--host", "127.0.0.1", "--port", strconv.Itoa(n.ports.HTTP), "--scheme", "http")
	cmd.Dir = n.dir // not the caller's: weaviate-server reads ./weaviate.conf.json if present
	cmd.Env = c.env(n, join)
	cmd.Stdout, cmd.Stderr = n.out, n.out
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = 2 * time.Second
	fmt.Fprintf(n.out, "--- localcluster: %s starting %s (http %d, grpc %d, gossip %d, raft %d, join %q)\n",
		time.Now().Format(time.RFC3339), c.bin, n.ports.HTTP, n.ports.GRPC, n.ports.Gossip, n.ports.Raft, join)
	var err error
	c.spawn.do(func() { err = cmd.Start() })
	if err != nil {
		return fmt.Errorf("localcluster: starting %s: %w", n.name, err)
	}
	p := &proc{cmd: cmd, pid: cmd.Process.Pid, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		n.out.flush()
		close(p.exited)
	}()
	n.pmu.Lock()
	n.proc = p
	n.pmu.Unlock()
	return nil
}

func (n *node) current() *proc {
	n.pmu.Lock()
	defer n.pmu.Unlock()
	return n.proc
}

// exitError describes node n's process having exited, with its log's tail.
func (c *Cluster) exitError(n *node, p *proc) error {
	err := fmt.Errorf("localcluster: %s exited (%v)%s", n.name, p.err, n.tail())
	if strings.Contains(n.out.String(), "address already in use") {
		err = fmt.Errorf("%w: %w", err, errPortClash)
	}
	return err
}

// tail returns the end of node n's log as text to append to an error.
func (n *node) tail() string {
	lines := strings.Split(strings.TrimRight(n.out.String(), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	for i, l := range lines {
		if len(l) > 600 {
			lines[i] = l[:600] + "…"
		}
	}
	where := "its log"
	if n.logPath != "" {
		where = n.logPath
	}
	return fmt.Sprintf("\n--- last lines of %s (%s):\n%s", n.name, where, strings.Join(lines, "\n"))
}

// wait sleeps briefly, failing when ctx ends, Stop begins or the deadline passes.
func (c *Cluster) wait(ctx context.Context, deadline time.Time, what func() error) error {
	t := time.NewTimer(200 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("localcluster: %w", ctx.Err())
	case <-c.quit:
		return errors.New("localcluster: cluster stopped")
	case <-t.C:
	}
	if time.Now().After(deadline) {
		return what()
	}
	return nil
}

// waitGossip waits until node n accepts connections on its gossip port.
func (c *Cluster) waitGossip(ctx context.Context, n *node, deadline time.Time) error {
	addr := fmt.Sprintf("127.0.0.1:%d", n.ports.Gossip)
	for {
		p := n.current()
		if !p.running() {
			return c.exitError(n, p)
		}
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return nil
		}
		if err := c.wait(ctx, deadline, func() error {
			return fmt.Errorf("localcluster: %s not listening on gossip port %s after %s%s",
				n.name, addr, c.opts.Ready, n.tail())
		}); err != nil {
			return err
		}
	}
}

// waitHealthy waits until each node in must is running and ready, and every running node
// lists every running node HEALTHY in /v1/nodes. A node of must that exits is an error.
func (c *Cluster) waitHealthy(ctx context.Context, deadline time.Time, must []*node) error {
	for {
		who, problem := c.healthProblem(must)
		if problem == nil {
			return nil
		}
		if errors.Is(problem, errExited) {
			return c.exitError(who, who.current())
		}
		if err := c.wait(ctx, deadline, func() error {
			return fmt.Errorf("localcluster: cluster not healthy after %s: %v%s", c.opts.Ready, problem, who.tail())
		}); err != nil {
			return err
		}
	}
}

var errExited = errors.New("exited")

// healthProblem returns what is not yet ready or healthy, and the node concerned.
func (c *Cluster) healthProblem(must []*node) (*node, error) {
	for _, n := range must {
		if !n.current().running() {
			return n, errExited
		}
	}
	var up []*node
	for _, n := range c.nodes {
		if n.current().running() {
			up = append(up, n)
		}
	}
	for _, n := range up {
		resp, err := c.client.Get("http://" + c.Addr(n.i) + "/v1/.well-known/ready")
		if err != nil {
			return n, fmt.Errorf("%s not ready: %v", n.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return n, fmt.Errorf("%s not ready: %s", n.name, resp.Status)
		}
	}
	for _, n := range up {
		st, err := c.nodeStatus(n)
		if err != nil {
			return n, fmt.Errorf("%s: /v1/nodes: %v", n.name, err)
		}
		for _, m := range up {
			if st[m.name] != "HEALTHY" {
				return m, fmt.Errorf("%s lists %s as %q in /v1/nodes (%v)", n.name, m.name, st[m.name], st)
			}
		}
	}
	return nil, nil
}

// nodeStatus returns node name → status from node n's GET /v1/nodes.
func (c *Cluster) nodeStatus(n *node) (map[string]string, error) {
	resp, err := c.client.Get("http://" + c.Addr(n.i) + "/v1/nodes")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errors.New(resp.Status)
	}
	var body struct {
		Nodes []struct{ Name, Status string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	st := make(map[string]string, len(body.Nodes))
	for _, x := range body.Nodes {
		st[x.Name] = x.Status
	}
	return st, nil
}

// Nodes returns the number of nodes.
func (c *Cluster) Nodes() int { return len(c.nodes) }

// Dir returns the data root (node i's data is in Dir()/node<i>).
func (c *Cluster) Dir() string { return c.dir }

// LogPath returns node i's log file, or "" when Options.Log receives the logs.
func (c *Cluster) LogPath(i int) string { return c.nodes[i].logPath }

// Addr returns node i's HTTP address, "127.0.0.1:<port>".
func (c *Cluster) Addr(i int) string { return fmt.Sprintf("127.0.0.1:%d", c.nodes[i].ports.HTTP) }

// GRPCAddr returns node i's gRPC address, "127.0.0.1:<port>".
func (c *Cluster) GRPCAddr(i int) string { return fmt.Sprintf("127.0.0.1:%d", c.nodes[i].ports.GRPC) }

// URL returns the Weaviate store URL of a collection on this cluster, through node 0:
// "weaviate://127.0.0.1:<http>/<collection>?grpc=127.0.0.1:<grpc>".
func (c *Cluster) URL(collection string) string {
	return "weaviate://" + c.Addr(0) + "/" + collection + "?grpc=" + c.GRPCAddr(0)
}

// PID returns the process id of node i's current process, 0 if it was never started.
// The process may have exited (after Kill or Stop).
func (c *Cluster) PID(i int) int {
	if p := c.nodes[i].current(); p != nil {
		return p.pid
	}
	return 0
}

// Kill sends SIGKILL to node i (its whole process group) and waits until it is reaped:
// a crash, for fault tests. Restart brings it back.
func (c *Cluster) Kill(i int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return errors.New("localcluster: Kill after Stop")
	}
	n := c.nodes[i]
	p := n.current()
	if !p.running() {
		return fmt.Errorf("localcluster: Kill: %s is not running", n.name)
	}
	signalGroup(p.pid, syscall.SIGKILL)
	<-p.exited
	return nil
}

// Restart starts node i again on the same ports and data directory, first stopping it
// (SIGTERM, then SIGKILL after 10s) if it still runs, and waits until it is ready and
// every running node lists every running node HEALTHY (bounded by Options.Ready).
func (c *Cluster) Restart(ctx context.Context, i int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return errors.New("localcluster: Restart after Stop")
	}
	n := c.nodes[i]
	if p := n.current(); p.running() {
		stopProcs([]*proc{p})
	}
	var join []string
	for _, m := range c.nodes {
		if m != n && m.current().running() {
			join = append(join, fmt.Sprintf("127.0.0.1:%d", m.ports.Gossip))
		}
	}
	if err := c.startNode(n, strings.Join(join, ",")); err != nil {
		return err
	}
	return c.waitHealthy(ctx, time.Now().Add(c.opts.Ready), []*node{n})
}

// Stop stops every node: SIGTERM to each process group (one after the other), SIGKILL to
// those still running 10 s after the first SIGTERM, and waits until every process is reaped. It then removes the data root if
// Start created it. Stop may be called more than once; later calls return the first
// one's result.
func (c *Cluster) Stop() error {
	c.quitOnce.Do(func() { close(c.quit) })
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return c.stopErr
	}
	c.stopped = true
	var ps []*proc
	for _, n := range c.nodes {
		if p := n.current(); p.running() {
			ps = append(ps, p)
		}
	}
	stopProcs(ps)
	c.spawn.close()
	for _, n := range c.nodes {
		if n.logFile != nil {
			n.logFile.Close()
		}
	}
	if c.ownDir {
		if err := os.RemoveAll(c.dir); err != nil {
			c.stopErr = fmt.Errorf("localcluster: %w", err)
		}
	}
	return c.stopErr
}

// stopProcs stops processes: SIGTERM to each process group in turn (the next once this one
// exits, or 3 s later: a node leaves the gossip quickly while its peers still run, all at
// once they wait 5 s for each other), SIGKILL to those still running 10 s after the first
// SIGTERM, and waits until all are reaped.
func stopProcs(ps []*proc) {
	grace := time.NewTimer(10 * time.Second)
	defer grace.Stop()
	killAll := func() {
		for _, q := range ps {
			if q.running() {
				signalGroup(q.pid, syscall.SIGKILL)
			}
		}
	}
	for _, p := range ps {
		signalGroup(p.pid, syscall.SIGTERM)
		next := time.NewTimer(3 * time.Second)
		select {
		case <-p.exited:
		case <-next.C:
		case <-grace.C:
			killAll()
		}
		next.Stop()
	}
	for _, p := range ps {
		select {
		case <-p.exited:
		case <-grace.C:
			killAll()
		}
	}
	for _, p := range ps {
		<-p.exited
	}
}

// spawner starts processes from one goroutine locked to its OS thread: Linux sends the
// parent-death signal when the thread that forked a child ends, and Go may end an idle
// thread of its own; this one ends only after Stop, when no node runs any more.
type spawner struct {
	reqs chan func()
	once sync.Once
}

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan func())}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		for f := range s.reqs {
			f()
		}
	}()
	return s
}

func (s *spawner) do(f func()) {
	done := make(chan struct{})
	s.reqs <- func() { f(); close(done) }
	<-done
}

func (s *spawner) close() { s.once.Do(func() { close(s.reqs) }) }

// nodeWriter takes a node's output: it keeps the last 32 KiB for error messages and
// passes complete lines on to dst, prefixed (and serialized by mu) when dst is shared.
type nodeWriter struct {
	dst    io.Writer
	prefix []byte      // nil for the node's own file
	mu     *sync.Mutex // guards dst when shared

	bmu     sync.Mutex
	recent  []byte
	partial []byte // an incomplete last line, held back when prefixing
}

func (w *nodeWriter) Write(b []byte) (int, error) {
	w.bmu.Lock()
	defer w.bmu.Unlock()
	w.recent = append(w.recent, b...)
	if len(w.recent) > 32<<10 {
		w.recent = append(w.recent[:0], w.recent[len(w.recent)-16<<10:]...)
	}
	if w.prefix == nil {
		w.dst.Write(b) // a failing log file must not stop the node
		return len(b), nil
	}
	w.partial = append(w.partial, b...)
	end := strings.LastIndexByte(string(w.partial), '\n')
	if end < 0 {
		return len(b), nil
	}
	var out []byte
	for _, line := range strings.SplitAfter(string(w.partial[:end+1]), "\n") {
		if line != "" {
			out = append(append(out, w.prefix...), line...)
		}
	}
	w.partial = append(w.partial[:0], w.partial[end+1:]...)
	w.mu.Lock()
	w.dst.Write(out)
	w.mu.Unlock()
	return len(b), nil
}

// flush passes on an unfinished last line (once the node has exited).
func (w *nodeWriter) flush() {
	w.bmu.Lock()
	defer w.bmu.Unlock()
	if w.prefix == nil || len(w.partial) == 0 {
		return
	}
	out := append(append(append([]byte(nil), w.prefix...), w.partial...), '\n')
	w.partial = w.partial[:0]
	w.mu.Lock()
	w.dst.Write(out)
	w.mu.Unlock()
}

// String returns the node's recent output.
func (w *nodeWriter) String() string {
	w.bmu.Lock()
	defer w.bmu.Unlock()
	return string(w.recent)
}
