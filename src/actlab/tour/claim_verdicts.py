"""From measured numbers to a verdict on each of the lesson's claims. Pure functions, thresholds in one place.

A verdict is never written by hand: each function below takes the tour's measurements and returns
``confirmed``, ``partly`` or ``not confirmed``. The thresholds are the :class:`ClaimThresholds` defaults; the
tests feed made-up numbers on both sides of each one. Every input is a keyword (``identity_accuracy=...``):
two numbers of the same type in swapped order cannot pass unnoticed at a call site.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum


class ClaimVerdict(str, Enum):
    CONFIRMED = "confirmed"
    PARTLY = "partly"
    NOT_CONFIRMED = "not confirmed"
    INCONCLUSIVE = "inconclusive on this machine"  # the verdict would flip within the measurement's own spread


@dataclass(frozen=True)
class ClaimThresholds:
    learned_accuracy: float = 0.95  # a classifier "solves" xor/circle at this test accuracy
    chance_margin: float = 0.15  # within this of chance, a classifier has learned nothing useful
    clear_gap: float = 0.10  # an accuracy gap this large is a real difference
    faster_by: float = 1.10  # "faster" means the other activation takes at least 10 % longer
    vanished: float = 1e-2  # first-layer / last-layer gradient norm below this: the gradient vanished
    kept: float = 1e-1  # ... above this: a usable share of the gradient reaches the first layer
    sparse: float = 0.30  # at least this fraction of exact zeros is "sparse"
    dense: float = 0.01  # at most this fraction of exact zeros is "dense"
    learned_mae: float = 0.05  # mean absolute error on a+b and a-b inside the training range
    dead: float = 0.10  # at least this fraction of units never firing is a dead-neuron problem
    revived: float = 0.01  # at most this fraction dead counts as "no dead neurons"
    exact: float = 1e-9  # the worked example reproduces to this absolute tolerance


T = ClaimThresholds()


def nonlinearity_needed(
    *, identity_accuracy: float, relu_accuracy: float, chance: float = 0.5, t: ClaimThresholds = T
) -> ClaimVerdict:
    """The lesson: without an activation a network only learns linear functions, so it fails non-linear
    problems. Measured as test accuracy on a problem no straight line separates (worst of xor/circle)."""
    near_chance = identity_accuracy <= chance + t.chance_margin
    if near_chance and relu_accuracy >= t.learned_accuracy:
        return ClaimVerdict.CONFIRMED
    if relu_accuracy - identity_accuracy >= t.clear_gap:
        return ClaimVerdict.PARTLY
    return ClaimVerdict.NOT_CONFIRMED


RELU_FAMILY = ("leaky_relu", "prelu", "relu6")  # ReLU's own variants: the same cost, not a competitor


def relu_is_fast(time_vs_relu: Mapping[str, float], t: ClaimThresholds = T) -> ClaimVerdict:
    """The lesson: ReLU is fast to compute. ``time_vs_relu`` maps each other activation to its
    forward+backward time divided by ReLU's (so ReLU itself is 1.0). ReLU's own variants are left out.

    Confirmed if every other function takes at least 10 % longer; partly if sigmoid and tanh do (the
    functions the lesson compares with) or at least one does; otherwise not confirmed."""
    others = {k: v for k, v in time_vs_relu.items() if k != "relu" and k not in RELU_FAMILY}
    if not others:
        return ClaimVerdict.NOT_CONFIRMED
    if all(v >= t.faster_by for v in others.values()):
        return ClaimVerdict.CONFIRMED
    if max(others.values()) >= t.faster_by:
        return ClaimVerdict.PARTLY
    return ClaimVerdict.NOT_CONFIRMED


def relu_is_fast_within_spread(
    *, low: Mapping[str, float], high: Mapping[str, float], t: ClaimThresholds = T
) -> ClaimVerdict:
    """:func:`relu_is_fast` at both ends of the measurement's uncertainty: ``low`` and ``high`` map each
    activation to the ends of the 95 % interval of its median time ratio to ReLU. When the two ends give
    different verdicts, a threshold lies inside the interval and a rerun could flip the verdict: inconclusive
    on this machine."""
    at_low, at_high = relu_is_fast(low, t), relu_is_fast(high, t)
    return at_low if at_low is at_high else ClaimVerdict.INCONCLUSIVE


def less_vanishing_gradient(*, first_over_last: Mapping[str, float], t: ClaimThresholds = T) -> ClaimVerdict:
    """The lesson: sigmoid's gradient vanishes, ReLU's does not. ``first_over_last`` maps activations to
    the gradient norm reaching the first layer of a deep network divided by the last layer's."""
    relu, sigmoid = first_over_last["relu"], first_over_last["sigmoid"]
    if sigmoid <= t.vanished and relu >= t.kept:
        return ClaimVerdict.CONFIRMED
    if relu > sigmoid * 10:
        return ClaimVerdict.PARTLY
    return ClaimVerdict.NOT_CONFIRMED


def relu_is_sparse(*, zero_fraction: Mapping[str, float], t: ClaimThresholds = T) -> ClaimVerdict:
    """The lesson: ReLU outputs exact zeros often, so part of the network is switched off."""
    relu = zero_fraction["relu"]
    smooth = [zero_fraction[k] for k in ("sigmoid", "tanh") if k in zero_fraction]
    if relu >= t.sparse and all(z <= t.dense for z in smooth):
        return ClaimVerdict.CONFIRMED
    if relu >= t.dense * 5:
        return ClaimVerdict.PARTLY
    return ClaimVerdict.NOT_CONFIRMED


def relu_helps_addition(*, interp_mae: Mapping[str, float], t: ClaimThresholds = T) -> ClaimVerdict:
    """The lesson: keeping positive sums and dropping negative ones helps a network learn a+b and a-b.
    ``interp_mae`` maps activations to the worse of the two tasks' mean error inside the training range.

    Confirmed only if ReLU learns both and no other activation (the identity included) does better;
    partly if ReLU learns them but something else is at least as good; otherwise not confirmed."""
    relu = interp_mae["relu"]
    if relu > t.learned_mae:
        return ClaimVerdict.NOT_CONFIRMED
    others = [v for k, v in interp_mae.items() if k != "relu"]
    if all(relu < v for v in others):
        return ClaimVerdict.CONFIRMED
    return ClaimVerdict.PARTLY


def neurons_die(*, relu_dead_end: float, relu_dead_peak: float, t: ClaimThresholds = T) -> ClaimVerdict:
    """The lesson: a ReLU unit whose input stays negative outputs 0 forever and never recovers.
    Confirmed when many units are dead at the end and at least as many as at any earlier check."""
    if relu_dead_end >= t.dead and relu_dead_end >= relu_dead_peak * 0.9:
        return ClaimVerdict.CONFIRMED
    if relu_dead_end > t.revived or relu_dead_peak >= t.dead:
        return ClaimVerdict.PARTLY
    return ClaimVerdict.NOT_CONFIRMED


def leaky_fixes_dead(*, relu_dead_end: float, leaky_dead_end: float, t: ClaimThresholds = T) -> ClaimVerdict:
    """The lesson: Leaky ReLU avoids dead neurons (units with zero output and zero gradient for good). A
    leaky unit always has a slope, so the fix works by construction wherever ReLU units did die; the
    verdict needs ReLU to have lost units under the same conditions, else there was nothing to fix. (Whether
    the leaky network also learns better is reported beside it, not folded into this claim.)"""
    if relu_dead_end >= t.dead and leaky_dead_end <= t.revived:
        return ClaimVerdict.CONFIRMED
    if leaky_dead_end < relu_dead_end:
        return ClaimVerdict.PARTLY
    return ClaimVerdict.NOT_CONFIRMED


def example_reproduces(*, max_abs_difference: float, t: ClaimThresholds = T) -> ClaimVerdict:
    """The lesson's worked layer: [5, 3] gives [6.6, 3.8, 1.3, 1.3, -0.3], then ReLU [.., 0.0]."""
    return ClaimVerdict.CONFIRMED if max_abs_difference <= t.exact else ClaimVerdict.NOT_CONFIRMED
