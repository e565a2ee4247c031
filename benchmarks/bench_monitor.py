"""Cost of the diagnostics during training: the Monitor on every step, and the TrainingTracker every N steps.

The network: 4 hidden layers of 256 ReLU units on 32 inputs, one output, Adam, batch 256, one thread.
Each round times the same number of steps four ways, in alternation so that all see the same load:

* ``bare``: the plain loop;
* ``monitor``: the whole loop inside ``with Monitor(model)`` (every forward and backward instrumented);
* ``tracker/10`` and ``tracker/100``: a ``TrainingTracker(model, every=N)`` driven through the callback
  hooks, as ``actlab.train`` drives it with ``track_every=N``.

Figures are the best of ``--repeats`` rounds (noise on a shared machine only ever adds time), reported as
ratios to ``bare`` measured in the same run. Memory: the bytes of the Monitor's counters after 1,000 and
after 100,000 inputs (they must be equal: per-unit counters, nothing per input).

    python benchmarks/bench_monitor.py            # 5 rounds of 300 steps
    python benchmarks/bench_monitor.py --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import torch
from torch import nn

from actlab.diagnostics import Monitor, TrainingTracker

WIDTH, DEPTH, IN, BATCH = 256, 4, 32, 256


def network() -> nn.Sequential:
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Linear(IN, WIDTH), nn.ReLU()]
    for _ in range(DEPTH - 1):
        layers += [nn.Linear(WIDTH, WIDTH), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(WIDTH, 1))


def loop(steps: int, mode: str) -> float:
    """Seconds for ``steps`` training steps with the diagnostics of ``mode``."""
    model = network()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    batches = [torch.randn(BATCH, IN, generator=gen) for _ in range(8)]
    tracker = TrainingTracker(model, every=int(mode.split("/")[1])) if mode.startswith("tracker") else None
    monitor = Monitor(model) if mode == "monitor" else None
    step_end: Callable[[int, float], None] = (
        (lambda s, v: tracker.on_step_end(s, v, model)) if tracker else (lambda s, v: None)
    )
    if tracker:
        tracker.on_train_start(model, None)
    if monitor:
        monitor.attach()
    start = time.perf_counter()
    for step in range(1, steps + 1):
        x = batches[step % len(batches)]
        optimizer.zero_grad(set_to_none=True)
        loss = model(x).pow(2).mean()
        loss.backward()
        if tracker:
            tracker.on_before_step(step, model)
        optimizer.step()
        step_end(step, loss.item())
    seconds = time.perf_counter() - start
    if monitor:
        monitor.detach()
    if tracker:
        tracker.on_train_end(model, None)
    return seconds


def counter_bytes(inputs: int) -> int:
    """Bytes held by the Monitor's per-site and output counters after ``inputs`` inputs."""
    model = network()
    with torch.no_grad(), Monitor(model) as mon:
        for chunk in torch.randn(inputs, IN).split(1000):
            model(chunk)
    tensors = [t for s in mon.sites for t in (s.zeros, s.near_zero, s.saturated, s.active)]
    tensors += [mon.output.low, mon.output.high]
    return sum(t.numel() * t.element_size() for t in tensors if t is not None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 30 steps, 2 rounds")
    args = parser.parse_args()
    steps, repeats = (30, 2) if args.quick else (args.steps, args.repeats)
    torch.set_num_threads(1)
    modes = ["bare", "monitor", "tracker/10", "tracker/100"]
    best = dict.fromkeys(modes, float("inf"))
    loop(10, "bare")  # warm-up
    for _ in range(repeats):
        for mode in modes:
            best[mode] = min(best[mode], loop(steps, mode))
    small, large = counter_bytes(1_000), counter_bytes(100_000)
    result = {
        "network": f"{DEPTH} x {WIDTH} ReLU, {IN} inputs, batch {BATCH}, Adam, 1 thread",
        "steps": steps,
        "rounds": repeats,
        "ms_per_step": {m: round(1000 * best[m] / steps, 3) for m in modes},
        "ratio_to_bare": {m: round(best[m] / best["bare"], 3) for m in modes},
        "counter_bytes": {"1000_inputs": small, "100000_inputs": large},
    }
    for mode in modes:
        extra = 100 * (best[mode] / best["bare"] - 1)
        print(
            f"{mode:<12} {1000 * best[mode] / steps:7.3f} ms/step   {best[mode] / best['bare']:.3f}× bare "
            f"({extra:+.1f} %)"
        )
    print(f"counter memory: {small:,} bytes after 1,000 inputs, {large:,} bytes after 100,000")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
