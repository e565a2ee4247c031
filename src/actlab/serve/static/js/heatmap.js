// Heatmaps: a byte grid painted with one putImageData through a palette; points drawn over a square.
import { PALETTE, DISCRETE, colorOf, NEG_CSS, POS_CSS } from "./colors.js";

const images = new WeakMap();

// Paint `g * g` bytes of `bytes` from `offset` into `canvas` (its width and height are g).
export function paint(canvas, bytes, offset, g, discrete = false) {
  if (canvas.width !== g) { canvas.width = g; canvas.height = g; }
  const ctx = canvas.getContext("2d");
  let image = images.get(canvas);
  if (!image || image.width !== g) { image = ctx.createImageData(g, g); images.set(canvas, image); }
  const pixels = new Uint32Array(image.data.buffer);
  const lut = discrete ? DISCRETE : PALETTE;
  for (let i = 0; i < g * g; i++) pixels[i] = lut[bytes[offset + i]];
  ctx.putImageData(image, 0, 0);
}

// Draw points [x1, x2, y] of a square [low, high]^2 on a canvas; test points get a dark ring.
export function drawPoints(canvas, points, square, kind, scale, test = false) {
  const ctx = canvas.getContext("2d");
  const [low, high] = square;
  const w = canvas.width, h = canvas.height;
  const r = Math.max(2.2, w / 110);
  for (const [x1, x2, y] of points) {
    if (x1 < low || x1 > high || x2 < low || x2 > high) continue;
    const px = ((x1 - low) / (high - low)) * w;
    const py = (1 - (x2 - low) / (high - low)) * h;
    ctx.beginPath();
    ctx.arc(px, py, r, 0, 2 * Math.PI);
    ctx.fillStyle = kind === "classification" ? (y > 0.5 ? POS_CSS : NEG_CSS) : colorOf(y / scale);
    ctx.fill();
    ctx.lineWidth = test ? 1.6 : 1;
    ctx.strokeStyle = test ? "#111" : "#fff";
    ctx.stroke();
  }
}

// The training box drawn inside a wider view square.
export function drawBox(canvas, box, square) {
  const ctx = canvas.getContext("2d");
  const [low, high] = square;
  if (box[0] <= low && box[1] >= high) return;
  const w = canvas.width, h = canvas.height;
  const x0 = ((box[0] - low) / (high - low)) * w, x1 = ((box[1] - low) / (high - low)) * w;
  const y0 = (1 - (box[1] - low) / (high - low)) * h, y1 = (1 - (box[0] - low) / (high - low)) * h;
  ctx.setLineDash([4, 3]);
  ctx.strokeStyle = "#333";
  ctx.lineWidth = 1;
  ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  ctx.setLineDash([]);
}
