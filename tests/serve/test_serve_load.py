"""Twenty pages at once on one real ``actlab serve``: each trains a 6x8 network, draws and acknowledges its
frames, and has its pings answered while all train. Bounded in time as a whole (the figures per page are
in BENCHMARKS.md, from benchmarks/bench_serve.py, not asserted here)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from serve_helpers import running_server
from websockets.asyncio.client import connect

from actlab.serve.protocol import VERSION, unpack_binary

PAGES = 20
PINGS = 3
BOUND_SECONDS = 90  # the whole test; on 2 busy cores it takes a fraction of that
WIDE = {
    "data": "spiral",
    "feat": ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"],
    "layers": [8] * 6,
    "act": "tanh",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("runs")) as url:
        yield url


async def page(url: str, index: int) -> dict[str, int]:
    """One page: greet, train the widest network, acknowledge every frame, ping now and then."""
    async with connect(url.replace("http", "ws") + "ws", max_size=None) as ws:
        await ws.send(json.dumps({"type": "hello", "version": VERSION}))
        await ws.send(json.dumps({"type": "state", "state": {**WIDE, "seed": index}}))
        await ws.send(json.dumps({"type": "play"}))
        frames, pongs, sent = 0, 0, 0
        while pongs < PINGS:
            message = await ws.recv()
            if isinstance(message, bytes):
                header, payload = unpack_binary(message)
                if header["type"] == "frame":
                    assert len(payload) == 49 * header["grid"] ** 2 or header["frame"] == 1
                    frames += 1
                    await ws.send(json.dumps({"type": "ack", "frame": header["frame"]}))
                    if frames % 3 == 0 and sent == pongs:
                        sent += 1
                        await ws.send(json.dumps({"type": "ping", "id": sent}))
                continue
            data = json.loads(message)
            assert data["type"] != "error", data
            if data["type"] == "pong":
                assert data["id"] == sent
                pongs += 1
        await ws.send(json.dumps({"type": "pause"}))
        return {"frames": frames, "pongs": pongs}


def test_twenty_pages_train_at_once(server: str) -> None:
    async def all_pages() -> list[dict[str, int]]:
        return await asyncio.gather(*(page(server, i) for i in range(PAGES)))

    results = asyncio.run(asyncio.wait_for(all_pages(), BOUND_SECONDS))
    assert len(results) == PAGES
    assert all(r["pongs"] == PINGS and r["frames"] >= 3 * PINGS for r in results)
