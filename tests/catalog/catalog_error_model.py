"""The error model behind every tolerance of the catalog tests (``test_catalog_values``'s docstring derives it).

A result computed in ``dtype`` at an input ``x`` exactly representable in ``dtype`` is compared with a float64
reference and passes when

    |result - reference| <= K · eps · (|f(x)| + |x · f'(x)| + gate · |x|) + tiny · (1 + |x|)

with ``eps`` and ``tiny`` (the smallest normal number) of ``dtype``. For a derivative ``f'`` compared in
float64, ``f`` is ``f'`` and ``f'`` is ``f''``, with the absolute term ``1 + |x|`` in place of ``gate · |x|``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

K = 8  # rounding steps x units each: see test_catalog_values


def forward_bound(x: Tensor, value: Tensor, slope: Tensor, dtype: torch.dtype, gate: bool = False) -> Tensor:
    """The allowed error of ``f(x)`` computed in ``dtype``; ``x``, ``value = f(x)`` and ``slope = f'(x)`` in
    float64. ``gate``: the implementation forms a gate in [0, 1] as ``1 + erf`` or ``1 + tanh``, whose
    absolute rounding error is multiplied by ``x``."""
    info = torch.finfo(dtype)
    scale = value.abs() + (x * slope).abs() + (x.abs() if gate else 0.0)
    return K * info.eps * scale + info.tiny * (1.0 + x.abs())


def derivative_bound(x: Tensor, slope: Tensor, curvature: Tensor, dtype: torch.dtype = torch.float64) -> Tensor:
    """The allowed error of ``f'(x)`` computed in ``dtype``: every derivative in the catalog is a sum of terms
    no larger than about ``1 + |x|`` (``silu' = σ + x σ (1 - σ)``, ``tanh' = 1 - tanh²``), which cancel
    where ``f'`` is small, so their rounding is an absolute error of that size."""
    info = torch.finfo(dtype)
    return K * info.eps * (slope.abs() + (x * curvature).abs() + 1.0 + x.abs()) + info.tiny * (1.0 + x.abs())


def curvature(grad: object, x: Tensor, **params: object) -> Tensor:
    """``f''`` by autograd through the closed-form ``f'`` in float64 (0 where ``f'`` is piecewise constant)."""
    xx = x.detach().clone().requires_grad_(True)
    d = grad(xx, **params)  # type: ignore[operator]
    if not d.requires_grad:
        return torch.zeros_like(x)
    (dd,) = torch.autograd.grad(d.sum(), xx, allow_unused=True)
    return torch.zeros_like(x) if dd is None else torch.nan_to_num(dd.detach(), nan=0.0)


def assert_within(actual: Tensor, reference: Tensor, bound: Tensor, what: str) -> None:
    """NaN where the reference is NaN, the same infinity where it is infinite, within ``bound`` elsewhere."""
    a, r = actual.double(), reference.double()
    nan_ok = torch.isnan(a) == torch.isnan(r)
    inf_ok = torch.where(torch.isinf(r), a == r, ~torch.isinf(a))
    finite = torch.isfinite(r) & torch.isfinite(a)
    err = torch.where(finite, (a - r).abs(), torch.zeros_like(a))
    close = err <= bound.double()
    bad = ~(nan_ok & inf_ok & close)
    if bad.any():
        i = int(torch.nonzero(bad)[0])
        units = err[i].item() / (bound[i].item() / K) if math.isfinite(bound[i].item()) else math.nan
        raise AssertionError(
            f"{what}: {int(bad.sum())} value(s) outside the error model; first at index {i}: "
            f"got {a[i].item()!r}, reference {r[i].item()!r}, error {err[i].item():.3g} = {units:.3g} units "
            f"(K = {K} allowed)"
        )
