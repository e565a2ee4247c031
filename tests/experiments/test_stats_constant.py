"""The interval of a constant is exactly zero (issue 10, item 8: ``compare`` printed ``±2.1e-17`` for a column
whose every seed had the same value)."""

from __future__ import annotations

import math

import pytest

from actlab.experiments.stats import estimate


@pytest.mark.parametrize(("value", "n"), [(0.1, 3), (0.7, 3), (0.1, 10), (-2.5, 16), (0.0, 5)])
def test_constant_values_have_a_zero_interval_and_themselves_as_mean(value: float, n: int) -> None:
    # (0.1, 3) and (0.7, 3): fsum([v] * 3) / 3 differs from v by an ulp, so the old code gave 4e-17 and 3e-16.
    e = estimate([value] * n)
    assert (e.mean, e.ci95, e.std, e.n) == (value, 0.0, 0.0, n)


def test_a_constant_among_diverged_runs_still_counts_them() -> None:
    e = estimate([0.7, math.nan, 0.7, 0.7, math.inf])
    assert (e.mean, e.ci95, e.std, e.n, e.missing) == (0.7, 0.0, 0.0, 3, 2)


def test_values_one_ulp_apart_are_not_a_constant() -> None:
    e = estimate([1.0, math.nextafter(1.0, 2.0)])
    assert e.std > 0.0 and e.ci95 > 0.0
