package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/corpushunt/corpushunt/datasets/cifar10/cifar10test"
	"github.com/corpushunt/corpushunt/simsearch/convae"
	"github.com/corpushunt/corpushunt/simsearch/index"
)

// childArgs makes the test binary act as the corpushunt command: tests that need real
// processes (concurrent writers, kill -9) start os.Args[0] with this variable set.
const childArgs = "CORPUSHUNT_TEST_CLI_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(childArgs); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			panic(err)
		}
		quiet = true
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, args)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// cli returns a command that runs corpushunt with args in a child process.
func cli(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	b, _ := json.Marshal(args)
	c := exec.Command(os.Args[0])
	c.Env = append(os.Environ(), childArgs+"="+string(b), "CORPUSHUNT_QUIET=1")
	return c
}

// An --out folder of the user's own files is refused, and even when writing beside them
// is allowed, no file of theirs is deleted or changed.
func TestCLIOutNeverDeletesUserFiles(t *testing.T) {
	quiet = true
	data := cifar10test.Write(t, t.TempDir(), 300, 20)
	out := t.TempDir()
	user := map[string]string{
		"index-of-my-photos.html": "<html>", "items-todo.txt": "milk", "vectors-notes.md": "# notes",
		"thesis.tmp": "chapter 1", "keep.txt": "keep",
	}
	for n, body := range user {
		os.WriteFile(filepath.Join(out, n), []byte(body), 0o644)
	}
	ctx := context.Background()
	idx := []string{"index", "--data", data, "--dataset", "cifar10", "--encoder", "pixels", "--downsample", "8", "--out", out}
	if code := run(ctx, idx); code == 0 {
		t.Error("index --out into a folder of other files exited 0")
	}
	if code := run(ctx, append(idx, "--into-existing")); code != 0 {
		t.Fatalf("index --into-existing exited %d", code)
	}
	for range 2 { // re-index and add: new generations, old ones removed
		if code := run(ctx, append(idx, "--into-existing")); code != 0 {
			t.Fatalf("re-index exited %d", code)
		}
		if code := run(ctx, []string{"add", "--data", data, "--index", out, "--limit", "5"}); code != 0 {
			t.Fatalf("add exited %d", code)
		}
	}
	for n, body := range user {
		if b, err := os.ReadFile(filepath.Join(out, n)); err != nil || string(b) != body {
			t.Errorf("%s: %q, %v; want %q untouched", n, b, err, body)
		}
	}
	ix, err := index.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ix.Len() != 305 {
		t.Errorf("%d items, want 305", ix.Len())
	}
}

// Two processes adding to one index: the second is refused with "index busy" or runs
// after the first; either way no add is lost and the index opens with the right count.
// Readers in this process never see a false "corrupt" while the writers save.
func TestCLIConcurrentWritersAndReaders(t *testing.T) {
	quiet = true
	data := cifar10test.Write(t, t.TempDir(), 2000, 100)
	out := filepath.Join(t.TempDir(), "ix")
	ctx := context.Background()
	if code := run(ctx, []string{"index", "--data", data, "--dataset", "cifar10", "--encoder", "pixels", "--downsample", "4", "--out", out}); code != 0 {
		t.Fatalf("index exited %d", code)
	}
	want := 2000
	busy, readErrs, reads := 0, 0, 0
	for trial := range 4 {
		var outs [2]bytes.Buffer
		var cmds [2]*exec.Cmd
		for i := range cmds {
			cmds[i] = cli(t, "add", "--data", data, "--index", out, "--limit", "40")
			cmds[i].Stderr = &outs[i]
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // a reader that opens and queries the index over and over
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ix, err := index.Open(out)
				reads++
				if err != nil {
					readErrs++
					t.Errorf("trial %d: reader: %v", trial, err)
					continue
				}
				if _, err := ix.SearchByID(ctx, 1, 5, true, index.SearchOptions{}); err != nil {
					t.Errorf("trial %d: search: %v", trial, err)
				}
				ix.Close()
			}
		}()
		for _, c := range cmds {
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range cmds {
			err := c.Wait()
			switch {
			case err == nil:
				want += 40
			case strings.Contains(outs[i].String(), "index busy"):
				busy++
			default:
				t.Errorf("trial %d: writer %d: %v: %s", trial, i, err, outs[i].String())
			}
		}
		close(stop)
		wg.Wait()
		ix, err := index.Open(out)
		if err != nil {
			t.Fatalf("trial %d: index no longer opens: %v", trial, err)
		}
		if ix.Len() != want {
			t.Errorf("trial %d: %d items, want %d (every successful add kept)", trial, ix.Len(), want)
		}
		ix.Close()
	}
	t.Logf("%d of 8 writers found the index busy; %d reads, %d failed", busy, reads, readErrs)
}

// kill -9 at many points of an add leaves an index that opens with the old or the new
// count, and the next add works.
func TestCLIKilledAddLeavesAGoodIndex(t *testing.T) {
	quiet = true
	data := cifar10test.Write(t, t.TempDir(), 3000, 100)
	out := filepath.Join(t.TempDir(), "ix")
	ctx := context.Background()
	if code := run(ctx, []string{"index", "--data", data, "--dataset", "cifar10", "--encoder", "pixels", "--downsample", "2", "--out", out}); code != 0 {
		t.Fatalf("index exited %d", code)
	}
	n, completed := 3000, 0
	for _, delay := range []time.Duration{20, 60, 100, 150, 200, 300, 400, 600} {
		c := cli(t, "add", "--data", data, "--index", out, "--limit", "100")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay * time.Millisecond)
		c.Process.Signal(syscall.SIGKILL)
		err := c.Wait()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		ix, err := index.Open(out)
		if err != nil {
			t.Fatalf("killed after %dms: %v", delay, err)
		}
		switch ix.Len() {
		case n:
		case n + 100:
			n += 100
			completed++
		default:
			t.Fatalf("killed after %dms: %d items, want %d or %d", delay, ix.Len(), n, n+100)
		}
		ix.Close()
	}
	t.Logf("%d of 8 killed adds had committed", completed)
	if code := run(ctx, []string{"add", "--data", data, "--index", out, "--limit", "10"}); code != 0 {
		t.Fatalf("add after the kills exited %d", code)
	}
	ents, _ := os.ReadDir(out)
	if len(ents) > 8 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("leftovers of killed saves not cleaned: %v", names)
	}
}

// writeGrayShapes writes n 16×16 grayscale PNGs per class into class subfolders.
func writeGrayShapes(t *testing.T, dir string, n int) {
	t.Helper()
	for ci, class := range []string{"dark", "light"} {
		os.MkdirAll(filepath.Join(dir, class), 0o755)
		for i := range n {
			img := image.NewGray(image.Rect(0, 0, 16, 16))
			for p := range img.Pix {
				img.Pix[p] = uint8(40 + 150*ci + (p*7+i*13)%30)
			}
			f, err := os.Create(filepath.Join(dir, class, fmt.Sprintf("%03d.png", i)))
			if err != nil {
				t.Fatal(err)
			}
			png.Encode(f, img)
			f.Close()
		}
	}
}

// kill -9 during training, before and after its first checkpoint: --resume continues,
// and the history never repeats a step.
func TestCLIKilledTrainingResumes(t *testing.T) {
	quiet = true
	data := t.TempDir()
	writeGrayShapes(t, data, 32)
	model := filepath.Join(t.TempDir(), "m")
	args := []string{"train", "--images", data, "--model", "small", "--size", "16x16", "--batch", "16", "--out", model}
	waitFor := func(cond func() bool) {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if cond() {
				return
			}
		}
		t.Fatal("timed out waiting for the training child")
	}
	exists := func(p string) func() bool {
		return func() bool { _, err := os.Stat(p); return err == nil }
	}
	// 1: killed as soon as model.json exists, before any checkpoint.
	c := cli(t, append(args, "--epochs", "500")...)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(exists(filepath.Join(model, "model.json")))
	c.Process.Signal(syscall.SIGKILL)
	c.Wait()
	if code := run(context.Background(), append(args, "--epochs", "1", "--resume")); code != 0 {
		t.Fatalf("resume after a kill before the first checkpoint exited %d", code)
	}
	// 2: killed a while after a checkpoint was written.
	c = cli(t, append(args, "--epochs", "500", "--resume")...)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	c.Process.Signal(syscall.SIGKILL)
	c.Wait()
	if code := run(context.Background(), append(args, "--epochs", "3", "--resume")); code != 0 {
		t.Fatalf("resume after a kill past a checkpoint exited %d", code)
	}
	hist, err := convae.ReadHistory(model)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(hist); i++ {
		if hist[i].Step <= hist[i-1].Step {
			t.Fatalf("history repeats steps: %d then %d", hist[i-1].Step, hist[i].Step)
		}
	}
	if len(hist) == 0 {
		t.Error("no history")
	}
}

// startServe runs `corpushunt serve` in a child process on a free loopback port and
// returns the process and its base URL.
func startServe(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	c := cli(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	c.Env = append(c.Env, "CORPUSHUNT_QUIET=")
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 512)
	n, _ := out.Read(line)
	s := string(line[:n])
	i := strings.Index(s, "http://")
	if i < 0 {
		c.Process.Kill()
		t.Fatalf("serve printed %q", s)
	}
	url := strings.Fields(s[i:])[0]
	go io.Copy(io.Discard, out)
	return c, strings.TrimSuffix(url, "/")
}

// The server drains and exits cleanly on SIGTERM; items it added survive; kill -9 in the
// middle of adds leaves an index that opens and answers.
func TestCLIServeAddSurvivesTermAndKill(t *testing.T) {
	quiet = true
	data := t.TempDir()
	writeGrayShapes(t, data, 20)
	ix := filepath.Join(t.TempDir(), "ix")
	if code := run(context.Background(), []string{"index", "--images", data, "--out", ix}); code != 0 {
		t.Fatal("index failed")
	}
	addOne := func(url string, i int) (int, error) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("image", fmt.Sprintf("up%d.png", i))
		img := image.NewGray(image.Rect(0, 0, 30, 30))
		for p := range img.Pix {
			img.Pix[p] = uint8(i * 3)
		}
		png.Encode(fw, img)
		mw.Close()
		resp, err := http.Post(url+"/api/v1/items", mw.FormDataContentType(), &b)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	c, url := startServe(t, "--index", ix)
	for i := range 3 {
		if code, err := addOne(url, i); err != nil || code != 201 {
			t.Fatalf("add %d: %d %v", i, code, err)
		}
	}
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
	got, err := index.Open(ix)
	if err != nil || got.Len() != 43 {
		t.Fatalf("after SIGTERM: %v, %d items (want 43)", err, got.Len())
	}
	got.Close()
	// kill -9 while a client adds as fast as it can.
	c, url = startServe(t, "--index", ix)
	done := make(chan int)
	go func() {
		n := 0
		for i := 0; ; i++ {
			code, err := addOne(url, 10+i)
			if err != nil || code != 201 {
				done <- n
				return
			}
			n++
		}
	}()
	time.Sleep(300 * time.Millisecond)
	c.Process.Signal(syscall.SIGKILL)
	c.Wait()
	acked := <-done
	got, err = index.Open(ix)
	if err != nil {
		t.Fatalf("after kill -9 during adds: %v", err)
	}
	defer got.Close()
	if got.Len() < 43+acked || got.Len() > 43+acked+1 {
		t.Errorf("after kill -9: %d items; %d adds were acknowledged on top of 43", got.Len(), acked)
	}
	if _, err := got.SearchByID(context.Background(), int64(got.Len()-1), 3, true, index.SearchOptions{}); err != nil {
		t.Errorf("search after kill -9: %v", err)
	}
}
