"""A 1,000-run sweep on the Ray backend (Ray started on this machine) against the local backend, in one run,
and the Ray backend's cost per task.

Prints, for the same plan (tiny networks, few steps, every unit stored in an SQLite file as `actlab sweep`
does): the local backend's wall time; Ray's start-up (ray.init and the node probe); Ray's wall time for the
sweep, first with fresh worker processes (each imports PyTorch and actlab on its first task) and again with
warm ones; their ratios; whether all three stored the same results (all but the wall time). Then the cost
per task: many one-network, one-step units through each backend, and an empty Ray task, in ms each.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sqlite3
import tempfile
import time
from pathlib import Path

from actlab.backends.ray_executor import RayExecutor
from actlab.experiments.executor import LocalExecutor, plan_missing, plan_units, run_missing
from actlab.experiments.store import ResultStore
from actlab.experiments.sweep import parse
from actlab.fast.vectorized import default_workers

SWEEP = """\
label = "bench-ray"
[grid]
activations = ["relu", "leaky_relu", "tanh", "gelu", "sigmoid"]
widths = [4, 8]
lrs = [0.003, 0.01]
seeds = {seeds}
[train]
steps = {steps}
batch_size = 16
"""


def stored(db: Path) -> dict[str, tuple[str, bytes]]:
    """Each run's metrics (but its wall time) and loss curve, by config hash."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT config_hash, json_remove(metrics_json, '$.seconds'), losses FROM runs")
        return {key: (metrics, losses) for key, metrics, losses in rows}


def sweep(executor: object, db: Path, text: str) -> float:
    """Wall time of planning, training and storing the sweep in ``text`` with ``executor``."""
    start = time.perf_counter()
    with ResultStore(db) as store:
        run_missing(plan_missing(parse(text).configs(), store, label="bench-ray"), store, executor)  # type: ignore[arg-type]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="200 runs and 100 tasks instead of 1,000 and 400")
    parser.add_argument("--steps", type=int, default=200, help="training steps of each run (default 200)")
    args = parser.parse_args()
    seeds, tasks = (10, 100) if args.quick else (50, 400)
    text = SWEEP.format(seeds=seeds, steps=args.steps)
    spec = parse(text)
    units = plan_missing(spec.configs(), None).units
    workers = default_workers()
    print(f"sweep: {spec.size:,} runs in {len(units)} units, hidden [4] or [8], {args.steps} steps; {workers} cores")

    with tempfile.TemporaryDirectory() as tmp:
        local_s = sweep(LocalExecutor(workers), Path(tmp) / "local.db", text)
        with RayExecutor(workers=1) as ray_executor:
            start = time.perf_counter()
            ray_executor.connect()
            startup_s = time.perf_counter() - start
            ray_s = sweep(ray_executor, Path(tmp) / "ray.db", text)
            warm_s = sweep(ray_executor, Path(tmp) / "ray-warm.db", text)  # its workers have imported PyTorch
            same = stored(Path(tmp) / "local.db") == stored(Path(tmp) / "ray.db") == stored(Path(tmp) / "ray-warm.db")
            local_again_s = sweep(LocalExecutor(workers), Path(tmp) / "local-again.db", text)  # the order's share

            tiny = plan_units(
                [dataclasses.replace(c, steps=1) for c in itertools.islice(spec.configs(), tasks)], max_unit=1
            )
            start = time.perf_counter()
            list(LocalExecutor(1).run(tiny))
            local_task_ms = (time.perf_counter() - start) / len(tiny) * 1e3
            start = time.perf_counter()
            list(ray_executor.run(tiny))
            ray_task_ms = (time.perf_counter() - start) / len(tiny) * 1e3
            empty_ms = empty_tasks(tasks)

    print(
        f"local backend ({workers} worker processes per unit)  {local_s:7.2f} s   before Ray's runs, "
        f"{local_again_s:.2f} s after them; the ratios use the faster"
    )
    local_s = min(local_s, local_again_s)
    print(f"ray backend, start-up (init + probe)     {startup_s:7.2f} s")
    print(
        f"ray backend, first sweep                 {ray_s:7.2f} s   {ray_s / local_s:.2f}x the local backend "
        f"({(ray_s + startup_s) / local_s:.2f}x with the start-up)"
    )
    print(
        f"ray backend, same sweep again            {warm_s:7.2f} s   {warm_s / local_s:.2f}x the local backend "
        f"(workers warm)"
    )
    print(f"same results (metrics but time, loss curves): {same}")
    print(f"per task, {len(tiny)} units of one network and one step (ray: tasks run {workers} at a time):")
    print(f"  local backend   {local_task_ms:7.2f} ms per unit")
    print(f"  ray backend     {ray_task_ms:7.2f} ms per unit   {ray_task_ms / local_task_ms:.2f}x the local backend")
    print(f"  empty ray task  {empty_ms:7.2f} ms per task (submit, run, fetch; {tasks} at once)")


def empty_tasks(count: int) -> float:
    """Milliseconds per empty Ray task, ``count`` submitted at once and fetched."""
    import ray

    noop = ray.remote(num_cpus=1)(_noop)
    ray.get([noop.remote() for _ in range(min(count, 20))])  # warm: workers started
    start = time.perf_counter()
    ray.get([noop.remote() for _ in range(count)])
    return (time.perf_counter() - start) / count * 1e3


def _noop() -> None:
    return None


if __name__ == "__main__":
    main()
