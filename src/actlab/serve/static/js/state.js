// The experiment's one state object and its URL form. The server owns the rules (its `ready` message sends
// the schema: defaults, choices, bounds); this module only converts between the URL hash and the object,
// guided by the type of each default. `#data=xor&layers=4,2&act=tanh,tanh&lr=0.03&test=true&pts=1.5:2:1,...`

const POINT_DIGITS = 2;

function parseValue(text, fallback, key) {
  if (key === "pts") {
    if (text === "") return [];
    return text.split(",").map((p) => p.split(":").map(Number));
  }
  if (Array.isArray(fallback)) {
    if (text === "") return [];
    const items = text.split(",");
    return key === "layers" ? items.map(Number) : items;
  }
  if (typeof fallback === "boolean") return text === "true" || text === "1";
  if (typeof fallback === "number") return Number(text);
  return text;
}

function formatValue(value, key) {
  if (key === "pts") return value.map((p) => [p[0].toFixed(POINT_DIGITS), p[1].toFixed(POINT_DIGITS), p[2]].join(":")).join(",");
  if (Array.isArray(value)) return value.join(",");
  return String(value);
}

// The state written in a hash, over the defaults; keys the schema does not know are dropped (the server
// would refuse them), values are sent as they are for the server to check.
export function fromHash(hash, defaults) {
  const state = {};
  const text = hash.replace(/^#/, "");
  if (!text) return state;
  for (const part of text.split("&")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = decodeURIComponent(part.slice(0, eq));
    if (!(key in defaults)) continue;
    state[key] = parseValue(decodeURIComponent(part.slice(eq + 1)), defaults[key], key);
  }
  return state;
}

export function toHash(state) {
  return "#" + Object.entries(state)
    .map(([key, value]) => `${key}=${encodeURIComponent(formatValue(value, key)).replace(/%2C/g, ",").replace(/%3A/g, ":")}`)
    .join("&");
}
