package simsearch

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"

	"github.com/corpushunt/corpushunt/simsearch/corpus"
	"github.com/corpushunt/corpushunt/simsearch/corpus/images"
	"github.com/corpushunt/corpushunt/simsearch/display"
)

// ExploreOptions tune Explore.
type ExploreOptions struct {
	K     int   // initial number of results; default 20
	Start int64 // the item whose neighbours are shown first; default 0
	// Wait is how long Explore waits for a front end to answer before it returns with
	// the initial results shown; default 3 s. In a kernel that a notebook executor started
	// (nbconvert --execute, papermill), where none can answer, it does not wait at all.
	Wait time.Duration
}

// Explore shows an interactive panel in a GoNB notebook cell: a "how many" slider, a
// file picker (image indexes) or a text box (text indexes), and results that update in
// place; clicking a result searches from it. It returns when ctx is cancelled (interrupt
// the cell) or, when no front end answers within o.Wait, right after drawing the initial
// results. Outside a notebook it does nothing.
//
// In a kernel started by a notebook executor (nbconvert --execute, papermill, jupyter
// execute), where no browser can ever answer, it shows the initial results alone and
// returns at once, without starting GoNB's front-end connection: that connection's
// script (about 19 KB, which GoNB publishes as an ordinary output and erases only once a
// browser connects) would otherwise stay in the saved notebook, and in its HTML export,
// where it fails to connect.
func (ix *Index) Explore(ctx context.Context, o ExploreOptions) error {
	if !display.InNotebook() {
		return nil
	}
	if o.K <= 0 {
		o.K = 20
	}
	if o.Wait <= 0 {
		o.Wait = 3 * time.Second
	}
	live := !headlessKernel()
	id := "corpushunt_explore_" + gonbui.UniqueID()
	addr := "/corpushunt/explore/" + id
	out := id + "_out"
	isText := ix.Encoder != nil && ix.Encoder.Kind() == corpus.Text
	isImage := ix.Encoder != nil && ix.Encoder.Kind() == corpus.Image
	k := o.K
	var query any = o.Start
	connected := "" // ` data-connected="1"` on the results once the page has said hello
	render := func() {
		var hits []Hit
		var err error
		switch q := query.(type) {
		case int64:
			hits, err = ix.SearchItem(ctx, q, k)
		case string:
			hits, err = ix.SearchText(ctx, q, k)
		case imageQuery:
			hits, err = ix.SearchImage(ctx, q.img, k)
		}
		var body string
		if err != nil {
			body = `<div style="color:#b00">` + html.EscapeString(err.Error()) + `</div>`
		} else {
			title := fmt.Sprintf("%d results", len(hits))
			shown := query
			if iq, ok := query.(imageQuery); ok {
				shown = iq.img
			}
			v, verr := ix.View(title, shown, hits)
			if verr != nil {
				body = `<div style="color:#b00">` + html.EscapeString(verr.Error()) + `</div>`
			} else {
				body = v.HTML()
			}
		}
		gonbui.UpdateHTML(out, `<div id="`+out+`"`+connected+`>`+body+`</div>`)
	}
	if live {
		controls := fmt.Sprintf(`<div id="%s" style="font-family:sans-serif;margin:6px 0">how many: <input type="range" min="1" max="500" value="%d" id="%s_k"> <output id="%s_kout">%d</output>`, id, k, id, id, k)
		if isImage {
			controls += fmt.Sprintf(` · search by an image: <input type="file" accept="image/*" id="%s_file">`, id)
		}
		if isText {
			controls += fmt.Sprintf(` · <input type="search" id="%s_text" placeholder="type text, press Enter" size="40">`, id)
		}
		controls += ` <span class="muted" style="color:#777;font-size:12px">(click a result to search from it)</span></div>`
		gonbui.DisplayHTML(controls)
		gonbui.UpdateHTML(out, "<i>searching…</i>")
	}
	render()
	if !live {
		gonbui.Sync()
		return nil // no front end can answer: the initial results stay, nothing else
	}

	// Everything the page sends comes to one address, as "seq kind:value": GoNB installs
	// its connection script whenever a subscription finds no connection, so one
	// subscription installs it once (each retry below may once more). The subscription
	// comes first, before the page script that sends "hello", so that nothing the page
	// sends is dropped; GoNB handles the program's requests in order, so that script runs
	// once the connection is set up (or given up).
	in := comms.Listen[string](addr)
	defer in.Close()
	js := strings.NewReplacer("ID", id, "ADDR", addr).Replace(exploreJS)
	dom.TransientJavascript(js)
	// GoNB's script gives up on a connection whose acknowledgement takes over 500 ms (a
	// busy machine): without a hello, ask GoNB to check the connection (it pings the page
	// and installs its script again when the page does not answer) and say hello again.
	retry := time.NewTimer(exploreRetry)
	defer retry.Stop()
	retries := 0
	last := map[string]int{} // the newest message taken of each kind: an older one is stale
	deadline := time.Now().Add(o.Wait)
	timeout := time.After(o.Wait)
	// apply takes one message and reports whether the results are to be drawn again.
	apply := func(m string) bool {
		seqs, rest, _ := strings.Cut(m, " ")
		kind, value, _ := strings.Cut(rest, ":")
		seq, err := strconv.Atoi(seqs)
		if err != nil || seq <= last[kind] {
			return false
		}
		last[kind] = seq
		switch kind {
		case "hello": // the page is wired up: wait for it as long as it takes now
			timeout = nil
			retry.Stop()
			if connected == "" {
				connected = ` data-connected="1"`
				return true
			}
		case "k":
			if v, err := strconv.Atoi(value); err == nil {
				k = min(max(v, 1), 500)
				return true
			}
		case "text":
			if t := strings.TrimSpace(value); t != "" {
				query = t
				return true
			}
		case "item":
			if it, err := strconv.ParseInt(value, 10, 64); err == nil {
				query = it
				return true
			}
		case "image":
			img, err := decodeDataURL(value)
			if err != nil {
				gonbui.UpdateHTML(out, `<div id="`+out+`"`+connected+` style="color:#b00">`+html.EscapeString(err.Error())+`</div>`)
				return false
			}
			query = imageQuery{img}
			return true
		}
		return false
	}
	for {
		changed := false
		select {
		case <-ctx.Done():
			return nil
		case <-timeout:
			gonbui.Sync()
			return nil // no front end answered: the initial results stay
		case <-retry.C:
			if connected == "" && retries < 2 && time.Until(deadline) > exploreRetry {
				retries++
				comms.Start()
				dom.TransientJavascript(js)
				retry.Reset(exploreRetry)
			}
			continue
		case m := <-in.C:
			changed = apply(m)
		}
		// Take whatever else came meanwhile (a slider dragged on), then draw once.
	drain:
		for {
			select {
			case m := <-in.C:
				changed = apply(m) || changed
			default:
				break drain
			}
		}
		if changed {
			render()
		}
	}
}

// headlessKernel reports whether the kernel was started by a notebook executor rather than
// a notebook server: GoNB's front-end connection is a websocket that the page opens to the
// Jupyter server that serves it, so a kernel that nbconvert --execute, papermill or jupyter
// execute started (each through nbclient, without a server) can never be reached by a
// browser. jupyter_client's launcher tells the kernel, and through GoNB the cell's program,
// the process id of the process that started it (JPY_PARENT_PID). Anything unknown counts
// as a possible front end, which then gets ExploreOptions.Wait to answer.
func headlessKernel() bool {
	pid, err := strconv.Atoi(os.Getenv("JPY_PARENT_PID"))
	if err != nil || pid <= 0 {
		return false
	}
	var args []string
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
		args = strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	} else if b, err := exec.Command("ps", "-o", "command=", "-p", strconv.Itoa(pid)).Output(); err == nil {
		args = strings.Fields(string(b)) // no /proc (macOS): ps's command line, split at spaces
	}
	return isExecutor(args)
}

// isExecutor reports whether a command line (argv) runs a notebook executor: its program,
// past a Python interpreter and its options ("python3 -m nbconvert", "python3
// /usr/bin/jupyter-nbconvert", "papermill").
func isExecutor(args []string) bool {
	i := 0
	if len(args) > 0 && strings.HasPrefix(strings.ToLower(filepath.Base(args[0])), "python") {
		for i = 1; i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-m"; i++ {
			if args[i] == "-X" || args[i] == "-W" {
				i++ // an option with a value
			}
		}
		if i < len(args) && args[i] == "-m" {
			i++
		}
	}
	if i >= len(args) {
		return false
	}
	prog := strings.ToLower(filepath.Base(args[i]))
	for _, name := range []string{"nbconvert", "nbclient", "papermill", "jupyter-execute", "jupyter-run"} {
		if strings.Contains(prog, name) {
			return true
		}
	}
	return false
}

type imageQuery struct{ img image.Image }

func decodeDataURL(s string) (image.Image, error) {
	_, b64, ok := strings.Cut(s, ",")
	if !ok {
		return nil, fmt.Errorf("the browser sent no image")
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("the browser sent a bad image: %v", err)
	}
	return images.Decode(bytes.NewReader(b), "upload")
}

// exploreRetry is how long Explore waits for the page's hello before it has GoNB check
// the connection and sends its script again (twice at most, and only with time left
// before ExploreOptions.Wait runs out).
const exploreRetry = 1500 * time.Millisecond

// exploreJS wires the panel's controls to the Go program: every message goes to ADDR as
// "seq kind:value" (seq grows, so the program can drop one overtaken by a newer one of
// its kind). It sends through the current gonb_comm, if any: GoNB's script deletes it when
// its connection closes, and a new one comes when GoNB installs the script again. Run
// again (a retry), it only says hello again.
const exploreJS = `(() => {
  if (!globalThis.gonb_comm) { return; }
  const panels = globalThis.corpushunt_panels || (globalThis.corpushunt_panels = {});
  const st = panels["ID"] || (panels["ID"] = { seq: 0, wired: false });
  const send = (kind, value) => { const c = globalThis.gonb_comm; if (c) c.send("ADDR", ++st.seq + " " + kind + ":" + value); };
  if (!st.wired) {
    st.wired = true;
    const k = document.getElementById("ID_k"), kout = document.getElementById("ID_kout");
    let t = null;
    if (k) k.addEventListener("input", () => { kout.value = k.value; clearTimeout(t); t = setTimeout(() => send("k", parseInt(k.value, 10)), 150); });
    const file = document.getElementById("ID_file");
    if (file) file.addEventListener("change", () => {
      const f = file.files[0]; if (!f) return;
      const r = new FileReader(); r.onload = () => send("image", r.result); r.readAsDataURL(f);
    });
    const text = document.getElementById("ID_text");
    if (text) text.addEventListener("keydown", (e) => { if (e.key === "Enter" && text.value.trim()) send("text", text.value.trim()); });
    // The results are replaced whole at each update: listen on the document, until the panel is gone.
    const onClick = (e) => {
      if (!document.getElementById("ID")) { document.removeEventListener("click", onClick); delete panels["ID"]; return; }
      const el = e.target.closest && e.target.closest("#ID_out [data-id]"); if (el) send("item", parseInt(el.dataset.id, 10));
    };
    document.addEventListener("click", onClick);
  }
  send("hello", 1);
})();`
