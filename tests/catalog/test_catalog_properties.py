"""Hypothesis properties: monotonic entries are monotonic, bounded ones stay in range, finite stays finite."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from actlab.catalog.entries import CATALOG

FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
BIG = st.sampled_from([1e4, -1e4, 1e6, -1e6, 3e38, -3e38, 1e-30, -1e-30])
NAMES = list(CATALOG)
MONOTONIC = [n for n in NAMES if CATALOG[n].properties.monotonic]
BOUNDED = [n for n in NAMES if CATALOG[n].properties.bounded_below or CATALOG[n].properties.bounded_above]


@pytest.mark.parametrize("name", MONOTONIC)
@settings(max_examples=60, deadline=None)
@given(a=FINITE, b=FINITE)
def test_monotonic_entries_never_decrease(name: str, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    f = CATALOG[name].fn
    y = f(torch.tensor([lo, hi], dtype=torch.float64), **CATALOG[name].resolve())
    assert y[0] <= y[1]


@pytest.mark.parametrize("name", BOUNDED)
@settings(max_examples=60, deadline=None)
@given(xs=st.lists(FINITE | BIG, min_size=1, max_size=20))
def test_bounded_entries_stay_in_their_range(name: str, xs: list[float]) -> None:
    entry = CATALOG[name]
    r = entry.range_for()
    for dtype in (torch.float64, torch.float32):
        y = entry.fn(torch.tensor(xs, dtype=dtype), **entry.resolve())
        # float rounding may reach an open end (sigmoid(40) == 1.0 exactly), never pass it
        assert bool(((y >= r.low) & (y <= r.high)).all()), (xs, y)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None)
@given(xs=st.lists(FINITE | BIG, min_size=1, max_size=20))
def test_finite_input_gives_finite_output_and_slope(name: str, xs: list[float]) -> None:
    entry = CATALOG[name]
    for dtype in (torch.float64, torch.float32):
        x = torch.tensor(xs, dtype=dtype)
        x = x[torch.isfinite(x)]  # 3e38 overflows float32 on conversion
        assert torch.isfinite(entry.fn(x, **entry.resolve())).all(), name
        assert torch.isfinite(entry.grad(x, **entry.resolve())).all(), name


@pytest.mark.parametrize("name", ["softplus", "mish", "selu", "elu", "celu", "gelu", "silu"])
def test_no_overflow_at_plus_minus_1e4(name: str) -> None:
    entry = CATALOG[name]
    for dtype in (torch.float32, torch.float64, torch.bfloat16):
        x = torch.tensor([1e4, -1e4], dtype=dtype)
        y = entry.fn(x, **entry.resolve())
        assert torch.isfinite(y).all(), (name, dtype, y)
        assert y[0].item() == pytest.approx(x[0].item() * (1.0507009873554805 if name == "selu" else 1.0), rel=1e-2)
