"""Each verdict follows from its numbers: made-up measurements on both sides of every threshold."""

from __future__ import annotations

import pytest

from actlab.tour import claim_verdicts as v
from actlab.tour.claim_verdicts import ClaimVerdict

C, P, N = ClaimVerdict.CONFIRMED, ClaimVerdict.PARTLY, ClaimVerdict.NOT_CONFIRMED


@pytest.mark.parametrize(
    ("identity", "relu", "expected"),
    [
        (0.50, 0.99, C),  # near chance without, solved with
        (0.65, 0.95, C),  # exactly at both thresholds
        (0.66, 0.99, P),  # identity just above chance + margin: a gap, not a clean confirmation
        (0.50, 0.94, P),  # relu just below "solved", still a clear gap
        (0.80, 0.89, N),  # a gap under 10 points
        (0.90, 0.85, N),
    ],
)
def test_nonlinearity_needed(identity: float, relu: float, expected: ClaimVerdict) -> None:
    assert v.nonlinearity_needed(identity_accuracy=identity, relu_accuracy=relu) is expected


@pytest.mark.parametrize(
    ("ratios", "expected"),
    [
        ({"relu": 1.0, "sigmoid": 1.5, "tanh": 1.2, "gelu": 2.0}, C),
        ({"relu": 1.0, "sigmoid": 1.10, "tanh": 1.10}, C),  # exactly 10 % slower counts
        ({"relu": 1.0, "sigmoid": 1.5, "tanh": 1.2, "leaky_relu": 0.9}, C),  # ReLU's own variant is no rival
        ({"relu": 1.0, "sigmoid": 1.5, "tanh": 1.2, "gelu": 1.0}, P),  # faster than some only
        ({"relu": 1.0, "sigmoid": 1.09, "tanh": 1.0, "gelu": 1.3}, P),
        ({"relu": 1.0, "sigmoid": 1.09, "tanh": 0.9}, N),
        ({"relu": 1.0, "leaky_relu": 2.0}, N),  # nothing to compare with
    ],
)
def test_relu_is_fast(ratios: dict[str, float], expected: ClaimVerdict) -> None:
    assert v.relu_is_fast(ratios) is expected


@pytest.mark.parametrize(
    ("relu", "sigmoid", "expected"),
    [(0.7, 1e-5, C), (0.1, 0.01, C), (0.099, 1e-5, P), (0.5, 0.011, P), (0.05, 0.01, N), (1e-4, 1e-3, N)],
)
def test_less_vanishing_gradient(relu: float, sigmoid: float, expected: ClaimVerdict) -> None:
    assert v.less_vanishing_gradient(first_over_last={"relu": relu, "sigmoid": sigmoid}) is expected


@pytest.mark.parametrize(
    ("zeros", "expected"),
    [
        ({"relu": 0.5, "sigmoid": 0.0, "tanh": 0.0}, C),
        ({"relu": 0.30, "sigmoid": 0.01}, C),
        ({"relu": 0.29, "sigmoid": 0.0}, P),
        ({"relu": 0.5, "sigmoid": 0.02}, P),
        ({"relu": 0.05, "sigmoid": 0.0}, P),
        ({"relu": 0.049, "sigmoid": 0.0}, N),
    ],
)
def test_relu_is_sparse(zeros: dict[str, float], expected: ClaimVerdict) -> None:
    assert v.relu_is_sparse(zero_fraction=zeros) is expected


@pytest.mark.parametrize(
    ("mae", "expected"),
    [
        ({"relu": 0.01, "sigmoid": 0.2, "tanh": 0.05}, C),  # relu learns it and beats every other
        ({"relu": 0.05, "sigmoid": 0.2}, C),  # exactly at the "learned" threshold
        ({"relu": 0.02, "sigmoid": 0.2, "identity": 1e-7}, P),  # the linear network is better: only partly
        ({"relu": 0.02, "leaky_relu": 0.02}, P),  # a tie is not "helps"
        ({"relu": 0.051, "sigmoid": 0.3}, N),  # relu does not learn it
    ],
)
def test_relu_helps_addition(mae: dict[str, float], expected: ClaimVerdict) -> None:
    assert v.relu_helps_addition(interp_mae=mae) is expected


@pytest.mark.parametrize(
    ("end", "peak", "expected"),
    [(0.3, 0.3, C), (0.10, 0.11, C), (0.10, 0.2, P), (0.09, 0.09, P), (0.0, 0.1, P), (0.01, 0.05, N), (0.0, 0.0, N)],
)
def test_neurons_die(end: float, peak: float, expected: ClaimVerdict) -> None:
    assert v.neurons_die(relu_dead_end=end, relu_dead_peak=peak) is expected


@pytest.mark.parametrize(
    ("relu_dead", "leaky_dead", "expected"),
    [
        (0.3, 0.0, C),
        (0.10, 0.01, C),  # both exactly at their thresholds
        (0.09, 0.0, P),  # relu hardly died: nothing much to fix
        (0.3, 0.02, P),
        (0.1, 0.1, N),
        (0.0, 0.0, N),
    ],
)
def test_leaky_fixes_dead(relu_dead: float, leaky_dead: float, expected: ClaimVerdict) -> None:
    assert v.leaky_fixes_dead(relu_dead_end=relu_dead, leaky_dead_end=leaky_dead) is expected


@pytest.mark.parametrize(("difference", "expected"), [(0.0, C), (1e-9, C), (1.1e-9, N), (0.1, N)])
def test_example_reproduces(difference: float, expected: ClaimVerdict) -> None:
    assert v.example_reproduces(max_abs_difference=difference) is expected


@pytest.mark.parametrize(
    ("verdict", "numbers"),
    [
        (v.nonlinearity_needed, (0.5, 0.99)),
        (v.less_vanishing_gradient, ({"relu": 0.7, "sigmoid": 1e-5},)),
        (v.relu_is_sparse, ({"relu": 0.5, "sigmoid": 0.0},)),
        (v.relu_helps_addition, ({"relu": 0.01, "sigmoid": 0.2},)),
        (v.neurons_die, (0.3, 0.3)),
        (v.leaky_fixes_dead, (0.3, 0.0)),
        (v.example_reproduces, (0.0,)),
    ],
)
def test_verdict_inputs_are_named(verdict: object, numbers: tuple[object, ...]) -> None:
    """Two accuracies passed by position in swapped order would flip a verdict unnoticed (identity 0.99,
    relu 0.5 reads "not confirmed"): the inputs are keywords only, so a call by position fails at once."""
    with pytest.raises(TypeError, match="positional"):
        verdict(*numbers)  # type: ignore[operator]
