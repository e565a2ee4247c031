"""Section 5: provoke dead ReLU units with a far too high learning rate, count them, and try Leaky ReLU.

Both activations train under identical conditions (same seeds, so the same initial weights and the same
batches). The count over training comes from :class:`actlab.diagnostics.TrainingTracker` (units that
never fired on a recorded training batch); the counts at the start and the end come from the same rule
(:mod:`actlab.diagnostics.rules`) over a large sample of the training distribution, the stricter test.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import replace

import torch

from actlab.diagnostics import rules
from actlab.model import MLP
from actlab.stats import estimate
from actlab.tour import verdicts as v
from actlab.tour.config import TourConfig
from actlab.tour.figures import curves_with_band
from actlab.tour.model import Claim, Figure, Section, Table
from actlab.training import TrainConfig, build_model, make_task, train

PROBE_INPUTS = 4096  # inputs of the training distribution on which "never fires" is decided


def dead_fraction(model: MLP, config: TrainConfig) -> float:
    """Share of hidden units that never fire (zero output and zero slope) on the training distribution."""
    x, _ = make_task(config).sample(PROBE_INPUTS, torch.Generator().manual_seed(10_000 + config.seed), "train")
    return rules.dead_fraction(model, x)


def _curve(history: list[dict]) -> tuple[list[int], list[float]]:  # type: ignore[type-arg]
    steps = [rec["step"] for rec in history]
    return steps, [statistics.fmean(s["dead_fraction"] for s in rec["sites"].values()) for rec in history]


def dead_neurons(config: TourConfig, tick: Callable[[str], None] = lambda _: None) -> Section:
    base = TrainConfig(
        task="add", hidden=list(config.dead_hidden), lr=config.dead_lr, steps=config.dead_steps,
        track_every=config.dead_every,
    )  # fmt: skip
    runs: dict[str, dict[str, list[float]]] = {}
    curves: dict[str, list[list[float]]] = {}
    steps: list[int] = []
    for name in ("relu", "leaky_relu"):
        runs[name] = {"start": [], "end": [], "peak": [], "mae": []}
        curves[name] = []
        for seed in range(config.seeds):
            tick(f"{name}, seed {seed}, lr {config.dead_lr:g}")
            cfg = replace(base, activation=name, seed=seed)
            runs[name]["start"].append(dead_fraction(build_model(cfg), cfg))
            result = train(cfg)
            steps, curve = _curve(result.diagnostics)
            curves[name].append(curve)
            runs[name]["end"].append(dead_fraction(result.model, cfg))
            runs[name]["peak"].append(max(curve, default=0.0))
            runs[name]["mae"].append(float(result.metrics["interp_mae"] or 0.0))
    mean = {name: {k: statistics.fmean(vals) for k, vals in r.items()} for name, r in runs.items()}
    bands = {}
    for name, per_seed in curves.items():
        points = [estimate([c[i] for c in per_seed]) for i in range(len(steps))]
        bands[name] = ([p.mean for p in points], [p.low for p in points], [p.high for p in points])
    figure = curves_with_band(
        steps, bands, "training step", "fraction of hidden units dead on the batch",
        f"Dead units during training at lr={config.dead_lr:g} (mean and 95 % band over {config.seeds} seeds)",
    )  # fmt: skip
    relu, leaky = mean["relu"], mean["leaky_relu"]
    table = Table(
        columns=["col.activation", "col.dead_start", "col.dead_end", "col.dead_peak", "col.mae_end"],
        rows=[[n, f"{m['start']:.0%}", f"{m['end']:.0%}", f"{m['peak']:.0%}", f"{m['mae']:.3g}"]
              for n, m in mean.items()],
    )  # fmt: skip
    return Section(
        key="s5",
        paragraphs=[
            ("s5.explain", {"lr": config.dead_lr, "every": config.dead_every}),
            ("s5.result", {"steps": config.dead_steps, "relu_dead": relu["end"], "relu_peak": relu["peak"],
                           "leaky_dead": leaky["end"], "relu_mae": relu["mae"], "leaky_mae": leaky["mae"]}),
        ],
        tables=[table],
        figures=[Figure("s5-dead", figure, "fig.s5")],
        claims=[
            Claim("claim.dead", v.neurons_die(relu["end"], relu["peak"]), "ev.dead", "s5",
                  {"end": relu["end"], "peak": relu["peak"], "start": relu["start"]}),
            Claim("claim.leaky", v.leaky_fixes_dead(relu["end"], leaky["end"]), "ev.leaky",
                  "s5", {"relu": relu["end"], "leaky": leaky["end"], "relu_mae": relu["mae"],
                         "leaky_mae": leaky["mae"]}),
        ],
        numbers={"mean": mean, "per_seed": runs, "steps": steps, "curves": curves},
    )
