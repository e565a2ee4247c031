"""Every catalog entry at the edges of its dtype: ±inf, ±huge (the dtype's largest number), NaN and ±0.

Expected values are the mathematics, written by hand below, not what any kernel returns: at ±inf the limit of
``f`` and of ``f'``; at ±huge the value of ``f`` (its asymptote, which every entry has reached long before:
``gelu(x) = x``, ``elu(x) = -α``, ``selu(x) = λx``, which is beyond the largest number and so rounds to inf),
rounded to the dtype; at ±0 the value and the documented convention of ``f'``; at NaN, NaN. ``sin`` has no
limit: NaN at ±inf, and ``sin(x)``, ``cos(x)`` at ±huge.

Checked for the catalog's formula (``entry.fn``), the module from ``actlab.get`` (PyTorch's fused kernel,
repaired where it misses a limit) in three layouts — one element (PyTorch's scalar loop), 64 equal elements
(its vectorised loop) and all edges mixed with ordinary values — the closed-form derivative
(``entry.grad`` and ``module.derivative``), and autograd through the module. Finite expected values allow the
error model's K units of the dtype's eps (``catalog_error_model``); infinities and NaN must match exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from catalog_error_model import K, assert_within
from test_catalog_values import CASES, IDS

import actlab
import actlab.catalog.modules
from actlab.catalog.entries import CATALOG

SELU_SCALE, SELU_ALPHA = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717
LN2 = math.log(2.0)

Fn = Callable[[float, dict[str, Any]], float]


def _sin(x: float, _p: dict[str, Any]) -> float:
    return math.nan if math.isinf(x) else math.sin(x)


def _cos(x: float, _p: dict[str, Any]) -> float:
    return math.nan if math.isinf(x) else math.cos(x)


def _const(value: float) -> Fn:
    return lambda _x, _p: value


def _param(name: str, scale: float = 1.0) -> Fn:
    return lambda _x, p: scale * p[name]


X: Fn = lambda x, _p: x  # noqa: E731
ZERO, ONE = _const(0.0), _const(1.0)

# name: (f near -inf, f near +inf, f' near -inf, f' near +inf, f(0), f'(0)), each a function of (x, params)
EDGES: dict[str, tuple[Fn, Fn, Fn, Fn, Fn, Fn]] = {
    "identity": (X, X, ONE, ONE, ZERO, ONE),
    "step": (ZERO, ONE, ZERO, ZERO, ZERO, ZERO),
    "relu": (ZERO, X, ZERO, ONE, ZERO, ZERO),
    "leaky_relu": (
        lambda x, p: p["negative_slope"] * x,
        X,
        _param("negative_slope"),
        ONE,
        ZERO,
        _param("negative_slope"),
    ),
    "prelu": (lambda x, p: p["init"] * x, X, _param("init"), ONE, ZERO, _param("init")),
    "relu6": (ZERO, _const(6.0), ZERO, ZERO, ZERO, ZERO),
    "elu": (_param("alpha", -1.0), X, ZERO, ONE, ZERO, _param("alpha")),
    "selu": (
        _const(-SELU_SCALE * SELU_ALPHA),
        lambda x, _p: SELU_SCALE * x,
        ZERO,
        _const(SELU_SCALE),
        ZERO,
        _const(SELU_SCALE * SELU_ALPHA),
    ),
    "celu": (_param("alpha", -1.0), X, ZERO, ONE, ZERO, ONE),
    "gelu": (ZERO, X, ZERO, ONE, ZERO, _const(0.5)),
    "silu": (ZERO, X, ZERO, ONE, ZERO, _const(0.5)),
    "mish": (ZERO, X, ZERO, ONE, ZERO, _const(0.6)),  # f'(0) = tanh(ln 2) = 3/5
    "softplus": (ZERO, X, ZERO, ONE, lambda _x, p: LN2 / p["beta"], _const(0.5)),
    "sigmoid": (ZERO, ONE, ZERO, ZERO, _const(0.5), _const(0.25)),
    "tanh": (_const(-1.0), ONE, ZERO, ZERO, ZERO, ONE),
    "hardtanh": (_param("min_val"), _param("max_val"), ZERO, ZERO, ZERO, ONE),
    "hardsigmoid": (ZERO, ONE, ZERO, ZERO, _const(0.5), _const(1 / 6)),
    "hardswish": (ZERO, X, ZERO, ONE, ZERO, _const(0.5)),
    "softsign": (_const(-1.0), ONE, ZERO, ZERO, ZERO, ONE),
    "sin": (_sin, _sin, _cos, _cos, ZERO, ONE),
}

DTYPES = [torch.float32, torch.bfloat16, torch.float16, torch.float64]


def _points(dtype: torch.dtype) -> list[float]:
    big = torch.finfo(dtype).max
    return [-math.inf, math.inf, -big, big, math.nan, 0.0, -0.0]


def _expected(name: str, params: dict[str, Any], dtype: torch.dtype, derivative: bool) -> torch.Tensor:
    """The mathematics at each of :func:`_points`, computed in float64 and rounded to ``dtype``."""
    low, high, d_low, d_high, at_zero, d_at_zero = EDGES[name]
    values = []
    for x in _points(dtype):
        if math.isnan(x):
            values.append(math.nan)
        elif x == 0.0:
            values.append((d_at_zero if derivative else at_zero)(x, params))
        else:
            values.append(((d_high if derivative else high) if x > 0 else (d_low if derivative else low))(x, params))
    return torch.tensor(values, dtype=torch.float64).to(dtype)


def _bound(expected: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
    info = torch.finfo(dtype or expected.dtype)
    return K * info.eps * expected.double().abs().nan_to_num(posinf=0.0) + info.tiny


def _layouts(x: torch.Tensor) -> list[tuple[str, torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]]:
    """The points one element at a time, each as 64 equal elements, and all mixed with ordinary values;
    each with the map from the layout's output back to one value per point."""
    n = len(x)
    mixed = torch.cat([x, torch.linspace(-5, 5, 57, dtype=x.dtype), x])
    return [
        ("one element", x, lambda y: y),
        ("64 equal elements", x.repeat_interleave(64), lambda y: y.view(n, 64)[:, 37]),
        ("mixed", mixed, lambda y: y[n + 57 :]),
    ]


def test_every_entry_has_its_edges_written_down() -> None:
    assert set(EDGES) == set(CATALOG)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_formula_and_derivative_at_the_edges(name: str, params: dict[str, Any], dtype: torch.dtype) -> None:
    entry = CATALOG[name]
    resolved = entry.resolve(**params)
    x = torch.tensor(_points(dtype), dtype=torch.float64).to(dtype)
    want, want_d = _expected(name, resolved, dtype, False), _expected(name, resolved, dtype, True)
    assert_within(entry.fn(x, **resolved), want, _bound(want), f"{name} formula in {dtype}")
    assert_within(entry.grad(x, **resolved), want_d, _bound(want_d), f"{name}' in {dtype}")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_module_at_the_edges(name: str, params: dict[str, Any], dtype: torch.dtype) -> None:
    """What a network runs: gelu, silu, mish, hardswish and softsign repair their kernels' NaN and inf."""
    module = actlab.get(name, **params).to(dtype)
    resolved = module.params if name != "prelu" else {"init": module.weight.item()}
    x = torch.tensor(_points(dtype), dtype=torch.float64).to(dtype)
    want, want_d = _expected(name, resolved, dtype, False), _expected(name, resolved, dtype, True)
    for layout, inputs, pick in _layouts(x):
        with torch.no_grad():
            assert_within(pick(module(inputs)), want, _bound(want), f"{module!r} in {dtype}, {layout}")
        assert_within(pick(module.derivative(inputs)), want_d, _bound(want_d), f"{name}.derivative, {layout}")
    _check_autograd_through_the_module(module, x, want_d, dtype)


def _check_autograd_through_the_module(
    module: torch.nn.Module, x: torch.Tensor, want_d: torch.Tensor, dtype: torch.dtype
) -> None:
    """The gradient a network gets, at ±inf, ±huge and ±0 (at NaN the output is NaN already; PyTorch's backward
    kernels do not all pass NaN on, e.g. relu's gives 1 there, and nothing is asserted)."""
    keep = ~torch.isnan(x)
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, even in float64
    precision = (
        torch.float32 if isinstance(module, actlab.catalog.modules.Hardsigmoid) and dtype == torch.float64 else dtype
    )
    for layout, inputs, pick in _layouts(x):
        xx = inputs.clone().requires_grad_(True)
        y = module(xx)
        if not y.requires_grad:  # the step: no graph; its zero slope is the closed form's, checked above
            continue
        (g,) = torch.autograd.grad(y.sum(), xx)
        bound = _bound(want_d[keep], precision)
        assert_within(pick(g)[keep], want_d[keep], bound, f"autograd of {module!r} in {dtype}, {layout}")


@pytest.mark.parametrize("name", ["gelu", "silu", "mish", "hardswish", "softsign"])
def test_the_repair_leaves_ordinary_outputs_to_the_kernel(name: str) -> None:
    """Ordinary inputs take the kernel's bits (the repair is only a check), and with one infinity among them
    only the infinity's place changes."""
    entry = CATALOG[name]
    module = actlab.get(name)
    assert entry.torch_fn is not None
    x = torch.linspace(-6, 6, 101)
    kernel = entry.torch_fn(x)
    assert torch.equal(module(x), kernel)
    node = module(x.clone().requires_grad_(True)).grad_fn
    assert node is not None and "Repaired" not in type(node).__name__  # PyTorch's own backward kernel
    with_inf = torch.cat([x, torch.tensor([-math.inf])])
    out = module(with_inf)
    assert torch.equal(out[:-1], kernel) and out[-1].item() == (-1.0 if name == "softsign" else 0.0)
    assert "Repaired" in type(module(with_inf.requires_grad_(True)).grad_fn).__name__
