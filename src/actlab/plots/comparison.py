"""Figures of a comparison: loss curves with confidence bands, and error bars per activation."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from actlab.experiments.compare import ComparisonResult
from actlab.plots.style import line_style


def loss_curves_figure(result: ComparisonResult) -> Figure:
    """Training loss per step: each activation's geometric mean over seeds, with its 95 % t-band."""
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    for i, s in enumerate(result.stats):
        band = s.curve
        if not band.steps:
            continue
        label = f"{s.activation} (n={s.seeds - s.diverged})"
        (line,) = ax.plot(band.steps, band.mean, label=label, **line_style(i))
        ax.fill_between(band.steps, band.low, band.high, color=line.get_color(), alpha=0.2, lw=0)
    ax.axhline(result.target_loss, color="0.5", ls=":", lw=1, label=f"target {result.target_loss:g}")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_title(f"{result.task}: training loss, geometric mean and 95 % interval over seeds")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return fig


def error_bars_figure(result: ComparisonResult) -> Figure:
    """Interpolation and extrapolation error (or accuracy) per activation: mean ± 95 % t-interval."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), constrained_layout=True)
    names = [s.activation for s in result.stats]
    positions = list(range(len(names)))
    for ax, region in zip(axes, ("interp", "extrap"), strict=True):
        estimates = [getattr(s, region) for s in result.stats]
        means = [e.mean for e in estimates]
        errors = [e.ci95 if e.ci95 == e.ci95 else 0.0 for e in estimates]  # NaN (one seed): no bar
        ax.errorbar(positions, means, yerr=errors, fmt="o", capsize=5, color="C0")
        ax.set_xticks(positions, names, rotation=30, ha="right")
        if result.metric == "mae" and all(m > 0 for m in means if m == m):
            ax.set_yscale("log")
        where = "inside the training range" if region == "interp" else "outside it (extrapolation)"
        ax.set_title(f"{result.metric.upper() if result.metric == 'mae' else 'accuracy'} {where}", fontsize=10)
        ax.grid(alpha=0.3, axis="y", which="both")
    fig.suptitle(f"{result.task}: mean and 95 % t-interval over seeds")
    return fig
