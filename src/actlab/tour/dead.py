"""Section 5: provoke dead ReLU units with a far too high learning rate, count them, and try Leaky ReLU.

Both activations train under identical conditions (same seeds, so the same initial weights and the same
batches). The count over training comes from :class:`actlab.diagnostics.TrainingTracker` (units that
never fired on a recorded training batch); the counts at the start and the end come from the same rule
(:mod:`actlab.diagnostics.rules`) over a large sample of the training distribution, the stricter test.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import torch

from actlab.diagnostics import rules
from actlab.experiments.stats import estimate
from actlab.nets.mlp import MLP
from actlab.tour import claim_verdicts as v
from actlab.tour import findings as f
from actlab.tour.config import TourConfig
from actlab.tour.figures import curves_with_band, rendered
from actlab.tour.results import Claim, Figure, Section, Table
from actlab.tour.words import tour_say
from actlab.training.config import TrainConfig, make_task
from actlab.training.loop import build_model, train

PROBE_INPUTS = 4096  # inputs of the training distribution on which "never fires" is decided


def train_dead_fraction(model: MLP, config: TrainConfig) -> float:
    """Share of hidden units that never fire (zero output and zero slope) on the training distribution."""
    x, _ = make_task(config).sample(PROBE_INPUTS, torch.Generator().manual_seed(10_000 + config.seed), "train")
    return rules.dead_fraction(model, x)


def mean_or_missing(values: Sequence[float | None]) -> float | None:
    """The mean, or ``None`` when any value is missing or not finite (a run that diverged has no error; an
    average over the others would hide it, and 0 would read as a perfect network)."""
    if any(x is None or not math.isfinite(x) for x in values):
        return None
    return statistics.fmean(x for x in values if x is not None)


def _cell(value: float | None) -> str:
    return "missing" if value is None else f"{value:.3g}"  # "missing" is a text key: "n/a" in the report


def _curve(history: list[dict[str, Any]]) -> tuple[list[int], list[float]]:
    steps = [rec["step"] for rec in history]
    return steps, [statistics.fmean(s["dead_fraction"] for s in rec["sites"].values()) for rec in history]


def dead_neurons(config: TourConfig, tick: Callable[[str], None] = lambda _: None) -> Section:
    base = TrainConfig(
        task="add",
        hidden=list(config.dead_hidden),
        lr=config.dead_lr,
        steps=config.dead_steps,
        track_every=config.dead_every,
    )
    dead: dict[str, dict[str, list[float]]] = {}  # per activation: start / end / peak, one value per seed
    errors: dict[str, list[float | None]] = {}  # per activation: the error at the end, None where none exists
    curves: dict[str, list[list[float]]] = {}
    steps: list[int] = []
    for name in ("relu", "leaky_relu"):
        dead[name] = {"start": [], "end": [], "peak": []}
        errors[name], curves[name] = [], []
        for seed in range(config.seeds):
            tick(f"{name}, seed {seed}, lr {config.dead_lr:g}")
            cfg = replace(base, activation=name, seed=seed)
            dead[name]["start"].append(train_dead_fraction(build_model(cfg), cfg))
            result = train(cfg)
            steps, curve = _curve(result.diagnostics)
            curves[name].append(curve)
            dead[name]["end"].append(train_dead_fraction(result.model, cfg))
            dead[name]["peak"].append(max(curve, default=0.0))
            errors[name].append(result.metrics["interp_mae"])
    share = {name: {k: statistics.fmean(vals) for k, vals in d.items()} for name, d in dead.items()}
    error = {name: mean_or_missing(vals) for name, vals in errors.items()}
    bands = {}
    for name, per_seed in curves.items():
        points = [estimate([c[i] for c in per_seed]) for i in range(len(steps))]
        bands[name] = ([p.mean for p in points], [p.low for p in points], [p.high for p in points])
    figure = rendered(
        lambda lang: curves_with_band(
            steps,
            bands,
            tour_say(lang, "plot.s5_x"),
            tour_say(lang, "plot.s5_y"),
            tour_say(lang, "plot.s5_title", lr=config.dead_lr, seeds=config.seeds),
        )
    )
    relu, leaky = share["relu"], share["leaky_relu"]
    table = Table(
        columns=["col.activation", "col.dead_start", "col.dead_end", "col.dead_peak", "col.mae_end"],
        rows=[
            [n, f"{m['start']:.0%}", f"{m['end']:.0%}", f"{m['peak']:.0%}", _cell(error[n])] for n, m in share.items()
        ],
    )
    return Section(
        key="s5",
        paragraphs=[
            ("s5.explain", {"lr": config.dead_lr, "every": config.dead_every}),
            (
                "s5.result",
                {
                    "steps": config.dead_steps,
                    "relu_dead": relu["end"],
                    "relu_peak": relu["peak"],
                    "leaky_dead": leaky["end"],
                },
            ),
            f.leaky_dead(relu_dead_end=relu["end"], leaky_dead_end=leaky["end"]),
            ("s5.error", {"relu_mae": error["relu"], "leaky_mae": error["leaky_relu"]}),
        ],
        tables=[table],
        figures=[Figure("s5-dead", figure, "fig.s5")],
        claims=[
            Claim(
                "claim.dead",
                v.neurons_die(relu_dead_end=relu["end"], relu_dead_peak=relu["peak"]),
                "ev.dead",
                "s5",
                {"end": relu["end"], "peak": relu["peak"], "start": relu["start"]},
            ),
            Claim(
                "claim.leaky",
                v.leaky_fixes_dead(relu_dead_end=relu["end"], leaky_dead_end=leaky["end"]),
                "ev.leaky",
                "s5",
                {
                    "relu": relu["end"],
                    "leaky": leaky["end"],
                    "relu_mae": error["relu"],
                    "leaky_mae": error["leaky_relu"],
                },
            ),
        ],
        numbers={
            "mean": {n: {**share[n], "mae": error[n]} for n in share},
            "per_seed": {n: {**dead[n], "mae": errors[n]} for n in dead},
            "steps": steps,
            "curves": curves,
        },
    )
