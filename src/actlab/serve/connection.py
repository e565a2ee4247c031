"""One page's WebSocket: reads its messages, checks each at the edge, runs the session's work off the event
loop, and streams frames while training plays.

Two tasks per page: the reader (every message in order) and the player (frames while playing). Work on
the networks runs in a worker thread, one piece at a time per page (a lock), so the event loop keeps
answering every other page. Flow control: the player keeps at most ``limits.frames_in_flight`` frames
unacknowledged, so a slow page gets fewer frames, never older ones, and its curves stay current.
A page that closes (a tab closed mid-training) ends both tasks; its session is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from starlette.websockets import WebSocket, WebSocketDisconnect

from actlab.errors import ActlabError
from actlab.serve.csvdata import parse_points
from actlab.serve.export import export_run
from actlab.serve.limits import Limits
from actlab.serve.presets import presets_dict
from actlab.serve.protocol import VERSION, Message, ProtocolError, error_message, parse_message
from actlab.serve.session import Session
from actlab.serve.state import StateError, parse_state, schema

try:
    from starlette.websockets import WebSocketDisconnected  # Starlette >= 1.0: a send after the close
except ImportError:  # pragma: no cover - older Starlette

    class WebSocketDisconnected(Exception):  # type: ignore[no-redef]  # noqa: N818 - Starlette's name
        """Never raised: older Starlette has no such error."""


log = logging.getLogger("actlab.serve")

IDLE_CLOSE = 4000  # WebSocket close codes of our own (4000-4999 are free for applications)
VERSION_CLOSE = 4001
FULL_CLOSE = 4002


class Connection:
    def __init__(
        self,
        ws: WebSocket,
        session: Session,
        limits: Limits,
        runs_dir: Path,
        on_export: Callable[[Path], str],
        workers: anyio.CapacityLimiter,
    ) -> None:
        self.ws, self.session, self.limits, self.workers = ws, session, limits, workers
        self.runs_dir, self.on_export = runs_dir, on_export
        self.greeted = False
        self.work_lock = asyncio.Lock()
        self.send_lock = asyncio.Lock()
        self.wake = asyncio.Event()

    # --- the two tasks --------------------------------------------------------------------------------

    async def run(self) -> None:
        player = asyncio.create_task(self._play())
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                self.session.touch()
                raw = message.get("text") if message.get("text") is not None else message.get("bytes")
                await self._handle(raw)
        except (WebSocketDisconnect, WebSocketDisconnected):
            return
        finally:
            player.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await player

    async def _play(self) -> None:
        session, limits = self.session, self.limits
        loop = asyncio.get_running_loop()
        while True:
            await self.wake.wait()
            self.wake.clear()
            while session.playing and session.frame - session.acked < limits.frames_in_flight:
                started = loop.time()
                try:
                    frame = await self._work(session.advance, 1 / limits.updates_per_second)
                except Exception as err:  # diverged (ActlabError), or a bug: stop playing and say so
                    session.playing = False
                    if not isinstance(err, ActlabError):
                        log.exception("serve: unexpected error while training")
                    await self.send(error_message("training", str(err)))
                    await self.send(session.status())
                    break
                await self.send(frame)
                await asyncio.sleep(max(0.0, 1 / limits.updates_per_second - (loop.time() - started)))

    # --- messages -------------------------------------------------------------------------------------

    async def _handle(self, raw: Any) -> None:
        try:
            message = parse_message(raw, self.limits.max_message_bytes)
            if not self.greeted and message.type != "hello":
                raise ProtocolError("no_hello", f'say hello first: {{"type": "hello", "version": {VERSION}}}')
            await getattr(self, f"_on_{message.type}")(message)
        except (WebSocketDisconnect, WebSocketDisconnected):
            raise  # the page is gone: nothing to tell it
        except ProtocolError as err:
            await self.send(err.as_message())
        except StateError as err:
            await self.send(error_message("bad_value", str(err), err.key))
            await self.send({"type": "state", "state": self.session.state.to_dict()})
        except ActlabError as err:
            await self.send(error_message("refused", str(err)))
        except Exception as err:  # a bug must not take the server or this page down: say so, keep going
            log.exception("serve: unexpected error")
            await self.send(error_message("internal", f"internal error: {type(err).__name__}: {err}"))

    async def _on_hello(self, message: Message) -> None:
        if message.fields["version"] != VERSION:
            await self.send(
                error_message(
                    "version",
                    f"this server speaks protocol version {VERSION}, the page "
                    f"{message.fields['version']}: reload the page",
                )
            )
            await self.ws.close(code=VERSION_CLOSE)
            return
        self.greeted = True
        ready = {
            "type": "ready",
            "version": VERSION,
            "session": self.session.id,
            "schema": schema(self.limits),
            "presets": presets_dict(),
        }
        await self.send(ready)
        await self.send({"type": "state", "state": self.session.state.to_dict()})
        await self._send_all(await self._work(self.session.describe))
        await self.send(self.session.status())

    async def _on_state(self, message: Message) -> None:
        new = parse_state(message.fields["state"], self.limits, base=self.session.state)
        await self._send_all(await self._work(self.session.apply, new))
        await self.send(self.session.status())

    async def _on_play(self, message: Message) -> None:
        if len(self.session.data.train_x) == 0:
            raise ActlabError("there are no training points yet: click on the square to add some, or upload a CSV")
        self.session.playing = True
        self.session.acked = self.session.frame  # frames from before are stale: do not wait for them
        await self.send(self.session.status())
        self.wake.set()

    async def _on_pause(self, message: Message) -> None:
        self.session.playing = False
        await self.send(self.session.status())

    async def _on_step(self, message: Message) -> None:
        self.session.playing = False
        frame = await self._work(self.session.advance, None)
        await self.send(self.session.status())
        await self.send(frame)

    async def _on_reset(self, message: Message) -> None:
        await self._send_all(await self._work(self.session.reset))

    async def _on_ack(self, message: Message) -> None:
        self.session.acked = max(self.session.acked, min(message.fields["frame"], self.session.frame))
        self.wake.set()

    async def _on_ask(self, message: Message) -> None:
        await self.send(await self._work(self.session.ask, message.fields["text"]))

    async def _on_csv(self, message: Message) -> None:
        points = parse_points(message.fields["text"], self.limits)
        new = parse_state({"data": "own", "pts": [list(p) for p in points]}, self.limits, base=self.session.state)
        await self._send_all(await self._work(self.session.apply, new))

    async def _on_export(self, message: Message) -> None:
        path = await self._work(export_run, self.session, self.runs_dir)
        await self.send({"type": "exported", "path": str(path), "url": self.on_export(path)})

    async def _on_ping(self, message: Message) -> None:
        await self.send({"type": "pong", "id": message.fields["id"]})

    # --- plumbing -------------------------------------------------------------------------------------

    async def _work(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` in a worker thread, after any other work of this page, and while at most
        ``limits.workers`` pieces of work of all pages run (more threads would only fight over the
        interpreter lock and keep the event loop, which answers every page, waiting)."""
        async with self.work_lock:
            return await anyio.to_thread.run_sync(fn, *args, limiter=self.workers)

    async def send(self, message: dict[str, Any] | bytes) -> None:
        async with self.send_lock:
            if isinstance(message, bytes):
                await self.ws.send_bytes(message)
            else:
                await self.ws.send_json(message)

    async def _send_all(self, messages: list[dict[str, Any] | bytes]) -> None:
        for message in messages:
            await self.send(message)

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.send(error_message("closed", reason))
            await self.ws.close(code=code, reason=reason[:120])
