"""What decides a training run (:class:`TrainConfig`, checked field by field) and what it returns
(:class:`TrainResult`)."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from actlab.catalog.modules import get
from actlab.errors import ActlabError, unknown
from actlab.nets.init import check_bias, check_scheme
from actlab.nets.mlp import MLP
from actlab.nets.tasks import Task, get_task
from actlab.training.device import device_name
from actlab.training.evaluate import EVAL_POINTS
from actlab.util.threads import MAX_THREADS

BATCH_SEED_OFFSET = 1_000_003  # batches come from seed + this, so they never share draws with the init


OPTIMIZERS = ("adam", "sgd")


FAR_WORSE = 10.0  # a final loss above this many times the first step's loss: "far worse than at the start"


# Bounds on what a config may ask for: beyond them the arithmetic overflows or the request cannot be met.
MAX_LR = 1e30  # float32 ends at 3.4e38; Adam's first step is lr / (1 - beta1) = 10 lr, SGD's lr · gradient


MAX_STEPS = 10_000_000  # the loss history holds one float per step; at ~1 ms a step this is hours of training


MAX_NOISE = 100.0  # in box half-widths: far beyond it the labels are pure noise and the inputs grow huge


@dataclass
class TrainConfig:
    """Everything that decides a run. ``None`` ranges and noise mean the task's defaults (``actlab tasks``).

    The defaults train ``add``/``sub`` to an interpolation MAE well below 0.05 in a few seconds on 2 CPU
    cores (measured in the README, "Networks that learn arithmetic": "What the lesson claims, measured" and
    "Speed and memory").
    """

    task: str = "add"  # a name from actlab.nets.tasks.TASKS
    train_range: tuple[float, float] | None = None  # inputs uniform in [low, high]^d; None: the task's
    extrap_range: tuple[float, float] | None = None  # extrapolation box (training box cut out)
    noise: float | None = None  # classification input noise, in box half-widths; None: the task's
    integer: bool = False  # train on whole-number inputs only
    activation: str | list[str] = "relu"  # a catalog spec ("leaky_relu:negative_slope=0.1"), or one per layer
    hidden: list[int] = field(default_factory=lambda: [16, 16])  # two layers of 16: ample for a + b
    init: str = "default"  # weight scheme, see actlab.nets.init
    bias_init: str | float = "auto"  # "auto" (the scheme's), "zero", "default" or a constant
    optimizer: Literal["adam", "sgd"] = "adam"  # Adam copes with the unscaled [-10, 10] inputs without tuning
    lr: float = 3e-3  # Adam's step; 1e-2 converges faster but its noise floor sits near MAE 0.05
    momentum: float = 0.9  # SGD only
    batch_size: int = 128  # small batches: fast steps, and enough gradient noise to leave dead zones
    steps: int = 3000  # ~3 s on 2 cores for the default network
    seed: int = 0  # init from seed, batches from seed + BATCH_SEED_OFFSET
    target_loss: float | None = None  # stop early once a step's training loss is <= this
    track_every: int = 0  # > 0: record actlab.diagnostics.TrainingTracker history every this many steps
    threads: int = 1  # torch intra-op threads while training: one is fastest for networks this small
    device: str = "cpu"  # "cpu", or "cuda" (a GPU pays off for many networks at once, see actlab.fast.vectorized)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> TrainConfig:
        """Check every field (raising :class:`ActlabError` with what is wrong and what would be right),
        converting JSON-ish values (lists for ranges, numeric strings) to their types."""
        from actlab.util.bounds import MAX_SEED

        self.train_range = _range("training range", self.train_range)
        self.extrap_range = _range("extrapolation range", self.extrap_range)
        self.noise = None if self.noise is None else _number("noise", self.noise, low=0.0, high=MAX_NOISE)
        self.hidden = _widths(self.hidden)
        self.activation = _activation(self.activation, len(self.hidden))
        check_scheme(self.init)
        self.bias_init = check_bias(self.bias_init)
        if self.optimizer not in OPTIMIZERS:
            raise unknown("optimizer", str(self.optimizer), OPTIMIZERS)
        self.lr = _number("learning rate", self.lr, low=0.0, open_low=True, high=MAX_LR)
        self.momentum = _number("momentum", self.momentum, low=0.0)
        if self.momentum >= 1:
            raise ActlabError(f"momentum must be in [0, 1), got {self.momentum:g}")
        self.batch_size = _count("batch size", self.batch_size, minimum=1)
        self.steps = _count("steps", self.steps, minimum=1, maximum=MAX_STEPS)
        self.seed = _count("seed", self.seed, minimum=0, maximum=MAX_SEED)
        if self.target_loss is not None:
            self.target_loss = _number("target loss", self.target_loss, low=0.0)
        self.track_every = _count("track_every", self.track_every, minimum=0, maximum=MAX_STEPS)
        self.threads = _count("threads", self.threads, minimum=1, maximum=MAX_THREADS)
        self.integer = bool(self.integer)
        self.device = device_name(self.device)
        if self.device != "cpu" and self.track_every:
            raise ActlabError("the diagnostics tracker (track_every) runs on the CPU only; leave out --device cuda")
        task = make_task(self)  # the task name and its options
        check_size(task.in_features, self.hidden, task.out_features, self.batch_size)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; :meth:`from_dict` reads it back. ``device`` is left out where it is ``"cpu"``,
        so that a CPU run's dict (and its key in :mod:`actlab.experiments.store`) is what it was before devices
        existed."""
        data = dataclasses.asdict(self)
        if data["device"] == "cpu":
            del data["device"]
        for key in ("train_range", "extrap_range"):
            data[key] = list(data[key]) if data[key] is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """The config of :meth:`to_dict`; unknown keys are an error (a typo should not pass silently)."""
        if not isinstance(data, dict):
            raise ActlabError(f"a training config must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        extra = sorted(set(data) - known)
        if extra:
            raise ActlabError(f"unknown config key(s) {', '.join(extra)}; known keys: {', '.join(sorted(known))}")
        return cls(**data)

    def resolved(self) -> dict[str, Any]:
        """:meth:`to_dict` with the task's defaults filled in (what a run folder records)."""
        task = make_task(self)
        return {
            **self.to_dict(),
            "train_range": list(task.train_range),
            "extrap_range": list(task.extrap_range),
            "noise": task.noise,
        }


@dataclass
class TrainResult:
    """What :func:`train` returns: the trained model, its config, the loss per step, metrics and timing."""

    model: MLP
    config: TrainConfig
    history: list[float]  # training loss at each step, step 1 first
    steps: int  # steps actually taken (fewer than config.steps after an early stop)
    seconds: float  # wall time of the training loop, without evaluation
    metrics: dict[str, float | None]  # see actlab.training.evaluate
    diagnostics: list[dict[str, Any]] = field(default_factory=list)  # TrainingTracker history if tracked
    stopped_early: bool = False

    @property
    def final_loss(self) -> float:
        return self.history[-1]

    @property
    def task(self) -> Task:
        return make_task(self.config)

    @property
    def warnings(self) -> list[str]:
        """What looks wrong with the run although it finished (:func:`loss_warnings`)."""
        return loss_warnings(self.history)

    def to_dict(self, with_history: bool = False) -> dict[str, Any]:
        """The summary as plain JSON types (``with_history`` adds the loss curve and diagnostics)."""
        data: dict[str, Any] = {
            **self.metrics,
            "final_loss": self.final_loss,
            "steps": self.steps,
            "seconds": self.seconds,
            "steps_per_second": self.steps / self.seconds if self.seconds > 0 else None,
            "stopped_early": self.stopped_early,
            "warnings": self.warnings,
            "config": self.config.resolved(),
        }
        if with_history:
            data["history"] = list(self.history)
            data["diagnostics"] = list(self.diagnostics)
        return data


def make_task(config: TrainConfig) -> Task:
    """Step 1: the task with the config's overrides."""
    return get_task(
        config.task,
        train_range=config.train_range,
        extrap_range=config.extrap_range,
        noise=config.noise,
        integer=config.integer or None,
    )


def loss_warnings(history: Sequence[float]) -> list[str]:
    """Warnings about a finished run's loss curve: a final loss more than :data:`FAR_WORSE` times the first
    step's (the run got far worse than where it started: too high a learning rate, usually)."""
    if len(history) < 2 or not history[-1] > FAR_WORSE * history[0]:
        return []
    return [
        f"the final loss {history[-1]:.3g} is far worse than at the start: more than {FAR_WORSE:g} times the "
        f"loss {history[0]:.3g} of step 1; the learning rate is probably too high"
    ]


def check_size(in_features: int, hidden: Sequence[int], out_features: int, batch_size: int) -> None:
    """Refuse a network or batch too big for memory before anything is allocated (the limit of
    :mod:`actlab.util.bounds`): four float32 values per parameter (weight, gradient, Adam's two
    moments) and three per unit and input row (output, pre-activation and gradient, kept for backward), for
    the larger of a batch and the evaluation points."""
    from actlab.util.bounds import check_values

    widths = [in_features, *hidden, out_features]
    params = sum(a * b + b for a, b in itertools.pairwise(widths))
    rows = max(batch_size, EVAL_POINTS)
    shown = " ".join(map(str, hidden)) if len(hidden) <= 8 else f"{len(hidden)} layers up to {max(hidden):,}"
    check_values(
        f"a network of hidden widths {shown or 'none'} trained on batches of {batch_size:,}",
        4 * params + 3 * rows * sum(widths),
        "use smaller --hidden widths or --batch-size",
    )


def _number(label: str, value: Any, low: float = -math.inf, open_low: bool = False, high: float = math.inf) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ActlabError(f"{label} must be a number, got {_text(value)}") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise ActlabError(f"{label} must be a finite number, got {_text(value)}")
    if number < low or (open_low and number == low):
        raise ActlabError(f"{label} must be {'>' if open_low else '>='} {low:g}, got {number:g}")
    if number > high:
        raise ActlabError(f"{label} must be at most {high:g}, got {number:g}")
    return number


def _count(label: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool):  # True is an int to Python, but "steps = true" is a mistake, not 1 step
        raise ActlabError(f"{label} must be a whole number, got {_text(value)}")
    if not isinstance(value, int):
        try:
            as_float = float(value)
        except (TypeError, ValueError, OverflowError):
            raise ActlabError(f"{label} must be a whole number, got {_text(value)}") from None
        if not as_float.is_integer():
            raise ActlabError(f"{label} must be a whole number, got {_text(value)}")
        value = int(as_float)
    if value < minimum:
        raise ActlabError(f"{label} must be >= {minimum}, got {_text(value)}")
    if maximum is not None and value > maximum:
        raise ActlabError(f"{label} must be at most {maximum:,}, got {_text(value)}")
    return value


def _text(value: Any) -> str:
    """A value as an error message shows it: ``repr``, a huge number in ``e`` notation, at most 60 characters."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"{value:.3e}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _range(label: str, value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        low, high = (_number(label, v) for v in value)
    except (TypeError, ValueError):
        raise ActlabError(f"the {label} must be two numbers, low and high; got {value!r}") from None
    if not low < high:
        raise ActlabError(f"the {label} needs low < high, got [{low:g}, {high:g}]")
    return low, high


def _widths(hidden: Any) -> list[int]:
    if isinstance(hidden, int | str):
        hidden = [hidden]
    if not isinstance(hidden, list | tuple):
        raise ActlabError(f"hidden must be a list of layer widths such as [16, 16] ([] for linear), got {hidden!r}")
    from actlab.util.bounds import check_depth

    check_depth("hidden", len(hidden))
    return [_count("a hidden width", h, minimum=1) for h in hidden]


def _activation(activation: Any, depth: int) -> str | list[str]:
    if not isinstance(activation, str | list | tuple):
        raise ActlabError(f"activation must be a name such as 'relu' or a list of one per layer, got {activation!r}")
    specs = [activation] if isinstance(activation, str) else list(activation)
    if not isinstance(activation, str) and len(specs) != depth:
        raise ActlabError(f"{len(specs)} activations given for {depth} hidden layers: give one, or one per layer")
    for spec in specs:
        get(str(spec))  # raises for an unknown name or a bad parameter
    return activation if isinstance(activation, str) else [str(s) for s in specs]
