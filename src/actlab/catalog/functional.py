"""Activation functions and their closed-form derivatives, as pure tensor functions.

Each activation ``f`` sits beside its derivative ``f_grad`` (``df/dx``, elementwise), written out by hand
rather than taken from autograd, so that the two can be checked against each other. Conventions:

* at a kink the derivative takes the value PyTorch's autograd uses (``relu'(0) = 0``,
  ``leaky_relu'(0) = negative_slope``, ``hardswish'(-3) = 0``, ``hardswish'(3) = 1``...); each catalog entry
  states its own;
* at ``±inf`` both ``f`` and ``f'`` return their mathematical limits, and at huge finite ``|x|`` their values
  (no intermediate overflows: ``hardswish(1e38)`` is ``1e38``); ``sin`` has no limit and gives NaN there;
* NaN in gives NaN out, for ``f`` and for ``f'``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_TANH_COEF = 0.044715
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _nan_through(x: Tensor, d: Tensor) -> Tensor:
    """A derivative written as a comparison (``x > 0``) is 0 or 1 at NaN; NaN in gives NaN out."""
    return torch.where(torch.isnan(x), x, d)


def _zero_at_neg_inf(x: Tensor, y: Tensor) -> Tensor:
    """``x * g(x)`` forms are ``-inf * 0`` at ``-inf``; their limit there is 0."""
    return torch.where(torch.isneginf(x), torch.zeros_like(y), y)


def _kill_at_inf(x: Tensor, y: Tensor, pos: float, neg: float) -> Tensor:
    """Replace the value at ``±inf`` with the derivative's limit there."""
    y = torch.where(torch.isposinf(x), torch.full_like(y, pos), y)
    return torch.where(torch.isneginf(x), torch.full_like(y, neg), y)


# --- linear and step ---------------------------------------------------------------------------------


def identity(x: Tensor) -> Tensor:
    return x


def identity_grad(x: Tensor) -> Tensor:
    return _nan_through(x, torch.ones_like(x))


class _Step(torch.autograd.Function):
    """The jump with an explicit zero derivative, so that gradient (all zeros) still flows through it."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        return torch.where(torch.isnan(x), x, (x > 0).to(x.dtype))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> Tensor:
        return torch.zeros_like(grad_out)


def step(x: Tensor) -> Tensor:
    return _Step.apply(x)


def step_grad(x: Tensor) -> Tensor:
    return _nan_through(x, torch.zeros_like(x))


# --- rectifiers --------------------------------------------------------------------------------------


def relu(x: Tensor) -> Tensor:
    return torch.relu(x)


def relu_grad(x: Tensor) -> Tensor:
    return _nan_through(x, (x > 0).to(x.dtype))


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return torch.where(x > 0, x, x * negative_slope)


def leaky_relu_grad(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _nan_through(x, torch.where(x > 0, torch.ones_like(x), torch.full_like(x, negative_slope)))


def prelu(x: Tensor, weight: Tensor | float = 0.25) -> Tensor:
    """``weight`` is a scalar or one slope per channel (dimension 1, as ``torch.nn.PReLU``)."""
    a = _channel_weight(x, weight)
    return torch.where(x > 0, x, x * a)


def prelu_grad(x: Tensor, weight: Tensor | float = 0.25) -> Tensor:
    a = _channel_weight(x, weight)
    return _nan_through(x, torch.where(x > 0, torch.ones_like(x), a * torch.ones_like(x)))


def _channel_weight(x: Tensor, weight: Tensor | float) -> Tensor:
    w = torch.as_tensor(weight, dtype=x.dtype, device=x.device)
    if w.numel() > 1 and x.dim() >= 2:
        shape = [1] * x.dim()
        shape[1] = w.numel()
        w = w.reshape(shape)
    return w


def relu6(x: Tensor) -> Tensor:
    return torch.clamp(x, 0.0, 6.0)


def relu6_grad(x: Tensor) -> Tensor:
    return _nan_through(x, ((x > 0) & (x < 6)).to(x.dtype))


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return torch.clamp(x, min_val, max_val)


def hardtanh_grad(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return _nan_through(x, ((x > min_val) & (x < max_val)).to(x.dtype))


# --- exponential linear units ------------------------------------------------------------------------


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    return torch.where(x > 0, x, alpha * torch.expm1(torch.clamp_max(x, 0.0)))


def elu_grad(x: Tensor, alpha: float = 1.0) -> Tensor:
    return torch.where(x > 0, torch.ones_like(x), alpha * torch.exp(torch.clamp_max(x, 0.0)))


def selu(x: Tensor) -> Tensor:
    return SELU_SCALE * elu(x, SELU_ALPHA)


def selu_grad(x: Tensor) -> Tensor:
    return SELU_SCALE * elu_grad(x, SELU_ALPHA)


def celu(x: Tensor, alpha: float = 1.0) -> Tensor:
    return torch.where(x > 0, x, alpha * torch.expm1(torch.clamp_max(x, 0.0) / alpha))


def celu_grad(x: Tensor, alpha: float = 1.0) -> Tensor:
    return torch.where(x > 0, torch.ones_like(x), torch.exp(torch.clamp_max(x, 0.0) / alpha))


# --- smooth gated units ------------------------------------------------------------------------------


def _gelu_tanh_inner(x: Tensor) -> Tensor:
    return SQRT_2_OVER_PI * (x + GELU_TANH_COEF * x * x * x)


def _normal_cdf(x: Tensor) -> Tensor:
    """Φ(x) = ½ erfc(−x/√2): no cancellation for negative x (unlike ½(1 + erf)). The argument is capped at
    40, where erfc is already 0 in float64, because some PyTorch releases return NaN for huge arguments."""
    return 0.5 * torch.erfc(torch.clamp_max(-x / math.sqrt(2.0), 40.0))


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    # tanh form: ½(1 + tanh u) = σ(2u), which keeps its digits where 1 + tanh u would cancel (x << 0)
    gate = torch.sigmoid(2.0 * _gelu_tanh_inner(x)) if approximate == "tanh" else _normal_cdf(x)
    return _zero_at_neg_inf(x, x * gate)


def gelu_grad(x: Tensor, approximate: str = "none") -> Tensor:
    if approximate == "tanh":
        s = torch.sigmoid(2.0 * _gelu_tanh_inner(x))  # = ½(1 + tanh u)
        slope = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_COEF * x * x)  # du/dx
        y = s + 2.0 * x * s * (1.0 - s) * slope  # ½(1 - tanh² u) = 2σ(2u)(1 - σ(2u))
        # s(1 - s) underflows to 0 long before x^3 overflows; beyond |x| = 1e4 the limit is exact
        y = torch.where(x.abs() > 1e4, (x > 0).to(x.dtype), y)
    else:
        cdf = _normal_cdf(x)
        pdf = torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
        y = cdf + x * pdf
    return _kill_at_inf(x, y, 1.0, 0.0)


def silu(x: Tensor) -> Tensor:
    return _zero_at_neg_inf(x, x * torch.sigmoid(x))


def silu_grad(x: Tensor) -> Tensor:
    s = torch.sigmoid(x)
    return _kill_at_inf(x, s * (1.0 + x * (1.0 - s)), 1.0, 0.0)


def mish(x: Tensor) -> Tensor:
    return _zero_at_neg_inf(x, x * torch.tanh(F.softplus(x)))


def mish_grad(x: Tensor) -> Tensor:
    t = torch.tanh(F.softplus(x))
    return _kill_at_inf(x, t + x * (1.0 - t * t) * torch.sigmoid(x), 1.0, 0.0)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    bx = beta * x
    # log1p(exp(-|bx|)) + max(bx, 0) never overflows; above the threshold the function is x itself
    smooth = (torch.log1p(torch.exp(-bx.abs())) + torch.clamp_min(bx, 0.0)) / beta
    return torch.where(bx > threshold, x, smooth)


def softplus_grad(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    bx = beta * x
    return torch.where(bx > threshold, torch.ones_like(x), torch.sigmoid(bx))


# --- squashing functions -----------------------------------------------------------------------------


def sigmoid(x: Tensor) -> Tensor:
    return torch.sigmoid(x)


def sigmoid_grad(x: Tensor) -> Tensor:
    s = torch.sigmoid(x)
    return s * (1.0 - s)


def tanh(x: Tensor) -> Tensor:
    return torch.tanh(x)


def tanh_grad(x: Tensor) -> Tensor:
    t = torch.tanh(x)
    return 1.0 - t * t


def hardsigmoid(x: Tensor) -> Tensor:
    return torch.clamp(x + 3.0, 0.0, 6.0) / 6.0


def hardsigmoid_grad(x: Tensor) -> Tensor:
    return _nan_through(x, ((x > -3.0) & (x < 3.0)).to(x.dtype) / 6.0)


def hardswish(x: Tensor) -> Tensor:
    return _zero_at_neg_inf(x, x * (torch.clamp(x + 3.0, 0.0, 6.0) / 6.0))  # x * 6 would overflow first


def hardswish_grad(x: Tensor) -> Tensor:
    middle = x / 3.0 + 0.5
    y = torch.where(x <= -3.0, torch.zeros_like(x), torch.where(x < 3.0, middle, torch.ones_like(x)))
    return _nan_through(x, y)


def softsign(x: Tensor) -> Tensor:
    y = x / (1.0 + x.abs())
    return torch.where(torch.isinf(x), torch.sign(x), y)


def softsign_grad(x: Tensor) -> Tensor:
    d = 1.0 + x.abs()
    return 1.0 / (d * d)


def sin(x: Tensor) -> Tensor:
    return torch.sin(x)


def sin_grad(x: Tensor) -> Tensor:
    return torch.cos(x)
