// Small line charts on canvas: the loss curves, each activation's f and f', and the extrapolation slice.

function scaled(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

function line(ctx, xs, ys, x, y, style) {
  ctx.beginPath();
  let started = false;
  for (let i = 0; i < xs.length; i++) {
    if (ys[i] === null || ys[i] === undefined || !Number.isFinite(ys[i])) { started = false; continue; }
    const px = x(xs[i]), py = y(ys[i]);
    if (started) ctx.lineTo(px, py); else ctx.moveTo(px, py);
    started = true;
  }
  ctx.strokeStyle = style.color;
  ctx.lineWidth = style.width ?? 1.5;
  ctx.setLineDash(style.dash ?? []);
  ctx.stroke();
  ctx.setLineDash([]);
}

// series: [{xs, ys, color, dash}], drawn on a shared scale from 0 up.
export function drawLoss(canvas, series) {
  const { ctx, w, h } = scaled(canvas);
  let xMax = 1, yMax = 1e-9;
  for (const s of series) {
    if (s.xs.length) xMax = Math.max(xMax, s.xs[s.xs.length - 1]);
    for (const v of s.ys) if (v !== null && Number.isFinite(v)) yMax = Math.max(yMax, v);
  }
  const x = (v) => 4 + (v / xMax) * (w - 8);
  const y = (v) => h - 4 - (v / yMax) * (h - 14);
  ctx.fillStyle = "#999";
  ctx.font = "10px sans-serif";
  ctx.fillText(yMax.toPrecision(2), 4, 10);
  for (const s of series) line(ctx, s.xs, s.ys, x, y, s);
}

// f (solid) and f' (dashed) of one activation on [lo, hi].
export function drawCurve(canvas, range, f, df) {
  const { ctx, w, h } = scaled(canvas);
  const n = f.length;
  const xs = Array.from({ length: n }, (_, i) => range[0] + (i * (range[1] - range[0])) / (n - 1));
  let lo = Math.min(...f, ...df, -0.2), hi = Math.max(...f, ...df, 1);
  lo = Math.max(lo, -4); hi = Math.min(hi, 4);
  const x = (v) => ((v - range[0]) / (range[1] - range[0])) * w;
  const y = (v) => h - 2 - ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * (h - 4);
  ctx.strokeStyle = "#ccc";
  ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(0, y(0)); ctx.lineTo(w, y(0)); ctx.moveTo(x(0), 0); ctx.lineTo(x(0), h); ctx.stroke();
  line(ctx, xs, f, x, y, { color: "#2f7fc1", width: 1.6 });
  line(ctx, xs, df, x, y, { color: "#e8833a", width: 1.2, dash: [3, 2] });
}

// The slice of a regression task: truth and each network's prediction along one line, training range shaded.
export function drawSlice(canvas, ts, truth, predictions, box) {
  const { ctx, w, h } = scaled(canvas);
  const values = [...truth];
  for (const p of predictions) values.push(...p.ys);
  const finite = values.filter(Number.isFinite);
  const lo = Math.min(...finite), hi = Math.max(...finite);
  const pad = (hi - lo) * 0.05 || 1;
  const x = (v) => ((v - ts[0]) / (ts[ts.length - 1] - ts[0])) * w;
  const y = (v) => h - ((v - lo + pad) / (hi - lo + 2 * pad)) * h;
  ctx.fillStyle = "#eef3f8";
  ctx.fillRect(x(box[0]), 0, x(box[1]) - x(box[0]), h);
  line(ctx, ts, truth, x, y, { color: "#999", width: 3 });
  for (const p of predictions) line(ctx, ts, p.ys, x, y, p);
  ctx.fillStyle = "#777";
  ctx.font = "10px sans-serif";
  ctx.fillText(String(ts[0]), 2, h - 3);
  const last = String(ts[ts.length - 1]);
  ctx.fillText(last, w - 6 * last.length - 2, h - 3);
}
