"""The web application: the page and its static modules, the WebSocket, and exported runs as zip files.

:func:`create_app` builds a FastAPI application around a :class:`SessionManager`; nothing is global, so
tests build one per case with their own limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from fastapi import FastAPI, HTTPException, WebSocket
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from actlab.errors import ActlabError
from actlab.serve.connection import FULL_CLOSE, IDLE_CLOSE, Connection
from actlab.serve.export import NAME
from actlab.serve.limits import Limits
from actlab.serve.protocol import error_message
from actlab.serve.session import SessionManager

STATIC = Path(__file__).parent / "static"


def create_app(limits: Limits | None = None, runs_dir: Path | str = "actlab-runs") -> FastAPI:
    """The playground application. Exported runs go under ``runs_dir``."""
    limits = limits or Limits()
    manager = SessionManager(limits)
    connections: dict[str, Connection] = {}
    exported: dict[str, Path] = {}  # folder name -> path: the only folders /runs/ serves

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import torch

        torch.set_num_threads(1)  # tiny networks: one thread per step is fastest, and pages share the cores
        app.state.workers = anyio.CapacityLimiter(limits.workers)  # all pages' work; made in the running loop
        reaper = asyncio.create_task(_close_idle(manager, connections, limits))
        try:
            yield
        finally:
            reaper.cancel()

    app = FastAPI(title="actlab playground", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.manager = manager
    app.state.connections = connections
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/runs/{name}.zip", include_in_schema=False)
    async def run_zip(name: str) -> Response:
        path = exported.get(name)
        if path is None or not NAME.fullmatch(name) or not path.is_dir():
            raise HTTPException(404, "no such exported run")
        return Response(
            _zip(path),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}.zip"'},
        )

    def on_export(path: Path) -> str:
        exported[path.name] = path
        return f"/runs/{path.name}.zip"

    @app.websocket("/ws")
    async def socket(ws: WebSocket) -> None:
        await ws.accept()
        try:
            session = manager.open()
        except ActlabError as err:
            await ws.send_json(error_message("full", str(err)))
            await ws.close(code=FULL_CLOSE)
            return
        connection = Connection(ws, session, limits, Path(runs_dir), on_export, app.state.workers)
        connections[session.id] = connection
        try:
            await connection.run()
        finally:
            connections.pop(session.id, None)
            manager.close(session)

    return app


async def _close_idle(manager: SessionManager, connections: dict[str, Connection], limits: Limits) -> None:
    """Close the pages that were silent for ``limits.idle_seconds``; their sessions go with them."""
    while True:
        await asyncio.sleep(min(30.0, max(limits.idle_seconds / 4, 0.05)))
        for session in manager.idle():
            connection = connections.get(session.id)
            if connection is not None:
                reason = f"closed after {limits.idle_seconds:g} s without activity; reload the page to continue"
                await connection.close(IDLE_CLOSE, reason)
            manager.close(session)


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, Path(folder.name) / file.relative_to(folder))
    return buffer.getvalue()
