// corpushunt's page: query by image, text or item; a "how many" slider; a ranked gallery.
"use strict";
const $ = (id) => document.getElementById(id);
let indexes = [], current = null, lastQuery = null, lastImage = null;
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
  $("results").innerHTML = "";
  lastQuery = null;
  asked++; // an answer still on its way is for the other index
  status("");
}

function k() { return parseInt($("k").value, 10); }

async function run(q) {
  lastQuery = q;
  const me = ++asked;
  status("searching…");
  const t0 = performance.now();
  try {
    let res;
    if (q.image) {
      const fd = new FormData();
      fd.append("image", q.image, q.image.name || "query");
      fd.append("k", String(k()));
      res = await api("/query", { method: "POST", body: fd });
    } else {
      res = await api("/query", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ...q, k: k() }) });
    }
    if (me !== asked) return; // a newer query (or another index) was asked for meanwhile
    show(res, q);
    status(`${res.results.length} results in ${Math.round(performance.now() - t0)} ms` + (q.item !== undefined ? ` for item ${q.item}` : ""));
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
  const texts = res.results.length > 0 && res.results.every((r) => r.text);
  if (texts) {
    out.className = "";
    const qw = q.text ? words(q.text) : new Set();
    const ol = document.createElement("ol");
    ol.className = "texts";
    for (const r of res.results) {
      const li = document.createElement("li");
      li.title = "find more like this";
      const sc = document.createElement("span");
      sc.className = "score";
      sc.textContent = `${score(res, r.score)} ${r.label || ""}`;
      li.appendChild(sc);
      li.appendChild(highlight(r.text, qw));
      li.onclick = () => run({ item: r.id });
      ol.appendChild(li);
    }
    out.appendChild(ol);
    return;
  }
  out.className = "gallery";
  for (const r of res.results) {
    const fig = document.createElement("figure");
    fig.title = `${r.ref}: find more like this`;
    const img = document.createElement("img");
    img.loading = "lazy";
    img.alt = r.ref;
    img.src = `${base()}/items/${r.id}/payload`;
    const cap = document.createElement("figcaption");
    cap.innerHTML = `#${r.rank} ${score(res, r.score)}<br><span class="label"></span><br>id ${r.id}`;
    cap.querySelector(".label").textContent = r.label || "";
    fig.append(img, cap);
    fig.onclick = () => {
      $("preview").src = img.src;
      $("preview").hidden = false;
      run({ item: r.id });
    };
    out.appendChild(fig);
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
$("index").addEventListener("change", (e) => choose(indexes.find((ix) => ix.name === e.target.value)));
loadIndexes().catch((e) => status("cannot reach the server: " + e.message, true));
