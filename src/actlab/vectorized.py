"""The vectorized trainer: many networks of one shape trained together as one batched computation.

``M`` networks with the same task, widths, batch size, optimizer and step count (they may differ in seed,
activation, init scheme and learning rate) become one :class:`StackedMLP`: layer ``l``'s weights are one
tensor ``(M, out, in)``, its biases ``(M, 1, out)``, and a training step is a few batched matmuls
(``torch.baddbmm``) instead of ``M`` small ones, so the per-call framework overhead is paid once for all
``M``. Each network's loss is the mean over its own batch and the total is their sum, so each network's
gradient is exactly its own; Adam and SGD act elementwise, so one update over the stacked tensors with one
learning rate per network equals ``M`` separate updates.

Every network follows :func:`actlab.train`'s determinism contract (see :mod:`actlab.training`) and reuses
its pieces: :func:`~actlab.training.make_task`, :func:`~actlab.training.build_model` for the initial
weights, :func:`~actlab.training.batch_stream`'s generator and draws for the data, the same losses, the same
stopping rules, and :func:`~actlab.evaluation.evaluate` on the final network. Only float rounding differs
(a batched matmul sums in another order than ``nn.Linear``): the tests compare loss curves, weights and
metrics with :func:`actlab.train` network by network (see :data:`RTOL`).

Why stacked ``baddbmm``: measured in ``benchmarks/bench_vectorized.py`` on 128 networks, ``torch.func``
(``stack_module_state`` + ``vmap`` over ``functional_call``, the same batched matmuls with more dispatch) was
13 % slower; ``torch.compile`` was 21 % faster per step once compiled, but compiling took 16 s and every new
group shape or activation mix compiles again, longer than a typical comparison trains. Figures in
BENCHMARKS.md.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from actlab.callbacks import Callback
from actlab.errors import ActlabError
from actlab.evaluation import EVAL_POINTS, EVAL_SEEDS, evaluate
from actlab.model import MLP
from actlab.modules import get
from actlab.tasks import Task
from actlab.training import (
    BATCH_SEED_OFFSET,
    TrainConfig,
    TrainResult,
    batch_stream,
    build_model,
    divergence_error,
    make_task,
    train,
)

RTOL = 1e-4  # vectorized vs alone: loss curves agree to this (relative) over the tested runs (float32)
DATA_CHUNK_BYTES = 16 * 2**20  # training batches are drawn this many bytes at a time (see _batches)
VARYING = ("seed", "activation", "init", "bias_init", "lr")  # fields that may differ within a group

Progress = Callable[[int], None]  # called with the number of model-steps just finished


def group_key(config: TrainConfig) -> str:
    """Configs with equal keys train together: all fields but :data:`VARYING` are equal."""
    data = config.to_dict()
    for name in VARYING:
        data.pop(name)
    return repr(sorted(data.items()))


def stackable(config: TrainConfig) -> bool:
    """Whether :func:`train_many` stacks this config; otherwise it trains alone with :func:`actlab.train`.

    Learned activation parameters (PReLU's slopes) and the diagnostics tracker need one module per network.
    """
    return config.track_every == 0 and not any(list(get(s).parameters()) for s in layer_specs(config))


def layer_specs(config: TrainConfig) -> tuple[str, ...]:
    """The activation spec of each hidden layer."""
    act = config.activation
    return tuple([act] * len(config.hidden)) if isinstance(act, str) else tuple(act)


def train_many(
    configs: Sequence[TrainConfig],
    callbacks: Sequence[Callback] = (),
    progress: Progress | None = None,
    on_diverge: str = "raise",
    threads: int | None = 1,
) -> list[TrainResult]:
    """Train every config, stacking those of one shape (:func:`group_key`); results in input order.

    Each result equals ``actlab.train(config)`` up to float rounding (:data:`RTOL`), with two more
    ``metrics``: ``dead_fraction`` (:func:`dead_fraction` on the interpolation points) and
    ``diverged_step`` (``None``, or the step whose loss became NaN or infinite). ``seconds`` is the
    network's share of its group's training time (the group's time divided by its size).

    Args:
        configs: the runs.
        callbacks: told about each group: ``on_train_start(stacked, configs)``, then per step
            ``on_before_step(step, stacked)`` and ``on_step_end(step, mean_loss, stacked)`` with the
            :class:`StackedMLP` and the mean loss of the networks still training, and finally
            ``on_train_end(stacked, results)``.
        progress: called after each step with the number of model-steps it finished.
        on_diverge: ``"raise"``: an :class:`~actlab.errors.ActlabError` like :func:`actlab.train` when a
            loss becomes NaN or infinite. ``"keep"``: freeze that network, train the others on, and return
            it with NaN metrics and ``diverged_step`` set (what a comparison wants).
        threads: PyTorch's intra-op threads while training (restored afterwards); ``None`` leaves the
            setting alone. One by default: on an idle 2-core machine a second thread gained 1.4x, but on a
            busy one every op waits for a descheduled OpenMP thread, and 2 threads ran 3x to 46x slower than
            one (BENCHMARKS.md).
    """
    if on_diverge not in ("raise", "keep"):
        raise ValueError(f"on_diverge must be 'raise' or 'keep', not {on_diverge!r}")
    with intra_op_threads(threads):
        return _train_many(configs, callbacks, progress, on_diverge)


@contextmanager
def intra_op_threads(threads: int | None) -> Iterator[None]:
    """``torch.set_num_threads(threads)`` for the duration (``None``: unchanged)."""
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _train_many(
    configs: Sequence[TrainConfig], callbacks: Sequence[Callback], progress: Progress | None, on_diverge: str
) -> list[TrainResult]:
    results: dict[int, TrainResult] = {}
    groups: dict[str, list[int]] = {}
    for i, config in enumerate(configs):
        config.validate()
        if stackable(config):
            groups.setdefault(group_key(config), []).append(i)
        else:
            results[i] = _alone(config, callbacks, progress, on_diverge)
    for members in groups.values():
        trained = _train_group([configs[i] for i in members], callbacks, progress, on_diverge)
        results.update(zip(members, trained, strict=True))
    return [results[i] for i in range(len(configs))]


# --- the stacked network ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """Networks ``start:stop`` (contiguous once sorted) share their activations: one module per hidden layer."""

    start: int
    stop: int
    modules: tuple[nn.Module, ...]


class StackedMLP(nn.Module):
    """``M`` networks of one :class:`~actlab.model.MLP` shape as one module.

    ``weights[l]`` has shape ``(M, out_l, in_l)`` (``nn.Linear``'s layout, one per network) and
    ``biases[l]`` ``(M, 1, out_l)``. ``forward`` maps ``(M, B, in)`` to ``(M, B, out)``: per layer
    ``z = h Wᵀ + b`` (:class:`StackedLinear`), and after each hidden layer the activation. Networks with the
    same activations form a :class:`Kind`; with several kinds, the inputs and parameters are split into
    per-kind views and each kind runs its own chain, so that no hidden-sized tensor is ever concatenated
    (a concatenation and its backward cost as much as a matmul here).
    """

    def __init__(self, models: Sequence[MLP], specs: Sequence[Sequence[str]]) -> None:
        super().__init__()
        per_model = [m.linears() for m in models]
        depth = len(per_model[0])
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([ls[k].weight.detach() for ls in per_model])) for k in range(depth)
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([ls[k].bias.detach() for ls in per_model]).unsqueeze(1))
            for k in range(depth)
        )
        self.kinds = kinds_of([tuple(s) for s in specs])

    def forward(self, x: Tensor) -> Tensor:
        if len(self.kinds) == 1:
            return self._chain(x, list(self.weights), list(self.biases), self.kinds[0].modules)
        sizes = [k.stop - k.start for k in self.kinds]
        weights = [w.split(sizes) for w in self.weights]
        biases = [b.split(sizes) for b in self.biases]
        return torch.cat([
            self._chain(part, [w[i] for w in weights], [b[i] for b in biases], kind.modules)
            for i, (kind, part) in enumerate(zip(self.kinds, x.split(sizes), strict=True))
        ])  # fmt: skip

    @staticmethod
    def _chain(h: Tensor, weights: list[Tensor], biases: list[Tensor], modules: Sequence[nn.Module]) -> Tensor:
        for weight, bias, act in zip(weights, biases, modules, strict=False):
            h = act(StackedLinear.apply(h, weight, bias))  # (m, B, width)
        return StackedLinear.apply(h, weights[-1], biases[-1])  # (m, B, out)

    @torch.no_grad()
    def write_back(self, models: Sequence[MLP]) -> None:
        """Copy each network's current parameters into its :class:`~actlab.model.MLP`."""
        for i, model in enumerate(models):
            for k, layer in enumerate(model.linears()):
                layer.weight.copy_(self.weights[k][i])
                layer.bias.copy_(self.biases[k][i, 0])


def kinds_of(specs: Sequence[tuple[str, ...]]) -> list[Kind]:
    """Runs of networks with equal per-layer activation specs, one module per layer each."""
    out: list[Kind] = []
    for i, spec in enumerate(specs):
        if out and specs[out[-1].start] == spec:
            out[-1] = Kind(out[-1].start, i + 1, out[-1].modules)
        else:
            out.append(Kind(i, i + 1, tuple(get(s) for s in spec)))
    return out


class StackedLinear(torch.autograd.Function):
    """``z = h Wᵀ + b`` for ``M`` networks at once: ``h (M, B, in)``, ``W (M, out, in)``, ``b (M, 1, out)``.

    The same products as autograd through ``baddbmm``, but each computed in the orientation that the
    batched-matmul kernels handle well: a product whose result has 1 or 2 columns (the output layer's
    weight gradient, the input layer's) is slow on CPU, as slow as a 32 x 32 layer, so ``∂W`` is computed
    as ``gᵀh`` or ``(hᵀg)ᵀ``, whichever has more columns, and a rank-1 ``∂h = g W`` (one output) is a
    broadcast product.
    """

    @staticmethod
    def forward(ctx: Any, h: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        ctx.save_for_backward(h, weight)
        return torch.baddbmm(bias, h, weight.transpose(1, 2))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, Tensor, Tensor]:  # grad: (M, B, out)
        h, weight = ctx.saved_tensors
        n_out, n_in = weight.shape[1:]
        if n_in >= n_out:
            grad_w = torch.bmm(grad.transpose(1, 2), h)  # (M, out, in)
        else:
            grad_w = torch.bmm(h.transpose(1, 2), grad).transpose(1, 2)
        grad_h = None
        if ctx.needs_input_grad[0]:
            grad_h = grad * weight if n_out == 1 else torch.bmm(grad, weight)  # (M, B, in)
        return grad_h, grad_w, grad.sum(dim=1, keepdim=True)


# --- optimizers over stacked parameters, one learning rate per network -------------------------------------


class StackedAdam:
    """``torch.optim.Adam``'s update with its defaults (betas 0.9, 0.999; eps 1e-8), written out so that the
    learning rate can differ per network; the operations are PyTorch's own, in its order."""

    def __init__(self, params: Sequence[Tensor], lrs: Sequence[float]) -> None:
        self.params, self.lrs, self.t = list(params), list(lrs), 0
        self.beta1, self.beta2, self.eps = 0.9, 0.999, 1e-8
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, frozen: Tensor | None) -> None:
        self.t += 1
        bias_correction1 = 1 - self.beta1**self.t
        bias_correction2_sqrt = (1 - self.beta2**self.t) ** 0.5
        neg_step = torch.tensor([-lr / bias_correction1 for lr in self.lrs])  # (M,)
        for p, m, v in zip(self.params, self.m, self.v, strict=True):
            g = p.grad
            m.lerp_(g, 1 - self.beta1)
            v.mul_(self.beta2).addcmul_(g, g, value=1 - self.beta2)
            denom = (v.sqrt() / bias_correction2_sqrt).add_(self.eps)
            _apply(p, (m * _per_model(neg_step, p)).div_(denom), frozen)  # addcdiv's order: (s·m) / d


class StackedSGD:
    """``torch.optim.SGD(lr, momentum)``'s update (no dampening, weight decay or Nesterov), per-network lr."""

    def __init__(self, params: Sequence[Tensor], lrs: Sequence[float], momentum: float) -> None:
        self.params, self.momentum = list(params), momentum
        self.neg_lr = torch.tensor([-lr for lr in lrs])
        self.buffers: list[Tensor | None] = [None] * len(self.params)

    @torch.no_grad()
    def step(self, frozen: Tensor | None) -> None:
        for i, p in enumerate(self.params):
            g = p.grad
            if self.momentum != 0:
                buf = self.buffers[i]
                buf = g.clone() if buf is None else buf.mul_(self.momentum).add_(g)
                self.buffers[i] = g = buf
            _apply(p, g * _per_model(self.neg_lr, p), frozen)


def _per_model(values: Tensor, like: Tensor) -> Tensor:
    return values.view(-1, *([1] * (like.dim() - 1)))


def _apply(p: Tensor, update: Tensor, frozen: Tensor | None) -> None:
    if frozen is not None:  # where, not a multiply: a diverged network's update is NaN, and NaN · 0 = NaN
        update = torch.where(_per_model(frozen, p), 0.0, update)
    p.add_(update)


# --- data -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def chunkable(task: Task, batch_size: int) -> bool:
    """Whether ``k`` calls ``task.sample(batch_size, g)`` draw the same points as one call for
    ``k · batch_size`` (true where a sample is one ``rand``/``randint`` call, consumed in order: the
    uniform boxes of the arithmetic tasks). Checked on the task itself, never assumed."""
    one, many = torch.Generator().manual_seed(12345), torch.Generator().manual_seed(12345)
    parts = [task.sample(batch_size, one, "train") for _ in range(3)]
    x, y = task.sample(3 * batch_size, many, "train")
    return torch.equal(torch.cat([p[0] for p in parts]), x) and torch.equal(torch.cat([p[1] for p in parts]), y)


def batches(configs: Sequence[TrainConfig], task: Task, steps: int) -> Iterator[tuple[Tensor, Tensor]]:
    """Each step's batches of all networks, stacked: ``(M, B, in)`` and targets ``(M, B, ...)``.

    Network ``i`` gets exactly the batches of ``batch_stream(configs[i])``. Where :func:`chunkable`, they
    are drawn many steps per call (same generator, same draws, far fewer calls); otherwise one
    :func:`~actlab.training.batch_stream` step at a time.
    """
    size = configs[0].batch_size
    if not chunkable(task, size):
        streams = [batch_stream(c, task) for c in configs]
        for _ in range(steps):
            xs, ys = zip(*(next(s) for s in streams), strict=True)
            yield torch.stack(xs), torch.stack(ys)
        return
    gens = [torch.Generator().manual_seed(c.seed + BATCH_SEED_OFFSET) for c in configs]
    per_step = len(configs) * size * (task.in_features + 1) * 4
    chunk = max(1, DATA_CHUNK_BYTES // per_step)
    for done in range(0, steps, chunk):
        n = min(chunk, steps - done)
        xs, ys = zip(*(task.sample(n * size, g, "train") for g in gens), strict=True)
        x = torch.stack([t.view(n, size, *t.shape[1:]) for t in xs], dim=1)  # (n, M, B, in)
        y = torch.stack([t.view(n, size, *t.shape[1:]) for t in ys], dim=1)
        for j in range(n):
            yield x[j], y[j]


def per_model_loss(task: Task, out: Tensor, y: Tensor) -> Tensor:
    """Each network's loss ``(M,)``: the mean over its batch of :func:`~actlab.training.loss_fn`'s loss."""
    if task.kind == "classification":
        m, b, c = out.shape
        return F.cross_entropy(out.reshape(m * b, c), y.reshape(m * b), reduction="none").view(m, b).mean(1)
    return (out - y).square().mean(dim=(1, 2))


# --- training ---------------------------------------------------------------------------------------------


def _train_group(
    configs: Sequence[TrainConfig], callbacks: Sequence[Callback], progress: Progress | None, on_diverge: str
) -> list[TrainResult]:
    """One stacked run; networks are sorted by activations so that each kind is one contiguous slice."""
    order = sorted(range(len(configs)), key=lambda i: layer_specs(configs[i]))
    cfgs = [configs[i] for i in order]
    first = cfgs[0]
    task = make_task(first)
    models = [build_model(c, task) for c in cfgs]
    stacked = StackedMLP(models, [layer_specs(c) for c in cfgs])
    params = [*stacked.weights, *stacked.biases]
    lrs = [c.lr for c in cfgs]
    optimizer = StackedSGD(params, lrs, first.momentum) if first.optimizer == "sgd" else StackedAdam(params, lrs)
    for cb in callbacks:
        cb.on_train_start(stacked, cfgs)

    size, steps, target = len(cfgs), first.steps, first.target_loss
    history = torch.empty(steps, size)
    last = [steps] * size  # each network's last step taken
    diverged: dict[int, int] = {}  # network -> the step whose loss was not finite
    frozen = torch.zeros(size, dtype=torch.bool)  # stopped early or diverged: no more updates
    live = size
    start = time.perf_counter()
    for step, (x, y) in enumerate(batches(cfgs, task, steps), start=1):
        losses = per_model_loss(task, stacked(x), y)  # (M,)
        value = losses.detach()
        history[step - 1] = value
        broken = ~torch.isfinite(value)
        done = broken | (value <= target) if target is not None else broken.clone()
        newly = (done & ~frozen).nonzero().flatten().tolist()
        for i in newly:
            if broken[i]:
                if on_diverge == "raise":
                    raise divergence_error(step, value[i].item(), cfgs[i])
                diverged[i], last[i] = step, step - 1  # train() raises before this step's update
            else:
                last[i] = step  # reached the target: this step's update still happens, as in train()
        stacked.zero_grad(set_to_none=True)
        losses.sum().backward()  # the sum's gradient for each network is its own loss's
        for cb in callbacks:
            cb.on_before_step(step, stacked)
        optimizer.step(frozen | broken if live < size or diverged else None)
        if progress is not None:
            progress(live)
        if callbacks:
            mean_loss = float(value[~frozen].mean())
            for cb in callbacks:
                cb.on_step_end(step, mean_loss, stacked)
        if newly:
            frozen[newly] = True
            live -= len(newly)
            if live == 0:
                break
    seconds = time.perf_counter() - start

    stacked.write_back(models)
    results = []
    for i, (config, model) in enumerate(zip(cfgs, models, strict=True)):
        taken = last[i]
        metrics = evaluate(model, task)
        if i in diverged:
            metrics = dict.fromkeys(metrics, math.nan)
        metrics["dead_fraction"] = math.nan if i in diverged else dead_fraction(model, task)
        metrics["diverged_step"] = diverged.get(i)
        stopped = i not in diverged and taken < steps
        results.append(TrainResult(model, config, history[:taken, i].tolist(), taken, seconds / size, metrics,
                                   [], stopped))  # fmt: skip
    for cb in callbacks:
        cb.on_train_end(stacked, results)
    unsorted: list[TrainResult] = [results[0]] * size
    for position, i in enumerate(order):
        unsorted[i] = results[position]
    return unsorted


class _LastStep(Callback):
    def __init__(self) -> None:
        self.step, self.history = 0, []

    def on_step_end(self, step: int, loss: float, model: nn.Module) -> None:
        self.step = step
        self.history.append(loss)


def _alone(
    config: TrainConfig, callbacks: Sequence[Callback], progress: Progress | None, on_diverge: str
) -> TrainResult:
    """A config that cannot be stacked, trained by :func:`actlab.train` itself."""
    seen = _LastStep()
    try:
        result = train(config, [*callbacks, seen])
    except ActlabError:
        if on_diverge == "raise" or seen.step >= config.steps:
            raise
        task = make_task(config)
        model = build_model(config, task)
        metrics = dict.fromkeys(evaluate(model, task), math.nan)
        metrics.update(dead_fraction=math.nan, diverged_step=seen.step + 1)
        result = TrainResult(model, config, seen.history, seen.step, math.nan, metrics)
    else:
        result.metrics.update(dead_fraction=dead_fraction(result.model, result.task), diverged_step=None)
    if progress is not None:
        progress(result.steps)
    return result


# --- dead units -------------------------------------------------------------------------------------------


@torch.no_grad()
def dead_fraction(model: MLP, task: Task, points: int = EVAL_POINTS) -> float:
    """The fraction of hidden units that are never active on the interpolation points of
    :mod:`actlab.evaluation`: a unit is dead when, on every point, its output is exactly 0 *and* the
    activation's slope there is 0 (no signal passes forward, no gradient backward; the same rule as
    :mod:`actlab.diagnostics`). ReLU units with ``z <= 0`` everywhere are dead; a sigmoid unit is not
    (its slope is small but never 0)."""
    x, _ = task.sample(points, torch.Generator().manual_seed(EVAL_SEEDS["interp"]), "interp")
    h = x.to(next(model.parameters()).dtype)
    dead = total = 0
    for layer, act in zip(model.linears(), model.activations(), strict=False):
        z = layer(h)
        h = act(z)
        slope = act.derivative(z)  # type: ignore[operator]
        never = ((h == 0) & (slope == 0)).all(dim=0)  # (width,)
        dead += int(never.sum())
        total += never.numel()
    return dead / total if total else 0.0
