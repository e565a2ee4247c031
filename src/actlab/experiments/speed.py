"""How fast each activation runs: time per element and effective bandwidth, next to a plain memory copy.

An elementwise function reads its input and writes its output, so its floor is the time a memory copy of
the same tensor takes; the copy is measured in the same run on the same device, and every figure is
reported against it. Bytes counted (float32, ``N`` elements):

* forward: read ``x``, write ``y``: ``8N`` bytes;
* forward + backward (autograd through the catalog formula): the forward, then read ``x`` and the incoming
  gradient and write the outgoing one: ``20N`` bytes;
* copy (``x.clone()``: a fresh output like the activation's, then the copy): ``8N`` bytes;
* a function that returns its input itself (the identity) moves no bytes: it has no bandwidth (``None``).

What runs is the catalog module (``actlab.get(name)``: PyTorch's fused kernel where one exists, plus the check
that keeps the limits at ±inf for the five entries whose kernels miss them), with ``impl="kernel"`` PyTorch's
kernel alone (the entry's counterpart, e.g. ``F.gelu``), or with ``impl="formula"`` the catalog's reference
formula from :mod:`actlab.catalog.functional`.

Timing, by default the stable way: one CPU thread timed by its own CPU clock, which does not advance while the
thread waits, so a busy machine cannot inflate a figure (wall time with several threads measures the waits for
a descheduled thread as well: on a shared 2-core machine that gave a copy at 1 GB/s and GELU at 1,409 copies).
A GPU is timed by wall clock with synchronisation. A *measurement* repeats one call until ``min_seconds`` have
passed and gives the time per call; a *round* takes one measurement of every call (all activations and the
copy, interleaved, so a burst of load hits all alike). Rounds repeat, at least ``repeats`` and at most
``max_repeats`` times, until every figure's *spread* — the width of a 95 % confidence interval for the median
of its rounds, over that median — is at most ``target_spread``. Each figure is the median of its rounds,
reported with its spread; the interval narrows as rounds are added, so a busy machine needs more of them.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from actlab.catalog.entries import lookup, parse_spec, resolved
from actlab.catalog.entries import names as catalog_names
from actlab.catalog.modules import get
from actlab.errors import ActlabError
from actlab.util.threads import MAX_THREADS, torch_threads

DEFAULT_SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
FORWARD_BYTES, FWD_BWD_BYTES, COPY_BYTES = 8, 20, 8  # per float32 element (see the module docstring)
MAX_SIZE = 200_000_000  # elements: five float32 tensors of this size take 4 GB
CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}
IMPLS = ("module", "kernel", "formula")
MAX_REPEATS = 1000  # measurements per figure: more only takes longer (the median is steady far sooner)


@dataclass(frozen=True)
class SpeedConfig:
    sizes: tuple[int, ...] = DEFAULT_SIZES  # elements per tensor, 1e4 (cache-resident) to 1e7 (memory-bound)
    repeats: int = 6  # rounds at least (every round measures each call once, interleaved); 6 for a 95 % interval
    max_repeats: int = 20  # rounds at most, while some figure's spread is above target_spread
    target_spread: float = 0.05  # stop once every figure's median is known to within 5 % (95 % interval)
    min_seconds: float = 0.01  # each measurement loops until this long, so that timer noise is negligible
    devices: tuple[str, ...] = ()  # empty: the CPU, plus "cuda" when a GPU is present
    threads: int = 1  # CPU threads during the run (0: PyTorch's default), restored afterwards
    clock: str = "cpu"  # "cpu": the CPU by its thread's own CPU time (needs threads=1; waits do not count);
    # "wall": wall time (any number of threads, but a busy machine inflates it). A GPU is always timed by wall
    # time with synchronisation.
    impl: str = "module"  # "module": what a network runs; "kernel": PyTorch's counterpart alone; "formula": the
    # readable reference implementation

    def __post_init__(self) -> None:
        if self.impl not in IMPLS:
            raise ActlabError(f"impl={self.impl!r} is invalid: use one of {', '.join(map(repr, IMPLS))}")
        if not self.sizes or min(self.sizes) <= 0:
            raise ActlabError("sizes must be positive numbers of elements, e.g. 10000 1000000")
        if max(self.sizes) > MAX_SIZE:
            raise ActlabError(
                f"size {max(self.sizes):,} is too large: a measurement holds about five tensors of that many "
                f"float32 elements; use at most {MAX_SIZE:,}"
            )
        if self.repeats < 1:
            raise ActlabError(f"repeats must be at least 1, not {self.repeats}")
        if self.max_repeats < self.repeats:
            raise ActlabError(f"max_repeats ({self.max_repeats}) must be at least repeats ({self.repeats})")
        if not self.target_spread > 0:
            raise ActlabError(f"target_spread must be a positive fraction, e.g. 0.05, not {self.target_spread}")
        if self.max_repeats > MAX_REPEATS:
            raise ActlabError(f"repeats must be at most {MAX_REPEATS:,}, not {self.max_repeats}")
        if not 0 <= self.threads <= MAX_THREADS:
            raise ActlabError(f"threads must be between 0 (PyTorch's default) and {MAX_THREADS:,}, not {self.threads}")
        if self.clock not in CLOCKS:
            raise ActlabError(f"clock={self.clock!r} is invalid: use 'cpu' or 'wall'")
        if self.clock == "cpu" and self.threads != 1:
            raise ActlabError(
                f"the CPU clock times one thread, but threads={self.threads}: set threads=1, or use the wall clock "
                "(--wall-clock) for several threads"
            )


@dataclass(frozen=True)
class Timing:
    """One figure: the median of its rounds (seconds per call) and a 95 % confidence interval for it."""

    median: float
    low: float  # the interval's ends (see median_interval)
    high: float
    rounds: tuple[float, ...] = field(repr=False, default=())

    @classmethod
    def of(cls, rounds: Sequence[float]) -> Timing:
        low, median, high = median_interval(rounds)
        return cls(median, low, high, tuple(rounds))

    @property
    def spread(self) -> float:
        """The interval's width over the median (0.05: the median is known to within about ±2.5 %)."""
        return (self.high - self.low) / self.median if self.median > 0 else 0.0


def median_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """The median of ``values`` and a distribution-free confidence interval for it (no assumption about the
    noise): the k-th smallest and k-th largest value, with the largest k for which the chance that the true
    median lies outside, ``2 P(Binomial(n, ½) < k)``, is at most ``1 - confidence``. Below 6 values no k
    reaches 95 % and the interval is the whole range. The interval narrows like 1/√n as rounds are added."""
    xs = sorted(values)
    n = len(xs)
    k, below = 1, 0.0  # below: P(Binomial(n, ½) <= k - 1)
    while k < (n + 1) / 2:
        below += math.comb(n, k - 1) / 2**n
        if 2 * (below + math.comb(n, k) / 2**n) > 1 - confidence:
            break
        k += 1
    return xs[k - 1], statistics.median(xs), xs[n - k]


@dataclass(frozen=True)
class SpeedRow:
    activation: str
    device: str
    size: int
    clock: str  # "cpu" (the thread's CPU time) or "wall"
    rounds: int  # measurements behind each figure
    forward_ns: float  # per element, the median round
    forward_spread: float  # the width of the median's 95 % interval over the median
    fwd_bwd_ns: float
    fwd_bwd_spread: float
    copy_ns: float  # per element, a plain copy of the same tensor
    copy_spread: float
    forward_gbps: float | None  # None: the function moves no memory (it returns its input)
    fwd_bwd_gbps: float | None
    copy_gbps: float
    fwd_bwd_rounds_ns: tuple[float, ...] = field(repr=False, default=())  # per round, for ratios with spreads

    @property
    def forward_vs_copy(self) -> float:
        """How many copies' worth of time the forward pass takes (1.0 = at the memory limit)."""
        return self.forward_ns / self.copy_ns

    def as_dict(self) -> dict[str, float | int | str | None]:
        data = asdict(self)
        del data["fwd_bwd_rounds_ns"]
        return {**data, "forward_vs_copy": self.forward_vs_copy}


def speed_row(
    name: str, device: str, size: int, clock: str, forward: Timing, fwd_bwd: Timing, copy: Timing, moves_memory: bool
) -> SpeedRow:
    """Per-element times and bandwidths from the timings of one call each (seconds per call)."""
    ns = 1e9 / size  # seconds per call -> nanoseconds per element

    def gbps(bytes_per_element: int, seconds: float) -> float:
        return bytes_per_element * size / seconds / 1e9

    return SpeedRow(
        activation=name,
        device=device,
        size=size,
        clock=clock,
        rounds=len(forward.rounds),
        forward_ns=forward.median * ns,
        forward_spread=forward.spread,
        fwd_bwd_ns=fwd_bwd.median * ns,
        fwd_bwd_spread=fwd_bwd.spread,
        copy_ns=copy.median * ns,
        copy_spread=copy.spread,
        forward_gbps=gbps(FORWARD_BYTES, forward.median) if moves_memory else None,
        fwd_bwd_gbps=gbps(FWD_BWD_BYTES, fwd_bwd.median) if moves_memory else None,
        copy_gbps=gbps(COPY_BYTES, copy.median),
        fwd_bwd_rounds_ns=tuple(s * ns for s in fwd_bwd.rounds),
    )


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def seconds_per_call(
    call: Callable[[], object], device: str, min_seconds: float, clock: Callable[[], float] = time.perf_counter
) -> float:
    """One measurement: repeat ``call`` until ``min_seconds`` have passed by ``clock``; seconds per call."""
    _sync(device)
    n, start = 0, clock()
    while True:
        call()
        n += 1
        _sync(device)
        elapsed = clock() - start
        if elapsed >= min_seconds:
            return elapsed / n


def measure_rounds(
    calls: dict[str, Callable[[], object]],
    device: str,
    config: SpeedConfig,
    clock: Callable[[], float],
) -> dict[str, Timing]:
    """Rounds of interleaved measurements of every call, until every spread is small or ``max_repeats``."""
    rounds: dict[str, list[float]] = {key: [] for key in calls}
    for call in calls.values():  # warm up: allocator, kernels, autograd graph
        call()
    while True:
        for key, call in calls.items():
            rounds[key].append(seconds_per_call(call, device, config.min_seconds, clock))
        done = len(rounds[next(iter(rounds))])
        timings = {key: Timing.of(values) for key, values in rounds.items()}
        if done >= config.max_repeats or (
            done >= config.repeats and all(t.spread <= config.target_spread for t in timings.values())
        ):
            return timings


def available_devices() -> tuple[str, ...]:
    return ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)


def bench_request(
    activations: Sequence[str] | None = None,
    *,
    sizes: Sequence[int] | None = None,
    devices: Sequence[str] | None = None,
    repeats: int = 6,
    max_repeats: int = 20,
    threads: int = 1,
    cpu_clock: bool = True,
    formula: bool = False,
    kernel: bool = False,
) -> tuple[list[str], SpeedConfig]:
    """What ``actlab bench`` measures: the catalog names of ``activations`` (default: the whole catalog) and
    the config (default sizes and every device present; ``max_repeats`` raised to ``repeats``; the CPU clock
    or wall time; the modules, PyTorch's kernels or the reference formulas). Raises :class:`ActlabError` for
    both ``formula`` and ``kernel``, a device not present, and what :class:`SpeedConfig` refuses."""
    if formula and kernel:
        raise ActlabError("--formula and --kernel exclude each other: time one implementation per run")
    names = [parse_spec(a)[0].name for a in activations] if activations else catalog_names()
    chosen = tuple(devices or available_devices())
    for d in chosen:
        if d not in available_devices():
            raise ActlabError(f"device {d!r} is not available here: use one of {', '.join(available_devices())}")
    config = SpeedConfig(
        sizes=tuple(sizes or DEFAULT_SIZES),
        repeats=repeats,
        max_repeats=max(max_repeats, repeats),
        devices=chosen,
        impl="formula" if formula else "kernel" if kernel else "module",
        threads=threads,
        clock="cpu" if cpu_clock else "wall",
    )
    return names, config


def bench_summary(config: SpeedConfig, rows: Sequence[SpeedRow]) -> dict[str, Any]:
    """``actlab bench --json``: how the figures were measured, and the rows."""
    return {
        "impl": config.impl,
        "clock": config.clock,
        "threads": config.threads or None,
        "rounds": {"min": config.repeats, "max": config.max_repeats, "target_spread": config.target_spread},
        "byte_model": "forward 8 B/elem, fwd+bwd 20 B/elem, copy 8 B/elem; none for a function returning its input",
        "rows": [r.as_dict() for r in rows],
    }


def measure(
    names: Sequence[str],
    config: SpeedConfig = SpeedConfig(),
    progress: Callable[[str, str, int], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> list[SpeedRow]:
    """Time every activation in ``names`` at every size on every device; ``progress(name, device, size)``.

    ``clock`` replaces the configured clock (for tests: a fake one)."""
    with torch_threads(config.threads or None):
        return _measure(names, config, progress, clock)


def _measure(
    names: Sequence[str],
    config: SpeedConfig,
    progress: Callable[[str, str, int], None] | None,
    clock: Callable[[], float] | None,
) -> list[SpeedRow]:
    entries = [lookup(n) for n in names]
    rows: list[SpeedRow] = []
    for device in config.devices or available_devices():
        clock_name = config.clock if device == "cpu" else "wall"
        tick = clock or CLOCKS[clock_name]
        for size in config.sizes:
            x = (torch.randn(size, generator=torch.Generator().manual_seed(size)) * 3).to(device)
            calls = {"copy": _copy_call(x)}
            moves: dict[str, bool] = {}
            for entry in entries:
                f = _callable(entry.name, config.impl, device)
                moves[entry.name] = f(x).data_ptr() != x.data_ptr()
                calls.update(_activation_calls(entry.name, f, x))
            timings = measure_rounds(calls, device, config, tick)
            for entry in entries:
                if progress:
                    progress(entry.name, device, size)
                forward, both = timings[f"{entry.name}:fwd"], timings[f"{entry.name}:fwd_bwd"]
                rows.append(
                    speed_row(entry.name, device, size, clock_name, forward, both, timings["copy"], moves[entry.name])
                )
    return rows


def _copy_call(x: torch.Tensor) -> Callable[[], object]:
    return lambda: x.clone()  # allocates its output, as every out-of-place activation does


def _activation_calls(
    name: str, f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> dict[str, Callable[[], object]]:
    """One forward call, and one forward + backward call."""
    xg = x.clone().requires_grad_(True)
    grad_out = torch.ones_like(x)

    def fwd_bwd() -> None:
        y = f(xg)
        if y.requires_grad:  # the step function has no slope, so no graph
            torch.autograd.grad(y, xg, grad_out)

    return {f"{name}:fwd": lambda: f(x), f"{name}:fwd_bwd": fwd_bwd}


def _callable(name: str, impl: str, device: str) -> Callable[[torch.Tensor], torch.Tensor]:
    if impl == "module":
        return get(name).to(device)
    entry = lookup(name)
    params = entry.resolve()
    f = resolved(entry.torch_fn if impl == "kernel" and entry.torch_fn else entry.fn)
    return lambda x: f(x, **params)


@dataclass(frozen=True)
class Ratio:
    """A time ratio: the median of the per-round ratios and its 95 % interval (:func:`median_interval`)."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Ratio:
        low, median, high = median_interval(values)
        return cls(median, low, high)


def relative_to(rows: Sequence[SpeedRow], baseline: str = "relu") -> dict[str, Ratio]:
    """Forward+backward time of each activation divided by the baseline's, round by round (rounds of one device
    and size were taken together, so their ratio cancels what a round shared), pooled over devices and sizes."""
    base = {(r.device, r.size): r.fwd_bwd_rounds_ns for r in rows if r.activation == baseline}
    ratios: dict[str, list[float]] = {}
    for r in rows:
        ratios.setdefault(r.activation, []).extend(
            mine / theirs for mine, theirs in zip(r.fwd_bwd_rounds_ns, base[(r.device, r.size)], strict=True)
        )
    return {name: Ratio.of(values) for name, values in ratios.items()}
