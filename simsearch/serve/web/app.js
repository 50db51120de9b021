// corpushunt's page: query by image, text or item; a "how many" slider; a ranked gallery;
// tag results (✓ is X, ✗ is not X) and ask for more like the tagged ones.
"use strict";
const $ = (id) => document.getElementById(id);
let indexes = [], current = null, lastQuery = null, lastImage = null;
const marked = new Map(); // "index\0tag\0id" → true (✓) or false (✗), as the server answered
let asked = 0; // counts queries (and index switches): only the latest query's answer is shown

function base() {
  return current && indexes.length > 1 ? "api/v1/indexes/" + encodeURIComponent(current.name) : "api/v1";
}

function status(msg, isError) {
  $("status").textContent = msg;
  $("status").className = isError ? "error" : "";
}

async function api(path, opts) {
  const r = await fetch(base() + path, opts);
  const body = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

async function loadIndexes() {
  const r = await fetch("api/v1/indexes");
  indexes = (await r.json()).indexes || [];
  const sel = $("index");
  sel.innerHTML = "";
  for (const ix of indexes) {
    const o = document.createElement("option");
    o.value = ix.name;
    o.textContent = ix.name;
    sel.appendChild(o);
  }
  choose(indexes[0]);
}

function choose(ix) {
  current = ix;
  if (!ix) return;
  $("k").max = Math.min(500, ix.max_k || 500, Math.max(1, ix.items - (ix.kind === "image" ? 0 : 0)));
  $("kout").value = $("k").value; // a lower max clamps the value
  const enc = ix.encoder && ix.encoder.name ? ix.encoder.name : "?";
  $("info").textContent = `${ix.items.toLocaleString()} ${ix.kind || ""} items · ${ix.factory} · ${ix.metric} · encoder ${enc}` +
    (ix.nlist ? ` · nprobe ${ix.nprobe}/${ix.nlist}` : "");
  $("drop").hidden = ix.kind === "text";
  $("textform").hidden = ix.kind !== "text";
  $("token").hidden = !ix.token_required;
  $("results").innerHTML = "";
  lastQuery = null;
  asked++; // an answer still on its way is for the other index
  status("");
  refreshTags();
}

function k() { return parseInt($("k").value, 10); }

async function run(q) {
  lastQuery = q;
  const me = ++asked;
  status("searching…");
  const t0 = performance.now();
  try {
    let res;
    if (q.more !== undefined) {
      res = await api(`/more?tag=${encodeURIComponent(q.more)}&k=${k()}&uncertain=10`);
    } else if (q.image) {
      const fd = new FormData();
      fd.append("image", q.image, q.image.name || "query");
      fd.append("k", String(k()));
      res = await api("/query", { method: "POST", body: fd });
    } else {
      res = await api("/query", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ...q, k: k() }) });
    }
    if (me !== asked) return; // a newer query (or another index) was asked for meanwhile
    show(res, q);
    let msg = `${res.results.length} results in ${Math.round(performance.now() - t0)} ms` + (q.item !== undefined ? ` for item ${q.item}` : "");
    if (q.more !== undefined) {
      const rounds = res.round_precision || [];
      msg += ` like “${q.more}” · model ${res.model}` +
        (rounds.length ? ` · last round's precision ${Math.round(100 * rounds[rounds.length - 1])}%` : "");
    }
    status(msg);
  } catch (e) {
    if (me === asked) status(e.message, true);
  }
}

function score(res, s) { return (res.higher_is_closer ? "s=" : "d=") + Number(s).toPrecision(3); }

function words(s) { return new Set(s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean)); }

function highlight(text, qwords) {
  const frag = document.createDocumentFragment();
  for (const part of text.split(/(\s+)/)) {
    const key = part.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
    if (key && qwords.has(key)) {
      const m = document.createElement("mark");
      m.textContent = part;
      frag.appendChild(m);
    } else frag.appendChild(document.createTextNode(part));
  }
  return frag;
}

function show(res, q) {
  const out = $("results");
  out.innerHTML = "";
  const unsure = res.uncertain || [];
  const all = res.results.concat(unsure);
  const texts = all.length > 0 && all.every((r) => r.text);
  out.className = texts ? "" : "gallery";
  render(out, res, res.results, q, texts, false);
  if (unsure.length) {
    const h = document.createElement("h3");
    h.className = "unsure";
    h.textContent = "least certain: tag these next";
    out.appendChild(h);
    render(out, res, unsure, q, texts, true);
  }
  paintMarks();
}

// render appends results to out: an ordered list of texts, or gallery figures.
function render(out, res, list, q, texts, unsure) {
  if (texts) {
    const qw = q.text ? words(q.text) : new Set();
    const ol = document.createElement("ol");
    ol.className = unsure ? "texts unsure" : "texts";
    for (const r of list) {
      const li = document.createElement("li");
      li.title = "find more like this";
      li.dataset.id = r.id;
      const sc = document.createElement("span");
      sc.className = "score";
      sc.textContent = `${score(res, r.score)} ${r.label || ""}`;
      li.appendChild(sc);
      li.appendChild(highlight(r.text, qw));
      li.appendChild(markButtons(li, r.id));
      li.onclick = () => run({ item: r.id });
      ol.appendChild(li);
    }
    out.appendChild(ol);
    return;
  }
  for (const r of list) {
    const fig = document.createElement("figure");
    fig.title = `${r.ref}: find more like this`;
    fig.dataset.id = r.id;
    if (unsure) fig.className = "unsure";
    const img = document.createElement("img");
    img.loading = "lazy";
    img.alt = r.ref;
    img.src = `${base()}/items/${r.id}/payload`;
    const cap = document.createElement("figcaption");
    cap.innerHTML = `#${r.rank} ${score(res, r.score)}<br><span class="label"></span><br>id ${r.id}`;
    cap.querySelector(".label").textContent = r.label || "";
    fig.append(img, cap, markButtons(fig, r.id));
    fig.onclick = () => {
      $("preview").src = img.src;
      $("preview").hidden = false;
      run({ item: r.id });
    };
    out.appendChild(fig);
  }
}

// Tagging: ✓ and ✗ on every result mark it under the tag in the tag box.

function tag() { return $("tag").value.trim(); }

function markKey(t, id) { return `${current ? current.name : ""}\0${t}\0${id}`; }

function markButtons(el, id) {
  const span = document.createElement("span");
  span.className = "marks";
  for (const [cls, text, positive] of [["yes", "✓", true], ["no", "✗", false]]) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = text;
    b.title = positive ? "is this tag" : "is not this tag";
    b.onclick = (e) => { e.stopPropagation(); mark(el, id, positive); };
    span.appendChild(b);
  }
  return span;
}

async function mark(el, id, positive) {
  const t = tag();
  if (!t) {
    status("type a tag name first", true);
    $("tag").focus();
    return;
  }
  const key = markKey(t, id); // before the answer: the index may be switched meanwhile
  const headers = { "Content-Type": "application/json" };
  if ($("token").value) headers.Authorization = "Bearer " + $("token").value;
  try {
    const res = await api("/tags", { method: "POST", headers, body: JSON.stringify({ tag: t, items: [id], negative: !positive }) });
    marked.set(key, positive);
    paintMarks();
    showCounts(res.tags || []);
    status(`item ${id} ${positive ? "is" : "is not"} “${t}”`);
  } catch (e) {
    status(`tagging item ${id}: ${e.message}`, true);
  }
}

// paintMarks outlines the results marked under the current tag.
function paintMarks() {
  const t = tag();
  for (const el of $("results").querySelectorAll("[data-id]")) {
    const m = t ? marked.get(markKey(t, el.dataset.id)) : undefined;
    el.classList.toggle("pos", m === true);
    el.classList.toggle("neg", m === false);
  }
}

function showCounts(list) {
  const dl = $("taglist");
  dl.innerHTML = "";
  for (const c of list) {
    const o = document.createElement("option");
    o.value = c.Tag;
    dl.appendChild(o);
  }
  const c = list.find((c) => c.Tag === tag());
  $("tagcount").textContent = c ? `${c.Positive} ✓ ${c.Negative} ✗` : "";
}

let tagsAsked = 0;
async function refreshTags() {
  const me = ++tagsAsked;
  try {
    const res = await api("/tags");
    if (me === tagsAsked) showCounts(res.tags || []);
  } catch (e) {
    if (me === tagsAsked) status("tags: " + e.message, true);
  }
}

function pickFile(f) {
  if (!f) return;
  lastImage = f;
  const url = URL.createObjectURL(f);
  $("preview").src = url;
  $("preview").hidden = false;
  run({ image: f });
}

$("file").addEventListener("change", (e) => pickFile(e.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); pickFile(e.dataTransfer.files[0]); });
$("textform").addEventListener("submit", (e) => {
  e.preventDefault();
  const t = $("text").value.trim();
  if (t) run({ text: t });
});
let sliderTimer = null;
$("k").addEventListener("input", () => {
  $("kout").value = $("k").value;
  clearTimeout(sliderTimer);
  sliderTimer = setTimeout(() => { if (lastQuery) run(lastQuery); }, 150);
});
let tagTimer = null;
$("tag").addEventListener("input", () => {
  paintMarks();
  clearTimeout(tagTimer);
  tagTimer = setTimeout(refreshTags, 150);
});
$("tagform").addEventListener("submit", (e) => {
  e.preventDefault();
  const t = tag();
  if (!t) {
    status("type a tag name first", true);
    $("tag").focus();
    return;
  }
  run({ more: t });
});
$("index").addEventListener("change", (e) => choose(indexes.find((ix) => ix.name === e.target.value)));
loadIndexes().catch((e) => status("cannot reach the server: " + e.message, true));
