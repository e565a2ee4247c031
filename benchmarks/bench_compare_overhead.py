"""What ``actlab compare`` costs per run outside training, before and after stacked evaluation, in one run.

``compare`` of the 8 activations of ``bench_vectorized.py`` x ``--seeds`` seeds on ``add`` (2-32-32-1, batch
256, Adam) with ``--steps 1``, so that training is almost nothing and the rest shows: building the models,
grouping and hashing the configs, evaluating every network, building the results, writing the store (a fresh
database each time). Two ways, alternating, best of ``--repeats`` (noise only adds time):

* before: each network evaluated alone on the CPU (``evaluate`` and ``dead_fraction`` per network, as before
  issue 14's end-to-end work) and every config's JSON computed again at each hashing;
* after: the whole stack evaluated at once (:func:`actlab.fast.metrics.evaluate_stack`) and each config's
  JSON remembered (:mod:`actlab.experiments.store`).

The other per-run savings (``group_key`` without a deep copy, one activation check per spec) are in both ways.
It prints milliseconds per run outside the training loop (the wall time less the runs' ``seconds``) and the
ratio, then the evaluation alone (:func:`actlab.fast.metrics.final_metrics` on one stack of 1,000 trained
networks, both ways).

    python benchmarks/bench_compare_overhead.py [--seeds 125] [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path

import actlab.experiments.store as store_module
import actlab.fast.vectorized as vectorized
from actlab.experiments.compare import compare
from actlab.experiments.store import ResultStore
from actlab.fast.metrics import final_metrics
from actlab.fast.stacked import StackedMLP
from actlab.fast.vectorized import layer_specs
from actlab.training.config import TrainConfig, make_task
from actlab.training.loop import build_model
from actlab.util.threads import torch_threads

sys.path.insert(0, str(Path(__file__).parent))
from bench_vectorized import ACTIVATIONS

BASE = TrainConfig(task="add", hidden=[32, 32], batch_size=256, steps=1)


@contextmanager
def way(name: str) -> Iterator[None]:
    """``before``: per-network evaluation and no remembered config JSON; ``after``: as the package is."""
    store_module._CANONICAL.clear()  # a fresh process remembers nothing
    if name == "after":
        yield
        return
    memo_key, metrics = store_module._memo_key, vectorized.final_metrics
    store_module._memo_key = lambda config: None  # type: ignore[assignment]
    vectorized.final_metrics = partial(final_metrics, one_by_one=True)  # type: ignore[assignment]
    try:
        yield
    finally:
        store_module._memo_key, vectorized.final_metrics = memo_key, metrics  # type: ignore[assignment]


def compare_overhead(seeds: int) -> tuple[float, float]:
    """Seconds of one ``compare`` (fresh database): the whole call, and its runs' training loops."""
    with tempfile.TemporaryDirectory() as folder, ResultStore(Path(folder) / "r.db") as store:
        start = time.perf_counter()
        result = compare("add", ACTIVATIONS, seeds, BASE, store=store)
        wall = time.perf_counter() - start
    loops = sum(float(r.metrics["seconds"]) for runs in result.runs.values() for r in runs)
    return wall, loops


def evaluation_only(networks: int) -> dict[str, float]:
    """Seconds per network of :func:`final_metrics` on one stack of ``networks`` networks, both ways, on one
    thread (as :func:`actlab.train_many` evaluates)."""
    cfgs = [replace(BASE, activation=a, seed=s) for a in ACTIVATIONS for s in range(networks // len(ACTIVATIONS))]
    task = make_task(cfgs[0])
    models = [build_model(c, task) for c in cfgs]
    stacked = StackedMLP(models, [layer_specs(c) for c in cfgs], BASE.batch_size)
    last = [1] * len(cfgs)
    out = {}
    with torch_threads(1):  # as train_many runs it
        for name, one in (("before", True), ("after", False)):
            start = time.perf_counter()
            final_metrics(stacked, models, task, cfgs, {}, last, one_by_one=one)
            out[name] = (time.perf_counter() - start) / len(cfgs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=125, help="seeds per activation (8 activations)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the best of each way is kept")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    runs = len(ACTIVATIONS) * args.seeds
    compare("add", ACTIVATIONS, 2, BASE)  # first calls pay one-off costs (imports, caches)
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeats):
        for name in ("before", "after"):
            with way(name):
                wall, loops = compare_overhead(args.seeds)
            if name not in best or wall - loops < best[name][0] - best[name][1]:
                best[name] = (wall, loops)
    figures: dict[str, object] = {"runs": runs, "steps": BASE.steps, "repeats": args.repeats}
    for name, (wall, loops) in best.items():
        figures[f"{name}_wall_s"] = wall
        figures[f"{name}_overhead_ms_per_run"] = (wall - loops) / runs * 1e3
    figures["ratio"] = figures["before_overhead_ms_per_run"] / figures["after_overhead_ms_per_run"]  # type: ignore[operator]
    evaluation = evaluation_only(min(runs, 1000))
    figures["evaluation_ms_per_network"] = {k: v * 1e3 for k, v in evaluation.items()}
    figures["evaluation_ratio"] = evaluation["before"] / evaluation["after"]
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        print()
        return
    print(
        f"actlab compare, {len(ACTIVATIONS)} activations x {args.seeds} seeds = {runs:,} runs, add, 2-32-32-1, "
        f"batch 256, {BASE.steps} step each; ms per run outside the training loop, best of {args.repeats}"
    )
    for name, label in (("before", "before: evaluated one by one, config JSON not kept"), ("after", "after")):
        print(
            f"  {label:52s} {figures[f'{name}_overhead_ms_per_run']:6.2f} ms/run   "
            f"(whole call {figures[f'{name}_wall_s']:.1f} s)"
        )
    print(f"  {'ratio':52s} {figures['ratio']:6.2f}x")
    ms = figures["evaluation_ms_per_network"]
    assert isinstance(ms, dict)
    print(
        f"evaluation alone (final_metrics, one stack of {min(runs, 1000):,} networks): one by one "
        f"{ms['before']:.2f} ms/network, stacked {ms['after']:.2f} ms/network, {figures['evaluation_ratio']:.2f}x"
    )


if __name__ == "__main__":
    main()
