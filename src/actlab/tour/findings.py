"""From measured numbers to the sentences that state a finding. Pure functions, like the verdicts.

A section's prose mixes explanation (true by construction: what ReLU is, why a+b is linear) with findings
(what this run measured: "sigmoid flattens out"). A finding is never a fixed sentence: each function below
takes the measurements and returns the paragraph that fits them, as ``(text key, fields)``; the words are in
:mod:`actlab.text` (keys ``tour.*``). The tests feed numbers on both sides of every limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actlab.experiments.stats import Estimate, welch_separated
from actlab.tour.claim_verdicts import ClaimThresholds, T

Finding = tuple[str, dict[str, Any]]  # (text key, the fields of its sentence)


@dataclass(frozen=True)
class FindingLimits:
    flat: float = 0.2  # a prediction growing by at most this share of the truth's growth has flattened out
    straight: float = 0.2  # one within this of the truth's growth (share 1) keeps going roughly straight


L = FindingLimits()


def linear_accuracy(
    *, identity_accuracy: float, relu_accuracy: float, chance: float = 0.5, t: ClaimThresholds = T
) -> Finding:
    """Section 1: does the network without an activation stay near chance on the harder of xor and circle?
    "Near" is the verdict's own margin (:attr:`ClaimThresholds.chance_margin`)."""
    near = identity_accuracy <= chance + t.chance_margin
    key = "s1.result.chance" if near else "s1.result.above_chance"
    return key, {"identity_acc": identity_accuracy, "relu_acc": relu_accuracy}


def mul_error(*, identity: Estimate, relu: Estimate) -> Finding:
    """Section 1: does ReLU lower the error on a×b? Either one is said to be lower only when Welch's t-test
    over the seeds tells the two means apart (:func:`actlab.experiments.stats.welch_separated`)."""
    if not welch_separated(identity, relu):
        key = "s1.mul.unclear"
    elif relu.mean < identity.mean:
        key = "s1.mul.lower"
    else:
        key = "s1.mul.higher"
    return key, {"identity_mul": identity.mean, "relu_mul": relu.mean}


def saturating_outside(*, sigmoid_slope: float, tanh_slope: float, limits: FindingLimits = L) -> Finding:
    """Section 4: do sigmoid and tanh flatten out far outside the training range? A slope is the share of the
    truth's growth that the prediction follows there (:func:`actlab.training.evaluate.slope_ratio`)."""
    flat = all(abs(s) <= limits.flat for s in (sigmoid_slope, tanh_slope))
    key = "s4.saturating.flat" if flat else "s4.saturating.not_flat"
    return key, {"sigmoid_slope": sigmoid_slope, "tanh_slope": tanh_slope}


def relu_like_outside(*, relu_slope: float, leaky_slope: float, limits: FindingLimits = L) -> Finding:
    """Section 4: do relu and leaky_relu keep going roughly straight (following the truth) out there?"""
    straight = all(abs(s - 1) <= limits.straight for s in (relu_slope, leaky_slope))
    key = "s4.relu_like.straight" if straight else "s4.relu_like.bent"
    return key, {"relu_slope": relu_slope, "leaky_slope": leaky_slope}


def leaky_dead(*, relu_dead_end: float, leaky_dead_end: float) -> Finding:
    """Section 5: does Leaky ReLU end with fewer dead units than ReLU under the same conditions?"""
    key = "s5.leaky.fewer" if leaky_dead_end < relu_dead_end else "s5.leaky.not_fewer"
    return key, {}
