"""Training one network on one task: :class:`TrainConfig` in, :class:`TrainResult` out.

Determinism contract (the vectorized trainer of :mod:`actlab.vectorized` reproduces :func:`train` exactly
by following it, and reuses the functions named here):

1. **Task**: :func:`make_task` — ``get_task(config.task, train_range=..., extrap_range=..., noise=...,
   integer=...)``, ``None`` meaning the task's default.
2. **Initial parameters**: :func:`build_model` — ``MLP(...)`` drawing from one ``torch.Generator`` seeded
   with ``config.seed``, layer by layer in order (``linear1`` weight then bias, ``linear2``, ..., ``out``;
   see :mod:`actlab.init`). Nothing else draws from it.
3. **Batches**: :func:`batch_stream` — a second generator seeded with ``config.seed + BATCH_SEED_OFFSET``
   (1_000_003); step ``s`` (1-based) trains on the ``s``-th call ``task.sample(config.batch_size, gen,
   "train")``, one call per step, nothing else drawing from it. On a GPU (``config.device == "cuda"``) the
   generator is the GPU's own (Philox, not the CPU's Mersenne Twister: other points than on the CPU) and
   draws :data:`~actlab.device.DEVICE_DRAW_STEPS` steps' batches per call, cut into steps in order.
4. **Loss**: :func:`loss_fn` — mean squared error for regression, cross-entropy for classification, both
   the mean over the batch.
5. **Optimizer**: :func:`make_optimizer` — ``torch.optim.Adam(params, lr)`` (default betas and eps) or
   ``torch.optim.SGD(params, lr, momentum)``; constant learning rate; one ``zero_grad``/``backward``/``step``
   per batch, in float32, with ``config.threads`` intra-op threads (default 1).
6. **Stop**: after ``config.steps`` steps, or after the first step whose loss is <= ``config.target_loss``.
   A non-finite loss raises :class:`DivergenceError` before its backward pass; so do final weights, or
   predictions of the final model on the evaluation points, that are not finite (:func:`final_divergence`:
   the last update can overflow although every loss was finite).
7. **Evaluation**: :func:`actlab.evaluation.evaluate`, on points from fixed seeds independent of
   ``config.seed``.

The same config on the same machine gives the identical loss curve, bit for bit (the tests check it).
The initial parameters are the same bits on every device (drawn on the CPU, then moved); the batches are
not (step 3), so a result from a GPU is another sample of the same experiment, not a copy of the CPU's.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from actlab.callbacks import Callback
from actlab.device import DEVICE_DRAW_STEPS, device_name, resolve_device
from actlab.errors import ActlabError, unknown
from actlab.evaluation import EVAL_POINTS, PREDICTION_METRICS, evaluate
from actlab.init import check_bias, check_scheme
from actlab.model import MLP
from actlab.modules import get
from actlab.speed import MAX_THREADS
from actlab.tasks import Task, get_task
from actlab.threads import torch_threads

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
    cores (see ``docs/sections/arithmetic.md`` for measurements).
    """

    task: str = "add"  # a name from actlab.tasks.TASKS
    train_range: tuple[float, float] | None = None  # inputs uniform in [low, high]^d; None: the task's
    extrap_range: tuple[float, float] | None = None  # extrapolation box (training box cut out)
    noise: float | None = None  # classification input noise, in box half-widths; None: the task's
    integer: bool = False  # train on whole-number inputs only
    activation: str | list[str] = "relu"  # a catalog spec ("leaky_relu:negative_slope=0.1"), or one per layer
    hidden: list[int] = field(default_factory=lambda: [16, 16])  # two layers of 16: ample for a + b
    init: str = "default"  # weight scheme, see actlab.init
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
    device: str = "cpu"  # "cpu", or "cuda" (a GPU pays off for many networks at once, see actlab.vectorized)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> TrainConfig:
        """Check every field (raising :class:`ActlabError` with what is wrong and what would be right),
        converting JSON-ish values (lists for ranges, numeric strings) to their types."""
        from actlab.diagnostics.limits import MAX_SEED

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
        so that a CPU run's dict (and its key in :mod:`actlab.store`) is what it was before devices existed."""
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
        return {**self.to_dict(), "train_range": list(task.train_range), "extrap_range": list(task.extrap_range),
                "noise": task.noise}  # fmt: skip


@dataclass
class TrainResult:
    """What :func:`train` returns: the trained model, its config, the loss per step, metrics and timing."""

    model: MLP
    config: TrainConfig
    history: list[float]  # training loss at each step, step 1 first
    steps: int  # steps actually taken (fewer than config.steps after an early stop)
    seconds: float  # wall time of the training loop, without evaluation
    metrics: dict[str, float | None]  # see actlab.evaluation
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


# --- the pieces, reusable by the vectorized trainer ------------------------------------------------------


def make_task(config: TrainConfig) -> Task:
    """Step 1: the task with the config's overrides."""
    return get_task(config.task, train_range=config.train_range, extrap_range=config.extrap_range,
                    noise=config.noise, integer=config.integer or None)  # fmt: skip


def build_model(config: TrainConfig, task: Task | None = None) -> MLP:
    """Step 2: the freshly initialised network, drawn from ``torch.Generator().manual_seed(config.seed)``."""
    task = task or make_task(config)
    generator = torch.Generator().manual_seed(config.seed)
    return MLP(task.in_features, config.hidden, task.out_features, config.activation,
               config.init, config.bias_init, generator)  # fmt: skip


def batch_stream(config: TrainConfig, task: Task | None = None) -> Iterator[tuple[Tensor, Tensor]]:
    """Step 3: the training batches, one ``task.sample(batch_size, gen, "train")`` per step, forever (on a
    GPU: one call per :data:`~actlab.device.DEVICE_DRAW_STEPS` steps, see the module docstring)."""
    task = task or make_task(config)
    if config.device != "cpu":
        yield from _device_batches(config, task)
        return
    generator = torch.Generator().manual_seed(config.seed + BATCH_SEED_OFFSET)
    while True:
        yield task.sample(config.batch_size, generator, "train")


def _device_batches(config: TrainConfig, task: Task) -> Iterator[tuple[Tensor, Tensor]]:
    generator = torch.Generator(config.device).manual_seed(config.seed + BATCH_SEED_OFFSET)
    size = config.batch_size
    while True:
        x, y = task.sample(DEVICE_DRAW_STEPS * size, generator, "train")
        for step in range(DEVICE_DRAW_STEPS):
            yield x[step * size : (step + 1) * size], y[step * size : (step + 1) * size]


def loss_fn(task: Task) -> Callable[[Tensor, Tensor], Tensor]:
    """Step 4: MSE = mean (ŷ − y)² for regression; cross-entropy = mean −log softmax(ŷ)_y for classification."""
    return F.cross_entropy if task.kind == "classification" else F.mse_loss


def make_optimizer(params: Any, config: TrainConfig) -> torch.optim.Optimizer:
    """Step 5: Adam(lr) or SGD(lr, momentum)."""
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum)
    return torch.optim.Adam(params, lr=config.lr)


class DivergenceError(ActlabError):
    """Training diverged: a loss, the final weights or the final model's predictions became NaN or infinite.

    ``step`` is the step whose loss became NaN or infinite; when it is the final weights or predictions
    (every loss was finite, the last update overflowed) it is ``steps + 1``, the step whose loss the final
    weights would have had.
    """

    def __init__(self, message: str, step: int) -> None:
        super().__init__(message)
        self.step = step

    def __reduce__(self) -> tuple[Any, ...]:  # pickles with its step (a worker process sends it back)
        return (type(self), (str(self), self.step))


def divergence_error(step: int, loss: float, config: TrainConfig, what: str | None = None) -> DivergenceError:
    """The error for a non-finite loss at ``step`` (or, with ``what``, for what else became non-finite after
    the last update), with what to try instead (``--optimizer adam`` only if not on Adam)."""
    switch = "" if config.optimizer == "adam" else ", or --optimizer adam"
    happened = f"at step {step}: the loss became {loss}" if what is None else f"after step {step - 1}: {what}"
    return DivergenceError(
        f"training diverged {happened} with lr={config.lr:g} ({config.optimizer}, init={config.init}); try a lower "
        f"learning rate such as --lr {config.lr / 10:g}{switch}, or a smaller --range",
        step,
    )


def final_divergence(model: nn.Module, metrics: dict[str, float | None]) -> str | None:
    """What is not finite about a trained model although every training loss was: its final weights, or its
    predictions on the evaluation points (seen in :data:`actlab.evaluation.PREDICTION_METRICS`, which are
    finite exactly when every prediction is); ``None`` when all is finite."""
    if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
        return "the final weights are not finite"
    bad = [k for k in PREDICTION_METRICS if k in metrics and not math.isfinite(metrics[k] or 0.0)]
    return f"the final model's predictions are not finite ({', '.join(bad)} {metrics[bad[0]]})" if bad else None


def loss_warnings(history: Sequence[float]) -> list[str]:
    """Warnings about a finished run's loss curve: a final loss more than :data:`FAR_WORSE` times the first
    step's (the run got far worse than where it started: too high a learning rate, usually)."""
    if len(history) < 2 or not history[-1] > FAR_WORSE * history[0]:
        return []
    return [f"the final loss {history[-1]:.3g} is far worse than at the start: more than {FAR_WORSE:g} times the "
            f"loss {history[0]:.3g} of step 1; the learning rate is probably too high"]  # fmt: skip


def check_size(in_features: int, hidden: Sequence[int], out_features: int, batch_size: int) -> None:
    """Refuse a network or batch too big for memory before anything is allocated (the limit of
    :mod:`actlab.diagnostics.limits`): four float32 values per parameter (weight, gradient, Adam's two
    moments) and three per unit and input row (output, pre-activation and gradient, kept for backward), for
    the larger of a batch and the evaluation points."""
    from actlab.diagnostics.limits import check_values

    widths = [in_features, *hidden, out_features]
    params = sum(a * b + b for a, b in itertools.pairwise(widths))
    rows = max(batch_size, EVAL_POINTS)
    shown = " ".join(map(str, hidden)) if len(hidden) <= 8 else f"{len(hidden)} layers up to {max(hidden):,}"
    check_values(f"a network of hidden widths {shown or 'none'} trained on batches of {batch_size:,}",
                 4 * params + 3 * rows * sum(widths), "use smaller --hidden widths or --batch-size")  # fmt: skip


def train(config: TrainConfig, callbacks: Sequence[Callback] = ()) -> TrainResult:
    """Train ``build_model(config)`` on ``config.task`` following the module's determinism contract.

    Calls each callback's ``on_train_start``, then per step ``on_before_step`` (after backward) and
    ``on_step_end``, and finally ``on_train_end``. Raises :class:`DivergenceError` (an
    :class:`ActlabError`) if a loss, the final weights or the final model's predictions become NaN or
    infinite, so a diverged model is never returned. A run that ends far worse than it started is returned
    with a warning in :attr:`TrainResult.warnings`.
    """
    config.validate()
    resolve_device(config.device)
    with torch_threads(config.threads):
        return _train(config, callbacks)


def _train(config: TrainConfig, callbacks: Sequence[Callback]) -> TrainResult:
    task = make_task(config)
    model = build_model(config, task).to(config.device)  # the CPU's initial bits on every device
    optimizer = make_optimizer(model.parameters(), config)
    criterion = loss_fn(task)
    callbacks = list(callbacks)
    tracker = _tracker(model, config)
    if tracker is not None:
        callbacks.append(tracker)
    for cb in callbacks:
        cb.on_train_start(model, config)

    history: list[float] = []
    stopped_early = False
    start = time.perf_counter()
    for step, (x, y) in enumerate(batch_stream(config, task), start=1):
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(x), y)
        value = loss.item()
        if not math.isfinite(value):
            raise divergence_error(step, value, config)
        loss.backward()
        for cb in callbacks:
            cb.on_before_step(step, model)
        optimizer.step()
        history.append(value)
        for cb in callbacks:
            cb.on_step_end(step, value, model)
        if config.target_loss is not None and value <= config.target_loss:
            stopped_early = step < config.steps
            break
        if step >= config.steps:
            break
    seconds = time.perf_counter() - start
    model.to("cpu")  # evaluation and everything after it work on the CPU

    metrics = evaluate(model, task)
    broken = final_divergence(model, metrics)
    if broken is not None:
        raise divergence_error(len(history) + 1, math.nan, config, broken)
    result = TrainResult(model, config, history, len(history), seconds, metrics,
                         tracker.history() if tracker is not None else [], stopped_early)  # fmt: skip
    for cb in callbacks:
        cb.on_train_end(model, result)
    return result


def _tracker(model: nn.Module, config: TrainConfig) -> Callback | None:
    if config.track_every <= 0:
        return None
    try:
        from actlab.diagnostics import TrainingTracker
    except ImportError as err:
        raise ActlabError(
            f"track_every needs actlab.diagnostics.TrainingTracker, which is not available ({err})"
        ) from None
    return TrainingTracker(model, every=config.track_every)


# --- validation helpers -----------------------------------------------------------------------------------


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
    if isinstance(value, bool) or not isinstance(value, int):
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
    from actlab.diagnostics.limits import check_depth

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
