"""Figures of trained networks: prediction vs truth across and beyond the training range, decision maps for
classification, and loss curves (matplotlib, Agg backend, files only).

Text on a figure comes in through keyword arguments with English defaults, so a caller (the tour) can hand in
the words of another language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from torch import nn

from actlab.nets.tasks import Task
from actlab.plots.style import line_style
from actlab.training.evaluate import line_inputs, predict_batch

# One colour per class, shared by the predicted region (a light fill of it) and the samples of that class, so
# the eye reads "red dots in a red region" as "classified right".
CLASS_COLOURS = ("#2060b0", "#c8322c", "#2a8a4a", "#8a44a8", "#c07a10", "#555555")
REGION_ALPHA = 0.25  # the fill is the class colour at this opacity: dots of the same colour stay visible on it


def line_formula(task: Task) -> str:
    """The inputs along :func:`actlab.training.evaluate.line_inputs` as a short formula in t: ``a = t, b = t/2``."""
    if task.in_features == 1:
        return "x = t"
    c = task.centre
    b = "t/2" if c == 0 else f"(t {'+' if c > 0 else '−'} {abs(c):g})/2"  # c + (t − c)/2 = (t + c)/2
    return f"a = t, b = {b}"


def extrapolation_figure(
    models: Mapping[str, nn.Module],
    task: Task,
    low: float | None = None,
    high: float | None = None,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    truth: str = "truth",
    training: str = "training range",
) -> Figure:
    """Prediction vs truth along :func:`actlab.training.evaluate.line_inputs` from ``low`` to ``high`` (default: the
    extrapolation range), one curve per model; the shaded band is the training range. ``title``, ``xlabel``,
    ``truth`` and ``training`` replace the English words."""
    low = task.extrap_range[0] if low is None else low
    high = task.extrap_range[1] if high is None else high
    t = torch.linspace(low, high, 801)
    x = line_inputs(task, t)
    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    ax.plot(t.numpy(), task.targets(x.double())[:, 0].numpy(), color="0.75", lw=7, zorder=1.5, label=truth)
    for i, (label, model) in enumerate(models.items()):
        ax.plot(t.numpy(), predict_batch(model, x)[:, 0].double().numpy(), label=label, **line_style(i))
    train_low, train_high = task.train_range
    ax.axvspan(train_low, train_high, color="tab:green", alpha=0.08, label=training)
    for edge in (train_low, train_high):
        ax.axvline(edge, color="tab:green", lw=0.8, ls="--")
    ax.set_title(title or f"{task.name}: prediction and truth, inside and far outside the training range")
    ax.set_xlabel(xlabel or f"t, where {line_formula(task)}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def class_map(
    ax: Axes,
    model: nn.Module,
    task: Task,
    x: torch.Tensor,
    y: torch.Tensor,
    box: tuple[float, float],
    points: int = 300,
    predicted: str = "predicted: class {k}",
    sample: str = "sample of class {k}",
) -> list[Artist]:
    """On ``ax``: the class ``model`` predicts over ``box``² (a light fill in the class's colour) and the samples
    ``x, y`` on top in the same colours. Returns the legend handles, labelled by ``predicted`` and ``sample``
    (``{k}`` is the class)."""
    classes = task.out_features
    colours = [CLASS_COLOURS[k % len(CLASS_COLOURS)] for k in range(classes)]
    grid = torch.linspace(box[0], box[1], points)
    gx, gy = torch.meshgrid(grid, grid, indexing="xy")
    flat = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)  # (points², 2)
    predictions = predict_batch(model, flat).argmax(dim=1).reshape(points, points)
    levels = [k - 0.5 for k in range(classes + 1)]
    ax.contourf(gx.numpy(), gy.numpy(), predictions.numpy(), levels=levels, colors=colours, alpha=REGION_ALPHA)
    ax.scatter(x[:, 0].numpy(), x[:, 1].numpy(), c=[colours[k] for k in y.tolist()], s=5, edgecolors="none")
    regions: list[Artist] = [
        Patch(facecolor=c, alpha=REGION_ALPHA, label=predicted.format(k=k)) for k, c in enumerate(colours)
    ]
    dots: list[Artist] = [
        Line2D([], [], ls="", marker="o", ms=4, mew=0, color=c, label=sample.format(k=k)) for k, c in enumerate(colours)
    ]
    return regions + dots


def decision_figure(model: nn.Module, task: Task, x: torch.Tensor, y: torch.Tensor, points: int = 300) -> Figure:
    """The predicted class over the extrapolation box, the samples ``x, y`` on top, the training box outlined."""
    fig, ax = plt.subplots(figsize=(5.5, 6), constrained_layout=True)
    handles = class_map(ax, model, task, x, y, task.extrap_range, points)
    a, b = task.train_range
    (box,) = ax.plot([a, b, b, a, a], [a, a, b, b, a], color="tab:green", lw=1.2, ls="--", label="training box")
    ax.set_title(f"{task.name}: predicted class")
    ax.set_aspect("equal")
    fig.legend(handles=[*handles, box], fontsize=8, loc="outside lower center", ncol=3)
    return fig


def loss_figure(histories: Mapping[str, Sequence[float]]) -> Figure:
    """Training loss per step on a log scale, one curve per run."""
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    for i, (label, history) in enumerate(histories.items()):
        ax.plot(range(1, len(history) + 1), history, label=label, **line_style(i))
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def network_figure(model: nn.Module, task: Task) -> Figure:
    """The one picture of a trained network that says most about it: for classification its decision map over
    600 training points (seed 0), for regression its predictions beside the truth across and beyond the
    training range (what ``actlab train --plot`` and ``actlab eval --plot`` draw)."""
    if task.kind == "classification":
        x, y = task.sample(600, torch.Generator().manual_seed(0), "train")
        return decision_figure(model, task, x, y)
    return extrapolation_figure({"network": model}, task)
