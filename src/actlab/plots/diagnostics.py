"""Figures of diagnostics (matplotlib's Agg backend, files only): per-layer bars and curves over training.

Both functions return a ``Figure``; :func:`actlab.plots.style.save` writes it to PNG, SVG or PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from actlab.diagnostics.report import Report
from actlab.plots.style import plt, save

__all__ = ["report_figure", "save", "training_figure"]


def report_figure(report: Report, title: str | None = None) -> Figure:
    """Two panels: dead fraction, sparsity and saturation per activation site (bars, input to output),
    and the gradient norm per weight layer (log scale; per site for models without weight layers)."""
    fig, (ax_units, ax_grad) = plt.subplots(1, 2, figsize=(12, 4.2), constrained_layout=True)
    names = [s.name for s in report.sites]
    x = np.arange(len(names))
    series = {
        "dead": [s.dead_fraction for s in report.sites],
        "sparsity (exact 0)": [s.sparsity or 0.0 for s in report.sites],
        "saturated": [s.saturation or 0.0 for s in report.sites],
    }
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series.items()):
        ax_units.bar(x + (i - 1) * width, values, width, label=label)
    _names_axis(ax_units, names)
    ax_units.set_ylim(0, 1.05)
    ax_units.set_ylabel("fraction")
    ax_units.set_title(f"activation sites over {report.inputs:,} inputs")
    ax_units.legend(fontsize=8)

    layers = [(x.name, x.grad_norm) for x in report.layers if x.grad_norm is not None]
    label = "‖∂L/∂W‖ per weight layer"
    if len(layers) < 2:
        layers = [(s.name, s.grad_norm) for s in report.sites if s.grad_norm is not None]
        label = "‖∂L/∂y‖ per activation site"
    if layers:
        ax_grad.bar(np.arange(len(layers)), [max(g, 1e-30) for _, g in layers], color="tab:purple")
        ax_grad.set_yscale("log")
        _names_axis(ax_grad, [n for n, _ in layers])
    else:
        ax_grad.text(0.5, 0.5, "no backward pass recorded", ha="center", va="center", transform=ax_grad.transAxes)
    ax_grad.set_title(f"gradient norm, input → output ({label})", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def training_figure(history: Sequence[dict[str, Any]], title: str | None = None) -> Figure:
    """Three panels over the recorded steps of a :class:`~actlab.diagnostics.tracker.TrainingTracker`: dead
    fraction and sparsity per activation site, and gradient norm per weight layer (log scale)."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4), constrained_layout=True)
    steps = [h["step"] for h in history]
    panels = (
        (axes[0], "sites", "dead_fraction", "dead fraction", False),
        (axes[1], "sites", "sparsity", "sparsity (exact zeros)", False),
        (axes[2], "layers", "grad_norm", "‖∂L/∂W‖", True),
    )
    for ax, group, key, label, log in panels:
        names = list(dict.fromkeys(n for h in history for n in h.get(group, {})))
        for name in names:
            values = [_value(h, group, name, key) for h in history]
            ax.plot(steps, values, marker="." if len(steps) < 30 else None, label=name)
        if log and names:
            ax.set_yscale("log")
        elif not log:
            ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("step")
        ax.set_title(label)
        ax.grid(alpha=0.3)
        if names:
            ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def _value(record: dict[str, Any], group: str, name: str, key: str) -> float:
    value = record.get(group, {}).get(name, {}).get(key)
    return float("nan") if value is None else float(value)


def _names_axis(ax: Axes, names: list[str]) -> None:
    ax.set_xticks(np.arange(len(names)))
    ax.set_xticklabels(names, rotation=30 if len(names) > 4 else 0, ha="right" if len(names) > 4 else "center")
    ax.grid(axis="y", alpha=0.3)
