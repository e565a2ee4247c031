"""Sections 1 and 4: why non-linearity is needed, and whether ReLU helps a network learn addition.

Every model of a section trains in one call of the vectorized trainer (:func:`actlab.train_many`): the
seeds and activations of one task share a shape, so they run as one batched computation. Intervals are
Student-t 95 % intervals over seeds (:func:`actlab.experiments.stats.estimate`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace

import torch
from matplotlib.figure import Figure as MplFigure
from torch import nn

from actlab.experiments.stats import Estimate, estimate
from actlab.fast.vectorized import default_workers, train_many
from actlab.nets.mlp import MLP
from actlab.nets.tasks import Task
from actlab.plots.style import plt
from actlab.plots.training import class_map, extrapolation_figure, line_formula
from actlab.tour import claim_verdicts as v
from actlab.tour import findings as f
from actlab.tour.config import TourConfig
from actlab.tour.figures import error_bars, rendered
from actlab.tour.results import Claim, Figure, Section, Table
from actlab.tour.words import tour_say, tour_template
from actlab.training.config import TrainConfig, TrainResult, make_task
from actlab.training.evaluate import slope_ratio

ARITHMETIC = ("relu", "leaky_relu", "sigmoid", "tanh", "identity")


def _grid(base: TrainConfig, tasks: Sequence[str], activations: Sequence[str], seeds: int) -> list[TrainConfig]:
    return [replace(base, task=t, activation=a, seed=s) for t in tasks for a in activations for s in range(seeds)]


def _metric(results: list[TrainResult], task: str, activation: str, key: str) -> Estimate:
    values = [r.metrics[key] for r in results if r.config.task == task and r.config.activation == activation]
    return estimate([math.nan if x is None else x for x in values])  # a missing value is counted as missing


def _ci(e: Estimate, percent: bool = False) -> str:
    if percent:
        return f"{e.mean:.1%} ± {e.ci95:.1%}"
    return f"{e.mean:.3g} ± {e.ci95:.2g}"


def nonlinearity(config: TourConfig, tick: Callable[[str], None] = lambda _: None) -> Section:
    tick(f"identity vs relu on xor, circle and mul, {config.seeds} seeds each")
    base = TrainConfig(hidden=list(config.hidden), steps=config.classify_steps, device=config.device)
    results = train_many(
        _grid(base, ("xor", "circle", "mul"), ("identity", "relu"), config.seeds),
        on_diverge="keep",
        workers=default_workers(),
    )
    acc = {(t, a): _metric(results, t, a, "accuracy") for t in ("xor", "circle") for a in ("identity", "relu")}
    mul = {a: _metric(results, "mul", a, "interp_mae") for a in ("identity", "relu")}
    worst = {a: min(acc[("xor", a)].mean, acc[("circle", a)].mean) for a in ("identity", "relu")}
    rows = [
        [t, "cell.accuracy", _ci(acc[(t, "identity")], True), _ci(acc[(t, "relu")], True)] for t in ("xor", "circle")
    ]
    rows.append(["mul", "cell.mae", _ci(mul["identity"]), _ci(mul["relu"])])
    models = {a: _seed_zero(results, "circle", a) for a in ("identity", "relu")}
    verdict = v.nonlinearity_needed(identity_accuracy=worst["identity"], relu_accuracy=worst["relu"])
    return Section(
        key="s1",
        paragraphs=[
            ("s1.explain", {"hidden": list(config.hidden)}),
            f.linear_accuracy(identity_accuracy=worst["identity"], relu_accuracy=worst["relu"]),
            f.mul_error(identity=mul["identity"], relu=mul["relu"]),
        ],
        tables=[Table(columns=["col.task", "col.metric", "identity", "relu"], rows=rows)],
        figures=[Figure("s1-circle", rendered(lambda lang: circle_figure(models, lang)), "fig.s1")],
        claims=[
            Claim(
                "claim.nonlinearity",
                verdict,
                "ev.nonlinearity",
                "s1",
                {
                    "identity": worst["identity"],
                    "relu": worst["relu"],
                    "identity_mul": mul["identity"].mean,
                    "relu_mul": mul["relu"].mean,
                },
            ),
        ],
        numbers={
            "accuracy": {f"{t}/{a}": asdict(e) for (t, a), e in acc.items()},
            "mul_mae": {a: asdict(e) for a, e in mul.items()},
        },
    )


def _seed_zero(results: list[TrainResult], task: str, activation: str) -> nn.Module:
    return next(r.model for r in results if r.config.task == task and r.config.activation == activation)


def circle_figure(models: Mapping[str, nn.Module], lang: str) -> MplFigure:
    """The circle task's predicted classes, one panel per model side by side, the training samples on top, and
    one legend below: a class has one colour, light for the region predicted, solid for its samples."""
    task = make_task(TrainConfig(task="circle"))
    x, y = task.sample(600, torch.Generator().manual_seed(1), "train")
    fig, axes = plt.subplots(1, len(models), figsize=(4 * len(models), 4.3), constrained_layout=True, squeeze=False)
    handles = []
    for ax, (name, model) in zip(axes[0], models.items(), strict=True):
        words = {"predicted": tour_template(lang, "plot.predicted"), "sample": tour_template(lang, "plot.sample")}
        handles = class_map(ax, model, task, x, y, task.train_range, points=200, **words)
        ax.set_title(tour_say(lang, "plot.s1_panel", activation=name))
        ax.set_aspect("equal")
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8)
    return fig


def outside_slope(model: nn.Module, task: Task) -> float:
    """The share of the truth's growth the prediction follows far outside the training range, averaged over
    both directions (:func:`actlab.training.evaluate.slope_ratio`): about 1 keeps going, about 0 is flat."""
    return (slope_ratio(model, task) + slope_ratio(model, task, near=-5.0, far=-10.0)) / 2


def adder(a: float, b: float) -> float:
    """The exact two-unit ReLU adder: hidden z and −z through ReLU, read out as relu(z) − relu(−z) = z."""
    model = MLP.from_weights([[[1.0, 1.0], [-1.0, -1.0]], [[1.0, -1.0]]], activation="relu", dtype=torch.float64)
    with torch.no_grad():
        return float(model(torch.tensor([[a, b]], dtype=torch.float64)).item())


def addition(config: TourConfig, tick: Callable[[str], None] = lambda _: None) -> Section:
    tick(f"add and sub with {', '.join(ARITHMETIC)}, {config.seeds} seeds each")
    base = TrainConfig(hidden=list(config.hidden), steps=config.steps, device=config.device)
    results = train_many(
        _grid(base, ("add", "sub"), ARITHMETIC, config.seeds), on_diverge="keep", workers=default_workers()
    )
    interp = {(t, a): _metric(results, t, a, "interp_mae") for t in ("add", "sub") for a in ARITHMETIC}
    extrap = {(t, a): _metric(results, t, a, "extrap_mae") for t in ("add", "sub") for a in ARITHMETIC}
    worst = {a: max(interp[("add", a)].mean, interp[("sub", a)].mean) for a in ARITHMETIC}
    worst_extrap = {a: max(extrap[("add", a)].mean, extrap[("sub", a)].mean) for a in ARITHMETIC}
    rows = [[t, a, _ci(interp[(t, a)]), _ci(extrap[(t, a)])] for t in ("add", "sub") for a in ARITHMETIC]
    a, b = config.adder_inputs
    value = adder(a, b)
    task = make_task(replace(base, task="add"))
    # each activation's add models, in seed order
    add_models = {
        act: [r.model for r in results if r.config.task == "add" and r.config.activation == act] for act in ARITHMETIC
    }
    slopes = {act: statistics.fmean(outside_slope(m, task) for m in ms) for act, ms in add_models.items()}

    def bars(lang: str) -> MplFigure:
        groups = {
            tour_say(lang, f"plot.{region}", task=t): {n: (table[(t, n)].mean, table[(t, n)].ci95) for n in ARITHMETIC}
            for t in ("add", "sub")
            for region, table in (("inside", interp), ("outside", extrap))
        }
        return error_bars(groups, tour_say(lang, "plot.s4_errors_y"), tour_say(lang, "plot.s4_errors_title"))

    def lines(lang: str) -> MplFigure:
        return extrapolation_figure(
            {act: ms[0] for act, ms in add_models.items()},
            task,
            title=tour_say(lang, "plot.s4_extrap_title"),
            xlabel=tour_say(lang, "plot.s4_extrap_x", formula=line_formula(task)),
            truth=tour_say(lang, "plot.truth"),
            training=tour_say(lang, "plot.training_range"),
        )

    low, high = task.train_range
    return Section(
        key="s4",
        paragraphs=[
            ("s4.explain", {"seeds": config.seeds, "low": low, "high": high, "extrap": task.extrap_range[1]}),
            ("s4.adder", {"a": int(a), "b": int(b), "value": value, "exact": int(a + b)}),
            ("s4.result", {"relu": worst["relu"], "identity": worst["identity"]}),
            f.saturating_outside(sigmoid_slope=slopes["sigmoid"], tanh_slope=slopes["tanh"]),
            f.relu_like_outside(relu_slope=slopes["relu"], leaky_slope=slopes["leaky_relu"]),
        ],
        tables=[Table(columns=["col.task", "col.activation", "col.interp", "col.extrap"], rows=rows)],
        figures=[
            Figure("s4-errors", rendered(bars), "fig.s4_errors"),
            Figure("s4-extrapolation", rendered(lines), "fig.s4_extrap"),
        ],
        claims=[
            Claim(
                "claim.addition",
                v.relu_helps_addition(interp_mae=worst),
                "ev.addition",
                "s4",
                {
                    "pairs": ", ".join(f"{k} {worst[k]:.3g}" for k in ARITHMETIC),
                    "a": int(a),
                    "b": int(b),
                    "value": value,
                },
            ),
        ],
        numbers={
            "interp_mae": {f"{t}/{a}": asdict(e) for (t, a), e in interp.items()},
            "extrap_mae": {f"{t}/{a}": asdict(e) for (t, a), e in extrap.items()},
            "worst_extrap_mae": worst_extrap,
            "outside_slope": slopes,
            "adder": {"a": a, "b": b, "value": value},
        },
    )
