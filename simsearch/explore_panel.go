package simsearch

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"image"
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
	// the initial results shown (a headless run, as under nbconvert); default 3 s.
	Wait time.Duration
}

// Explore shows an interactive panel in a GoNB notebook cell: a "how many" slider, a
// file picker (image indexes) or a text box (text indexes), and results that update in
// place; clicking a result searches from it. It returns when ctx is cancelled (interrupt
// the cell) or, when no front end answers (a headless run), right after drawing the
// initial results. Outside a notebook it does nothing.
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
	id := "corpushunt_explore_" + gonbui.UniqueID()
	addr := "/corpushunt/explore/" + id
	out := id + "_out"
	isText := ix.Encoder != nil && ix.Encoder.Kind() == corpus.Text
	isImage := ix.Encoder != nil && ix.Encoder.Kind() == corpus.Image
	k := o.K
	var query any = o.Start
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
		gonbui.UpdateHTML(out, `<div id="`+out+`">`+body+`</div>`)
	}
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
	render()
	comms.Start()
	js := strings.NewReplacer("ID", id, "ADDR", addr).Replace(exploreJS)
	dom.TransientJavascript(js)
	hello := comms.Listen[int](addr + "/hello")
	defer hello.Close()
	select {
	case <-hello.C:
	case <-time.After(o.Wait):
		gonbui.Sync()
		return nil // no front end: the initial results stay
	case <-ctx.Done():
		return nil
	}
	kc := comms.Listen[int](addr + "/k").LatestOnly()
	tc := comms.Listen[string](addr + "/text").LatestOnly()
	ic := comms.Listen[string](addr + "/image").LatestOnly()
	itc := comms.Listen[int](addr + "/item").LatestOnly()
	defer kc.Close()
	defer tc.Close()
	defer ic.Close()
	defer itc.Close()
	for {
		select {
		case <-ctx.Done():
			return nil
		case v := <-kc.C:
			k = min(max(v, 1), 500)
		case t := <-tc.C:
			query = t
		case it := <-itc.C:
			query = int64(it)
		case data := <-ic.C:
			img, err := decodeDataURL(data)
			if err != nil {
				gonbui.UpdateHTML(out, `<div style="color:#b00">`+html.EscapeString(err.Error())+`</div>`)
				continue
			}
			query = imageQuery{img}
		}
		render()
	}
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

const exploreJS = `(() => {
  const c = globalThis.gonb_comm;
  if (!c) { return; }
  const k = document.getElementById("ID_k"), kout = document.getElementById("ID_kout");
  let t = null;
  k.addEventListener("input", () => { kout.value = k.value; clearTimeout(t); t = setTimeout(() => c.send("ADDR/k", parseInt(k.value, 10)), 150); });
  const file = document.getElementById("ID_file");
  if (file) file.addEventListener("change", () => {
    const f = file.files[0]; if (!f) return;
    const r = new FileReader(); r.onload = () => c.send("ADDR/image", r.result); r.readAsDataURL(f);
  });
  const text = document.getElementById("ID_text");
  if (text) text.addEventListener("keydown", (e) => { if (e.key === "Enter" && text.value.trim()) c.send("ADDR/text", text.value.trim()); });
  const out = document.getElementById("ID_out");
  if (out) out.addEventListener("click", (e) => {
    const el = e.target.closest("[data-id]"); if (el) c.send("ADDR/item", parseInt(el.dataset.id, 10));
  });
  c.send("ADDR/hello", 1);
})();`
