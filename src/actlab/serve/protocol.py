"""The message protocol between the page and the server, version 1, checked here at the edge.

Transport: one WebSocket per page (``/ws``). Control messages are JSON text frames, ``{"type": ..., ...}``;
heatmaps travel in binary frames.

**Page -> server** (any other message, or a field of the wrong type, gets an ``error`` reply; the
connection stays open):

=========  =============================  ===================================================================
type       fields                         effect
=========  =============================  ===================================================================
hello      version (1)                    first message; the server answers ``ready``
state      state (object)                 the whole state (see :mod:`actlab.serve.state`); may rebuild
play       -                              train continuously, one epoch per frame
pause      -                              stop training
step       -                              train one epoch and send its frame
reset      -                              fresh network and data from the state's seed
ack        frame (int)                    the page drew this frame: the server may send more
ask        text ("5 + 3")                 the networks' answer for one point; reply ``answer``
csv        text (CSV)                     own data from ``x1,x2,label`` lines; reply ``state`` and ``data``
export     -                              write the network as an actlab run folder; reply ``exported``
ping       id (int)                       reply ``pong`` with the same id (responsiveness probes)
=========  =============================  ===================================================================

**Server -> page**: JSON ``ready`` (version, limits, state schema, presets, catalog), ``state`` (the
state in force), ``data`` (the points), ``network`` (shapes, activations, their f and f′), ``status``
(playing or not), ``answer``, ``exported``, ``pong``, ``error`` (code, message, and the key at fault when
one is); binary ``frame`` and ``features``.

**Binary frames**: ``uint32`` little-endian header length ``H``, ``H`` bytes of UTF-8 JSON header, then the
payload. A ``frame`` header holds ``frame`` (a counter the page acknowledges), ``build`` (which networks it
shows: the ``network`` message with the same number describes them), ``epoch``, ``steps``, ``t`` (server time
in ms, to measure the page's lag), ``grid`` (cells per side), and ``nets``: one entry per network
with its losses, accuracies, diagnostics, weights, biases, and ``scales`` (one per grid). The payload is
every network's grids in order, ``grid²`` bytes each: its hidden units layer by layer, then its output.
A ``features`` header holds ``names`` and ``scales``; its payload is one grid per input feature.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

VERSION = 1
HEADER = struct.Struct("<I")
MAX_TEXT = {"ask": 200}  # characters; csv is bounded by the message size
FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {  # type: {field: JSON type}
    "hello": {"version": int},
    "state": {"state": dict},
    "play": {},
    "pause": {},
    "step": {},
    "reset": {},
    "ack": {"frame": int},
    "ask": {"text": str},
    "csv": {"text": str},
    "export": {},
    "ping": {"id": int},
}


class ProtocolError(Exception):
    """A message the server refuses: sent back to the page as ``{"type": "error", "code", "message"}``."""

    def __init__(self, code: str, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.key = code, message, key

    def as_message(self) -> dict[str, Any]:
        return error_message(self.code, self.message, self.key)


@dataclass(frozen=True)
class Message:
    type: str
    fields: dict[str, Any]


def error_message(code: str, message: str, key: str | None = None) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, "key": key}


def parse_message(raw: Any, max_bytes: int) -> Message:
    """A page's message, checked: JSON text within ``max_bytes``, a known type, exactly its fields, each of
    the right JSON type. Raises :class:`ProtocolError` (with a message for the page) otherwise."""
    if isinstance(raw, bytes | bytearray):
        raise ProtocolError("bad_message", f"binary messages ({len(raw):,} bytes) are not accepted; send JSON text")
    if not isinstance(raw, str):
        raise ProtocolError("bad_message", "empty message; send JSON text")
    size = len(raw.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ProtocolError("too_big", f"message of {size:,} bytes refused: the limit is {max_bytes:,} bytes")
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:  # nesting deeper than the interpreter's stack, well within max_bytes
        raise ProtocolError("bad_json", "malformed JSON: nested too deeply") from None
    except (json.JSONDecodeError, ValueError) as err:
        detail = f"{err.msg} at column {err.colno}" if isinstance(err, json.JSONDecodeError) else str(err)
        raise ProtocolError("bad_json", f"malformed JSON: {detail}") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_message", 'a message must be a JSON object with a "type"')
    kind = data.get("type")
    if kind not in FIELDS:
        raise ProtocolError("unknown_type", f"unknown message type {kind!r}; types are {', '.join(FIELDS)}")
    wanted = FIELDS[kind]
    fields = {k: v for k, v in data.items() if k != "type"}
    extra = sorted(set(fields) - set(wanted))
    if extra:
        raise ProtocolError("bad_message", f"{kind}: unknown field {extra[0]!r}", extra[0])
    for name, json_type in wanted.items():
        if name not in fields:
            raise ProtocolError("bad_message", f"{kind}: field {name!r} is missing", name)
        value = fields[name]
        if isinstance(value, bool) or not isinstance(value, json_type):
            raise ProtocolError("bad_message", f"{kind}: {name} has the wrong type ({type(value).__name__})", name)
    if kind in MAX_TEXT and len(fields["text"]) > MAX_TEXT[kind]:
        raise ProtocolError("bad_message", f"{kind}: text longer than {MAX_TEXT[kind]} characters", "text")
    return Message(kind, fields)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON; numbers must be finite")


def pack_binary(header: dict[str, Any], payload: bytes = b"") -> bytes:
    """A binary frame: header length, JSON header, payload."""
    head = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return HEADER.pack(len(head)) + head + payload


def unpack_binary(frame: bytes) -> tuple[dict[str, Any], bytes]:
    """The header and payload of :func:`pack_binary`'s frame (for tests, benchmarks and other clients)."""
    (length,) = HEADER.unpack_from(frame)
    return json.loads(frame[HEADER.size : HEADER.size + length]), frame[HEADER.size + length :]
