"""A parallel-coordinates figure of stored runs (a sweep): one vertical axis per config field that differs
between the runs, one more for a metric, and each run a line across them, coloured by that metric.

Config axes are categorical: a field's distinct values, sorted, spread evenly from bottom to top (a sweep's
grid has a few values per field). The metric axis is continuous, on a log scale where its values are all
positive and span two decades or more. The best runs are drawn last, on top (the lowest values, or the
highest for accuracies and exact-answer rates). A run whose metric is missing or not finite (a diverged run)
is drawn in grey across the config axes only. Seeds are not an axis: each seed is its own line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from actlab.errors import ActlabError
from actlab.experiments.store import RunRecord

FIRST_FIELDS = ("task", "activation", "depth", "width", "init", "lr")  # the sweep grid's axes, in its order
LEFT_OUT = ("seed", "hidden", "track_every", "threads")  # not an axis: seeds are lines; hidden is depth x width
DEFAULT_METRICS = ("interp_mae", "accuracy")  # the first one the runs have is plotted by default
LOG_SPAN = 100.0  # a positive metric whose largest value is this many times its smallest gets a log axis
HIGHER_IS_BETTER = ("accuracy", "exact_rate")  # metrics whose names contain one of these; others: lower is better


@dataclass(frozen=True)
class Axis:
    """One vertical axis: each run's place on it (0 bottom .. 1 top, ``nan``: none) and its tick labels."""

    name: str
    positions: list[float]
    ticks: list[tuple[float, str]]


def run_fields(record: RunRecord) -> dict[str, Any]:
    """A run's config as axis values: ``hidden`` becomes ``depth`` and ``width`` (the widths joined by
    ``-`` when they differ), lists become text."""
    config = dict(record.config)
    hidden = list(config.pop("hidden", []))
    fields: dict[str, Any] = {
        "depth": len(hidden),
        "width": hidden[0] if len(set(hidden)) == 1 else "-".join(map(str, hidden)),
    }
    for key, value in config.items():
        if key not in LEFT_OUT:
            fields[key] = "-".join(map(str, value)) if isinstance(value, list | tuple) else value
    return fields


def varying_fields(records: Sequence[RunRecord]) -> list[str]:
    """The config fields whose values differ between ``records``, the grid's axes first; ``task`` and
    ``activation`` when none differ (the figure still needs an axis to start from)."""
    rows = [run_fields(r) for r in records]
    names = list(dict.fromkeys(key for row in rows for key in row))
    varying = [n for n in names if len({_key(row.get(n)) for row in rows}) > 1]
    ordered = [n for n in FIRST_FIELDS if n in varying] + sorted(n for n in varying if n not in FIRST_FIELDS)
    return ordered or ["task", "activation"]


def default_metric(records: Sequence[RunRecord]) -> str:
    """``interp_mae`` (regression) or ``accuracy`` (classification): the first of :data:`DEFAULT_METRICS`
    that a run has."""
    for name in DEFAULT_METRICS:
        if any(name in r.metrics for r in records):
            return name
    raise ActlabError(
        f"the runs have none of the metrics {', '.join(DEFAULT_METRICS)}; choose one with --metric "
        f"({', '.join(numeric_metrics(records))})"
    )


def numeric_metrics(records: Sequence[RunRecord]) -> list[str]:
    """The metrics that hold a number in at least one run, sorted."""
    return sorted({k for r in records for k, v in r.metrics.items() if _number(v) is not None})


def category_axis(name: str, values: Sequence[Any]) -> Axis:
    """Distinct values sorted (numbers by value, before text), spread evenly over 0..1."""
    distinct = sorted({_key(v) for v in values})
    place = {key: (i / (len(distinct) - 1) if len(distinct) > 1 else 0.5) for i, key in enumerate(distinct)}
    return Axis(name, [place[_key(v)] for v in values], [(place[k], _label(k[1])) for k in distinct])


def metric_axis(name: str, values: Sequence[float | None], ticks: int = 5) -> tuple[Axis, Normalize]:
    """A continuous axis over the finite values (log where they are positive and span :data:`LOG_SPAN`),
    and the normalisation that places (and colours) them."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    low, high = min(finite), max(finite)
    log = low > 0 and high / low >= LOG_SPAN
    if high == low:  # one value (never a log axis): the middle of the axis
        spread = abs(low) or 1.0
        low, high = low - spread, high + spread
    norm: Normalize = LogNorm(low, high) if log else Normalize(low, high)
    marks = [
        low * (high / low) ** (i / (ticks - 1)) if log else low + (high - low) * i / (ticks - 1) for i in range(ticks)
    ]
    positions = [float(norm(v)) if v is not None and math.isfinite(v) else math.nan for v in values]
    return Axis(name, positions, [(float(norm(m)), f"{m:.3g}") for m in marks]), norm


def parallel_coordinates_figure(
    records: Sequence[RunRecord], metric: str | None = None, title: str | None = None
) -> Figure:
    """The figure described in this module's docstring. Raises :class:`~actlab.errors.ActlabError` for no
    runs, or a metric no run holds a number for."""
    if not records:
        raise ActlabError("no runs to plot")
    metric = metric or default_metric(records)
    values = [_number(r.metrics.get(metric)) for r in records]
    if not any(v is not None and math.isfinite(v) for v in values):
        raise ActlabError(
            f"no run has a value for metric {metric!r}; choose one of {', '.join(numeric_metrics(records))}"
        )
    rows = [run_fields(r) for r in records]
    axes = [category_axis(name, [row.get(name) for row in rows]) for name in varying_fields(records)]
    last, norm = metric_axis(metric, values)
    axes.append(last)

    fig, ax = plt.subplots(figsize=(max(6.0, 1.7 * len(axes) + 1.5), 5.0), constrained_layout=True)
    cmap = plt.get_cmap("viridis")
    xs = list(range(len(axes)))
    better_high = any(word in metric for word in HIGHER_IS_BETTER)
    order = sorted(range(len(values)), key=lambda i: _number(values[i]) or 0.0, reverse=not better_high)
    lines, colours, grey = [], [], []
    for i in order:  # the best last, on top
        value = values[i]
        ys = [a.positions[i] for a in axes]
        if value is None or not math.isfinite(value):
            grey.append(list(zip(xs[:-1], ys[:-1], strict=True)))
        else:
            lines.append(list(zip(xs, ys, strict=True)))
            colours.append(cmap(norm(value)))
    ax.add_collection(LineCollection(grey, colors="0.6", linewidths=0.8, alpha=0.5, linestyles="--"))
    ax.add_collection(LineCollection(lines, colors=colours, linewidths=1.0, alpha=0.7))
    for x, axis in zip(xs, axes, strict=True):
        ax.axvline(x, color="0.2", lw=1)
        for position, text in axis.ticks:
            ax.text(
                x + 0.04,
                position,
                text,
                va="center",
                fontsize=8,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            )
    ax.set_xticks(xs, [a.name for a in axes])
    ax.set_xlim(-0.2, len(axes) - 0.5)
    ax.set_ylim(-0.05, 1.05)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=metric, pad=0.01)
    diverged = sum(1 for v in values if v is None or not math.isfinite(v))
    note = f"; {diverged} without a value (grey, dashed)" if diverged else ""
    runs = f"{len(records):,} run{'s' * (len(records) != 1)}"
    ax.set_title(f"{title or 'stored runs'}: {runs}, coloured by {metric}{note}", fontsize=10)
    return fig


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _key(value: Any) -> tuple[int, Any]:
    """A sort key that keeps numbers (by value) before text, and ``None`` last."""
    if value is None:
        return (2, "")
    number = _number(value)
    return (0, number) if number is not None else (1, str(value))


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else "none" if value == "" else str(value)
