"""Confidence intervals and separation: the t quantile against published tables, intervals by hand."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from actlab.experiments.stats import estimate, seeds_needed, t_cdf, t_quantile, welch_separated


@pytest.mark.parametrize(
    ("df", "expected"),  # two-sided 95 % critical values from standard tables
    [(1, 12.7062), (2, 4.3027), (3, 3.1824), (5, 2.5706), (9, 2.2622), (15, 2.1314), (30, 2.0423), (120, 1.9799)],
)
def test_t_quantile_matches_tables(df: int, expected: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=5e-5)


def test_t_quantile_tends_to_normal_and_is_odd() -> None:
    assert t_quantile(0.975, 1e6) == pytest.approx(1.959964, abs=1e-4)
    assert t_quantile(0.025, 7) == pytest.approx(-t_quantile(0.975, 7), abs=1e-10)
    assert t_quantile(0.5, 4) == pytest.approx(0.0, abs=1e-9)


def test_t_cdf_closed_form_for_one_and_two_df() -> None:
    for t in (-3.0, -0.5, 0.7, 4.0):
        assert t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-12)  # Cauchy
        assert t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.51, 0.999), st.integers(1, 200))
def test_t_quantile_inverts_cdf(p: float, df: int) -> None:
    assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-9)


def test_estimate_by_hand() -> None:
    e = estimate([1.0, 2.0, 3.0, 6.0])
    assert e.mean == 3.0
    assert e.std == pytest.approx(math.sqrt(14 / 3))
    assert e.ci95 == pytest.approx(3.1824463 * math.sqrt(14 / 3) / 2, rel=1e-6)
    assert (e.low, e.high) == pytest.approx((e.mean - e.ci95, e.mean + e.ci95))


def test_estimate_agrees_with_torch_std() -> None:
    values = torch.randn(50, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    e = estimate(values.tolist())
    assert e.mean == pytest.approx(values.mean().item(), abs=1e-12)
    assert e.std == pytest.approx(values.std().item(), abs=1e-12)


def test_estimate_sets_aside_non_finite_values() -> None:
    e = estimate([1.0, math.nan, 3.0, math.inf])
    assert (e.mean, e.n, e.missing) == (2.0, 2, 2)
    one = estimate([5.0])
    assert one.mean == 5.0 and math.isnan(one.ci95)
    assert estimate([]).n == 0


def test_separation_and_seeds_needed() -> None:
    tight_low, tight_high = estimate([1.0, 1.1, 0.9, 1.0]), estimate([2.0, 2.1, 1.9, 2.0])
    assert welch_separated(tight_low, tight_high)
    wide_low, wide_high = estimate([0.0, 2.0, 1.0, 3.0]), estimate([0.5, 2.5, 1.5, 3.5])
    assert not welch_separated(wide_low, wide_high)
    n = seeds_needed(wide_low, wide_high)
    # means 0.5 apart, standard deviations √(5/3) each: the normal approximation asks (1.96 · 2√(5/3) / 0.5)²
    # = 102.4 seeds, the t quantile's wider tails 2.6 more
    assert n == 105
    spread = wide_low.std + wide_high.std  # the returned n is the first where the intervals stop touching
    assert (
        t_quantile(0.975, n - 1) * spread / math.sqrt(n) < 0.5 <= t_quantile(0.975, n - 2) * spread / math.sqrt(n - 1)
    )
    assert seeds_needed(wide_low, wide_low) is None


def test_each_quantile_is_computed_once() -> None:
    """A comparison asks for t(0.975, n - 1) once per interval (1,671 times for 8 activations x 16 seeds, each
    a bisection of 40 incomplete-beta evaluations); the answer for one (p, df) is remembered."""
    t_quantile.cache_clear()
    for _ in range(50):
        estimate([1.0, 2.0, 4.0, 8.0])
    info = t_quantile.cache_info()
    assert (info.misses, info.hits) == (1, 49)
    assert estimate([1.0, 2.0, 4.0, 8.0]).ci95 == pytest.approx(3.1824463 * math.sqrt(9.583333333333334) / 2)
