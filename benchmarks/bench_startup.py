"""Start-up time of the command line as ratios to a bare Python start, and where ``actlab compare`` spends its time.

Part 1, start-up: the wall time of fresh processes — ``python -c pass`` (the baseline: the interpreter alone),
``python -c "import actlab"``, ``actlab --help``, ``actlab --version``, ``actlab list`` and ``actlab show relu``
(as ``python -m actlab ...``) — taken in rounds, one of each per round, the median of each kept and divided by
the baseline's median of the same run.

Part 2, a profile: ``actlab compare --task add`` with 8 activations x 16 seeds on one worker, ``--json``, in a
fresh process under cProfile. Each function's own time is put in a phase by where the function lives: imports
(the import machinery and module bodies), training (actlab's trainer, its workers and models), statistics
(``actlab.experiments.stats`` and the summaries of ``actlab.experiments.compare``), store
(``actlab.experiments.store`` and sqlite3), plotting (matplotlib and actlab's plots), the CLI (typer, rich,
``actlab.cli``); the time of a function that belongs to none (PyTorch's kernels, builtins, the standard library)
goes to its callers' phases, in proportion to the time each call site spent in it.

    python benchmarks/bench_startup.py                         # 9 rounds, then the profile
    python benchmarks/bench_startup.py --src /tmp/old/src --src src   # two source trees, same rounds
    python benchmarks/bench_startup.py --quick                 # 3 rounds, a small compare
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
STARTS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    'python -c "import actlab"': ["-c", "import actlab"],
    "actlab --help": ["-m", "actlab", "--help"],
    "actlab --version": ["-m", "actlab", "--version"],
    "actlab list": ["-m", "actlab", "list"],
    "actlab show relu": ["-m", "actlab", "show", "relu"],
}
ACTIVATIONS = "relu,leaky_relu,elu,gelu,silu,tanh,sigmoid,identity"
PHASES = ("imports", "training", "statistics", "store", "plotting", "cli", "other")


def _env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}


def start_times(sources: Sequence[Path], rounds: int) -> dict[Path, dict[str, float | None]]:
    """Median wall seconds of each command of :data:`STARTS` for each source tree, one of each per round
    (``None``: the command fails there, e.g. ``--version`` before it existed)."""
    runs = [(src, name, args) for src in sources for name, args in STARTS.items()]
    works = {}
    for src, name, args in runs:  # once untimed: the file system cache, compiled bytecode
        done = subprocess.run([sys.executable, *args], env=_env(src), capture_output=True, check=False)
        works[src, name] = done.returncode == 0
    samples: dict[tuple[Path, str], list[float]] = {(src, name): [] for src, name, _ in runs}
    for _ in range(rounds):
        for src, name, args in runs:
            if works[src, name]:
                began = time.perf_counter()
                subprocess.run([sys.executable, *args], env=_env(src), capture_output=True, check=True)
                samples[src, name].append(time.perf_counter() - began)
    return {
        src: {name: statistics.median(samples[src, name]) if works[src, name] else None for name in STARTS}
        for src in sources
    }


PROFILE = """
import cProfile, sys
profile = cProfile.Profile()
profile.enable()
from actlab.cli import main
try:
    main(sys.argv[2:])
except SystemExit:
    pass
profile.disable()
profile.dump_stats(sys.argv[1])
"""


def _compare_args(seeds: int, steps: int | None, folder: Path, name: str) -> list[str]:
    args = [
        "compare",
        "--task",
        "add",
        "--activations",
        ACTIVATIONS,
        "--seeds",
        str(seeds),
        "--workers",
        "1",
        "--db",
        str(folder / f"{name}.db"),
        "--json",
    ]
    return args + (["--steps", str(steps)] if steps else [])


def time_compare(src: Path, seeds: int, steps: int | None, folder: Path) -> float:
    """Wall seconds of one ``actlab compare`` in a fresh process, without the profiler."""
    began = time.perf_counter()
    args = _compare_args(seeds, steps, folder, "plain")
    subprocess.run([sys.executable, "-m", "actlab", *args], env=_env(src), capture_output=True, check=True)
    return time.perf_counter() - began


def profile_compare(src: Path, seeds: int, steps: int | None, folder: Path) -> tuple[float, pstats.Stats]:
    """Wall seconds of one profiled ``actlab compare`` in a fresh process, and its profile."""
    out = folder / "compare.prof"
    args = _compare_args(seeds, steps, folder, "profiled")
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", PROFILE, str(out), *args], env=_env(src), capture_output=True, check=True)
    return time.perf_counter() - began, pstats.Stats(str(out))


def _own_phase(file: str, name: str) -> str | None:
    """The phase of a function by where it lives; ``None``: it belongs to its callers' phases."""
    path = file.replace("\\", "/")
    if name == "<module>" or "importlib" in path or path.startswith("<frozen"):
        return "imports"
    if "/actlab/experiments/stats.py" in path or "/actlab/experiments/compare.py" in path:
        return "statistics"
    if "/actlab/experiments/store.py" in path or "sqlite3" in path:
        return "store"
    if "matplotlib" in path or "/actlab/plots/" in path:
        return "plotting"
    trainer = (
        "/actlab/fast/",
        "/actlab/training/",
        "/actlab/nets/",
        "/actlab/catalog/",
        "/actlab/experiments/executor.py",
    )
    if any(part in path for part in trainer):
        return "training"
    if "/typer/" in path or "/click/" in path or "/rich/" in path or "/actlab/cli/" in path:
        return "cli"
    return None


def phases(stats: pstats.Stats) -> dict[str, float]:
    """Seconds of own time per phase (see the module docstring)."""
    table = stats.stats  # type: ignore[attr-defined]
    shares: dict[tuple[str, int, str], dict[str, float]] = {}

    def share(func: tuple[str, int, str], seen: frozenset[tuple[str, int, str]]) -> dict[str, float]:
        """The fraction of ``func``'s time that belongs to each phase."""
        if func in shares:
            return shares[func]
        own = _own_phase(func[0], func[2])
        if own is not None:
            return {own: 1.0}
        callers = table.get(func, (0, 0, 0.0, 0.0, {}))[4]
        weights = {caller: edge[2] + 1e-12 for caller, edge in callers.items() if caller not in seen}
        total = sum(weights.values())
        result: dict[str, float] = {}
        for caller, weight in weights.items():
            for phase, fraction in share(caller, seen | {func}).items():
                result[phase] = result.get(phase, 0.0) + fraction * weight / total
        result = result or {"other": 1.0}
        shares[func] = result
        return result

    seconds = dict.fromkeys(PHASES, 0.0)
    for func, (_cc, _nc, own_time, _cum, _callers) in table.items():
        for phase, fraction in share(func, frozenset()).items():
            seconds[phase] += own_time * fraction
    return seconds


def calls(stats: pstats.Stats, name: str, file_part: str) -> int:
    table = stats.stats  # type: ignore[attr-defined]
    return sum(v[1] for (file, _line, fn), v in table.items() if fn == name and file_part in file)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--src",
        type=Path,
        action="append",
        help="a source tree to time, repeat to compare "
        "several in the same rounds (default: this one); the profile uses the first",
    )
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="3 rounds; a compare of 2 seeds x 200 steps")
    parser.add_argument("--no-profile", action="store_true", help="start-up times only")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    rounds, seeds, steps = (3, 2, 200) if args.quick else (args.rounds, args.seeds, None)

    sources = [src.resolve() for src in args.src or [SRC]]
    times = start_times(sources, rounds)
    base = times[sources[0]]["python -c pass"] or 1.0
    report: dict[str, object] = {"rounds": rounds, "start_seconds": {str(src): t for src, t in times.items()}}
    if not args.json:
        print(f"start-up, median of {rounds} rounds (wall time of a fresh process); ratios to the first python -c pass")
        for src, by_name in times.items():
            print(f"source {src}")
            for name, seconds in by_name.items():
                shown = "fails" if seconds is None else f"{seconds:6.3f} s   {seconds / base:5.2f}x python -c pass"
                print(f"  {name:28s} {shown}")
    if not args.no_profile:
        with tempfile.TemporaryDirectory() as folder:
            plain = time_compare(sources[0], seeds, steps, Path(folder))
            wall, stats = profile_compare(sources[0], seeds, steps, Path(folder))
        by_phase = phases(stats)
        counted = sum(by_phase.values())
        quantiles = calls(stats, "t_quantile", "actlab/experiments/stats.py")
        betas = calls(stats, "incomplete_beta", "actlab/experiments/stats.py")
        report.update(
            compare_seconds=plain,
            profiled_seconds=wall,
            compare_phases=by_phase,
            t_quantile_calls=quantiles,
            incomplete_beta_calls=betas,
        )
        if not args.json:
            print(
                f"\nactlab compare --task add, 8 activations x {seeds} seeds, 1 worker, --json: {plain:.1f} s wall; "
                f"profiled {wall:.1f} s, of which cProfile counted {counted:.1f} s:"
            )
            for phase in PHASES:
                print(f"  {phase:12s} {by_phase[phase]:6.2f} s  {by_phase[phase] / counted:6.1%}")
            print(f"  t_quantile computed {quantiles:,} times, incomplete beta {betas:,} times")
    if args.json:
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
