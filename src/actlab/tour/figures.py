"""The tour's own plots, as PNG bytes (language-neutral: the same picture in both languages)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure as MplFigure

from actlab.plotting import plt


def png(fig: MplFigure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def per_layer_lines(values: Mapping[str, Sequence[float]], ylabel: str, title: str, log: bool = True) -> bytes:
    """One line per activation across layers (input side on the left)."""
    fig, ax = plt.subplots(figsize=(7, 3.6), constrained_layout=True)
    for name, ys in values.items():
        ax.plot(range(1, len(ys) + 1), ys, marker="o", ms=3, label=name)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("layer (1 = input side)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return png(fig)


def curves_with_band(
    x: Sequence[float], curves: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]],
    xlabel: str, ylabel: str, title: str, log: bool = False,
) -> bytes:  # fmt: skip
    """``curves[name] = (mean, low, high)`` over ``x``: a line with a shaded band."""
    fig, ax = plt.subplots(figsize=(7, 3.6), constrained_layout=True)
    for name, (mean, low, high) in curves.items():
        (line,) = ax.plot(x, mean, label=name)
        ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, lw=0)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return png(fig)


def error_bars(
    groups: Mapping[str, Mapping[str, tuple[float, float]]], ylabel: str, title: str, log: bool = True
) -> bytes:
    """``groups[group][activation] = (mean, ci95)``: bars side by side per group, with 95 % intervals."""
    fig, ax = plt.subplots(figsize=(7.5, 3.6), constrained_layout=True)
    group_names = list(groups)
    acts = list(dict.fromkeys(a for g in groups.values() for a in g))
    width = 0.8 / max(len(acts), 1)
    for i, act in enumerate(acts):
        xs = [g + (i - (len(acts) - 1) / 2) * width for g in range(len(group_names))]
        means = [groups[g].get(act, (float("nan"), 0.0))[0] for g in group_names]
        errs = [groups[g].get(act, (0.0, 0.0))[1] for g in group_names]
        lows = [min(e, m * 0.999) if log else e for m, e in zip(means, errs, strict=True)]  # stay above 0 on a log axis
        ax.bar(xs, means, width, yerr=[lows, errs], capsize=2, label=act)
    ax.set_xticks(range(len(group_names)), group_names)
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="y", which="both")
    ax.legend(fontsize=8, ncol=3)
    return png(fig)
