// The network diagram: feature nodes, hidden neurons and the output as live heatmaps (canvas), the weights as
// lines (SVG) whose width is the magnitude and colour the sign, per-layer activation menus with f and f',
// and the Monitor's diagnostics: dead neurons greyed, saturated ones outlined, gradient norm bars.
import { paint } from "./heatmap.js";
import { drawCurve } from "./charts.js";
import { NEG_CSS, POS_CSS } from "./colors.js";
import { t } from "./i18n.js";

const NODE = 38;
const ROW = 46;
const HEAD = 96;
const SVG_NS = "http://www.w3.org/2000/svg";
const LINK_MS = 100;

function el(tag, attrs = {}, parent = null) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG_NS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.setAttribute("class", v);
    else node.setAttribute(k, v);
  }
  if (parent) parent.appendChild(node);
  return node;
}

function gradWidth(g) {
  if (g === null || g === undefined || g <= 0) return 0;
  return Math.max(0, Math.min(1, (Math.log10(g) + 6) / 7)); // 1e-6 .. 10 on a log scale
}

export class NetworkView {
  // spec: {features: [names], allFeatures: {name: label}, layers: [widths], act: [names], outputs, editable,
  //        title, catalog: [names], curves: {name: {f, df}}, curveRange}
  // actions: {toggleFeature(name), setActivation(layer, name), changeNeurons(layer, delta), hover(text|null, event)}
  constructor(container, spec, actions) {
    this.spec = spec;
    this.actions = actions;
    this.linksAt = -Infinity;
    this.root = el("div", { class: "net" }, container);
    if (spec.title) el("div", { class: "net-title", text: spec.title }, this.root);
    this.body = el("div", { style: "position:relative" }, this.root);
    this.build();
  }

  build() {
    const { spec } = this;
    const width = Math.max(this.root.parentElement.clientWidth || 560, 420);
    const shown = spec.editable ? Object.keys(spec.allFeatures) : spec.features;
    const columns = [shown.length, ...spec.layers, 1];
    const tallest = Math.max(...columns);
    const height = HEAD + tallest * ROW + 26;
    const colX = (i) => 70 + (i * (width - 70 - NODE - 20)) / (columns.length - 1);
    this.body.style.height = `${height}px`;
    this.body.style.width = `${width}px`;
    this.svg = el("svg:svg", { class: "links", width, height }, this.body);
    this.hits = el("svg:g", {}, this.svg);
    this.lines = el("svg:g", {}, this.svg);
    const nodeY = (count, j) => HEAD + j * ROW + ((tallest - count) * ROW) / 2;

    // nodes: [column][row] -> {x, y, canvas, box}
    this.nodes = [];
    this.featureIndex = {}; // feature name -> row of the active grid
    const featureCol = [];
    shown.forEach((name, j) => {
      const on = spec.features.includes(name);
      const box = el("div", { class: `node feature${on ? "" : " off"}`, style: `left:${colX(0)}px;top:${nodeY(shown.length, j)}px` }, this.body);
      el("span", { class: "label", text: spec.allFeatures[name] }, box);
      const canvas = el("canvas", { width: 1, height: 1 }, box);
      if (spec.editable) box.addEventListener("click", () => this.actions.toggleFeature(name));
      box.dataset.feature = name;
      featureCol.push({ x: colX(0), y: nodeY(shown.length, j), canvas, box, on, name });
    });
    this.nodes.push(featureCol);
    spec.layers.forEach((count, l) => {
      const col = [];
      for (let j = 0; j < count; j++) {
        const x = colX(l + 1), y = nodeY(count, j);
        const box = el("div", { class: "node", style: `left:${x}px;top:${y}px` }, this.body);
        const canvas = el("canvas", { width: 1, height: 1 }, box);
        box.addEventListener("mouseenter", (e) => this.hoverNode(l, j, e));
        box.addEventListener("mouseleave", () => this.actions.hover(null));
        col.push({ x, y, canvas, box });
      }
      this.nodes.push(col);
      this.layerHead(l, colX(l + 1));
    });
    const outX = colX(columns.length - 1), outY = nodeY(1, 0);
    const outBox = el("div", { class: "node", style: `left:${outX}px;top:${outY}px` }, this.body);
    const outCanvas = el("canvas", { width: 1, height: 1 }, outBox);
    this.nodes.push([{ x: outX, y: outY, canvas: outCanvas, box: outBox }]);
    el("div", { class: "layer-head", style: `left:${outX - 20}px;top:${HEAD - 22}px;width:${NODE + 40}px`, text: t("output") }, this.body);

    // links between consecutive columns of active nodes; the weights arrive as [out][in] per layer
    this.links = [];
    const active = [featureCol.filter((n) => n.on), ...this.nodes.slice(1)];
    for (let l = 0; l + 1 < active.length; l++) {
      const layerLinks = [];
      active[l + 1].forEach((to, o) => {
        const row = [];
        active[l].forEach((from, i) => {
          const d = this.curve(from, to);
          const hit = el("svg:path", { d, stroke: "transparent", "stroke-width": 7 }, this.hits);
          hit.style.pointerEvents = "stroke";
          hit.addEventListener("mouseenter", (e) => { this.hovered = { l, o, i, e }; this.showWeight(); });
          hit.addEventListener("mouseleave", () => { this.hovered = null; this.actions.hover(null); });
          row.push(el("svg:path", { d, stroke: "#bbb", "stroke-width": 1 }, this.lines));
        });
        layerLinks.push(row);
      });
      this.links.push(layerLinks);
    }
    // gradient-norm bars under each weight layer
    this.gradBars = [];
    for (let l = 0; l + 1 < active.length; l++) {
      const x = (colX(l) + colX(l + 1)) / 2 + NODE / 2 - 22;
      const bar = el("div", { class: "grad", style: `left:${x}px;top:${height - 14}px;width:44px`, title: t("grad") }, this.body);
      const fill = el("div", { style: "width:0" }, bar);
      const label = el("div", { class: "grad-label", style: `left:${x}px;top:${height - 26}px` }, this.body);
      this.gradBars.push({ fill, label });
    }
  }

  curve(from, to) {
    const x1 = from.x + NODE + 2, y1 = from.y + NODE / 2, x2 = to.x - 1, y2 = to.y + NODE / 2;
    const mx = (x1 + x2) / 2;
    return `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
  }

  layerHead(l, x) {
    const { spec } = this;
    const head = el("div", { class: "layer-head", style: `left:${x - 24}px;top:0;width:${NODE + 48}px` }, this.body);
    const neurons = el("div", { class: "neurons" }, head);
    if (spec.editable) {
      const plus = el("button", { class: "round small", text: "+", title: "+1" }, neurons);
      const minus = el("button", { class: "round small", text: "−", title: "−1" }, neurons);
      plus.addEventListener("click", () => this.actions.changeNeurons(l, +1));
      minus.addEventListener("click", () => this.actions.changeNeurons(l, -1));
    }
    el("span", { text: `${spec.layers[l]}` }, neurons);
    const act = spec.act[l];
    if (spec.editable) {
      const select = el("select", { "data-layer": l, class: "act-select" }, head);
      for (const name of spec.catalog) el("option", { value: name, text: name }, select);
      select.value = act;
      select.addEventListener("change", () => this.actions.setActivation(l, select.value));
    } else {
      el("div", { text: act }, head);
    }
    const canvas = el("canvas", { width: 80, height: 40, style: "width:80px;height:40px" }, head);
    const curve = spec.curves[act];
    if (curve) {
      drawCurve(canvas, spec.curveRange, curve.f, curve.df);
      canvas.title = `${curve.formula}\n${curve.derivative}`;
    }
  }

  paintFeatures(message) {
    const { header, payload } = message;
    const g = header.grid;
    header.names.forEach((name, k) => {
      const node = this.nodes[0].find((n) => n.name === name);
      if (node) paint(node.canvas, payload, k * g * g, g);
    });
  }

  // One network's part of a frame: its header and its grids starting at `offset`.
  update(net, payload, offset, g) {
    this.net = net;
    let k = 0;
    for (let c = 1; c < this.nodes.length; c++) {
      for (const node of this.nodes[c]) { paint(node.canvas, payload, offset + k * g * g, g); k++; }
    }
    clearTimeout(this.linkTimer);
    const wait = LINK_MS - (performance.now() - this.linksAt);
    if (wait <= 0) this.updateLinks(net);
    else this.linkTimer = setTimeout(() => this.updateLinks(this.net), wait); // the last frame's weights, too
    if (net.dead) {
      net.dead.forEach((units, l) => this.nodes[l + 1].forEach((node, j) => node.box.classList.toggle("dead", units.includes(j))));
      net.saturated.forEach((units, l) => this.nodes[l + 1].forEach((node, j) => node.box.classList.toggle("saturated", units.includes(j))));
      net.grad_norms.forEach((gn, l) => {
        const bar = this.gradBars[l];
        if (!bar) return;
        bar.fill.style.width = `${(gradWidth(gn) * 100).toFixed(1)}%`;
        bar.label.textContent = gn === null ? "" : gn.toExponential(1);
      });
    }
    if (this.hovered) this.showWeight();
  }

  // The weights as lines: redrawing hundreds of SVG curves costs the page more than all the heatmaps, and a
  // weight's width and colour change slowly, so the lines follow at most LINK_MS apart (hover reads every frame).
  updateLinks(net) {
    this.linksAt = performance.now();
    this.links.forEach((layer, l) => {
      const w = net.weights[l];
      layer.forEach((row, o) => row.forEach((path, i) => {
        // one style string per line, written only when it changes visibly
        const v = w[o][i], a = Math.abs(v);
        const style = `stroke:${v < 0 ? NEG_CSS : POS_CSS};stroke-width:${(0.3 + Math.min(a, 3) * 1.6).toFixed(1)};`
          + `stroke-opacity:${(0.35 + Math.min(a, 1) * 0.6).toFixed(2)}`;
        if (path.lastStyle !== style) { path.setAttribute("style", style); path.lastStyle = style; }
      }));
    });
  }

  showWeight() {
    if (!this.net || !this.hovered) return;
    const { l, o, i, e } = this.hovered;
    const v = this.net.weights[l][o][i];
    this.actions.hover(`${t("weight")} ${t("layer")} ${l + 1}: ${v.toFixed(4)}`, e);
  }

  hoverNode(l, j, e) {
    if (!this.net) return;
    const b = this.net.biases[l][j];
    let index = j;
    for (let m = 0; m < l; m++) index += this.spec.layers[m];
    const s = this.net.scales[index];
    const dead = this.net.dead?.[l]?.includes(j) ? ` · ${t("dead")}` : "";
    const sat = this.net.saturated?.[l]?.includes(j) ? ` · ${t("saturated")}` : "";
    this.actions.hover(`${t("layer")} ${l + 1} #${j + 1}: ${t("bias")} ${b.toFixed(3)}, |out| ≤ ${s.toPrecision(3)}${dead}${sat}`, e);
  }

  deadCount() {
    if (!this.net?.dead) return [0, 0];
    const dead = this.net.dead.reduce((a, u) => a + u.length, 0);
    const total = this.spec.layers.reduce((a, b) => a + b, 0);
    return [dead, total];
  }

  saturatedCount() {
    return this.net?.saturated ? this.net.saturated.reduce((a, u) => a + u.length, 0) : 0;
  }

  remove() {
    clearTimeout(this.linkTimer);
    this.root.remove();
  }
}
