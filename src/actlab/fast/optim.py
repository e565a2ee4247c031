"""Adam and SGD over stacked parameters ``(M, ...)``, with one learning rate per network.

Both act elementwise, so one update of the stacked tensors equals ``M`` separate updates: the operations
are ``torch.optim``'s own, in its order, applied to all tensors at once with PyTorch's ``_foreach`` kernels
(one call for every parameter tensor instead of one each). Adam's result is bit for bit
``torch.optim.Adam``'s; SGD's last step multiplies by the per-network ``-lr`` and then adds, where
``torch.optim.SGD`` adds with ``alpha=-lr`` in one fused multiply-add, so its last bit may differ. A network
marked ``frozen`` (stopped early or diverged) is left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


class StackedAdam:
    """``torch.optim.Adam``'s update with its defaults (betas 0.9, 0.999; eps 1e-8), per-network lr."""

    def __init__(self, params: Sequence[Tensor], lrs: Sequence[float]) -> None:
        self.params, self.lrs, self.t = list(params), list(lrs), 0
        self.beta1, self.beta2, self.eps = 0.9, 0.999, 1e-8
        device = self.params[0].device
        self.neg_lrs = None if device.type == "cpu" else -torch.tensor(self.lrs, dtype=torch.float64, device=device)
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, frozen: Tensor | None = None) -> None:
        self.t += 1
        bias_correction1 = 1 - self.beta1**self.t
        bias_correction2_sqrt = (1 - self.beta2**self.t) ** 0.5
        if self.neg_lrs is None:  # (M,): from Python floats on the CPU, torch.optim.Adam's bits
            neg_step = torch.tensor([-lr / bias_correction1 for lr in self.lrs], dtype=self.params[0].dtype)
        else:  # computed on the GPU: no copy from the host, which would wait for the GPU, each step
            neg_step = (self.neg_lrs / bias_correction1).to(self.params[0].dtype)
        grads = _grads(self.params)
        torch._foreach_lerp_(self.m, grads, 1 - self.beta1)
        torch._foreach_mul_(self.v, self.beta2)
        torch._foreach_addcmul_(self.v, grads, grads, value=1 - self.beta2)
        denom = torch._foreach_sqrt(self.v)
        torch._foreach_div_(denom, bias_correction2_sqrt)
        torch._foreach_add_(denom, self.eps)
        update = torch._foreach_mul(self.m, _per_model(neg_step, self.params))  # addcdiv's order: (s·m) / d
        torch._foreach_div_(update, denom)
        _apply(self.params, update, frozen)


class StackedSGD:
    """``torch.optim.SGD(lr, momentum)``'s update (no dampening, weight decay or Nesterov), per-network lr."""

    def __init__(self, params: Sequence[Tensor], lrs: Sequence[float], momentum: float) -> None:
        self.params, self.momentum = list(params), momentum
        neg_lr = torch.tensor([-lr for lr in lrs], dtype=self.params[0].dtype, device=self.params[0].device)
        self.neg_lr = _per_model(neg_lr, self.params)
        self.buffers: list[Tensor] | None = None

    @torch.no_grad()
    def step(self, frozen: Tensor | None = None) -> None:
        grads = _grads(self.params)
        if self.momentum != 0:
            if self.buffers is None:
                self.buffers = [g.clone() for g in grads]
            else:
                torch._foreach_mul_(self.buffers, self.momentum)
                torch._foreach_add_(self.buffers, grads)
            grads = self.buffers
        _apply(self.params, torch._foreach_mul(grads, self.neg_lr), frozen)


def _grads(params: Sequence[Tensor]) -> list[Tensor]:
    """Each parameter's gradient; every stacked parameter has one after ``backward``."""
    grads = []
    for p in params:
        if p.grad is None:
            raise RuntimeError("a stacked parameter has no gradient: call backward() before step()")
        grads.append(p.grad)
    return grads


def _per_model(values: Tensor, like: Sequence[Tensor]) -> list[Tensor]:
    """``values (M,)`` shaped to broadcast against each of ``like`` ``(M, ...)``."""
    return [values.view(-1, *([1] * (p.dim() - 1))) for p in like]


def _apply(params: list[Tensor], updates: list[Tensor] | tuple[Tensor, ...], frozen: Tensor | None) -> None:
    if frozen is not None:  # where, not a multiply: a diverged network's update is NaN, and NaN · 0 = NaN
        updates = [torch.where(f, 0.0, u) for f, u in zip(_per_model(frozen, params), updates, strict=True)]
    torch._foreach_add_(params, updates)
