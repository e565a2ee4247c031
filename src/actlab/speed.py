"""How fast each activation runs: time per element and effective bandwidth, next to a plain memory copy.

An elementwise function reads its input and writes its output, so its floor is the time a memory copy of
the same tensor takes; the copy is measured in the same run on the same device, and every figure is
reported against it. Bytes counted (float32, ``N`` elements):

* forward: read ``x``, write ``y``: ``8N`` bytes;
* forward + backward (autograd through the catalog formula): the forward, then read ``x`` and the incoming
  gradient and write the outgoing one: ``20N`` bytes;
* copy (``x.clone()``: a fresh output like the activation's, then the copy): ``8N`` bytes.

What runs is the catalog module (``actlab.get(name)``, PyTorch's fused kernel where one exists), or with
``impl="formula"`` the catalog's reference formula from :mod:`actlab.functional`.

Timing: each measurement repeats the call until at least ``min_seconds`` have passed, and the median of
``repeats`` such measurements is kept (noise on a shared machine only ever adds time). The measurements
of all activations and the copy are interleaved, round by round.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import torch

from actlab.catalog import lookup
from actlab.errors import ActlabError
from actlab.modules import get

DEFAULT_SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
FORWARD_BYTES, FWD_BWD_BYTES, COPY_BYTES = 8, 20, 8  # per float32 element (see the module docstring)
MAX_SIZE = 200_000_000  # elements: five float32 tensors of this size take 4 GB
MAX_REPEATS = 1000  # measurements per figure: more only takes longer (the median is steady far sooner)
MAX_THREADS = 1024  # torch.set_num_threads refuses what does not fit a C int; no machine has more cores here


@dataclass(frozen=True)
class SpeedConfig:
    sizes: tuple[int, ...] = DEFAULT_SIZES  # elements per tensor, 1e4 (cache-resident) to 1e7 (memory-bound)
    repeats: int = 5  # measurements per figure; the median is kept
    min_seconds: float = 0.01  # each measurement loops until this long, so that timer noise is negligible
    devices: tuple[str, ...] = ()  # empty: the CPU, plus "cuda" when a GPU is present
    threads: int = 0  # 0: leave torch's thread count alone; set for the run only, then restored
    clock: str = "wall"  # "wall"; or "cpu": this thread's CPU time (needs threads=1 and the CPU), immune to
    # being descheduled on a busy shared machine, which would otherwise flatten every ratio towards 1
    impl: str = "module"  # "module": what a network runs; "formula": the readable reference implementation

    def __post_init__(self) -> None:
        if self.impl not in ("module", "formula"):
            raise ActlabError(f"impl={self.impl!r} is invalid: use 'module' or 'formula'")
        if not self.sizes or min(self.sizes) <= 0:
            raise ActlabError("sizes must be positive numbers of elements, e.g. 10000 1000000")
        if max(self.sizes) > MAX_SIZE:
            raise ActlabError(
                f"size {max(self.sizes):,} is too large: a measurement holds about five tensors of that many "
                f"float32 elements; use at most {MAX_SIZE:,}"
            )
        if self.repeats < 1:
            raise ActlabError(f"repeats must be at least 1, not {self.repeats}")
        if self.repeats > MAX_REPEATS:
            raise ActlabError(f"repeats must be at most {MAX_REPEATS:,}, not {self.repeats}")
        if not 0 <= self.threads <= MAX_THREADS:
            raise ActlabError(f"threads must be between 0 (PyTorch's default) and {MAX_THREADS:,}, not {self.threads}")
        if self.clock not in ("wall", "cpu"):
            raise ActlabError(f"clock={self.clock!r} is invalid: use 'wall' or 'cpu'")
        if self.clock == "cpu" and (self.threads != 1 or any(d != "cpu" for d in self.devices) or not self.devices):
            raise ActlabError("clock='cpu' times one thread on the CPU: set threads=1 and devices=('cpu',)")


@dataclass(frozen=True)
class SpeedRow:
    activation: str
    device: str
    size: int
    forward_ns: float  # per element
    fwd_bwd_ns: float  # per element
    copy_ns: float  # per element, a plain copy of the same tensor
    forward_gbps: float
    fwd_bwd_gbps: float
    copy_gbps: float

    @property
    def forward_vs_copy(self) -> float:
        """How many copies' worth of time the forward pass takes (1.0 = at the memory limit)."""
        return self.forward_ns / self.copy_ns

    def as_dict(self) -> dict[str, float | int | str]:
        return {**asdict(self), "forward_vs_copy": self.forward_vs_copy}


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def seconds_per_call(
    call: Callable[[], object],
    device: str,
    repeats: int,
    min_seconds: float,
    warm: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Median time of one call by ``clock`` (``warm``: call it once first, untimed)."""
    if warm:
        call()
    _sync(device)
    samples = []
    for _ in range(repeats):
        n, start = 0, clock()
        while True:
            call()
            n += 1
            _sync(device)
            elapsed = clock() - start
            if elapsed >= min_seconds:
                break
        samples.append(elapsed / n)
    return statistics.median(samples)


def available_devices() -> tuple[str, ...]:
    return ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)


def measure(
    names: Sequence[str],
    config: SpeedConfig = SpeedConfig(),
    progress: Callable[[str, str, int], None] | None = None,
) -> list[SpeedRow]:
    """Time every activation in ``names`` at every size on every device; ``progress(name, device, size)``."""
    threads_before = torch.get_num_threads()
    if config.threads:
        torch.set_num_threads(config.threads)
    try:
        return _measure(names, config, progress)
    finally:
        torch.set_num_threads(threads_before)


def _measure(
    names: Sequence[str], config: SpeedConfig, progress: Callable[[str, str, int], None] | None
) -> list[SpeedRow]:
    clock = time.thread_time if config.clock == "cpu" else time.perf_counter
    entries = [lookup(n) for n in names]
    rows: list[SpeedRow] = []
    for device in config.devices or available_devices():
        for size in config.sizes:
            x = (torch.randn(size, generator=torch.Generator().manual_seed(size)) * 3).to(device)
            calls = {"copy": _copy_call(x)}
            for entry in entries:
                calls.update(_activation_calls(entry.name, _callable(entry.name, config.impl, device), x))
            samples: dict[str, list[float]] = {key: [] for key in calls}
            for call in calls.values():  # warm up: allocator, kernels, autograd graph
                call()
            # Round-robin: every repeat times each call once, so a burst of load elsewhere on a shared
            # machine hits all of them alike instead of one activation's whole measurement.
            for _ in range(config.repeats):
                for key, call in calls.items():
                    samples[key].append(seconds_per_call(call, device, 1, config.min_seconds, False, clock))
            copy_s = statistics.median(samples["copy"])
            for entry in entries:
                if progress:
                    progress(entry.name, device, size)
                fwd_s = statistics.median(samples[f"{entry.name}:fwd"])
                both_s = statistics.median(samples[f"{entry.name}:fwd_bwd"])
                rows.append(_row(entry.name, device, size, fwd_s, both_s, copy_s))
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
    return lambda x: entry.fn(x, **params)


def _row(name: str, device: str, size: int, fwd_s: float, both_s: float, copy_s: float) -> SpeedRow:
    gb = 1e9
    return SpeedRow(
        activation=name,
        device=device,
        size=size,
        forward_ns=fwd_s / size * 1e9,
        fwd_bwd_ns=both_s / size * 1e9,
        copy_ns=copy_s / size * 1e9,
        forward_gbps=FORWARD_BYTES * size / fwd_s / gb,
        fwd_bwd_gbps=FWD_BWD_BYTES * size / both_s / gb,
        copy_gbps=COPY_BYTES * size / copy_s / gb,
    )


def relative_to(rows: Sequence[SpeedRow], baseline: str = "relu") -> dict[str, float]:
    """Forward+backward time of each activation divided by the baseline's (same device and size)."""
    base = {(r.device, r.size): r.fwd_bwd_ns for r in rows if r.activation == baseline}
    ratios: dict[str, list[float]] = {}
    for r in rows:
        ratios.setdefault(r.activation, []).append(r.fwd_bwd_ns / base[(r.device, r.size)])
    return {name: statistics.median(values) for name, values in ratios.items()}
