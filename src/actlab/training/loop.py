"""Training one network on one task: :class:`TrainConfig` in, :class:`TrainResult` out.

Determinism contract (the vectorized trainer of :mod:`actlab.fast.vectorized` reproduces :func:`train` exactly
by following it, and reuses the functions named here):

1. **Task**: :func:`make_task` — ``get_task(config.task, train_range=..., extrap_range=..., noise=...,
   integer=...)``, ``None`` meaning the task's default.
2. **Initial parameters**: :func:`build_model` — ``MLP(...)`` drawing from one ``torch.Generator`` seeded
   with ``config.seed``, layer by layer in order (``linear1`` weight then bias, ``linear2``, ..., ``out``;
   see :mod:`actlab.nets.init`). Nothing else draws from it.
3. **Batches**: :func:`batch_stream` — a second generator seeded with ``config.seed + BATCH_SEED_OFFSET``
   (1_000_003); step ``s`` (1-based) trains on the ``s``-th call ``task.sample(config.batch_size, gen,
   "train")``, one call per step, nothing else drawing from it. On a GPU (``config.device == "cuda"``) the
   generator is the GPU's own (Philox, not the CPU's Mersenne Twister: other points than on the CPU) and
   draws :data:`~actlab.training.device.DEVICE_DRAW_STEPS` steps' batches per call, cut into steps in order.
4. **Loss**: :func:`loss_fn` — mean squared error for regression, cross-entropy for classification, both
   the mean over the batch.
5. **Optimizer**: :func:`make_optimizer` — ``torch.optim.Adam(params, lr)`` (default betas and eps) or
   ``torch.optim.SGD(params, lr, momentum)``; constant learning rate; one ``zero_grad``/``backward``/``step``
   per batch, in float32, with ``config.threads`` intra-op threads (default 1).
6. **Stop**: after ``config.steps`` steps, or after the first step whose loss is <= ``config.target_loss``.
   A non-finite loss raises :class:`DivergenceError` before its backward pass; so do final weights, or
   predictions of the final model on the evaluation points, that are not finite (:func:`final_divergence`:
   the last update can overflow although every loss was finite).
7. **Evaluation**: :func:`actlab.training.evaluate.evaluate`, on points from fixed seeds independent of
   ``config.seed``.

The same config on the same machine gives the identical loss curve, bit for bit (the tests check it).
The initial parameters are the same bits on every device (drawn on the CPU, then moved); the batches are
not (step 3), so a result from a GPU is another sample of the same experiment, not a copy of the CPU's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from actlab.errors import ActlabError
from actlab.nets.mlp import MLP
from actlab.nets.tasks import Task
from actlab.training.callbacks import Callback
from actlab.training.config import BATCH_SEED_OFFSET, TrainConfig, TrainResult, make_task
from actlab.training.device import DEVICE_DRAW_STEPS, resolve_device
from actlab.training.evaluate import PREDICTION_METRICS, evaluate
from actlab.util.threads import torch_threads

if TYPE_CHECKING:
    from actlab.diagnostics import TrainingTracker


def build_model(config: TrainConfig, task: Task | None = None) -> MLP:
    """Step 2: the freshly initialised network, drawn from ``torch.Generator().manual_seed(config.seed)``."""
    task = task or make_task(config)
    generator = torch.Generator().manual_seed(config.seed)
    return MLP(
        task.in_features, config.hidden, task.out_features, config.activation, config.init, config.bias_init, generator
    )


def batch_stream(config: TrainConfig, task: Task | None = None) -> Iterator[tuple[Tensor, Tensor]]:
    """Step 3: the training batches, one ``task.sample(batch_size, gen, "train")`` per step, forever (on a
    GPU: one call per :data:`~actlab.training.device.DEVICE_DRAW_STEPS` steps, see the module docstring)."""
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
    predictions on the evaluation points (seen in :data:`actlab.training.evaluate.PREDICTION_METRICS`, which are
    finite exactly when every prediction is); ``None`` when all is finite."""
    if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
        return "the final weights are not finite"
    bad = [k for k in PREDICTION_METRICS if k in metrics and not math.isfinite(metrics[k] or 0.0)]
    return f"the final model's predictions are not finite ({', '.join(bad)} {metrics[bad[0]]})" if bad else None


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
    result = TrainResult(
        model,
        config,
        history,
        len(history),
        seconds,
        metrics,
        tracker.history() if tracker is not None else [],
        stopped_early,
    )
    for cb in callbacks:
        cb.on_train_end(model, result)
    return result


def _tracker(model: nn.Module, config: TrainConfig) -> TrainingTracker | None:
    if config.track_every <= 0:
        return None
    try:
        from actlab.diagnostics import TrainingTracker
    except ImportError as err:
        raise ActlabError(
            f"track_every needs actlab.diagnostics.TrainingTracker, which is not available ({err})"
        ) from None
    return TrainingTracker(model, every=config.track_every)
