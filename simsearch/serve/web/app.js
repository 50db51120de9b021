// corpushunt's page: query by image, text or item; a "how many" slider; a ranked gallery;
// mark results (✓ is X, ✗ is not X) and save the marks as one round, then more like the
// tagged ones; a map of the corpus where a brushed selection is tagged in one round.
"use strict";
const $ = (id) => document.getElementById(id);
let indexes = [], current = null, lastQuery = null, lastImage = null;
const marked = new Map(); // "index\0tag\0id" → true (✓) or false (✗), as the server answered
const pending = new Map(); // the same keys: marks made on the page, not saved yet
let asked = 0; // counts queries (and index switches): only the latest query's answer is shown
let view = "results"; // or "map"
let tagsSaved = 0; // counts rounds saved from the page: a map coloured by a tag is redrawn after one

function base(ix) {
  ix = ix || current;
  return ix && indexes.length > 1 ? "api/v1/indexes/" + encodeURIComponent(ix.name) : "api/v1";
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
  $("info").textContent = `${ix.items.toLocaleString()} ${ix.kind || ""} items · ${ix.factory || ix.store || "?"} · ${ix.metric} · encoder ${enc}` +
    (ix.nlist ? ` · nprobe ${ix.nprobe}/${ix.nlist}` : "");
  $("drop").hidden = ix.kind === "text";
  $("textform").hidden = ix.kind !== "text";
  $("token").hidden = !ix.token_required;
  $("results").innerHTML = "";
  lastQuery = null;
  asked++; // an answer still on its way is for the other index
  status("");
  refreshTags();
  updateSave();
  mapAsked++;
  if (chart) { // the other index's map goes, tooltip and all
    chart.dispatchAction({ type: "hideTip" });
    chart.clear();
  }
  mapData = null;
  mapIDs = [];
  setSelection([], "");
  $("mapnote").textContent = "";
  if (view === "map") loadMap();
}

function k() { return parseInt($("k").value, 10); }

// run asks a query and shows its answer; note (if any) is added to the status line.
async function run(q, note) {
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
        (rounds.length ? ` · last round's precision ${pct(rounds[rounds.length - 1])}` : "");
    }
    status(note ? `${msg} · ${note}` : msg);
  } catch (e) {
    if (me === asked) status(note ? `${note} · ${e.message}` : e.message, true);
  }
}

function pct(x) { return `${Math.round(100 * x)}%`; }

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
      li.appendChild(markButtons(r.id));
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
    fig.append(img, cap, markButtons(r.id));
    fig.onclick = () => {
      $("preview").src = img.src;
      $("preview").hidden = false;
      run({ item: r.id });
    };
    out.appendChild(fig);
  }
}

// Tagging: ✓ and ✗ on a result mark it, on the page, under the tag in the tag box; the
// marks are pending (dashed) until "save round" sends them together: one round.

function tag() { return $("tag").value.trim(); }

function markKey(t, id) { return `${current ? current.name : ""}\0${t}\0${id}`; }

function markButtons(id) {
  const span = document.createElement("span");
  span.className = "marks";
  for (const [cls, text, positive] of [["yes", "✓", true], ["no", "✗", false]]) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = text;
    b.title = positive ? "is this tag" : "is not this tag";
    b.setAttribute("aria-label", `item ${id} ${positive ? "is" : "is not"} the tag`);
    b.setAttribute("aria-pressed", "false");
    b.onclick = (e) => { e.stopPropagation(); mark(id, positive); };
    span.appendChild(b);
  }
  return span;
}

// mark sets a pending mark on an item, or clears it when it is clicked again.
function mark(id, positive) {
  const t = tag();
  if (!t) {
    status("type a tag name first", true);
    $("tag").focus();
    return;
  }
  const key = markKey(t, id);
  if (pending.get(key) === positive) pending.delete(key);
  else pending.set(key, positive);
  paintMarks();
  updateSave();
  const n = pendingMarks().length;
  status(pending.has(key) ? `item ${id} ${positive ? "is" : "is not"} “${t}” (not saved: ${n} to save)` : `item ${id}: mark cleared (${n} to save)`);
}

// pendingMarks lists the unsaved marks of the current index and tag.
function pendingMarks() {
  const t = tag();
  if (!t || !current) return [];
  const prefix = markKey(t, "");
  const out = [];
  for (const [key, positive] of pending) {
    if (key.startsWith(prefix)) out.push({ item: Number(key.slice(prefix.length)), positive });
  }
  return out;
}

let saving = false;
function updateSave() {
  const n = pendingMarks().length;
  $("save").textContent = `save round (${n} mark${n === 1 ? "" : "s"})`;
  $("save").disabled = n === 0 || saving;
}

function writeHeaders() {
  const headers = { "Content-Type": "application/json" };
  if ($("token").value) headers.Authorization = "Bearer " + $("token").value;
  return headers;
}

// postMarks saves marks ({item, positive}) under a tag in one request: one round.
function postMarks(t, marks) {
  return api("/tags", { method: "POST", headers: writeHeaders(), body: JSON.stringify({ tag: t, marks }) });
}

// saveRound saves the pending marks as one round, shows its precision and asks for more
// like the tagged items.
async function saveRound() {
  const t = tag(), marks = pendingMarks();
  if (!t || marks.length === 0 || saving) return;
  const prefix = markKey(t, ""), me = asked;
  saving = true;
  updateSave();
  status(`saving ${marks.length} marks…`);
  try {
    const res = await postMarks(t, marks);
    tagsSaved++;
    for (const m of marks) {
      marked.set(prefix + m.item, m.positive);
      if (pending.get(prefix + m.item) === m.positive) pending.delete(prefix + m.item);
    }
    paintMarks();
    if (prefix === markKey(tag(), "")) showCounts(res.tags || []);
    const r = res.round;
    const note = `round saved: ${r.positive} ✓ ${r.negative} ✗, precision ${pct(r.precision)}`;
    if (me === asked && prefix === markKey(tag(), "")) {
      showView("results");
      run({ more: t }, note);
    } else status(note);
  } catch (e) {
    status(`saving the round: ${e.message}`, true);
  } finally {
    saving = false;
    updateSave();
  }
}

// paintMarks outlines the results marked under the current tag: solid when saved,
// dashed while pending.
function paintMarks() {
  const t = tag();
  for (const el of $("results").querySelectorAll("[data-id]")) {
    const key = markKey(t, el.dataset.id);
    const saved = t ? marked.get(key) : undefined, pend = t ? pending.get(key) : undefined;
    el.classList.toggle("pos", pend === undefined && saved === true);
    el.classList.toggle("neg", pend === undefined && saved === false);
    el.classList.toggle("pendpos", pend === true);
    el.classList.toggle("pendneg", pend === false);
    const now = pend !== undefined ? pend : saved;
    const yes = el.querySelector(".marks .yes"), no = el.querySelector(".marks .no");
    if (yes) yes.setAttribute("aria-pressed", String(now === true));
    if (no) no.setAttribute("aria-pressed", String(now === false));
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

// Views: the results of queries, or a map of the corpus.

function showView(v) {
  view = v;
  $("view-results").setAttribute("aria-pressed", String(v === "results"));
  $("view-map").setAttribute("aria-pressed", String(v === "map"));
  $("ask").hidden = $("results").hidden = v !== "results";
  $("mapview").hidden = v !== "map";
  if (v === "map") {
    if (chart) chart.resize();
    if (!mapData || mapData.index !== (current && current.name) || (mapData.color === "tag" && mapData.tagsSaved !== tagsSaved)) loadMap();
  }
}

// The map: every item (up to the server's bound) as a point of a 2-D projection, coloured
// by label, tag or cluster; hover shows the item; a brush (rectangle or lasso) or a group
// selects points, which are tagged ✓ or ✗ as one round.

let chart = null, mapData = null, mapAsked = 0, mapIDs = []; // mapIDs[series][dataIndex] → item id
let selected = [], selSource = "", brushType = null, tagging = false;
let echartsReady = null;

function loadECharts() {
  if (window.echarts) return Promise.resolve();
  if (!echartsReady) {
    echartsReady = new Promise((resolve, reject) => {
      const sc = document.createElement("script");
      sc.src = "echarts.js"; // the library embedded in the server: no network needed
      sc.onload = resolve;
      sc.onerror = () => { echartsReady = null; reject(new Error("cannot load the chart library")); };
      document.head.appendChild(sc);
    });
  }
  return echartsReady;
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

async function loadMap() {
  if (!current) return;
  const me = ++mapAsked, color = $("mapcolor").value, t = tag();
  if (color === "tag" && !t) {
    status("type a tag name to colour the map by it", true);
    $("tag").focus();
    return;
  }
  let path = `/map?color=${color}&method=${encodeURIComponent($("mapmethod").value)}`;
  if (color === "tag") path += `&tag=${encodeURIComponent(t)}`;
  if (color === "cluster") path += `&clusters=${encodeURIComponent($("mapclusters").value)}`;
  $("mapnote").textContent = "drawing the map…";
  try {
    const name = current.name, saved = tagsSaved;
    const [res] = await Promise.all([api(path), loadECharts()]);
    if (me !== mapAsked) return; // a newer map was asked for
    res.index = name;
    res.tagsSaved = saved;
    drawMap(res);
  } catch (e) {
    if (me === mapAsked) {
      $("mapnote").textContent = "";
      status("map: " + e.message, true);
    }
  }
}

function groupColor(res, g) {
  if (res.color !== "tag") return undefined;
  return { [`tagged ${res.tag}`]: "#1a9641", [`predicted ${res.tag}`]: "#8cc665", [`tagged not ${res.tag}`]: "#d7191c", other: "#c4c4c4" }[g];
}

function drawMap(res) {
  mapData = res;
  if (!chart) {
    chart = echarts.init($("map"));
    chart.on("brushSelected", onBrush);
    window.addEventListener("resize", () => chart.resize());
  }
  const data = new Map(res.groups.map((g) => [g, []]));
  for (const p of res.points) data.get(p.group).push([p.x, p.y, p.id]);
  mapIDs = res.groups.map((g) => data.get(g).map((d) => d[2]));
  const big = res.points.length > 5000;
  const counts = res.groups.map((g) => `${g}: ${data.get(g).length}`).join(", ");
  chart.setOption({
    animation: false,
    aria: { enabled: true, label: { description: `A map of ${res.shown} of ${res.items} items (${res.method}), coloured by ${res.color}: ${counts}.` } },
    grid: { left: 16, right: 48, top: 36, bottom: 40, containLabel: true },
    legend: { type: "scroll", bottom: 0, data: res.groups },
    toolbox: { show: false }, // the buttons above the chart choose the brush
    tooltip: { trigger: "item", formatter: tooltip, confine: true, extraCssText: "max-width: 360px; white-space: normal;" },
    xAxis: { type: "value", scale: true, name: res.axes[0], axisLine: { onZero: false }, axisLabel: { formatter: tick } },
    yAxis: { type: "value", scale: true, name: res.axes[1], axisLine: { onZero: false }, axisLabel: { formatter: tick } },
    dataZoom: [{ type: "inside", xAxisIndex: 0, filterMode: "none" }, { type: "inside", yAxisIndex: 0, filterMode: "none" }],
    // The page finds the points in the brushed areas itself (ECharts' large mode reports
    // none), so the brush controls no series: it only draws and reports its areas.
    brush: { xAxisIndex: 0, seriesIndex: [], brushMode: "single", throttleType: "debounce", throttleDelay: 80 },
    series: res.groups.map((g, i) => ({
      id: `group ${i}`, type: "scatter", name: g, data: data.get(g), large: true, largeThreshold: 2000,
      symbolSize: big ? 3 : 7, itemStyle: groupColor(res, g) ? { color: groupColor(res, g) } : undefined,
    })).concat([{
      // The selection, ringed over the points.
      id: "selection", type: "scatter", name: "selection", data: [], large: true, largeThreshold: 2000, silent: true, z: 3,
      symbolSize: big ? 6 : 11, itemStyle: { color: "rgba(0,0,0,0)", borderColor: "rgba(0,0,0,0.75)", borderWidth: big ? 1 : 1.5 },
    }]),
  }, { notMerge: true });
  if (brushType) takeBrush();
  const gsel = $("mapgroup"), keep = gsel.value;
  gsel.innerHTML = "";
  res.groups.forEach((g, i) => {
    const o = document.createElement("option");
    o.value = g;
    o.textContent = `${g} (${mapIDs[i].length})`;
    gsel.appendChild(o);
  });
  if (res.groups.includes(keep)) gsel.value = keep;
  const msel = $("mapmethod"); // the projections this server offers
  if ((res.methods || []).join() !== [...msel.options].map((o) => o.value).join()) {
    msel.innerHTML = "";
    for (const m of res.methods) {
      const o = document.createElement("option");
      o.value = m;
      o.textContent = m.toUpperCase();
      msel.appendChild(o);
    }
    msel.value = res.method;
  }
  $("mapnote").textContent = `${res.shown} of ${res.items} items · ${res.method}` + (res.note ? ` · ${res.note}` : "");
  setSelection([], "");
}

function tick(v) { return String(+Number(v).toPrecision(3)); }

const texts = new Map(); // "index\0id" → the start of an item's text, for tooltips
function tooltip(p, ticket, callback) {
  const ix = mapData && indexes.find((x) => x.name === mapData.index);
  if (!p.value || !ix) return "";
  const id = p.value[2], head = `<b>${esc(p.seriesName)}</b> · item ${id}`;
  const url = `${base(ix)}/items/${id}/payload`;
  if (ix.kind === "image") return `${head}<br><img src="${url}" alt="item ${id}" width="96" height="96" style="object-fit:contain;image-rendering:pixelated">`;
  if (ix.kind !== "text") return head; // vectors: no payload to show
  const key = `${ix.name}\0${id}`;
  if (texts.has(key)) return `${head}<br>${esc(texts.get(key))}`;
  fetch(url).then((r) => (r.ok ? r.text() : "")).then((t) => {
    t = t.length > 300 ? t.slice(0, 300) + "…" : t;
    texts.set(key, t);
    callback(ticket, `${head}<br>${esc(t)}`);
  }).catch(() => {});
  return `${head}<br>…`;
}

// onBrush selects the points inside the brushed areas (in data coordinates).
function onBrush(params) {
  const areas = [];
  for (const b of params.batch || []) areas.push(...(b.areas || []).filter((a) => a.coordRange));
  if (areas.length === 0) {
    if (selSource !== "group") setSelection([], ""); // not the clearing of the brush for a group
    return;
  }
  const ids = [];
  for (const p of mapData ? mapData.points : []) {
    if (areas.some((a) => inArea(a, p.x, p.y))) ids.push(p.id);
  }
  setSelection(ids, "brush");
}

function inArea(a, x, y) {
  const c = a.coordRange;
  switch (a.brushType) {
    case "rect": return x >= c[0][0] && x <= c[0][1] && y >= c[1][0] && y <= c[1][1];
    case "lineX": return x >= c[0] && x <= c[1];
    case "lineY": return y >= c[0] && y <= c[1];
    case "polygon": { // even-odd rule
      let inside = false;
      for (let i = 0, j = c.length - 1; i < c.length; j = i++) {
        const [xi, yi] = c[i], [xj, yj] = c[j];
        if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
      return inside;
    }
  }
  return false;
}

function setSelection(ids, how) {
  const was = selected.length;
  selected = ids;
  selSource = how;
  updateSelection();
  if (chart && mapData && (was > 0 || ids.length > 0)) {
    const chosen = new Set(ids);
    const data = mapData.points.filter((p) => chosen.has(p.id)).map((p) => [p.x, p.y, p.id]);
    chart.setOption({ series: [{ id: "selection", data }] });
  }
}

function updateSelection() {
  const n = selected.length, t = tag(), max = mapData ? mapData.max_batch : Infinity;
  $("selcount").textContent = `${n} selected` + (n > max ? ` (at most ${max} can be tagged in one round: select fewer)` : "");
  $("tagyes").textContent = t ? `tag ✓ as ${t}` : "tag ✓";
  $("tagno").textContent = "tag ✗";
  $("tagyes").setAttribute("aria-label", `tag the ${n} selected items as “${t || "the tag"}”`);
  $("tagno").setAttribute("aria-label", `tag the ${n} selected items as not “${t || "the tag"}”`);
  $("tagyes").disabled = $("tagno").disabled = n === 0 || n > max || tagging;
}

function takeBrush() {
  if (!chart) return;
  chart.dispatchAction({ type: "takeGlobalCursor", key: "brush", brushOption: { brushType: brushType || false, brushMode: "single" } });
}

function setBrush(type) {
  brushType = brushType === type ? null : type;
  $("brushrect").setAttribute("aria-pressed", String(brushType === "rect"));
  $("brushpoly").setAttribute("aria-pressed", String(brushType === "polygon"));
  takeBrush();
}

function clearSelection() {
  if (chart) chart.dispatchAction({ type: "brush", areas: [] });
  setSelection([], "");
}

// tagSelection saves the selected points as ✓ or ✗ under the tag, in one round, and
// recolours the map by the tag.
async function tagSelection(positive) {
  const t = tag();
  if (!t) {
    status("type a tag name first", true);
    $("tag").focus();
    return;
  }
  const ids = selected.slice(), prefix = markKey(t, "");
  if (ids.length === 0) return;
  tagging = true;
  updateSelection();
  try {
    const res = await postMarks(t, ids.map((id) => ({ item: id, positive })));
    tagsSaved++;
    for (const id of ids) {
      marked.set(prefix + id, positive);
      pending.delete(prefix + id);
    }
    if (prefix === markKey(tag(), "")) showCounts(res.tags || []);
    updateSave();
    status(`tagged ${ids.length} items ${positive ? "as" : "as not"} “${t}”, in one round`);
    clearSelection();
    $("mapcolor").value = "tag";
    mapControls();
    await loadMap();
  } catch (e) {
    status(`tagging the selection: ${e.message}`, true);
  } finally {
    tagging = false;
    updateSelection();
  }
}

function mapControls() {
  $("mapclusterslabel").hidden = $("mapcolor").value !== "cluster";
}

$("view-results").addEventListener("click", () => showView("results"));
$("view-map").addEventListener("click", () => showView("map"));
$("mapcolor").addEventListener("change", () => { mapControls(); loadMap(); });
$("mapclusters").addEventListener("change", loadMap);
$("mapmethod").addEventListener("change", loadMap);
$("brushrect").addEventListener("click", () => setBrush("rect"));
$("brushpoly").addEventListener("click", () => setBrush("polygon"));
$("selclear").addEventListener("click", clearSelection);
$("selgroup").addEventListener("click", () => {
  const i = mapData ? mapData.groups.indexOf($("mapgroup").value) : -1;
  if (i < 0) return;
  selSource = "group"; // the brush's clearing must not undo this selection
  if (chart) chart.dispatchAction({ type: "brush", areas: [] });
  setSelection(mapIDs[i].slice(), "group");
});
$("tagyes").addEventListener("click", () => tagSelection(true));
$("tagno").addEventListener("click", () => tagSelection(false));
$("mapview").addEventListener("keydown", (e) => {
  if (e.key === "Escape") {
    if (brushType) setBrush(brushType);
    clearSelection();
  }
});
$("save").addEventListener("click", saveRound);

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
  updateSave();
  updateSelection();
  clearTimeout(tagTimer);
  tagTimer = setTimeout(() => {
    refreshTags();
    if (view === "map" && $("mapcolor").value === "tag" && tag()) loadMap();
  }, 150);
});
$("tagform").addEventListener("submit", (e) => {
  e.preventDefault();
  const t = tag();
  if (!t) {
    status("type a tag name first", true);
    $("tag").focus();
    return;
  }
  showView("results");
  run({ more: t });
});
$("index").addEventListener("change", (e) => choose(indexes.find((ix) => ix.name === e.target.value)));
loadIndexes().catch((e) => status("cannot reach the server: " + e.message, true));
