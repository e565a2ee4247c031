"""Sections 1 and 4: why non-linearity is needed, and whether ReLU helps a network learn addition.

Every model of a section trains in one call of the vectorized trainer (:func:`actlab.train_many`): the
seeds and activations of one task share a shape, so they run as one batched computation. Intervals are
Student-t 95 % intervals over seeds (:func:`actlab.stats.estimate`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, replace

import torch

from actlab.model import MLP
from actlab.plots_train import extrapolation_figure
from actlab.plotting import plt
from actlab.stats import Estimate, estimate
from actlab.tour import verdicts as v
from actlab.tour.config import TourConfig
from actlab.tour.figures import error_bars, png
from actlab.tour.model import Claim, Figure, Section, Table
from actlab.training import TrainConfig, TrainResult, make_task
from actlab.vectorized import default_workers, train_many

ARITHMETIC = ("relu", "leaky_relu", "sigmoid", "tanh", "identity")


def _grid(base: TrainConfig, tasks: Sequence[str], activations: Sequence[str], seeds: int) -> list[TrainConfig]:
    return [replace(base, task=t, activation=a, seed=s) for t in tasks for a in activations for s in range(seeds)]


def _metric(results: list[TrainResult], task: str, activation: str, key: str) -> Estimate:
    values = [float(r.metrics[key]) for r in results if r.config.task == task and r.config.activation == activation]
    return estimate(values)


def _ci(e: Estimate, percent: bool = False) -> str:
    if percent:
        return f"{e.mean:.1%} ± {e.ci95:.1%}"
    return f"{e.mean:.3g} ± {e.ci95:.2g}"


def nonlinearity(config: TourConfig, tick: Callable[[str], None] = lambda _: None) -> Section:
    tick(f"identity vs relu on xor, circle and mul, {config.seeds} seeds each")
    base = TrainConfig(hidden=list(config.hidden), steps=config.classify_steps, device=config.device)
    results = train_many(_grid(base, ("xor", "circle", "mul"), ("identity", "relu"), config.seeds), on_diverge="keep",
                         workers=default_workers())
    acc = {(t, a): _metric(results, t, a, "accuracy") for t in ("xor", "circle") for a in ("identity", "relu")}
    mul = {a: _metric(results, "mul", a, "interp_mae") for a in ("identity", "relu")}
    worst = {a: min(acc[("xor", a)].mean, acc[("circle", a)].mean) for a in ("identity", "relu")}
    rows = [
        [t, "cell.accuracy", _ci(acc[(t, "identity")], True), _ci(acc[(t, "relu")], True)] for t in ("xor", "circle")
    ]
    rows.append(["mul", "cell.mae", _ci(mul["identity"]), _ci(mul["relu"])])
    figure = _decision_figure(results, config)
    return Section(
        key="s1",
        paragraphs=[
            ("s1.explain", {"hidden": list(config.hidden)}),
            ("s1.result", {"identity_acc": worst["identity"], "relu_acc": worst["relu"],
                           "identity_mul": mul["identity"].mean, "relu_mul": mul["relu"].mean}),
        ],
        tables=[Table(columns=["col.task", "col.metric", "identity", "relu"], rows=rows)],
        figures=[Figure("s1-circle", figure, "fig.s1")],
        claims=[
            Claim("claim.nonlinearity", v.nonlinearity_needed(worst["identity"], worst["relu"]), "ev.nonlinearity",
                  "s1", {"identity": worst["identity"], "relu": worst["relu"], "identity_mul": mul["identity"].mean,
                         "relu_mul": mul["relu"].mean}),
        ],
        numbers={
            "accuracy": {f"{t}/{a}": asdict(e) for (t, a), e in acc.items()},
            "mul_mae": {a: asdict(e) for a, e in mul.items()},
        },
    )


def _decision_figure(results: list[TrainResult], config: TourConfig) -> bytes:
    """The circle task's predicted classes for seed 0 of each activation, side by side."""
    task = make_task(TrainConfig(task="circle"))
    x, y = task.sample(600, torch.Generator().manual_seed(1), "train")
    fig, axes = plt.subplots(1, 2, figsize=(8, 4), constrained_layout=True)
    grid = torch.linspace(task.train_range[0], task.train_range[1], 200)
    gx, gy = torch.meshgrid(grid, grid, indexing="xy")
    flat = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    for ax, name in zip(axes, ("identity", "relu"), strict=True):
        model = next(r.model for r in results if r.config.task == "circle" and r.config.activation == name)
        with torch.no_grad():
            classes = model(flat).argmax(dim=1).reshape(200, 200)
        ax.contourf(gx.numpy(), gy.numpy(), classes.numpy(), levels=[-0.5, 0.5, 1.5], colors=["#f4c7a1", "#a9c8ea"])
        ax.scatter(x[:, 0].numpy(), x[:, 1].numpy(), c=y.numpy(), cmap="coolwarm", s=4)
        ax.set_title(f"circle, {name}")
        ax.set_aspect("equal")
    return png(fig)


def adder(a: float, b: float) -> float:
    """The exact two-unit ReLU adder: hidden z and −z through ReLU, read out as relu(z) − relu(−z) = z."""
    model = MLP.from_weights([[[1.0, 1.0], [-1.0, -1.0]], [[1.0, -1.0]]], activation="relu", dtype=torch.float64)
    with torch.no_grad():
        return float(model(torch.tensor([[a, b]], dtype=torch.float64)).item())


def addition(config: TourConfig, tick: Callable[[str], None] = lambda _: None) -> Section:
    tick(f"add and sub with {', '.join(ARITHMETIC)}, {config.seeds} seeds each")
    base = TrainConfig(hidden=list(config.hidden), steps=config.steps, device=config.device)
    results = train_many(_grid(base, ("add", "sub"), ARITHMETIC, config.seeds), on_diverge="keep",
                         workers=default_workers())
    interp = {(t, a): _metric(results, t, a, "interp_mae") for t in ("add", "sub") for a in ARITHMETIC}
    extrap = {(t, a): _metric(results, t, a, "extrap_mae") for t in ("add", "sub") for a in ARITHMETIC}
    worst = {a: max(interp[("add", a)].mean, interp[("sub", a)].mean) for a in ARITHMETIC}
    worst_extrap = {a: max(extrap[("add", a)].mean, extrap[("sub", a)].mean) for a in ARITHMETIC}
    rows = [[t, a, _ci(interp[(t, a)]), _ci(extrap[(t, a)])] for t in ("add", "sub") for a in ARITHMETIC]
    a, b = config.adder_inputs
    value = adder(a, b)
    task = make_task(base)
    bars = error_bars(
        {f"{t} {region}": {act: (e.mean, e.ci95) for (tt, act), e in table.items() if tt == t}
         for t in ("add", "sub") for region, table in (("inside", interp), ("outside", extrap))},
        "mean absolute error (95 % CI)", "a+b and a−b: error inside and outside the training range",
    )  # fmt: skip
    models = {act: next(r.model for r in results if r.config.task == "add" and r.config.activation == act)
              for act in ARITHMETIC}  # fmt: skip
    lines = png(extrapolation_figure(models, task))
    low, high = task.train_range
    return Section(
        key="s4",
        paragraphs=[
            ("s4.explain", {"seeds": config.seeds, "low": low, "high": high, "extrap": task.extrap_range[1]}),
            ("s4.adder", {"a": int(a), "b": int(b), "value": value, "exact": int(a + b)}),
            ("s4.result", {"relu": worst["relu"], "identity": worst["identity"],
                           "sigmoid_extrap": worst_extrap["sigmoid"], "tanh_extrap": worst_extrap["tanh"],
                           "relu_extrap": worst_extrap["relu"]}),
        ],
        tables=[Table(columns=["col.task", "col.activation", "col.interp", "col.extrap"], rows=rows)],
        figures=[
            Figure("s4-errors", bars, "fig.s4_errors"),
            Figure("s4-extrapolation", lines, "fig.s4_extrap"),
        ],
        claims=[
            Claim("claim.addition", v.relu_helps_addition(worst), "ev.addition", "s4",
                  {"pairs": ", ".join(f"{k} {worst[k]:.3g}" for k in ARITHMETIC), "a": int(a), "b": int(b),
                   "value": value}),
        ],
        numbers={
            "interp_mae": {f"{t}/{a}": asdict(e) for (t, a), e in interp.items()},
            "extrap_mae": {f"{t}/{a}": asdict(e) for (t, a), e in extrap.items()},
            "adder": {"a": a, "b": b, "value": value},
        },
    )
