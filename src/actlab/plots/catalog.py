"""Figures of catalog entries: each function beside its closed-form derivative."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from actlab.catalog.entries import Activation
from actlab.errors import ActlabError
from actlab.plots.style import line_style

MAX_X = 1e6  # the x axis ends within ±this


def check_x_range(low: float, high: float) -> None:
    """Refuse an x axis that cannot be drawn: ends not finite or beyond ±:data:`MAX_X`, or ``low`` not below
    ``high`` by at least 1e-6 (:class:`ActlabError`, the ends named as ``actlab plot``'s options)."""
    if not (math.isfinite(low) and math.isfinite(high) and max(abs(low), abs(high)) <= MAX_X):
        raise ActlabError(f"--low {low:g} and --high {high:g} must be finite numbers within ±1e6")
    if not high - low >= 1e-6:
        raise ActlabError(f"--low {low:g} must be below --high {high:g} (by at least 1e-6)")


def activation_figure(
    entries: Sequence[tuple[Activation, dict[str, Any]]], low: float = -5.0, high: float = 5.0
) -> Figure:
    """Two panels side by side: each function f on the left and its closed-form derivative f' on the right."""
    x = torch.linspace(low, high, 801, dtype=torch.float64)
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for i, (entry, params) in enumerate(entries):
        label = entry.name + "".join(f" {k}={v}" for k, v in params.items() if v != _default(entry, k))
        ax_f.plot(x.numpy(), entry.fn(x, **params).numpy(), label=label, **line_style(i))
        ax_d.plot(x.numpy(), entry.grad(x, **params).numpy(), label=label, **line_style(i))
    for ax, title in ((ax_f, "f(x)"), (ax_d, "f'(x)")):
        ax.axhline(0, color="0.7", lw=0.8)
        ax.axvline(0, color="0.7", lw=0.8)
        ax.set_title(title)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
    ax_f.legend(fontsize=8)
    return fig


def _default(entry: Activation, key: str) -> Any:
    return next(p.default for p in entry.params if p.name == key)
