"""The dead-unit rule, in one place: every count of dead units comes from here (the :class:`Monitor`, and
so :func:`~actlab.diagnostics.diagnose`, the :class:`TrainingTracker` and the tour; the ``dead_fraction``
of :func:`actlab.train_many` and of the comparisons).

A unit *fires* on an input when it passes something on: its output ``y`` is not exactly 0, or its slope
``f'(z)`` is not exactly 0 (gradient still flows back through it). A unit is **dead** on a set of inputs
when it fires on none of them: never, not rarely. A ReLU unit that fires on a single input of 2,000 is
alive: it passes that input's signal and learns from it.

Where the output is 0 a ReLU-like activation (exact zeros, not saturating: ReLU, ReLU6, ...) has slope 0
too, so its slope need not be computed (``slope=None``). Other activations need it: a ``tanh`` unit whose
output is 0 has slope 1, and a sigmoid unit far below 0 outputs and passes exactly 0 in float32 (both
underflow), so it can die. A NaN is not a firing (it passes nothing useful; the ``nonfinite`` verdict
names it).

>>> import torch
>>> y = torch.tensor([[0.0, 0.0], [0.0, 2.0], [0.0, 0.0]])  # 3 inputs, 2 ReLU units (outputs >= 0)
>>> times_fired(y, None, (0,)).tolist(), dead(times_fired(y, None, (0,))).tolist()
([0, 1], [True, False])
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from actlab.nets.mlp import MLP


def times_fired(magnitude: Tensor, slope: Tensor | None, samples: tuple[int, ...]) -> Tensor:
    """Per unit, on how many inputs it fires (exact ``int64``, at any count): ``magnitude`` holds the
    outputs' absolute values |y| (``y`` itself for an activation that is never negative) and ``slope`` the
    slopes' |f'(z)| at the same places, or ``None`` for a ReLU-like activation; dimensions ``samples`` run
    over the inputs (and positions) of one unit, the others over the units.

    Counted as sums of ``sign(·)`` (on CPU some five times cheaper than comparing into a bool tensor and
    reducing it). A NaN is no firing: ``sign(NaN)`` is 0 on the CPU; where it is NaN, the unit's count for
    the whole tensor is 0."""
    signal = magnitude if slope is None else magnitude + slope  # >= 0, and 0 exactly where both are 0
    return count(signal.sign(), samples)


def dead(fired: Tensor) -> Tensor:
    """The rule: a unit is dead where it fired on no input (``fired`` from :func:`times_fired`, or its sum
    over batches)."""
    return fired == 0


def count(signs: Tensor, samples: tuple[int, ...]) -> Tensor:
    """Per-unit sums over ``samples`` of a tensor of 0s and 1s, as exact integers (a NaN makes its sum 0)."""
    n = math.prod(signs.shape[d] for d in samples)
    fast = signs.dtype == torch.float64 or (signs.dtype == torch.float32 and n <= 2**24)  # exact up to 2**24
    return signs.sum(samples, dtype=signs.dtype if fast else torch.float64).nan_to_num_(0.0).to(torch.int64)


@torch.no_grad()
def dead_fraction(model: MLP, inputs: Tensor) -> float:
    """The fraction of ``model``'s hidden units that are dead on ``inputs`` (a batch ``(N, in)``), every
    layer's activation judged with its slope."""
    h = inputs.to(next(model.parameters()).dtype)
    never = total = 0
    for layer, act in zip(model.linears(), model.activations(), strict=False):
        z = layer(h)
        h = act(z)
        slope = act.derivative(z).abs()  # type: ignore[operator]
        never += int(dead(times_fired(h.abs(), slope, (0,))).sum())
        total += z.shape[-1]
    return never / total if total else 0.0
