"""Figures of trained networks: prediction vs truth across and beyond the training range, decision maps for
classification, and loss curves (matplotlib, Agg backend, files only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import nn

from actlab.evaluation import line_inputs, predict_batch
from actlab.tasks import Task


def extrapolation_figure(
    models: Mapping[str, nn.Module], task: Task, low: float | None = None, high: float | None = None
) -> Figure:
    """Prediction vs truth along :func:`actlab.evaluation.line_inputs` from ``low`` to ``high`` (default: the
    extrapolation range), one curve per model; the shaded band is the training range."""
    low = task.extrap_range[0] if low is None else low
    high = task.extrap_range[1] if high is None else high
    t = torch.linspace(low, high, 801)
    x = line_inputs(task, t)
    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    ax.plot(t.numpy(), task.targets(x.double())[:, 0].numpy(), color="black", lw=2.5, alpha=0.35, label="truth")
    for label, model in models.items():
        ax.plot(t.numpy(), predict_batch(model, x)[:, 0].double().numpy(), lw=1.3, label=label)
    train_low, train_high = task.train_range
    ax.axvspan(train_low, train_high, color="tab:green", alpha=0.08, label="training range")
    for edge in (train_low, train_high):
        ax.axvline(edge, color="tab:green", lw=0.8, ls="--")
    inputs = "x = t" if task.in_features == 1 else f"a = t, b = {task.centre:g} + (t − {task.centre:g})/2"
    ax.set_title(f"{task.name}: prediction vs truth along {inputs}")
    ax.set_xlabel("t")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def decision_figure(model: nn.Module, task: Task, x: torch.Tensor, y: torch.Tensor, points: int = 300) -> Figure:
    """The predicted class over the extrapolation box, the samples ``x, y`` on top, the training box outlined."""
    low, high = task.extrap_range
    grid = torch.linspace(low, high, points)
    gx, gy = torch.meshgrid(grid, grid, indexing="xy")
    flat = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)  # (points², 2)
    classes = predict_batch(model, flat).argmax(dim=1).reshape(points, points)
    fig, ax = plt.subplots(figsize=(5, 5), constrained_layout=True)
    ax.contourf(gx.numpy(), gy.numpy(), classes.numpy(), levels=[-0.5, 0.5, 1.5], colors=["#f4c7a1", "#a9c8ea"])
    ax.scatter(x[:, 0].numpy(), x[:, 1].numpy(), c=y.numpy(), cmap="coolwarm", s=4)
    a, b = task.train_range
    ax.plot([a, b, b, a, a], [a, a, b, b, a], color="tab:green", lw=1.2, ls="--", label="training box")
    ax.set_title(f"{task.name}: predicted class")
    ax.legend(fontsize=8, loc="upper right")
    return fig


def loss_figure(histories: Mapping[str, Sequence[float]]) -> Figure:
    """Training loss per step on a log scale, one curve per run."""
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    for label, history in histories.items():
        ax.plot(range(1, len(history) + 1), history, lw=1, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig
