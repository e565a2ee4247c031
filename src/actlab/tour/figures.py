"""The tour's own plots, drawn once per language: the words on a figure are those of the report around it.

Builders return a matplotlib ``Figure`` with the words they are given; :func:`rendered` turns a builder into
PNG bytes per language.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence

from matplotlib.figure import Figure as MplFigure

from actlab.plots.fonts import CJK_FONTS
from actlab.plots.style import find_font, line_style, plt, text_font


def png(fig: MplFigure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def rendered(build: Callable[[str], MplFigure]) -> dict[str, bytes]:
    """``build(lang)`` drawn in each language. Chinese needs a CJK font, found through matplotlib's font
    manager; where there is none, the Chinese picture is left out and the report shows the English one and
    says why (:meth:`actlab.tour.results.Figure.png_for`)."""
    pictures = {"en": png(build("en"))}
    family = find_font(CJK_FONTS)
    if family is not None:
        with text_font(family):
            pictures["zh"] = png(build("zh"))
    return pictures


def per_layer_lines(
    values: Mapping[str, Sequence[float]], xlabel: str, ylabel: str, title: str, log: bool = True
) -> MplFigure:
    """One line per activation across layers (input side on the left)."""
    fig, ax = plt.subplots(figsize=(7, 3.6), constrained_layout=True)
    for i, (name, ys) in enumerate(values.items()):
        ax.plot(range(1, len(ys) + 1), ys, label=name, **line_style(i, markers=True))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return fig


def curves_with_band(
    x: Sequence[float],
    curves: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]],
    xlabel: str,
    ylabel: str,
    title: str,
    log: bool = False,
) -> MplFigure:
    """``curves[name] = (mean, low, high)`` over ``x``: a line with a shaded band."""
    fig, ax = plt.subplots(figsize=(7, 3.6), constrained_layout=True)
    for i, (name, (mean, low, high)) in enumerate(curves.items()):
        (line,) = ax.plot(x, mean, label=name, **line_style(i))
        ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, lw=0)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def error_bars(
    groups: Mapping[str, Mapping[str, tuple[float, float]]], ylabel: str, title: str, log: bool = True
) -> MplFigure:
    """``groups[group][activation] = (mean, ci95)``: bars side by side per group, with 95 % intervals. The
    legend sits beside the axes, where it can cover no bar."""
    fig, ax = plt.subplots(figsize=(8, 3.6), constrained_layout=True)
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
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return fig
