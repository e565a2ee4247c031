// The playground page: one state object (the server's, checked), mirrored in the URL hash; every control
// reads it and sends a changed copy; frames from the server are drawn once per animation frame, then
// acknowledged so that the server never runs ahead of what the page shows.
import { Socket } from "./socket.js";
import { fromHash, toHash } from "./state.js";
import { paint, drawPoints, drawBox } from "./heatmap.js";
import { drawLoss, drawSlice } from "./charts.js";
import { NetworkView } from "./network.js";
import { setLanguage, t, language } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const NET_COLORS = [["#24303b", "#8aa"], ["#b5542b", "#e0a080"]]; // per network: train, test
const SLICE_COLORS = ["#2f7fc1", "#e8833a"];
const CURVE_POINTS = 600; // loss points kept per curve: beyond, every other one is dropped (the curve's shape stays)
const DATASET_LABELS = {
  circle: { en: "circle", zh: "圆形" }, xor: { en: "xor", zh: "异或" }, gauss: { en: "gauss", zh: "高斯" },
  spiral: { en: "spiral", zh: "螺旋" }, moons: { en: "moons", zh: "双月" }, add: { en: "a + b" }, sub: { en: "a − b" },
  mul: { en: "a × b" }, div: { en: "a ÷ b" }, max: { en: "max(a, b)" }, own: { en: "own", zh: "自己的" },
};
const OPERATOR_EXAMPLES = { add: "5 + 3", sub: "5 - 3", mul: "5 * 3", div: "6 / 3", max: "5 3" };

// Everything the page knows; window.playground exposes it to tests and benchmarks.
const app = {
  schema: null, state: null, presets: [], data: null, network: null, views: [], outputs: [], square: [-6, 6],
  outputScale: 1, frame: null, features: null, pending: false, playing: false, history: [],
  framesDrawn: 0, lags: [], drawMs: [], exported: null, pendingAsk: "", answer: null, errors: [], connected: false,
};
window.playground = app;

const socket = new Socket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`, {
  open() { app.connected = true; $("connection").classList.add("up"); $("connection").textContent = t("connected"); },
  close(event) {
    app.connected = false;
    $("connection").classList.remove("up");
    $("connection").textContent = t("disconnected");
    if (event.code !== 1000) showError(event.reason || t("disconnected"));
  },
  ready(m) { onReady(m); },
  state(m) { onState(m.state); },
  data(m) { app.data = m; drawOverlays(); renderRanges(); },
  network(m) { onNetwork(m); },
  features(m) { app.features = m; app.square = m.header.square; app.outputScale = m.header.output_scale; for (const v of app.views) v.paintFeatures(m); drawOverlays(); renderLegend(); },
  frame(m) { app.frame = m; if (!app.pending) { app.pending = true; requestAnimationFrame(draw); } },
  status(m) { app.playing = m.playing; $("play").classList.toggle("playing", m.playing); },
  answer(m) { app.answer = m; renderAnswer(m); },
  exported(m) { app.exported = m; renderExported(m); },
  error(m) { app.errors.push(m); showError(m.message); },
});

// --- state --------------------------------------------------------------------------------------------

function send(patch) {
  socket.send("state", { state: { ...app.state, ...patch } });
}

function onReady(m) {
  app.schema = m.schema;
  app.presets = m.presets;
  buildControls();
  const fromUrl = fromHash(location.hash, app.schema.defaults);
  if (Object.keys(fromUrl).length) socket.send("state", { state: fromUrl });
}

function onState(state) {
  const langChanged = !app.state || app.state.lang !== state.lang;
  const viewChanged = app.state && (app.state.test !== state.test || app.state.disc !== state.disc);
  if (!app.state || app.state.data !== state.data) $("ask-text").value = OPERATOR_EXAMPLES[state.data] ?? "0.5 -1";
  if (app.pendingAsk) { $("ask-text").value = app.pendingAsk; app.pendingAsk = ""; }
  app.state = state;
  const hash = toHash(state);
  if (location.hash !== hash) history.replaceState(null, "", hash);
  if (langChanged) {
    setLanguage(state.lang);
    buildControls();
    if (app.network) onNetwork(app.network, true);
    if (app.data) { renderRanges(); renderLegend(); }
    if (app.frame) draw();
    $("connection").textContent = t(app.connected ? "connected" : "disconnected");
  }
  renderControls();
  if (viewChanged) { drawOverlays(); if (app.frame) draw(); }
}

window.addEventListener("hashchange", () => {
  if (!app.schema) return;
  const fromUrl = fromHash(location.hash, app.schema.defaults);
  if (toHash({ ...app.state, ...fromUrl }) !== toHash(app.state)) send(fromUrl);
});

// --- controls -----------------------------------------------------------------------------------------

function options(select, values, label = (v) => v) {
  select.replaceChildren(...values.map((v) => { const o = document.createElement("option"); o.value = String(v); o.textContent = label(v); return o; }));
}

function buildControls() {
  const s = app.schema;
  if (!s) return;
  options($("lr"), s.learning_rates);
  options($("rate"), s.reg_rates);
  options($("cmp"), ["", ...s.activations], (v) => v || t("off"));
  options($("preset"), ["", ...app.presets.map((p) => p.key)], (k) => k ? app.presets.find((p) => p.key === k).title[language()] : t("preset_pick"));
  const box = $("datasets");
  box.replaceChildren();
  for (const [group, names] of Object.entries(s.datasets)) {
    if (group !== "own") { const g = document.createElement("div"); g.className = "group"; g.textContent = t(group); box.appendChild(g); }
    for (const name of names) {
      const b = document.createElement("button");
      b.dataset.dataset = name;
      b.textContent = DATASET_LABELS[name]?.[language()] ?? DATASET_LABELS[name]?.en ?? name;
      b.addEventListener("click", () => chooseDataset(name));
      box.appendChild(b);
    }
  }
  if (app.state) renderControls();
}

function chooseDataset(name) {
  send({ data: name });
}

function renderControls() {
  const s = app.state;
  $("lr").value = String(s.lr);
  if ($("lr").value !== String(s.lr)) { options($("lr"), [...new Set([...app.schema.learning_rates, s.lr])].sort((a, b) => a - b)); $("lr").value = String(s.lr); }
  $("opt").value = s.opt;
  $("reg").value = s.reg;
  $("rate").value = String(s.rate);
  $("cmp").value = s.cmp;
  for (const key of ["split", "noise", "batch"]) { $(key).value = s[key]; $(`${key}-value`).textContent = s[key]; }
  $("seed-value").textContent = s.seed;
  $("test").checked = s.test;
  $("disc").checked = s.disc;
  $("view").checked = s.view === "extrap";
  $("lang").textContent = s.lang === "zh" ? "English" : "中文";
  $("layer-count").textContent = `${s.layers.length} ${t("hidden_layers")}`;
  for (const b of document.querySelectorAll("[data-dataset]")) b.classList.toggle("selected", b.dataset.dataset === s.data);
  $("own-tools").hidden = s.data !== "own";
  $("noise").disabled = !app.schema.datasets.classification.includes(s.data);
}

function bind() {
  $("play").addEventListener("click", () => socket.send(app.playing ? "pause" : "play"));
  $("step").addEventListener("click", () => socket.send("step"));
  $("reset").addEventListener("click", () => socket.send("reset"));
  $("lr").addEventListener("change", (e) => send({ lr: Number(e.target.value) }));
  $("opt").addEventListener("change", (e) => send({ opt: e.target.value }));
  $("reg").addEventListener("change", (e) => send({ reg: e.target.value }));
  $("rate").addEventListener("change", (e) => send({ rate: Number(e.target.value) }));
  $("cmp").addEventListener("change", (e) => send({ cmp: e.target.value }));
  for (const key of ["split", "noise", "batch"]) {
    $(key).addEventListener("input", (e) => { $(`${key}-value`).textContent = e.target.value; });
    $(key).addEventListener("change", (e) => send({ [key]: Number(e.target.value) }));
  }
  $("regenerate").addEventListener("click", () => send({ seed: (app.state.seed + 1) % 2147483647 }));
  $("test").addEventListener("change", (e) => send({ test: e.target.checked }));
  $("disc").addEventListener("change", (e) => send({ disc: e.target.checked }));
  $("view").addEventListener("change", (e) => send({ view: e.target.checked ? "extrap" : "train" }));
  $("lang").addEventListener("click", () => send({ lang: app.state.lang === "zh" ? "en" : "zh" }));
  $("add-layer").addEventListener("click", () => {
    const s = app.state;
    if (s.layers.length >= app.schema.max_layers) return;
    send({ layers: [...s.layers, s.layers.at(-1) ?? 4], act: [...s.act, s.act.at(-1) ?? "relu"] });
  });
  $("remove-layer").addEventListener("click", () => {
    const s = app.state;
    if (!s.layers.length) return;
    send({ layers: s.layers.slice(0, -1), act: s.act.slice(0, -1) });
  });
  $("preset").addEventListener("change", (e) => {
    const preset = app.presets.find((p) => p.key === e.target.value);
    e.target.value = "";
    if (!preset) return;
    const keep = { lang: app.state.lang, test: app.state.test, disc: app.state.disc };
    app.pendingAsk = preset.ask; // put in the box once the preset's state is in force
    send({ ...app.schema.defaults, ...keep, ...preset.state });
    showNote(preset.note[language()]);
    if (preset.play) socket.send("play"); // the server reads messages in order: after the state
  });
  $("ask").addEventListener("submit", (e) => { e.preventDefault(); socket.send("ask", { text: $("ask-text").value }); });
  $("csv").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (file) socket.send("csv", { text: await file.text() });
    e.target.value = "";
  });
  $("clear-points").addEventListener("click", () => send({ pts: [] }));
  $("export-run").addEventListener("click", () => socket.send("export"));
  $("export-state").addEventListener("click", () => {
    const blob = new Blob([JSON.stringify(app.state, null, 2) + "\n"], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "actlab-playground-state.json";
    a.click();
    URL.revokeObjectURL(a.href);
  });
  $("error-close").addEventListener("click", () => { $("error").hidden = true; });
  $("note").addEventListener("click", () => { $("note").hidden = true; });
}

// --- network and output views -------------------------------------------------------------------------

function onNetwork(m, keepHistory = false) {
  app.network = m;
  if (!keepHistory) app.history = m.nets.map(() => ({ xs: [], train: [], test: [] }));
  for (const v of app.views) v.remove();
  const actions = {
    toggleFeature(name) {
      const feat = app.state.feat.includes(name) ? app.state.feat.filter((f) => f !== name) : [...app.state.feat, name];
      send({ feat });
    },
    setActivation(layer, name) { const act = [...app.state.act]; act[layer] = name; send({ act }); },
    changeNeurons(layer, delta) {
      const layers = [...app.state.layers];
      layers[layer] = Math.min(app.schema.max_width, Math.max(1, layers[layer] + delta));
      send({ layers });
    },
    hover(text, event) {
      const tip = $("tooltip");
      if (!text) { tip.hidden = true; return; }
      tip.textContent = text;
      tip.hidden = false;
      tip.style.left = `${event.clientX + 12}px`;
      tip.style.top = `${event.clientY + 12}px`;
    },
  };
  const two = m.nets.length > 1;
  app.views = m.nets.map((net, k) => new NetworkView($("nets"), {
    features: m.features, allFeatures: app.schema.features, layers: m.layers, act: net.act, outputs: m.outputs,
    editable: k === 0, title: two ? `${t("network")} ${"AB"[k]}: ${[...new Set(net.act)].join(", ") || "linear"}` : "",
    catalog: app.schema.activations, curves: m.curves, curveRange: m.curve_x,
  }, actions));
  const outputs = $("outputs");
  outputs.replaceChildren();
  outputs.classList.toggle("two", two);
  app.outputs = m.nets.map((net, k) => {
    const box = document.createElement("div");
    box.className = "out-box";
    const title = document.createElement("div");
    title.className = "out-title";
    title.textContent = two ? `${"AB"[k]}: ${[...new Set(net.act)].join(", ") || "linear"}` : "";
    const heat = document.createElement("canvas");
    heat.className = "heat";
    const points = document.createElement("canvas");
    points.className = "points";
    points.width = 600; points.height = 600;
    if (k === 0) points.addEventListener("click", addPoint);
    box.append(title, heat, points);
    outputs.appendChild(box);
    return { box, heat, points };
  });
  if (app.features) for (const v of app.views) v.paintFeatures(app.features);
  drawOverlays();
}

function addPoint(event) {
  if (app.state.data !== "own") return;
  const rect = event.target.getBoundingClientRect();
  const [low, high] = app.square;
  const x1 = low + ((event.clientX - rect.left) / rect.width) * (high - low);
  const x2 = high - ((event.clientY - rect.top) / rect.height) * (high - low);
  const [slow, shigh] = app.schema.square;
  if (x1 < slow || x1 > shigh || x2 < slow || x2 > shigh) return;
  const cls = Number(document.querySelector("input[name=cls]:checked").value);
  send({ pts: [...app.state.pts, [Math.round(x1 * 100) / 100, Math.round(x2 * 100) / 100, cls]] });
}

function drawOverlays() {
  if (!app.data || !app.state) return;
  for (const out of app.outputs) {
    const ctx = out.points.getContext("2d");
    ctx.clearRect(0, 0, out.points.width, out.points.height);
    out.box.classList.toggle("own", app.state.data === "own");
    drawPoints(out.points, app.data.train, app.square, app.data.kind, app.outputScale, false);
    if (app.state.test) drawPoints(out.points, app.data.test, app.square, app.data.kind, app.outputScale, true);
    drawBox(out.points, app.data.box, app.square);
  }
}

function renderRanges() {
  const d = app.data;
  const r = (p) => `[${p[0]}, ${p[1]}]²`;
  $("ranges").textContent = `${t("train_range")} ${r(d.box)} · ${t("extrap_range")} ${r(d.extrap)}`;
  $("slice-box").hidden = !d.slice;
}

function renderLegend() {
  if (!app.data) return;
  $("legend").textContent = app.data.kind === "classification" ? t("legend_cls") : t("legend_reg", { s: app.outputScale.toPrecision(3) });
}

// --- frames -------------------------------------------------------------------------------------------

function draw() {
  const started = performance.now();
  app.pending = false;
  const { header, payload } = app.frame;
  if (!app.network || header.build !== app.network.build) {
    socket.send("ack", { frame: header.frame }); // a frame of the networks before the last change: skip it
    return;
  }
  const g = header.grid;
  let offset = 0;
  header.nets.forEach((net, k) => {
    const view = app.views[k];
    const units = net.scales.length; // hidden units and the output
    if (view) view.update(net, payload, offset, g);
    const out = app.outputs[k];
    if (out) paint(out.heat, payload, offset + (units - 1) * g * g, g, app.state.disc);
    offset += units * g * g;
    const h = app.history[k];
    if (h && (!h.xs.length || header.steps !== h.xs.at(-1))) {
      h.xs.push(header.steps); h.train.push(net.loss.train); h.test.push(net.loss.test);
      if (h.xs.length > CURVE_POINTS) for (const key of ["xs", "train", "test"]) h[key] = h[key].filter((_, i) => i % 2 === 0 || i === h[key].length - 1);
    }
  });
  $("epoch").textContent = header.epoch;
  renderNumbers(header);
  drawLoss($("loss-chart"), app.history.flatMap((h, k) => [
    { xs: h.xs, ys: h.train, color: NET_COLORS[k][0] },
    { xs: h.xs, ys: h.test, color: NET_COLORS[k][1], dash: [4, 3] },
  ]));
  if (app.data?.slice && header.nets[0].slice) {
    drawSlice($("slice"), app.data.slice.a, app.data.slice.truth,
      header.nets.map((n, k) => ({ ys: n.slice, color: SLICE_COLORS[k], dash: k ? [4, 3] : [] })), app.data.box);
  }
  app.framesDrawn++;
  app.lags.push(Date.now() - header.t);
  app.drawMs.push(performance.now() - started);
  if (app.lags.length > 2000) { app.lags.splice(0, 1000); app.drawMs.splice(0, 1000); }
  socket.send("ack", { frame: header.frame });
}

function renderNumbers(header) {
  const rows = [];
  const fmt = (v) => (v === null || v === undefined ? "–" : v.toFixed(4));
  header.nets.forEach((net, k) => {
    const name = header.nets.length > 1 ? `${"AB"[k]} ` : "";
    rows.push(`<span>${name}${t("train_loss")} <b>${fmt(net.loss.train)}</b></span><span>${t("test_loss")} <b>${fmt(net.loss.test)}</b></span>`
      + `<span>${net.acc.test === null ? "" : `${t("accuracy")} <b data-acc="${k}">${(net.acc.test * 100).toFixed(1)}%</b>`}</span>`);
  });
  $("losses").innerHTML = rows.join("");
  $("diag-summary").innerHTML = app.views.map((v, k) => {
    const [dead, total] = v.deadCount();
    const name = app.views.length > 1 ? `${"AB"[k]}: ` : "";
    return `${name}<span data-dead="${k}">${t("dead")} <b>${dead}</b> ${t("of")} ${total}</span> · ${t("saturated")} <b>${v.saturatedCount()}</b>`;
  }).join("<br>");
}

function renderAnswer(m) {
  const parts = m.answers.map((a, k) => {
    const name = m.answers.length > 1 ? `${"AB"[k]}: ` : "";
    if (a.probability !== undefined) return `${name}${t("answer_class")} ${a.prediction} (${t("probability")} ${a.probability.toFixed(3)})`;
    return `${name}≈ <b>${a.prediction.toFixed(3)}</b>`;
  });
  const truth = m.truth === null ? "" : ` · ${t("truth")} ${m.truth}`;
  $("answer").innerHTML = `${m.text} → ${parts.join(" · ")}${truth}`;
}

function renderExported(m) {
  const box = $("exported");
  box.replaceChildren();
  const text = document.createElement("div");
  text.textContent = `${t("exported")} ${m.path}`;
  text.dataset.path = m.path;
  const link = document.createElement("a");
  link.href = m.url;
  link.textContent = t("download");
  const hint = document.createElement("code");
  hint.textContent = `${t("try_cli")}: actlab predict ${m.path} ${$("ask-text").value}`;
  box.append(text, link, document.createElement("br"), hint);
}

let errorTimer = null;
function showError(text) {
  $("error-text").textContent = text;
  $("error").hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => { $("error").hidden = true; }, 10000);
}

function showNote(text) {
  $("note").textContent = text;
  $("note").hidden = false;
}

bind();
setLanguage("en");
socket.connect();
