"""The input features a playground network may be fed, computed from the two coordinates of each point.

Each feature is a pure function of the points ``x`` of shape ``(n, 2)`` giving ``(n,)``. A network fed the
features ``[x1, x2]`` takes the raw coordinates, exactly like a network of ``actlab train``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

Feature = Callable[[Tensor], Tensor]

FEATURES: dict[str, tuple[str, Feature]] = {  # name: (how the page writes it, the function)
    "x1": ("x₁", lambda x: x[:, 0]),
    "x2": ("x₂", lambda x: x[:, 1]),
    "x1sq": ("x₁²", lambda x: x[:, 0] ** 2),
    "x2sq": ("x₂²", lambda x: x[:, 1] ** 2),
    "x1x2": ("x₁·x₂", lambda x: x[:, 0] * x[:, 1]),
    "sinx1": ("sin x₁", lambda x: torch.sin(x[:, 0])),
    "sinx2": ("sin x₂", lambda x: torch.sin(x[:, 1])),
}
RAW = ("x1", "x2")  # the features that are the coordinates themselves


def feature_matrix(x: Tensor, names: Sequence[str]) -> Tensor:
    """The chosen features of points ``x`` ``(n, 2)``, one column each, in the order given: ``(n, k)``."""
    if tuple(names) == RAW:
        return x
    return torch.stack([FEATURES[name][1](x) for name in names], dim=1)
