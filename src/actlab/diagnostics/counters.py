"""Streaming statistics of one activation site: per-unit counters and pooled moments.

Memory is a few vectors of length ``units`` per site, whatever the number of inputs seen. Every update
works on detached tensors under ``torch.no_grad()``, so the model's graph and values are untouched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from actlab.diagnostics.rules import count, dead, times_fired
from actlab.diagnostics.sites import SiteKind, unit_dim


@dataclass
class Moments:
    """Count, sum and sum of squares of every value seen; mean and standard deviation from them.

    Each batch costs two fast reductions in its own dtype (``torch.var_mean`` is some 40 times slower on
    CPU); the running totals are float64 tensors, so that adding never waits for the device.
    """

    n: int = 0
    total: Tensor = field(default_factory=lambda: torch.zeros((), dtype=torch.float64))
    squares: Tensor = field(default_factory=lambda: torch.zeros((), dtype=torch.float64))

    def add(self, x: Tensor) -> Tensor:
        """Add the values of ``x``; returns their sum of squares ‖x‖² (for gradient norms)."""
        sq = torch.linalg.vector_norm(x).square()
        self.total = self.total + x.sum()
        self.squares = self.squares + sq
        self.n += x.numel()
        return sq

    def result(self) -> tuple[float | None, float | None]:
        """Mean and (population) standard deviation; ``None`` before any value."""
        if self.n == 0:
            return None, None
        mean = float(self.total) / self.n
        return mean, math.sqrt(max(float(self.squares) / self.n - mean * mean, 0.0))


@dataclass
class SiteStats:
    """Everything the Monitor accumulates for one site.

    ``zeros[u]`` counts outputs exactly 0, ``near_zero[u]`` outputs with |y| <= near_zero, ``saturated[u]``
    inputs with |f'(z)| < saturation_threshold, and ``active[u]`` is True once unit ``u`` has fired
    (:mod:`actlab.diagnostics.rules`: a unit that never fired is dead).
    """

    name: str
    kind: SiteKind
    source: str  # "module" or "functional"
    units: int
    samples: int = 0  # values seen per unit
    calls: int = 0
    zeros: Tensor = field(init=False)
    near_zero: Tensor = field(init=False)
    saturated: Tensor = field(init=False)
    active: Tensor = field(init=False)
    pre: Moments = field(default_factory=Moments)
    post: Moments = field(default_factory=Moments)
    grad: Moments = field(default_factory=Moments)
    grad_norm_sum: Tensor = field(init=False)
    backward_calls: int = 0

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        counts = torch.zeros(self.units, dtype=torch.int64)
        self.zeros, self.near_zero, self.saturated = counts, counts.clone(), counts.clone()
        self.active = torch.zeros(self.units, dtype=torch.bool)
        self.samples = self.calls = self.backward_calls = 0
        self.grad_norm_sum = torch.zeros((), dtype=torch.float64)
        self.pre, self.post, self.grad = Moments(), Moments(), Moments()

    def add(self, z: Tensor, y: Tensor, *, near_zero: float, saturation_threshold: float) -> None:
        """One forward call: pre-activation ``z`` and output ``y`` (same shape, detached).

        Counts are sums of ``sign(·)`` rather than of boolean masks: on CPU a comparison into a bool
        tensor and its reduction cost some five times more than ``sign`` and a float sum. Dead units follow
        :mod:`actlab.diagnostics.rules`.
        """
        if y.dim() < 2:  # an unbatched vector, or a scalar: one sample
            z, y = z.reshape(1, -1), y.reshape(1, -1)
        dim = unit_dim(y) % y.dim()
        reduce = tuple(d for d in range(y.dim()) if d != dim)
        n = y.numel() // self.units
        self._to(y.device)
        magnitude = y if self.kind.nonnegative else y.abs()
        fired = times_fired(magnitude, None, reduce)  # outputs not exactly 0
        self.zeros += n - fired
        self.near_zero += n - count((magnitude - near_zero).clamp_(min=0.0).sign(), reduce)  # |y| > eps
        if self.kind.needs_derivative:
            slope = self.kind.derivative(z).abs()
            fired = times_fired(magnitude, slope, reduce)  # output or slope not exactly 0
            if self.kind.measures_saturation:
                self.saturated += (slope < saturation_threshold).sum(reduce)
        self.active |= ~dead(fired)
        self.pre.add(z)
        self.post.add(y)
        self.samples += n
        self.calls += 1

    def add_grad(self, g: Tensor) -> None:
        """The gradient of the loss with respect to this site's output, from one backward pass."""
        self.grad_norm_sum = self.grad_norm_sum + self.grad.add(g).sqrt()
        self.backward_calls += 1

    def _to(self, device: torch.device) -> None:
        if self.zeros.device != device:
            self.zeros, self.near_zero = self.zeros.to(device), self.near_zero.to(device)
            self.saturated, self.active = self.saturated.to(device), self.active.to(device)

    # --- results -----------------------------------------------------------------------------------

    @property
    def dead(self) -> int:
        return int((~self.active).sum()) if self.samples else 0

    def dead_units(self) -> list[int]:
        """Indices of the dead units, in order."""
        return (~self.active).nonzero().flatten().tolist() if self.samples else []

    def fraction(self, counts: Tensor) -> float | None:
        total = self.samples * self.units
        return float(counts.sum()) / total if total else None

    @property
    def grad_norm(self) -> float | None:
        return float(self.grad_norm_sum) / self.backward_calls if self.backward_calls else None


@dataclass
class OutputSpread:
    """Per output element, the lowest and highest value over all inputs seen (dimension 0 is the batch).

    A network is *collapsed* when no output element varies with the input: every spread
    ``high − low`` is at most ``tol · max(1, |low|, |high|)`` over at least two inputs. Born-dead ReLU
    networks are collapsed exactly (spread 0): the last hidden layer outputs zeros, the output is the bias.
    """

    low: Tensor | None = None
    high: Tensor | None = None
    rows: int = 0

    def add(self, out: Tensor) -> None:
        flat = out.reshape(out.shape[0], -1) if out.dim() else out.reshape(1, 1)
        if flat.shape[0] == 0:
            return
        low, high = (v.to(torch.float64) for v in torch.aminmax(flat, dim=0))
        same_shape = self.low is not None and self.low.shape == low.shape
        if not same_shape:  # outputs of another shape (a new sequence length): start over
            self.rows = 0
        self.low = torch.minimum(self.low, low) if same_shape else low  # type: ignore[arg-type]
        self.high = torch.maximum(self.high, high) if same_shape else high  # type: ignore[arg-type]
        self.rows += int(flat.shape[0])

    def spread(self) -> float | None:
        """The largest relative spread over output elements; ``None`` before two inputs."""
        if self.low is None or self.high is None or self.rows < 2:
            return None
        scale = torch.maximum(self.low.abs(), self.high.abs()).clamp(min=1.0)
        return float(((self.high - self.low) / scale).max())

    def collapsed(self, tol: float) -> bool:
        spread = self.spread()
        return spread is not None and spread <= tol


def first_tensor(value: Any) -> Tensor | None:
    """The first tensor in a model output that may be a tuple, a list or a dict."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, tuple | list):
        return next((t for v in value if (t := first_tensor(v)) is not None), None)
    if isinstance(value, dict):
        return next((t for v in value.values() if (t := first_tensor(v)) is not None), None)
    return None
