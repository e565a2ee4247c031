"""Weight layers: their gradient norms (vanishing or exploding, from input to output) and update ratios.

A *layer* is a module holding a weight matrix or kernel of its own (a parameter named ``weight`` with
two or more dimensions: ``Linear``, ``Conv*``, ``Embedding``), listed in ``named_modules()`` order, which
for ordinary models runs from the input to the output.

The update-to-weight ratio ``‖W_after − W_before‖ / ‖W_before‖`` of one optimizer step says how fast a
layer learns; around 1e-3 is the usual rule of thumb.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn


@dataclass
class LayerStats:
    name: str
    type: str
    weight: nn.Parameter
    grad_norm_sum: float = 0.0
    backward_calls: int = 0
    ratio_sum: float = 0.0
    updates: int = 0
    snapshot: Tensor | None = field(default=None, repr=False)

    def add_grad(self, grad: Tensor) -> None:
        self.grad_norm_sum += float(torch.linalg.vector_norm(grad))
        self.backward_calls += 1

    def add_update(self, before: Tensor) -> None:
        """Count one update since ``before``; a weight that did not move (no optimizer step) is no update."""
        ratio = update_ratio(before, self.weight.detach())
        if ratio > 0:
            self.ratio_sum += ratio
            self.updates += 1

    def reset(self) -> None:
        self.grad_norm_sum = self.ratio_sum = 0.0
        self.backward_calls = self.updates = 0
        self.snapshot = None

    @property
    def grad_norm(self) -> float | None:
        return self.grad_norm_sum / self.backward_calls if self.backward_calls else None

    @property
    def update_ratio(self) -> float | None:
        return self.ratio_sum / self.updates if self.updates else None

    @property
    def weight_norm(self) -> float:
        return float(torch.linalg.vector_norm(self.weight.detach()))


def weight_layers(model: nn.Module) -> list[LayerStats]:
    layers = []
    for name, module in model.named_modules():
        weight = module._parameters.get("weight")
        if isinstance(weight, nn.Parameter) and not is_lazy(weight) and weight.dim() >= 2:
            layers.append(LayerStats(name or type(module).__name__, type(module).__name__, weight))
    return layers


def is_lazy(p: Tensor) -> bool:
    return isinstance(p, nn.parameter.UninitializedParameter)


def has_uninitialized(model: nn.Module) -> bool:
    """Some parameter of a lazy module (``nn.LazyLinear``, ...) is still waiting for its first input."""
    return any(is_lazy(p) for p in model.parameters())


def update_ratio(before: Tensor, after: Tensor) -> float:
    """``‖after − before‖ / ‖before‖``; 0 for a zero weight that stayed zero."""
    scale = float(torch.linalg.vector_norm(before))
    change = float(torch.linalg.vector_norm(after - before))
    return change / scale if scale > 0 else (0.0 if change == 0 else float("inf"))
