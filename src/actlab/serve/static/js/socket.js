// The page's side of the protocol (actlab.serve.protocol, version 1): JSON control messages, binary frames
// `uint32 header length | JSON header | payload`.

export const VERSION = 1;

export function decodeBinary(buffer) {
  const view = new DataView(buffer);
  const length = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
  return { header, payload: new Uint8Array(buffer, 4 + length) };
}

export class Socket {
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers; // {type: fn(message)}, plus "open", "close"
    this.ws = null;
  }

  connect() {
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      this.send("hello", { version: VERSION });
      this.handlers.open?.();
    };
    ws.onmessage = (event) => {
      const message = typeof event.data === "string" ? JSON.parse(event.data) : decodeBinary(event.data);
      const type = message.type ?? message.header.type;
      this.handlers[type]?.(message);
    };
    ws.onclose = (event) => this.handlers.close?.(event);
    this.ws = ws;
  }

  send(type, fields = {}) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type, ...fields }));
  }
}
