"""Every catalog entry against its PyTorch counterpart, and every closed-form derivative against autograd."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from actlab.catalog import CATALOG, Activation

INF = math.inf
# The grid: 0, ±1e-8, ±1, ±20, ±1e4, ±inf and NaN, plus points near every kink of the catalog.
EDGES = [0.0, 1e-8, -1e-8, 1.0, -1.0, 20.0, -20.0, 1e4, -1e4, INF, -INF, math.nan]
KINKS = [3.0, -3.0, 6.0, 0.5, -0.5, 2.5, -2.5, 5.9, 6.1, 30.0, 21.0, 19.0]
GRID = EDGES + KINKS

# Non-default hyper-parameters, so that parameter passing is checked too.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "leaky_relu": [{"negative_slope": 0.2}],
    "prelu": [{"init": 0.1}],
    "elu": [{"alpha": 0.5}],
    "celu": [{"alpha": 2.0}],
    "gelu": [{"approximate": "tanh"}],
    "softplus": [{"beta": 2.0}, {"beta": 0.5, "threshold": 5.0}],
    "hardtanh": [{"min_val": -2.0, "max_val": 3.0}],
}
CASES = [(name, {}) for name in CATALOG] + [(n, p) for n, vs in VARIANTS.items() for p in vs]
IDS = [f"{n}{'-' + '-'.join(f'{k}={v}' for k, v in p.items()) if p else ''}" for n, p in CASES]

# Tolerances: float64 agrees to rounding; float32 to a few ulps; bfloat16 (8 bits of mantissa) to ~1 %.
TOLERANCE = {
    torch.float64: {"rtol": 1e-12, "atol": 1e-15},
    torch.float32: {"rtol": 2e-6, "atol": 1e-7},
    torch.bfloat16: {"rtol": 2e-2, "atol": 2e-2},
}
LIMITS_AT_INFINITY = {  # mathematical limits where PyTorch returns NaN instead (declared per entry)
    ("gelu", "-inf"): 0.0,
    ("silu", "-inf"): 0.0,
    ("mish", "-inf"): 0.0,
    ("hardswish", "-inf"): 0.0,
    ("softsign", "-inf"): -1.0,
    ("softsign", "+inf"): 1.0,
}


def _grid(dtype: torch.dtype) -> torch.Tensor:
    return torch.tensor(GRID, dtype=torch.float64).to(dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16], ids=str)
@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_forward_matches_pytorch(name: str, params: dict[str, Any], dtype: torch.dtype) -> None:
    entry = CATALOG[name]
    assert entry.torch_fn is not None
    x = _grid(dtype)
    ours = entry.fn(x, **entry.resolve(**params))
    theirs = entry.torch_fn(x, **params)
    assert ours.dtype == dtype
    for side in entry.infinity_differs:
        index = GRID.index(INF if side == "+inf" else -INF)
        assert torch.isnan(theirs[index]), f"PyTorch now returns a number at {side}: drop the exception"
        assert ours[index].item() == LIMITS_AT_INFINITY[(name, side)]
        theirs[index] = ours[index]
    if name == "step":  # torch.heaviside maps NaN to 0; the catalog keeps its rule "NaN in, NaN out"
        nan_at = len(EDGES) - 1
        assert theirs[nan_at].item() == 0.0 and torch.isnan(ours[nan_at])
        theirs[nan_at] = math.nan
    # Some PyTorch releases return NaN for a number (2.11's float32 GELU at +inf); there the catalog must give
    # its float64 answer instead, which is the function's value or limit.
    broken = torch.isnan(theirs) & ~torch.isnan(x)
    if broken.any():
        reference = entry.fn(x.double(), **entry.resolve(**params)).to(dtype)
        torch.testing.assert_close(ours[broken], reference[broken], rtol=0, atol=0, equal_nan=True)
        theirs = torch.where(broken, reference, theirs)
    tolerance = dict(TOLERANCE[dtype])
    if name == "gelu" and dtype == torch.float32:
        tolerance["rtol"] = 1e-4  # PyTorch's float32 erf-GELU is off by 4e-5 at x = -3; ours is not (below)
    torch.testing.assert_close(ours, theirs, equal_nan=True, **tolerance)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_float32_accuracy_against_float64(name: str, params: dict[str, Any]) -> None:
    entry = CATALOG[name]
    resolved = entry.resolve(**params)
    x64 = torch.tensor([v for v in GRID if math.isfinite(v)], dtype=torch.float64).to(torch.float32).double()
    ours32 = entry.fn(x64.float(), **resolved).double()
    torch.testing.assert_close(ours32, entry.fn(x64, **resolved), rtol=2e-6, atol=1e-12)


def test_every_declared_infinity_difference_has_a_limit() -> None:
    declared = {(e.name, side) for e in CATALOG.values() for side in e.infinity_differs}
    assert declared == set(LIMITS_AT_INFINITY)


def _autograd_derivative(entry: Activation, params: dict[str, Any], x: torch.Tensor) -> torch.Tensor:
    """PyTorch's own derivative of the counterpart (the reference for every convention at kinks)."""
    assert entry.torch_fn is not None
    if entry.name == "step":  # torch.heaviside has no derivative at all; the step's is 0 everywhere
        return torch.zeros_like(x)
    xx = x.clone().requires_grad_(True)
    y = entry.torch_fn(xx, **params)
    if not y.requires_grad:  # the identity's counterpart is x itself
        return torch.ones_like(x)
    (grad,) = torch.autograd.grad(y.sum(), xx)
    return grad


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_derivative_matches_autograd_float64(name: str, params: dict[str, Any]) -> None:
    entry = CATALOG[name]
    finite = [v for v in GRID if math.isfinite(v)]
    x = torch.tensor(finite, dtype=torch.float64)
    ours = entry.grad(x, **entry.resolve(**params))
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, even in float64
    rtol = 1e-7 if name == "hardsigmoid" else 1e-12
    torch.testing.assert_close(ours, _autograd_derivative(entry, params, x), rtol=rtol, atol=1e-15)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_derivative_matches_autograd_of_our_own_formula(name: str, params: dict[str, Any]) -> None:
    """Away from kinks, autograd through our forward formula agrees with our closed-form derivative."""
    entry = CATALOG[name]
    resolved = entry.resolve(**params)
    x = torch.linspace(-7.3, 7.1, 301, dtype=torch.float64)
    xx = x.clone().requires_grad_(True)
    y = entry.fn(xx, **resolved)
    expected = torch.autograd.grad(y.sum(), xx)[0] if y.requires_grad else torch.zeros_like(x)
    torch.testing.assert_close(entry.grad(x, **resolved), expected, rtol=1e-10, atol=1e-12)


class _ClosedForm(torch.autograd.Function):
    """f with our hand-written derivative as its backward, for gradcheck's finite differences."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, entry: Activation, params: dict[str, Any]) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.entry, ctx.params = entry, params
        return entry.fn(x, **params)

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        (x,) = ctx.saved_tensors
        return grad_out * ctx.entry.grad(x, **ctx.params), None, None


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_gradcheck_away_from_kinks(name: str, params: dict[str, Any]) -> None:
    entry = CATALOG[name]
    resolved = entry.resolve(**params)
    # Points at least 0.05 from every kink of the catalog (0, ±3, 6, hardtanh's ends, softplus' threshold).
    x = torch.tensor([-4.4, -2.2, -1.3, -0.7, -0.2, 0.3, 0.9, 1.6, 2.6, 4.1, 5.2], dtype=torch.float64)
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: _ClosedForm.apply(t, entry, resolved), (x,), eps=1e-6, atol=1e-6)


KINK_CONVENTIONS = [
    ("relu", {}, 0.0, 0.0),
    ("leaky_relu", {}, 0.0, 0.01),
    ("leaky_relu", {"negative_slope": 0.2}, 0.0, 0.2),
    ("prelu", {}, 0.0, 0.25),
    ("relu6", {}, 0.0, 0.0),
    ("relu6", {}, 6.0, 0.0),
    ("elu", {}, 0.0, 1.0),
    ("elu", {"alpha": 0.5}, 0.0, 0.5),
    ("selu", {}, 0.0, 1.0507009873554805 * 1.6732632423543772),
    ("celu", {"alpha": 2.0}, 0.0, 1.0),
    ("hardtanh", {}, -1.0, 0.0),
    ("hardtanh", {}, 1.0, 0.0),
    ("hardsigmoid", {}, -3.0, 0.0),
    ("hardsigmoid", {}, 3.0, 0.0),
    ("hardswish", {}, -3.0, 0.0),
    ("hardswish", {}, 3.0, 1.0),
    ("step", {}, 0.0, 0.0),
    ("softplus", {}, 20.0, 0.5 * (1 + math.tanh(10.0))),  # at the threshold itself, still σ(βx)
]


@pytest.mark.parametrize(("name", "params", "at", "slope"), KINK_CONVENTIONS)
def test_documented_kink_convention_exactly(name: str, params: dict[str, Any], at: float, slope: float) -> None:
    entry = CATALOG[name]
    value = entry.grad(torch.tensor([at], dtype=torch.float64), **entry.resolve(**params)).item()
    assert value == pytest.approx(slope, rel=1e-15, abs=0.0)


@pytest.mark.parametrize("name", list(CATALOG))
def test_derivative_limits_at_infinity(name: str) -> None:
    entry = CATALOG[name]
    x = torch.tensor([INF, -INF], dtype=torch.float64)
    d = entry.grad(x, **entry.resolve())
    if name == "sin":
        assert torch.isnan(d).all()  # cos has no limit at infinity
        return
    assert torch.isfinite(d).all(), d
    if entry.properties.saturating:
        assert d.tolist() == [0.0, 0.0]


def test_lesson_definition_of_relu() -> None:
    x = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0])
    assert CATALOG["relu"].fn(x).tolist() == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert CATALOG["relu"].grad(x).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert CATALOG["leaky_relu"].fn(x).tolist() == pytest.approx([-0.02, -0.01, 0.0, 1.0, 2.0])
