"""The lesson's worked example: the input ``[5, 3]`` through a hand-set 2x5 layer and an activation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from actlab.catalog.entries import Activation, parse_spec

LESSON_INPUT = (5.0, 3.0)
LESSON_WEIGHT = (  # (in=2, out=5), used as ``input @ W``
    (1.0, 0.3, -0.2, 0.5, -0.7),
    (0.5, 0.7, 0.8, -0.5, 0.9),
)
LESSON_BIAS = (0.1, 0.2, -0.1, 0.3, 0.5)
EXAMPLE_X = (-2.0, -1.0, 0.0, 1.0, 2.0)  # the points ``actlab show`` evaluates f and f' at


@dataclass(frozen=True)
class DemoResult:
    activation: str
    params: dict[str, Any]
    input: list[float]
    weight: list[list[float]]
    bias: list[float]
    steps: list[str]  # one weighted sum written out per unit, e.g. "5*1.0 + 3*0.5 + 0.1 = 6.6"
    pre_activation: list[float]
    output: list[float]
    derivative: list[float]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _num(v: float) -> str:
    """``1.0``, ``0.5``, ``(-0.2)``: the lesson's way of writing its weights."""
    text = f"{v:.1f}" if v == int(v) else f"{v:g}"
    return f"({text})" if v < 0 else text


def run_demo(activation: str = "relu") -> DemoResult:
    """Compute the lesson's layer in float64 and round the printed values to 10 decimals.

    The rounding only hides float noise (``0.3*5 + 0.7*3 + 0.2`` is 3.8000000000000003 in binary); the
    lesson's numbers come out exactly: pre-activation ``[6.6, 3.8, 1.3, 1.3, -0.3]``.
    """
    entry, params = parse_spec(activation)
    x = torch.tensor([LESSON_INPUT], dtype=torch.float64)  # (1, 2)
    w = torch.tensor(LESSON_WEIGHT, dtype=torch.float64)  # (2, 5)
    b = torch.tensor(LESSON_BIAS, dtype=torch.float64)  # (5,)
    hidden = (x @ w + b)[0]  # (5,)
    out = entry.fn(hidden, **params)
    slope = entry.grad(hidden, **params)
    steps = []
    for j, h in enumerate(hidden.tolist()):
        terms = " + ".join(f"{xi:g}*{_num(w[i, j].item())}" for i, xi in enumerate(LESSON_INPUT))
        bias = LESSON_BIAS[j]
        sign = "-" if bias < 0 else "+"
        steps.append(f"{terms} {sign} {_num(abs(bias))} = {round(h, 10):g}")
    return DemoResult(
        activation=entry.name,
        params=params,
        input=list(LESSON_INPUT),
        weight=[list(r) for r in LESSON_WEIGHT],
        bias=list(LESSON_BIAS),
        steps=steps,
        pre_activation=[round(v, 10) for v in hidden.tolist()],
        output=[round(v, 10) for v in out.tolist()],
        derivative=[round(v, 10) for v in slope.tolist()],
    )


def example_values(entry: Activation, params: Mapping[str, Any]) -> dict[str, list[float]]:
    """``f`` and ``f'`` of ``entry`` at :data:`EXAMPLE_X`, in float64, rounded to 10 decimals (what
    ``actlab show`` prints): ``{"x": [...], "y": [...], "dy": [...]}``."""
    x = torch.tensor(EXAMPLE_X, dtype=torch.float64)
    return {
        "x": list(EXAMPLE_X),
        "y": [round(v, 10) for v in entry.fn(x, **params).tolist()],
        "dy": [round(v, 10) for v in entry.grad(x, **params).tolist()],
    }
