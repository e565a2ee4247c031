"""Section 3: the comparison table the lesson lost, rebuilt from measurements.

Three figures per activation, each measured with the library: forward+backward time relative to ReLU
(:mod:`actlab.experiments.speed`), the gradient norm reaching the first hidden layer of a deep network at
initialisation relative to the last (:func:`actlab.diagnose`, whose label-free probe backpropagates a
fixed random direction; the norm is taken of the gradient at each hidden layer's activations, all of the
same width), and the fraction of exact zeros among the hidden activations (the same report).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable

import torch

from actlab.catalog.entries import lookup
from actlab.diagnostics import diagnose
from actlab.experiments.speed import Ratio, SpeedConfig, measure, relative_to
from actlab.nets.mlp import MLP
from actlab.tour import claim_verdicts as v
from actlab.tour.config import TourConfig
from actlab.tour.figures import per_layer_lines, rendered
from actlab.tour.results import Claim, Figure, Section, Table
from actlab.tour.words import tour_say

DEEP_INPUTS = 512  # inputs per initialisation: N(0, 1) in 2 dimensions
SATURATING = ("sigmoid", "tanh", "softsign", "hardtanh", "hardsigmoid")


def recommended_init(name: str) -> str:
    """Each activation at its best: Glorot (Xavier) for the squashing functions, He for the ReLU family."""
    return "xavier" if name in SATURATING else "he"


def _geomean(values: list[float]) -> float:
    positive = [x for x in values if x > 0]
    return math.exp(statistics.fmean(math.log(x) for x in positive)) if positive else 0.0


def deep_network_profile(name: str, config: TourConfig, init: str) -> tuple[list[float], float]:
    """Per hidden layer, the norm of the gradient reaching its activations ‖∂L/∂a‖ (geometric mean over
    seeds; every hidden layer has the same width, so the norms compare directly), and the mean fraction of
    exact zeros over all hidden activations."""
    norms: list[list[float]] = []
    zeros: list[float] = []
    for seed in range(config.deep_seeds):
        gen = torch.Generator().manual_seed(seed)
        model = MLP(2, [config.deep_width] * (config.depth - 1), 1, activation=name, init=init, generator=gen)
        x = torch.randn(DEEP_INPUTS, 2, generator=gen)
        report = diagnose(model, x, seed=seed)
        norms.append([site.grad_norm or 0.0 for site in report.sites])  # ‖∂L/∂a‖ per hidden layer, same width
        zeros.append(statistics.fmean(s.sparsity or 0.0 for s in report.sites))
    per_layer = [_geomean([run[i] for run in norms]) for i in range(len(norms[0]))]
    return per_layer, statistics.fmean(zeros)


def _first_over_last(per_layer: list[float]) -> float:
    return per_layer[0] / per_layer[-1] if per_layer[-1] > 0 else 0.0


def _ratio_text(ratio: Ratio) -> str:
    """A time ratio with its 95 % interval, e.g. ``1.23 (1.20–1.26)``."""
    return f"{ratio.median:.2f} ({ratio.low:.2f}–{ratio.high:.2f})"


def comparison_table(config: TourConfig, tick: Callable[[str], None] = lambda _: None) -> Section:
    names = list(config.activations)
    tick("timing forward and backward passes")
    # one thread, timed by its own CPU clock: a busy machine then slows every function alike
    speed_config = SpeedConfig(
        sizes=(config.speed_size,),
        repeats=config.speed_repeats,
        max_repeats=2 * config.speed_repeats,
        min_seconds=0.02,
        threads=1,
        clock="cpu",
        devices=("cpu",),
        impl="kernel",  # the functions, not actlab's checks
    )
    rows = measure(names, speed_config)
    ratios = relative_to(rows, "relu")  # median and 95 % interval of the per-round ratios
    speed = {n: r.median for n, r in ratios.items()}
    profiles: dict[str, list[float]] = {}
    ratio: dict[str, float] = {}  # with each activation's recommended init: the verdict's figure
    ratio_default: dict[str, float] = {}  # with PyTorch's default init, for contrast
    zeros: dict[str, float] = {}
    for name in names:
        tick(f"{config.depth}-layer {name} networks at initialisation")
        profiles[name], zeros[name] = deep_network_profile(name, config, recommended_init(name))
        ratio[name] = _first_over_last(profiles[name])
        ratio_default[name] = _first_over_last(deep_network_profile(name, config, "default")[0])
    table = Table(
        columns=[
            "col.activation",
            "col.formula",
            "col.range",
            "col.speed",
            "col.grad_best",
            "col.grad_default",
            "col.zeros",
        ],
        rows=[
            [
                n,
                lookup(n).formula,
                str(lookup(n).range_for()),
                _ratio_text(ratios[n]),
                f"{ratio[n]:.2g} ({recommended_init(n)})",
                f"{ratio_default[n]:.2g}",
                f"{zeros[n]:.0%}",
            ]
            for n in names
        ],
    )
    figure = rendered(
        lambda lang: per_layer_lines(
            profiles,
            tour_say(lang, "plot.s3_x"),
            tour_say(lang, "plot.s3_y"),
            tour_say(lang, "plot.s3_title", depth=config.depth),
        )
    )
    others = ", ".join(f"{n} {_ratio_text(ratios[n])}" for n in names if n != "relu")
    low, high = {n: r.low for n, r in ratios.items()}, {n: r.high for n, r in ratios.items()}
    fast = v.relu_is_fast_within_spread(low=low, high=high)
    return Section(
        key="s3",
        paragraphs=[("s3.explain", {"size": config.speed_size, "depth": config.depth}), ("s3.speed_note", {})],
        tables=[table],
        figures=[Figure("s3-gradients", figure, "fig.s3")],
        claims=[
            Claim("claim.fast", fast, "ev.fast", "s3", {"pairs": others, "rounds": rows[0].rounds}),
            Claim(
                "claim.vanishing",
                v.less_vanishing_gradient(first_over_last=ratio),
                "ev.vanishing",
                "s3",
                {"relu": ratio["relu"], "sigmoid": ratio["sigmoid"]},
            ),
            Claim(
                "claim.sparse",
                v.relu_is_sparse(zero_fraction=zeros),
                "ev.sparse",
                "s3",
                {"pairs": ", ".join(f"{n} {zeros[n]:.0%}" for n in names)},
            ),
        ],
        numbers={
            "time_vs_relu": speed,
            "time_vs_relu_interval": {n: [r.low, r.high] for n, r in ratios.items()},  # 95 % interval of the median
            "gradient_first_over_last": ratio,
            "gradient_first_over_last_default_init": ratio_default,
            "exact_zeros": zeros,
            "gradient_per_layer": profiles,
            "speed_rows": [r.as_dict() for r in rows],
        },
    )
