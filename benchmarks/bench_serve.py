"""The playground's speed: updates per second of the widest network, and how far the page lags behind.

The network: TF Playground's largest, 6 hidden layers of 8 tanh neurons fed all 7 input features, on the
spiral; every update carries 49 heatmaps of 50x50 (48 neurons and the output), the losses, the weights
and (10 times a second) the Monitor's diagnostics. Four measurements, each over ``--seconds``:

1. **in-process** (the baseline): ``Session.advance`` in a loop, no transport at all;
2. **protocol**: one page over a real WebSocket to ``actlab serve`` (a subprocess), acknowledging every
   frame at once; lag = arrival time − the frame's server timestamp;
3. **browser**: the real page in Debian's Chromium (Playwright), drawing every frame it gets; lag = the time
   the loss curve was drawn − the frame's server timestamp (the page's ``window.playground.lags``);
4. **20 pages**: twenty protocol-level pages training at once, each pinging the server every 0.5 s; the
   ping's round trip says how responsive each stays.

Targets (the issue): >= 30 updates/s (browser and protocol), lag <= 100 ms, 20 pages responsive.

    python benchmarks/bench_serve.py                  # 10 s per measurement
    python benchmarks/bench_serve.py --quick          # 3 s, for `make bench`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

WIDE = {
    "data": "spiral",
    "feat": ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"],
    "layers": [8] * 6,
    "act": ["tanh"] * 6,
}
HASH = "#data=spiral&feat=x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2&layers=8,8,8,8,8,8&act=tanh,tanh,tanh,tanh,tanh,tanh"
TARGET_UPS = 30.0
TARGET_LAG_MS = 100.0
CHROMIUM = "/usr/bin/chromium"
SRC = Path(__file__).resolve().parents[1] / "src"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def lag_text(lags: list[float]) -> str:
    return f"lag p50 {percentile(lags, 0.5):5.1f} ms  p95 {percentile(lags, 0.95):5.1f} ms  max {max(lags):5.1f} ms"


def in_process(seconds: float) -> tuple[float, float]:
    import torch

    from actlab.serve.limits import Limits
    from actlab.serve.session import Session
    from actlab.serve.state import parse_state

    torch.set_num_threads(1)
    limits = Limits()
    session = Session("bench", limits)
    session.apply(parse_state(WIDE, limits))
    session.playing = True
    frames, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        session.advance(1 / limits.updates_per_second)
        frames += 1
    ups = frames / (time.perf_counter() - start)
    before = time.thread_time()  # this thread's CPU clock: what a frame costs, whatever else the machine runs
    for _ in range(20):
        session.make_frame()
    return ups, (time.thread_time() - before) / 20 * 1000


@contextmanager
def server() -> Iterator[str]:
    """``actlab serve --port 0`` in a subprocess; its address."""
    with TemporaryDirectory() as runs:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
        process = subprocess.Popen(
            [sys.executable, "-m", "actlab", "serve", "--port", "0", "--out", runs],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert process.stdout is not None
            match = re.search(r"(http://127\.0\.0\.1:\d+/)", process.stdout.readline())
            assert match, "actlab serve did not start"
            yield match[1]
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


async def protocol_page(url: str, seconds: float, seed: int = 0, ping_every: float | None = None) -> dict:
    """One page at the protocol level: frames per second, lags, and ping round trips."""
    from websockets.asyncio.client import connect

    from actlab.serve.protocol import unpack_binary

    async with connect(url.replace("http", "ws") + "ws", max_size=None) as ws:
        await ws.send(json.dumps({"type": "hello", "version": 1}))
        await ws.send(json.dumps({"type": "state", "state": {**WIDE, "seed": seed}}))
        while True:  # until the new network's first frame
            message = await ws.recv()
            if (
                isinstance(message, bytes)
                and len(unpack_binary(message)[0].get("nets", [{}])[0].get("scales", [])) == 49
            ):
                break
        await ws.send(json.dumps({"type": "play"}))
        frames, lags, rtts, pings = 0, [], [], {}
        start = next_ping = time.monotonic()
        while time.monotonic() - start < seconds:
            if ping_every is not None and time.monotonic() >= next_ping:
                pings[len(pings)] = time.monotonic()
                await ws.send(json.dumps({"type": "ping", "id": len(pings) - 1}))
                next_ping += ping_every
            try:
                message = await asyncio.wait_for(
                    ws.recv(), timeout=max(0.01, next_ping - time.monotonic()) if ping_every else seconds
                )
            except asyncio.TimeoutError:
                continue
            if isinstance(message, bytes):
                header, _ = unpack_binary(message)
                if header["type"] == "frame":
                    frames += 1
                    lags.append(time.time() * 1000 - header["t"])
                    await ws.send(json.dumps({"type": "ack", "frame": header["frame"]}))
            else:
                data = json.loads(message)
                if data["type"] == "pong":
                    rtts.append((time.monotonic() - pings[data["id"]]) * 1000)
        elapsed = time.monotonic() - start
        await ws.send(json.dumps({"type": "pause"}))
        return {"ups": frames / elapsed, "lags": lags, "rtts": rtts, "unanswered": len(pings) - len(rtts)}


def browser(url: str, seconds: float) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        page = chromium.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url + HASH)
        ready = "window.playground?.state?.layers.length === 6 && window.playground.framesDrawn > 0"
        page.wait_for_function(ready)
        page.click("#play")
        page.wait_for_function("window.playground.playing")
        before = page.evaluate("[window.playground.framesDrawn, window.playground.lags.length, performance.now()]")
        time.sleep(seconds)
        after = page.evaluate("[window.playground.framesDrawn, window.playground.lags.length, performance.now()]")
        lags = page.evaluate(f"window.playground.lags.slice({before[1]})")
        draw = page.evaluate(f"window.playground.drawMs.slice({before[1]})")
        chromium.close()
    return {"ups": (after[0] - before[0]) / ((after[2] - before[2]) / 1000), "lags": lags, "draw": draw}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="3 s per measurement")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    print(
        f"6x8 tanh network, 7 features, spiral, 49 heatmaps of 50x50 per update; {seconds:g} s per measurement;"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    base, frame_ms = in_process(seconds)
    print(f"in-process (Session.advance)  {base:6.1f} updates/s   <- baseline   (one frame: {frame_ms:.1f} ms of CPU)")
    with server() as url:
        one = asyncio.run(protocol_page(url, seconds))
        print(
            f"protocol, 1 page              {one['ups']:6.1f} updates/s   {one['ups'] / base:4.2f}x baseline   "
            f"{one['ups'] / TARGET_UPS:4.2f}x target   {lag_text(one['lags'])}"
        )
        if not args.no_browser and Path(CHROMIUM).exists():
            page = browser(url, seconds)
            print(
                f"browser, 1 page               {page['ups']:6.1f} updates/s   {page['ups'] / base:4.2f}x baseline   "
                f"{page['ups'] / TARGET_UPS:4.2f}x target   {lag_text(page['lags'])}   "
                f"(drawing a frame: {percentile(page['draw'], 0.5):.1f} ms of script)"
            )

        async def many() -> list[dict]:
            return await asyncio.gather(*(protocol_page(url, seconds, i, ping_every=0.5) for i in range(args.pages)))

        results = asyncio.run(many())
        ups = [r["ups"] for r in results]
        rtts = [x for r in results for x in r["rtts"]]
        unanswered = sum(r["unanswered"] for r in results)
        print(
            f"protocol, {args.pages} pages at once      {statistics.fmean(ups):6.1f} updates/s per page "
            f"(min {min(ups):.1f}, total {sum(ups):.0f});  ping round trip p50 {percentile(rtts, 0.5):.0f} ms  "
            f"p95 {percentile(rtts, 0.95):.0f} ms  max {max(rtts):.0f} ms;  unanswered "
            f"{unanswered} of {len(rtts) + unanswered}"
        )


if __name__ == "__main__":
    main()
