"""Training options shared by ``actlab train`` and ``actlab compare``: each defined once, as an ``Annotated``
type, with ``None`` meaning :class:`actlab.TrainConfig`'s default (shown in the help).

Use in a command::

    @app.command(context_settings=HIDDEN_CONTEXT)
    def cmd(ctx: typer.Context, steps: StepsOpt = None, hidden: HiddenOpt = None, ...) -> None:
        config = config_from_options(steps=steps, hidden=hidden_widths(hidden, ctx.args), ...)

``--hidden 16 16``: an option takes one value at a time, so the widths after the first reach the command as
extra arguments; ``HIDDEN_CONTEXT`` lets them through and :func:`hidden_widths` collects them (``--hidden
16,16`` and ``--hidden 16 --hidden 16`` work too).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Annotated, Any

import typer

from actlab.cli._common import comma_list
from actlab.errors import ActlabError
from actlab.nets.init import INIT_SCHEMES
from actlab.training.config import TrainConfig

DEFAULTS = TrainConfig()
HIDDEN_CONTEXT = {"allow_extra_args": True}

TaskOpt = Annotated[
    str | None, typer.Option("--task", "-t", help=f"Task name, see `actlab tasks` (default {DEFAULTS.task}).")
]
ActivationOpt = Annotated[
    str | None,
    typer.Option(
        "--activation",
        "-a",
        help="Catalog activation, optionally with parameters: relu, "
        f"leaky_relu:negative_slope=0.1 (default {DEFAULTS.activation}).",
    ),
]
HiddenOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--hidden",
        help="Hidden layer widths, e.g. --hidden 16 16 or --hidden 16,16; --hidden none "
        f"for a linear model (default {' '.join(map(str, DEFAULTS.hidden))}).",
    ),
]
StepsOpt = Annotated[int | None, typer.Option("--steps", help=f"Optimizer steps (default {DEFAULTS.steps}).")]
BatchSizeOpt = Annotated[
    int | None, typer.Option("--batch-size", help=f"Examples per step (default {DEFAULTS.batch_size}).")
]
LrOpt = Annotated[float | None, typer.Option("--lr", help=f"Learning rate (default {DEFAULTS.lr:g}).")]
OptimizerOpt = Annotated[
    str | None, typer.Option("--optimizer", help=f"adam or sgd (with --momentum) (default {DEFAULTS.optimizer}).")
]
MomentumOpt = Annotated[
    float | None, typer.Option("--momentum", help=f"SGD momentum in [0, 1) (default {DEFAULTS.momentum:g}).")
]
InitOpt = Annotated[
    str | None, typer.Option("--init", help=f"Weight init: {', '.join(INIT_SCHEMES)} (default {DEFAULTS.init}).")
]
BiasInitOpt = Annotated[
    str | None, typer.Option("--bias-init", help="Bias init: auto, zero, default or a number (default auto).")
]
RangeOpt = Annotated[
    tuple[float, float] | None,
    typer.Option("--range", metavar="LOW HIGH", help="Training inputs uniform in [LOW, HIGH] (default: the task's)."),
]
ExtrapRangeOpt = Annotated[
    tuple[float, float] | None,
    typer.Option(
        "--extrap-range", metavar="LOW HIGH", help="Extrapolation box, training box cut out (default: the task's)."
    ),
]
NoiseOpt = Annotated[
    float | None, typer.Option("--noise", help="Classification input noise, in box half-widths (default: the task's).")
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help=f"Seed of init and batches (default {DEFAULTS.seed}).")]
DeviceOpt = Annotated[
    str,
    typer.Option(
        "--device", help="cpu, cuda (a GPU: many networks at once) or auto (cuda where a GPU is present, else cpu)."
    ),
]
TargetLossOpt = Annotated[
    float | None, typer.Option("--target-loss", help="Stop early once a step's training loss is at most this.")
]


def hidden_widths(hidden: Sequence[str] | None, extra: Sequence[str] = ()) -> list[int] | None:
    """The widths of ``--hidden`` values plus the extra arguments that followed them; ``None`` if not given."""
    values = [*(hidden or []), *extra]
    if extra and not hidden:
        raise ActlabError(f"unexpected argument(s) {' '.join(extra)}; widths go after --hidden, e.g. --hidden 16 16")
    if not values:
        return None
    if [v.strip().lower() for v in values] == ["none"]:
        return []
    widths: list[int] = []
    for value in values:
        if not value.strip():
            raise ActlabError(
                f"--hidden got an empty value {value!r}; give widths, e.g. --hidden 16 16, or --hidden none "
                "for a linear model"
            )
        parts = comma_list(value, partial(_stray_comma, value))
        for item in (word for part in parts for word in part.split()):
            if item.lower() == "none":
                raise ActlabError("--hidden none (a linear model) cannot go with widths; give one or the other")
            try:
                widths.append(int(item))
            except ValueError:
                raise ActlabError(f"hidden width {item!r} is not a whole number (e.g. --hidden 16 16)") from None
    return widths


def _stray_comma(value: str, _position: int, _count: int, fixed: str) -> str:
    return f"--hidden {value!r} has an empty width (a stray comma); write e.g. --hidden {fixed or '16,16'}"


def config_from_options(**options: Any) -> TrainConfig:
    """A validated :class:`TrainConfig` from option values, ``None`` keeping the default; ``range`` is the
    training range."""
    if "range" in options:
        options["train_range"] = options.pop("range")
    return TrainConfig(**{k: v for k, v in options.items() if v is not None})
