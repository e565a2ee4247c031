"""Every catalog entry against its PyTorch counterpart, and every closed-form derivative against autograd.

**Error model** (every tolerance below; implemented in ``catalog_error_model.py``). The reference is the
catalog's formula evaluated in float64 at the input rounded to the dtype under test, so both sides see the same
``x`` (the float64 formula is itself held to PyTorch's float64 kernels, below). A result in float64, float32,
bfloat16 or float16, ours or PyTorch's, passes when

    |result - reference| <= K · eps · (|f(x)| + |x · f'(x)| + gate · |x|) + tiny · (1 + |x|),   K = 8,

``eps`` being the dtype's machine epsilon (one unit in the last place at 1.0) and ``tiny`` its smallest normal
number. Each term has a reason:

* ``eps · |f(x)|`` is at least one unit in the last place of the result: each elementary operation (an
  ``exp``, ``erfc``, ``tanh``, a product) rounds once, PyTorch's vectorised kernels (SLEEF and its own
  polynomials) are accurate to within 1-3.5 such units, and the result is rounded to the dtype; bfloat16 and
  float16 kernels compute in float32 and round once;
* ``eps · |x · f'(x)|`` is the function's condition: an intermediate such as ``x/√2``, ``βx``, ``x + 3`` or
  ``x³`` is rounded in the dtype, which moves the argument by up to ``eps`` relative, and ``f`` moves by
  ``|x · f'(x)|`` times that (GELU at x = -10 in bfloat16: ``x·f'/f ≈ 100``);
* ``gate · |x|``: PyTorch's GELU forms its gate as ``½(1 + erf(x/√2))`` or ``½(1 + tanh(u))``, which cancels
  for negative ``x``: an absolute error of ``eps`` in the gate, times ``x`` (this is the 1.3e-4 relative error
  at x = -3 in float32 that one CPU showed). The catalog's own formulas use ``erfc`` and ``σ(2u)`` and never
  cancel, so for them ``gate`` is 0: a stricter bound, which they meet;
* ``tiny · (1 + |x|)``: a result or a gate below the smallest normal number may be flushed to zero (GPUs,
  some vectorised ``exp``), and a gate is then multiplied by ``x``.

``K = 8``: the longest formula here chains four rounding steps (a scaling, the special function, the gate's
scaling, the product), each at most two units including the kernels' own error, so errors add up to 8 units.
(Observed on a 2-core AMD EPYC with torch 2.13: at most 2.3 units, for any implementation and dtype.) A wrong
formula, coefficient or branch is off by far more: the tests below fail at 1e-3 relative and beyond.

Derivatives are compared in float64 with ``f'`` in place of ``f`` and ``f''`` in place of ``f'``, and an
absolute term ``1 + |x|`` instead of the gate: every derivative in the catalog is a sum of terms no larger than
that (``silu' = σ + xσ(1 - σ)``, ``tanh' = 1 - tanh²``), which cancel where ``f'`` is small, and PyTorch's
backward kernels and autograd through a formula do cancel there. The one exception is named where it applies.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from catalog_error_model import K, assert_within, curvature, derivative_bound, forward_bound

from actlab.catalog.entries import CATALOG, Activation

INF = math.inf
# 0, ±1e-8, ±1, ±20, ±1e4, points near every kink of the catalog, and a dense stretch where the functions bend.
EDGES = [0.0, 1e-8, -1e-8, 1.0, -1.0, 20.0, -20.0, 1e4, -1e4]
KINKS = [3.0, -3.0, 6.0, 0.5, -0.5, 2.5, -2.5, 5.9, 6.1, 30.0, 21.0, 19.0]
GRID = EDGES + KINKS + torch.linspace(-12.0, 12.0, 481, dtype=torch.float64).tolist()

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
LOW_PRECISION = [torch.float32, torch.bfloat16, torch.float16]
CANCELLING_GATE = {"gelu"}  # PyTorch's kernels form ½(1 + erf) or ½(1 + tanh) (see the docstring)


def _reference(entry: Activation, params: dict[str, Any], dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
    """The grid rounded to ``dtype``, and in float64 at those inputs: x, f(x), f'(x)."""
    x = torch.tensor(GRID, dtype=torch.float64).to(dtype)
    x64 = x.double()
    resolved = entry.resolve(**params)
    return x, x64, entry.fn(x64, **resolved), entry.grad(x64, **resolved)


def _pytorch(entry: Activation, params: dict[str, Any], x: torch.Tensor) -> torch.Tensor:
    assert entry.torch_fn is not None
    try:
        return entry.torch_fn(x, **params)
    except (NotImplementedError, RuntimeError) as err:  # an older PyTorch without a kernel for this dtype
        if "not implemented" not in str(err):
            raise
        pytest.skip(f"this PyTorch has no {x.dtype} kernel for {entry.torch_name}: {err}")


@pytest.mark.parametrize("dtype", LOW_PRECISION, ids=str)
@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_our_formula_within_the_error_model(name: str, params: dict[str, Any], dtype: torch.dtype) -> None:
    entry = CATALOG[name]
    x, x64, value, slope = _reference(entry, params, dtype)
    ours = entry.fn(x, **entry.resolve(**params))
    assert ours.dtype == dtype
    assert_within(ours, value, forward_bound(x64, value, slope, dtype), f"{name}{params} in {dtype}")


@pytest.mark.parametrize("dtype", [torch.float64, *LOW_PRECISION], ids=str)
@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_pytorch_within_the_error_model(name: str, params: dict[str, Any], dtype: torch.dtype) -> None:
    """PyTorch's counterpart on the same inputs: the catalog's formula (the reference) defines the same function
    as PyTorch's kernel, parameters and all."""
    entry = CATALOG[name]
    x, x64, value, slope = _reference(entry, params, dtype)
    theirs = _pytorch(entry, params, x)
    if name == "step":  # torch.heaviside maps NaN to 0; there is no NaN on this grid
        assert theirs.dtype == dtype
    bound = forward_bound(x64, value, slope, dtype, gate=name in CANCELLING_GATE)
    assert_within(theirs, value, bound, f"PyTorch's {entry.torch_name}{params} in {dtype}")


def test_the_error_model_fails_a_wrong_coefficient() -> None:
    """The bound is tight enough to see a formula off in its fourth digit (GELU-tanh with 0.0447 for 0.044715)."""
    entry = CATALOG["gelu"]
    x, x64, value, slope = _reference(entry, {"approximate": "tanh"}, torch.float32)
    inner = 0.7978845608028654 * (x + 0.0447 * x * x * x)
    wrong = x * torch.sigmoid(2.0 * inner)
    with pytest.raises(AssertionError, match="outside the error model"):
        assert_within(wrong, value, forward_bound(x64, value, slope, torch.float32), "wrong gelu")


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
    resolved = entry.resolve(**params)
    x = torch.tensor(GRID, dtype=torch.float64)
    ours = entry.grad(x, **resolved)
    bound = derivative_bound(x, ours, curvature(entry.grad, x, **resolved))
    if name == "hardsigmoid":  # PyTorch's backward multiplies by 1/6 rounded to float32, even in float64
        bound = K * torch.finfo(torch.float32).eps * ours.abs()
    assert_within(_autograd_derivative(entry, params, x), ours, bound, f"autograd of {entry.torch_name}{params}")


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_derivative_matches_autograd_of_our_own_formula(name: str, params: dict[str, Any]) -> None:
    """Away from kinks, autograd through our forward formula agrees with our closed-form derivative."""
    entry = CATALOG[name]
    resolved = entry.resolve(**params)
    x = torch.linspace(-7.3, 7.1, 301, dtype=torch.float64)
    xx = x.clone().requires_grad_(True)
    y = entry.fn(xx, **resolved)
    expected = torch.autograd.grad(y.sum(), xx)[0] if y.requires_grad else torch.zeros_like(x)
    ours = entry.grad(x, **resolved)
    bound = derivative_bound(x, ours, curvature(entry.grad, x, **resolved))
    assert_within(expected, ours, bound, f"autograd through the formula of {name}{params}")


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
    # Central differences with h = 1e-6 err by h²|f'''|/6 + eps|f|/h < 1e-9 here: atol 1e-6 sees any wrong slope.
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


def test_lesson_definition_of_relu() -> None:
    x = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0])
    assert CATALOG["relu"].fn(x).tolist() == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert CATALOG["relu"].grad(x).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert CATALOG["leaky_relu"].fn(x).tolist() == pytest.approx([-0.02, -0.01, 0.0, 1.0, 2.0])
