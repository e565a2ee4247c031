"""Evaluating a whole :class:`~actlab.fast.stacked.StackedMLP` at once, where its networks trained.

What :func:`actlab.training.evaluate.evaluate` and :func:`actlab.fast.metrics.eval_dead_fraction` give network by
network, for all ``M`` networks of a stack with one batched forward per region: the same points
(:func:`~actlab.training.evaluate.region_points`), the same metric definitions
(:func:`~actlab.training.evaluate.metrics_of_predictions`) and the same dead-unit rule
(:func:`actlab.diagnostics.rules.times_fired` and :func:`~actlab.diagnostics.rules.dead`), on the stack's device,
with a few read-backs for the whole stack instead of a dozen small calls per network (8,000 networks one by one
took some 25 s on a CPU core; BENCHMARKS.md).

Only float rounding differs from the per-network path: a batched matmul (``baddbmm``) sums in another order than
``nn.Linear``, so in float32 a prediction differs by a few units in the last place (2⁻²⁴ relative per
operation) and a metric (a mean of such errors, taken in float64) by about as much; in float64 by some 2⁻⁵³.
The tests compare both paths within :data:`EVAL_RTOL` (float32) and :data:`EVAL_RTOL_64` (float64), relative
to the size of the answers (an error may be far smaller than the prediction it is the rounding of). A
count (``exact_rate``, ``accuracy``, ``dead_fraction``) could only change where a prediction sits within that
rounding of a rounding boundary (``k + 0.5``, a tie between logits, a slope of exactly 0).

On the CPU a network's results do not depend on the networks beside it in the stack (tested), so that a run
trained again alone (a damaged stored row) gives the bits it gave in its group: batched matmuls of two or
more networks give each network the same bits wherever it sits; a single network is evaluated as two.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from actlab.diagnostics import rules
from actlab.diagnostics.rules import dead, times_fired
from actlab.fast.stacked import StackedMLP
from actlab.nets.mlp import MLP
from actlab.nets.tasks import Task
from actlab.training.config import TrainConfig
from actlab.training.evaluate import (
    EVAL_POINTS,
    EVAL_SEEDS,
    evaluate,
    metrics_of_predictions,
    region_points,
    wants_exact_rate,
)
from actlab.training.loop import DivergenceError, divergence_error, final_divergence

EVAL_BYTES = 64 * 2**20  # one slice of the stack's widest activation on the points at most this (memory, not speed)
EVAL_RTOL = 1e-5  # float32: stacked vs per-network metrics (a few 2⁻²⁴ per op, summed over <= 4 layers' ops)
EVAL_RTOL_64 = 1e-12  # float64: the same error model with 2⁻⁵³


@dataclass(frozen=True)
class StackEvaluation:
    """Per network of the stack, in its order: the metrics of :func:`~actlab.training.evaluate.evaluate`, the
    dead fraction on the interpolation points, and whether all its weights and biases are finite."""

    metrics: list[dict[str, float | None]]
    dead_fraction: list[float]
    finite_weights: list[bool]


@torch.no_grad()
def evaluate_stack(
    stacked: StackedMLP, task: Task, n: int = EVAL_POINTS, max_bytes: int = EVAL_BYTES
) -> StackEvaluation:
    """Evaluate every network of ``stacked`` on ``task`` (see the module docstring), on the stack's device."""
    size = stacked.weights[0].shape[0]
    regions: dict[str, list[dict[str, float | None]]] = {}
    dead_counts: Tensor | None = None
    for region in ("interp", "extrap"):
        x, y = _on(stacked, region_points(task, region, n))
        whole = None
        if task.kind != "classification" and wants_exact_rate(task, region):
            xi, yi = _on(stacked, region_points(task, region, n, integer=True))
            whole = (_predict(stacked, xi, max_bytes), yi)
        if region == "interp":  # the dead-unit rule on the same points (as eval_dead_fraction samples them)
            out, dead_counts = _predict_counting_dead(stacked, x, max_bytes)
        else:
            out = _predict(stacked, x, max_bytes)
        regions[region] = metrics_of_predictions(task, region, out, y, whole)
    hidden = sum(w.shape[1] for w in stacked.weights[:-1])
    assert dead_counts is not None
    fractions = (dead_counts.double() / hidden).tolist() if hidden else [0.0] * size
    finite = torch.stack([torch.isfinite(p.detach()).flatten(1).all(dim=1) for p in stacked.parameters()]).all(dim=0)
    metrics = [{**a, **b} for a, b in zip(regions["interp"], regions["extrap"], strict=True)]
    return StackEvaluation(metrics, fractions, finite.tolist())


def _on(stacked: StackedMLP, points: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """Points on the stack's device, inputs in its dtype (as :func:`~actlab.training.evaluate.predict_batch`)."""
    w = stacked.weights[0]
    x, y = points
    return x.to(device=w.device, dtype=w.dtype), y.to(w.device)


def _slices(stacked: StackedMLP, points: int, max_bytes: int) -> Iterator[tuple[int, int, tuple[torch.nn.Module, ...]]]:
    """``(start, stop, activation modules)``: the stack's chunks, cut so that a slice's widest activation on
    ``points`` inputs stays within ``max_bytes``."""
    widest = max(w.shape[1] for w in stacked.weights)
    per_slice = max(1, max_bytes // (points * widest * stacked.weights[0].element_size()))
    for chunk in stacked.chunks:
        for start in range(chunk.start, chunk.stop, per_slice):
            yield start, min(start + per_slice, chunk.stop), chunk.modules


def _predict(stacked: StackedMLP, x: Tensor, max_bytes: int) -> Tensor:
    """Every network's outputs on the same inputs ``x`` ``(n, in)``: ``(M, n, out)``."""
    return _predict_counting_dead(stacked, x, max_bytes, count=False)[0]


def _predict_counting_dead(stacked: StackedMLP, x: Tensor, max_bytes: int, count: bool = True) -> tuple[Tensor, Tensor]:
    """:func:`_predict`, and with ``count`` each network's number of dead hidden units on ``x`` (the rule of
    :func:`actlab.diagnostics.rules.dead_fraction`: output and slope exactly 0 on every point)."""
    weights, biases = stacked.weights, stacked.biases
    size = weights[0].shape[0]
    out = torch.empty(size, x.shape[0], weights[-1].shape[1], dtype=x.dtype, device=x.device)
    never = torch.zeros(size, dtype=torch.int64, device=x.device)
    for s, e, modules in _slices(stacked, x.shape[0], max_bytes):
        m = max(2, e - s)  # a batch of one network rounds otherwise (baddbmm takes another kernel): doubled
        h = x.expand(m, *x.shape)  # (m, n, in)
        for w, b, act in zip(weights, biases, modules, strict=False):
            z = torch.baddbmm(b[s:e].expand(m, -1, -1), h, w[s:e].expand(m, -1, -1).mT)  # (m, n, width)
            h = act(z)
            if count:
                slope = act.derivative(z).abs()  # type: ignore[operator]
                never[s:e] += dead(times_fired(h.abs(), slope, (1,))).sum(dim=1)[: e - s]
        out[s:e] = torch.baddbmm(biases[-1][s:e].expand(m, -1, -1), h, weights[-1][s:e].expand(m, -1, -1).mT)[: e - s]
    return out, never


def final_metrics(
    stacked: StackedMLP,
    models: Sequence[MLP],
    task: Task,
    configs: Sequence[TrainConfig],
    diverged: dict[int, int],
    last: Sequence[int],
    one_by_one: bool = False,
) -> tuple[list[dict[str, float | None]], list[tuple[int, DivergenceError]]]:
    """Each trained network's metrics as :func:`actlab.train_many` returns them: those of
    :func:`~actlab.training.evaluate.evaluate`, ``dead_fraction`` and ``diverged_step``; all NaN (and
    ``diverged_step`` set) for a network in ``diverged`` (position -> the step whose loss was not finite).

    A network whose final weights or predictions are not finite although its losses were
    (:func:`~actlab.training.loop.final_divergence`) is added to ``diverged`` at step ``last[i] + 1``, and its
    error returned with its position (in network order: the caller raises the first, or keeps going).
    ``models`` hold the stack's final parameters already (:meth:`~actlab.fast.stacked.StackedMLP.write_back`).
    ``one_by_one``: each network evaluated alone on the CPU, as before stacked evaluation (the benchmarks'
    baseline).
    """
    if one_by_one:
        measured = [evaluate(m, task) for m in models]
        dead_fractions = [eval_dead_fraction(m, task) for m in models]
        suspects = list(range(len(models)))
    else:
        found = evaluate_stack(stacked, task)
        measured, dead_fractions = found.metrics, found.dead_fraction
        suspects = [i for i, ok in enumerate(found.finite_weights) if not ok or nonfinite(measured[i])]
    errors = []
    for i in suspects:
        broken = None if i in diverged else final_divergence(models[i], measured[i])  # the last update overflowed
        if broken is not None:
            error = divergence_error(last[i] + 1, math.nan, configs[i], broken)
            errors.append((i, error))
            diverged[i] = error.step
    out = []
    for i, metrics in enumerate(measured):
        if i in diverged:
            metrics = dict.fromkeys(metrics, math.nan)
        metrics["dead_fraction"] = math.nan if i in diverged else dead_fractions[i]
        metrics["diverged_step"] = diverged.get(i)
        out.append(metrics)
    return out, errors


def eval_dead_fraction(model: MLP, task: Task, points: int = EVAL_POINTS) -> float:
    """The fraction of hidden units that are dead on the interpolation points of :mod:`actlab.training.evaluate`
    (:func:`actlab.diagnostics.rules.dead_fraction`: they fire on none of them, output and slope exactly
    0). ReLU units with ``z <= 0`` everywhere are dead; a sigmoid unit is not (its slope is small but not
    0) unless both underflow to 0 everywhere."""
    x, _ = task.sample(points, torch.Generator().manual_seed(EVAL_SEEDS["interp"]), "interp")
    return rules.dead_fraction(model, x)


def nonfinite(metrics: dict[str, float | None]) -> bool:
    """Whether some metric is NaN or infinite: the only networks whose predictions
    :func:`~actlab.training.loop.final_divergence` needs to look at."""
    return any(isinstance(v, float) and not math.isfinite(v) for v in metrics.values())
