"""Heatmaps: every neuron's output, the network's output and the input features over a square, as bytes.

The square is cut into ``g × g`` cells; row 0 is the top (largest x2), column 0 the left (smallest x1), and
each value is taken at the cell's centre. A grid of values ``v`` with scale ``s > 0`` becomes the bytes
``round(127.5 · (v / s + 1))`` clipped to 0..255: byte 0 is ``-s``, 255 is ``+s``, 127/128 straddle 0. The
page paints a byte grid with one ``putImageData`` through a 256-colour palette, and reads ``s`` back to
print values.

Scales: a hidden neuron's is its largest |output| over the square (so its shape always shows; the page
prints the scale); the output of a classifier is P(class 1) − P(class 0) with scale 1 (white is the
boundary); a regression output uses the truth's largest |value| over the square, so that the colours keep
their meaning while the network learns.
"""

from __future__ import annotations

import torch
from torch import Tensor

from actlab.nets.tasks import Task
from actlab.serve.features import feature_matrix

TINY = 1e-12  # the scale of a grid that is 0 everywhere (a dead ReLU unit): any positive number will do


def grid_points(square: tuple[float, float], g: int) -> Tensor:
    """The centres of the ``g × g`` cells, row-major from the top-left: ``(g², 2)`` float32."""
    low, high = square
    centres = low + (torch.arange(g, dtype=torch.float64) + 0.5) * (high - low) / g
    x1 = centres.repeat(g)  # left to right in every row
    x2 = centres.flip(0).repeat_interleave(g)  # top row first
    return torch.stack([x1, x2], dim=1).float()


def quantize(grids: Tensor, scales: Tensor) -> bytes:
    """``grids`` ``(k, n)`` (one row per grid) with one scale per row -> ``k`` grids of ``n`` bytes."""
    v = grids.float() / scales.float().clamp(min=TINY).unsqueeze(1)
    return v.add_(1).mul_(127.5).round_().clamp_(0, 255).nan_to_num_(127.0).to(torch.uint8).numpy().tobytes()


def symmetric_scales(grids: Tensor) -> Tensor:
    """Each row's largest |value| (``TINY`` for an all-zero row)."""
    return grids.float().abs().amax(dim=1).nan_to_num(TINY).clamp(min=TINY)


def output_values(logits: Tensor, classification: bool) -> Tensor:
    """The output heatmap's values ``(1, n)``: P(1) − P(0) = tanh((l₁ − l₀)/2) for two classes, the
    prediction for regression."""
    if classification:
        return torch.tanh((logits[:, 1] - logits[:, 0]) / 2).unsqueeze(0)
    return logits[:, 0].unsqueeze(0)


def truth_scale(task: Task | None, points: Tensor) -> float:
    """The largest |truth| over ``points``: the fixed colour scale of a regression output."""
    if task is None or task.kind != "regression":
        return 1.0
    return max(float(task.targets(points.double()).abs().max()), TINY)


def feature_grids(features: tuple[str, ...], points: Tensor) -> tuple[bytes, list[float]]:
    """The input features over the square (one grid each) and their scales."""
    values = feature_matrix(points, features).t()  # (k, n)
    scales = symmetric_scales(values)
    return quantize(values, scales), [float(s) for s in scales]
