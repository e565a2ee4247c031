// One palette for every picture: class 0 / negative values orange, class 1 / positive values blue, zero white.
// A heatmap byte b stands for the value (b / 127.5 - 1) times the grid's scale (see actlab.serve.heatmaps).

const NEG = [232, 131, 58];
const POS = [47, 127, 193];
const ZERO = [250, 250, 250];

function mix(t) {
  const end = t < 0 ? NEG : POS;
  const a = Math.min(Math.abs(t), 1);
  return ZERO.map((z, i) => Math.round(z + (end[i] - z) * a));
}

function table(discrete) {
  const lut = new Uint32Array(256); // little-endian RGBA packed: one write per pixel
  for (let b = 0; b < 256; b++) {
    let t = b / 127.5 - 1;
    if (discrete) t = b < 128 ? -0.8 : 0.8;
    const [r, g, bl] = mix(t * 0.9);
    lut[b] = (255 << 24) | (bl << 16) | (g << 8) | r;
  }
  return lut;
}

export const PALETTE = table(false);
export const DISCRETE = table(true);

export function colorOf(t) {
  const [r, g, b] = mix(t);
  return `rgb(${r},${g},${b})`;
}

export const NEG_CSS = `rgb(${NEG.join(",")})`;
export const POS_CSS = `rgb(${POS.join(",")})`;
