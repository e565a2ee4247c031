"""Sections 2 and 6: ReLU's definition, and the lesson's worked example."""

from __future__ import annotations

import torch

from actlab.catalog.demo import run_demo
from actlab.catalog.entries import lookup
from actlab.plots.catalog import activation_figure
from actlab.tour import claim_verdicts as v
from actlab.tour.figures import rendered
from actlab.tour.results import Claim, Figure, Section, Table

LESSON_X = [-2.0, -1.0, 0.0, 1.0, 2.0]
LESSON_RELU = [0.0, 0.0, 0.0, 1.0, 2.0]
LESSON_PRE = [6.6, 3.8, 1.3, 1.3, -0.3]
LESSON_OUT = [6.6, 3.8, 1.3, 1.3, 0.0]


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{x:g}" for x in values) + "]"


def _floats(values: list[float]) -> str:
    """As Python prints floats, like the lesson: ``[6.6, 3.8, 1.3, 1.3, 0.0]``."""
    return "[" + ", ".join(repr(float(x)) for x in values) + "]"


def definition() -> Section:
    relu, leaky = lookup("relu"), lookup("leaky_relu")
    x = torch.tensor(LESSON_X, dtype=torch.float64)
    y, dy = relu.fn(x).tolist(), relu.grad(x).tolist()
    leaky_y = leaky.fn(x, **leaky.resolve()).tolist()
    entries = [(lookup(n), lookup(n).resolve()) for n in ("relu", "leaky_relu", "sigmoid", "tanh")]
    difference = max(abs(a - b) for a, b in zip(y, LESSON_RELU, strict=True))
    return Section(
        key="s2",
        paragraphs=[("s2.explain", {})],
        tables=[
            Table(
                columns=["", "col.values"],
                rows=[
                    ["x", _fmt(LESSON_X)],
                    ["relu(x)", _fmt(y)],
                    ["relu'(x)", _fmt(dy)],
                    ["leaky_relu(x)", _fmt(leaky_y)],
                ],
            )
        ],
        figures=[Figure("s2-curves", rendered(lambda lang: activation_figure(entries)), "fig.s2")],  # no words
        claims=[
            Claim(
                "claim.definition",
                v.example_reproduces(max_abs_difference=difference),
                "ev.definition",
                "s2",
                {"values": _fmt(y)},
            )
        ],
        numbers={"x": LESSON_X, "relu": y, "relu_grad": dy, "leaky_relu": leaky_y},
    )


def worked_example() -> Section:
    relu, leaky = run_demo("relu"), run_demo("leaky_relu")
    difference = max(
        abs(a - b)
        for got, want in ((relu.pre_activation, LESSON_PRE), (relu.output, LESSON_OUT))
        for a, b in zip(got, want, strict=True)
    )
    return Section(
        key="s6",
        paragraphs=[("s6.explain", {})],
        code=[f"unit {j + 1}: {s}" for j, s in enumerate(relu.steps)],
        tables=[
            Table(
                columns=["", "col.values"],
                rows=[
                    ["cell.input", _fmt(relu.input)],
                    ["input @ W + b", _floats(relu.pre_activation)],
                    ["relu(...)", _floats(relu.output)],
                    ["leaky_relu(...)", _floats(leaky.output)],
                ],
            )
        ],
        claims=[
            Claim(
                "claim.example",
                v.example_reproduces(max_abs_difference=difference),
                "ev.example",
                "s6",
                {"pre": _floats(relu.pre_activation), "out": _floats(relu.output)},
            )
        ],
        numbers={"pre_activation": relu.pre_activation, "relu": relu.output, "leaky_relu": leaky.output},
    )
