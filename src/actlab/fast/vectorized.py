"""The vectorized trainer: many networks of one shape trained together as one batched computation.

``M`` networks with the same task, widths, batch size, optimizer and step count (they may differ in seed,
activation, init scheme and learning rate) train as one :class:`~actlab.fast.stacked.StackedMLP`: a step is a
few batched matmuls over stacked weights (:class:`~actlab.fast.stacked.StackedStep`) and one optimizer update of
the stacked tensors (:mod:`actlab.fast.optim`) instead of ``M`` small steps, so the per-call framework
overhead is paid once for many networks. Networks share nothing, so each one's gradient and update are
exactly its own. With ``workers=N`` the networks of a group are split among ``N`` worker processes (whole
chunks each, one core each, :mod:`actlab.fast.workers`) that train their parts independently: none waits for
another between operations, which is what makes a second core pay off even on a busy machine.

Every network follows :func:`actlab.train`'s determinism contract (see :mod:`actlab.training`) and reuses
its pieces: :func:`~actlab.training.config.make_task`, :func:`~actlab.training.loop.build_model` for the initial
weights, :func:`~actlab.training.loop.batch_stream`'s generator and draws for the data, the same losses, the same
stopping rules, and the metrics of :func:`~actlab.training.evaluate.evaluate` on the final networks (computed for
the whole stack at once, :mod:`actlab.fast.metrics`). Only float rounding differs (a batched matmul sums in
another order than ``nn.Linear``): the tests compare loss curves, weights and metrics with :func:`actlab.train`
network by network (see :data:`RTOL`).

Why hand-written stacked matmuls: measured in ``benchmarks/bench_vectorized.py`` on 128 networks, autograd
through the same stacked ``baddbmm`` layers was 9 % slower and ``torch.func`` (``stack_module_state`` +
``vmap`` over ``functional_call``) 15 % slower; ``torch.compile`` was 4 % faster per step once compiled, but
compiling took 6 to 16 s and every new group shape or activation mix compiles again, longer than a typical
comparison trains. Figures in BENCHMARKS.md.

On a GPU (``device="cuda"``, :func:`train_group_on_device`) a group is one stack, one chunk per activation
(no cache-sized chunks, no worker processes), its batches are drawn on the GPU by each network's own
generator (:func:`device_batches`, the contract of :func:`~actlab.training.loop.batch_stream` on a GPU), and the
loop never waits for the GPU: stops and divergence are tracked in GPU tensors and read back every
:data:`SYNC_EVERY` steps. The trained stack is evaluated on the GPU too, as one stack (a few read-backs for the
whole group), and copied to the CPU once per layer. The step is the eager stacked step of the CPU; CUDA graphs and
``torch.compile`` are candidates still to be measured on a GPU (``benchmarks/gpu_check.sh``, BENCHMARKS.md).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from actlab.catalog.modules import get
from actlab.errors import ActlabError
from actlab.fast.metrics import eval_dead_fraction, final_metrics
from actlab.fast.optim import StackedAdam, StackedSGD
from actlab.fast.stacked import StackedMLP, StackedStep, chunk_bounds, networks_per_chunk
from actlab.fast.workers import Progress, Stop, can_fork, prepare, run_side_by_side
from actlab.nets.mlp import MLP
from actlab.nets.tasks import Task
from actlab.training.callbacks import Callback
from actlab.training.config import BATCH_SEED_OFFSET, TrainConfig, TrainResult, make_task
from actlab.training.device import DEVICE_DRAW_STEPS, check_fits, free_gpu_bytes, group_bytes, resolve_device
from actlab.training.evaluate import evaluate
from actlab.training.loop import DivergenceError, batch_stream, build_model, divergence_error, train
from actlab.util.threads import torch_threads

RTOL = 1e-4  # vectorized vs alone: loss curves agree to this (relative) over the tested runs (float32)
DATA_CHUNK_BYTES = 16 * 2**20  # training batches are drawn this many bytes at a time (see _batches)
VARYING = ("seed", "activation", "init", "bias_init", "lr")  # fields that may differ within a group

MAX_DEFAULT_WORKERS = 8  # default_workers() never exceeds this
CPU_MAX = "/sys/fs/cgroup/cpu.max"  # a container's CPU quota, where cgroup v2 gives one
SYNC_EVERY = 100  # on a GPU: steps between read-backs (progress, all stopped, divergence), each a wait


def default_workers() -> int:
    """The CPU cores this process may run on (at most :data:`MAX_DEFAULT_WORKERS`): the workers
    ``actlab compare``, ``actlab sweep`` and the tour give :func:`train_many` by default. A container's CPU
    quota (cgroup v2 ``cpu.max``) counts too."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+; else the affinity mask
    cores = counter() if counter else len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    try:
        quota = cores_in_cpu_max(Path(CPU_MAX).read_text())
    except OSError:
        quota = None
    return max(1, min(cores or os.cpu_count() or 1, quota or MAX_DEFAULT_WORKERS, MAX_DEFAULT_WORKERS))


def cores_in_cpu_max(text: str) -> int | None:
    """The whole cores a cgroup v2 ``cpu.max`` line allows (``"200000 100000"`` -> 2, at least 1), or
    ``None`` for no quota (``"max 100000"``) or a line it cannot read."""
    parts = text.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or int(parts[1]) == 0:
        return None
    return max(1, int(parts[0]) // int(parts[1]))


def group_key(config: TrainConfig) -> str:
    """Configs with equal keys train together: all fields but :data:`VARYING` are equal (a tuple equal to a
    list: ``hidden=(16, 16)`` stacks with ``[16, 16]``). Read field by field: ``to_dict`` copies deeply, and a
    comparison groups every config twice."""
    data = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.name not in VARYING}
    return repr(sorted((k, list(v) if isinstance(v, tuple) else v) for k, v in data.items()))


def stackable(config: TrainConfig) -> bool:
    """Whether :func:`train_many` stacks this config; otherwise it trains alone with :func:`actlab.train`.

    Learned activation parameters (PReLU's slopes) and the diagnostics tracker need one module per network.
    """
    return config.track_every == 0 and not any(_learns(s) for s in layer_specs(config))


@lru_cache(maxsize=256)
def _learns(spec: str) -> bool:
    """Whether the activation ``spec`` has learned parameters (asked once per spec: building it costs ~50 µs)."""
    return bool(list(get(spec).parameters()))


def layer_specs(config: TrainConfig) -> tuple[str, ...]:
    """The activation spec of each hidden layer."""
    act = config.activation
    return tuple([act] * len(config.hidden)) if isinstance(act, str) else tuple(act)


def train_many(
    configs: Sequence[TrainConfig],
    callbacks: Sequence[Callback] = (),
    progress: Progress | None = None,
    on_diverge: str = "raise",
    workers: int | None = 1,
    device: str | None = None,
) -> list[TrainResult]:
    """Train every config, stacking those of one shape (:func:`group_key`); results in input order.

    Each result equals ``actlab.train(config)`` up to float rounding (:data:`RTOL`), with two more
    ``metrics``: ``dead_fraction`` (:func:`~actlab.fast.metrics.eval_dead_fraction` on the interpolation points) and
    ``diverged_step`` (``None``, or the step whose loss became NaN or infinite). ``seconds`` is the
    network's share of its group's training time (the group's time divided by its size).

    Args:
        configs: the runs.
        callbacks: told about each group: ``on_train_start(stacked, configs)``, then per step
            ``on_before_step(step, stacked)`` and ``on_step_end(step, mean_loss, stacked)`` with the
            :class:`~actlab.fast.stacked.StackedMLP` and the mean loss of the networks still training, and
            finally ``on_train_end(stacked, results)``. A group with callbacks trains in this process.
        progress: called after each step with the number of model-steps it finished.
        on_diverge: ``"raise"``: an :class:`~actlab.errors.ActlabError` like :func:`actlab.train` when a
            loss becomes NaN or infinite. ``"keep"``: freeze that network, train the others on, and return
            it with NaN metrics and ``diverged_step`` set (what a comparison wants).
        workers: processes per group (this one and ``workers - 1`` worker processes, Linux only; one
            elsewhere; the workers come from a clean process, never from a fork of this one, see
            :mod:`actlab.fast.workers`), each training whole chunks of its networks on one PyTorch intra-op thread
            (PyTorch's setting is restored afterwards); ``None``: this process alone with PyTorch's setting
            as it is. Workers never wait for each other between operations, unlike PyTorch's own intra-op
            threads (on a busy machine every parallel op waits for a descheduled OpenMP thread: 2 intra-op
            threads ran 3x to 46x slower than one there), and unlike Python threads they do not share one
            interpreter lock (BENCHMARKS.md).
        device: ``"cpu"``, ``"cuda"`` or ``"auto"`` for every config (:func:`~actlab.training.device.resolve_device`;
            the results' configs record it); ``None``: each config's own ``device``. A group on a GPU trains
            as :func:`train_group_on_device` (``workers`` do not apply there).
    """
    if on_diverge not in ("raise", "keep"):
        raise ValueError(f"on_diverge must be 'raise' or 'keep', not {on_diverge!r}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if device is not None:
        device = resolve_device(device)
        configs = [c if c.device == device else dataclasses.replace(c, device=device) for c in configs]
    for name in {c.device for c in configs}:
        resolve_device(name)  # a GPU named in a config must be present
    with torch_threads(None if workers is None else 1):
        return _train_many(configs, callbacks, progress, on_diverge, workers)


def _train_many(
    configs: Sequence[TrainConfig],
    callbacks: Sequence[Callback],
    progress: Progress | None,
    on_diverge: str,
    workers: int | None,
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
        group = [configs[i] for i in members]
        if group[0].device != "cpu":
            trained = train_group_on_device(group, callbacks, progress, on_diverge)
        else:
            trained = _train_group(group, callbacks, progress, on_diverge, workers)
        results.update(zip(members, trained, strict=True))
    return [results[i] for i in range(len(configs))]


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
    :func:`~actlab.training.loop.batch_stream` step at a time.
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


# --- training ---------------------------------------------------------------------------------------------


@dataclass
class _Part:
    """One worker's share of a group after training, as plain data (it may cross a pipe from a child)."""

    seconds: float  # the training loop's wall time
    networks: list[tuple[list[float], int, bool, dict[str, Any], list[Tensor] | None]]  # history, steps,
    # stopped, metrics and, from a child, the final parameters (in this process the models hold them already)
    errors: list[tuple[int, int, ActlabError]]  # with on_diverge="raise": (step, position in the group, error)
    stacked: StackedMLP | None = None  # in this process only: what callbacks' on_train_end receives
    process: int = field(default_factory=os.getpid)  # where it trained


def _train_group(
    configs: Sequence[TrainConfig],
    callbacks: Sequence[Callback],
    progress: Progress | None,
    on_diverge: str,
    workers: int | None,
) -> list[TrainResult]:
    """One group: networks sorted by activations (each :class:`~actlab.fast.stacked.Chunk` is a contiguous run),
    split among ``workers`` processes (:mod:`actlab.fast.workers`), trained, evaluated; results in the order of
    ``configs``."""
    order = sorted(range(len(configs)), key=lambda i: layer_specs(configs[i]))
    cfgs = [configs[i] for i in order]
    workers = 1 if callbacks or workers is None or not can_fork() else workers
    if workers > 1:
        prepare([__name__])  # the worker factory boots (or imports this module) while the models are built
    task = make_task(cfgs[0])
    models = [build_model(c, task) for c in cfgs]
    specs = [layer_specs(c) for c in cfgs]
    cost = measured_cost(models, specs, task, cfgs[0].batch_size) if workers > 1 and len(set(specs)) > 1 else None
    parts = partition(cfgs, workers, cost)
    raises = on_diverge == "raise"
    here = parts[0]
    jobs = [
        partial(
            _train_stack,
            [cfgs[i] for i in here],
            [models[i] for i in here],
            [specs[i] for i in here],
            here,
            task,
            callbacks,
            raises,
            True,
        ),
        *(partial(_train_elsewhere, [cfgs[i] for i in part], part, raises) for part in parts[1:]),
    ]
    done = run_side_by_side(jobs, progress, take_over=True)  # a late worker factory never makes it slower
    errors = [e for part in done for e in part.errors]
    if errors:
        raise min(errors, key=lambda e: e[:2])[2]
    local = sum(part.seconds for part in done if part.process == os.getpid())  # one after another
    seconds = max([local, *(part.seconds for part in done if part.process != os.getpid())])  # side by side
    results: list[TrainResult] = [None] * len(cfgs)  # type: ignore[list-item]
    for positions, part in zip(parts, done, strict=True):
        for position, (history, steps, stopped, metrics, params) in zip(positions, part.networks, strict=True):
            model = models[position]
            if params is not None:
                with torch.no_grad():
                    for p, value in zip(model.parameters(), params, strict=True):
                        p.copy_(value)
            results[position] = TrainResult(
                model, cfgs[position], history, steps, seconds / len(cfgs), metrics, [], stopped
            )
    stacked = done[0].stacked  # the first share trained in this process, on the stacked networks
    assert stacked is not None
    for cb in callbacks:
        cb.on_train_end(stacked, results)
    unsorted: list[TrainResult] = [results[0]] * len(cfgs)
    for position, i in enumerate(order):
        unsorted[i] = results[position]
    return unsorted


def partition(
    configs: Sequence[TrainConfig], workers: int, cost: Callable[[tuple[str, ...]], float] | None = None
) -> list[list[int]]:
    """The networks (positions in ``configs``, sorted by activations) each of at most ``workers`` workers
    trains: whole :class:`~actlab.fast.stacked.Chunk` s, the costliest first to the least loaded worker. ``cost``
    gives one network's cost for its activation specs (default: every network costs the same)."""
    specs = [layer_specs(c) for c in configs]
    chunks = chunk_bounds(specs, networks_per_chunk(configs[0].batch_size, configs[0].hidden))
    weight = {spec: cost(spec) for spec in set(specs)} if cost else {}
    parts: list[list[int]] = [[] for _ in range(max(1, min(workers, len(chunks))))]
    loads = [0.0] * len(parts)
    for start, stop in sorted(chunks, key=lambda c: -(c[1] - c[0]) * weight.get(specs[c[0]], 1.0)):
        k = loads.index(min(loads))
        parts[k].extend(range(start, stop))
        loads[k] += (stop - start) * weight.get(specs[start], 1.0)
    return [sorted(p) for p in parts]


def measured_cost(
    models: Sequence[MLP], specs: Sequence[tuple[str, ...]], task: Task, batch_size: int
) -> Callable[[tuple[str, ...]], float]:
    """Seconds of one stacked step per network, for each activation spec among ``specs``: timed on a chunk
    of the group's own networks (best of 3). Activations' kernels differ several-fold in cost (``elu`` or
    ``tanh`` against ``relu``, BENCHMARKS.md), so :func:`partition` balances workers by this, not by count."""
    per_chunk = networks_per_chunk(batch_size, [layer.out_features for layer in models[0].linears()[:-1]])
    seconds: dict[tuple[str, ...], float] = {}
    for spec in dict.fromkeys(specs):
        chosen = [m for m, s in zip(models, specs, strict=True) if s == spec][:per_chunk]
        step = StackedStep(StackedMLP(chosen, [spec] * len(chosen), batch_size), task)
        dtype = next(chosen[0].parameters()).dtype
        x = torch.randn(len(chosen), batch_size, task.in_features, dtype=dtype)
        y = (
            torch.zeros(len(chosen), batch_size, dtype=torch.long)
            if task.kind == "classification"
            else torch.zeros(len(chosen), batch_size, task.out_features, dtype=dtype)
        )
        step(x, y)  # warm-up
        seconds[spec] = min(_timed(lambda: step(x, y)) for _ in range(3)) / len(chosen)  # noqa: B023
    return seconds.__getitem__


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _train_stack(
    cfgs: Sequence[TrainConfig],
    models: Sequence[MLP],
    specs: Sequence[tuple[str, ...]],
    positions: Sequence[int],
    task: Task,
    callbacks: Sequence[Callback],
    raises: bool,
    here: bool,
    report: Progress,
    stop: Stop,
) -> _Part:
    """The training loop of one stack, :func:`actlab.train`'s loop for every network at once, then each
    network's evaluation. ``here``: this process (keeps the stacked module for the callbacks)."""
    first = cfgs[0]
    stacked = StackedMLP(models, specs, first.batch_size)
    step_fn = StackedStep(stacked, task)
    params, lrs = [*stacked.weights, *stacked.biases], [c.lr for c in cfgs]
    optimizer = StackedSGD(params, lrs, first.momentum) if first.optimizer == "sgd" else StackedAdam(params, lrs)
    for cb in callbacks:
        cb.on_train_start(stacked, cfgs)

    size, steps, target = len(cfgs), first.steps, first.target_loss
    history = torch.empty(steps, size)
    last = [steps] * size
    diverged: dict[int, int] = {}
    frozen = torch.zeros(size, dtype=torch.bool)  # stopped early or diverged: no more updates
    live = size
    start = time.perf_counter()
    for step, (x, y) in enumerate(batches(cfgs, task, steps), start=1):
        value = step_fn(x, y)  # (size,): each network's loss
        history[step - 1] = value
        broken = ~torch.isfinite(value)
        done = broken | (value <= target) if target is not None else broken.clone()
        newly = (done & ~frozen).nonzero().flatten().tolist()
        for i in newly:
            if broken[i]:
                if raises:  # the group raises the earliest divergence of all its parts
                    return _Part(0.0, [], [(step, positions[i], divergence_error(step, value[i].item(), cfgs[i]))])
                diverged[i], last[i] = step, step - 1  # train() raises before this step's update
            else:
                last[i] = step  # reached the target: this step's update still happens, as in train()
        for cb in callbacks:
            cb.on_before_step(step, stacked)
        optimizer.step(frozen | broken if live < size or diverged else None)
        report(live)
        if callbacks:
            mean_loss = float(value[~frozen].mean())
            for cb in callbacks:
                cb.on_step_end(step, mean_loss, stacked)
        if newly:
            frozen[newly] = True
            live -= len(newly)
        if live == 0 or stop():
            break
    seconds = time.perf_counter() - start
    stacked.write_back(models)
    all_metrics, errors = final_metrics(stacked, models, task, cfgs, diverged, last)
    if errors and raises:
        i, error = errors[0]
        return _Part(0.0, [], [(error.step, positions[i], error)])
    networks = []
    for i, (model, metrics) in enumerate(zip(models, all_metrics, strict=True)):
        stopped = i not in diverged and last[i] < steps
        final_params = None if here else [p.detach().clone() for p in model.parameters()]
        networks.append((history[: last[i], i].tolist(), last[i], stopped, metrics, final_params))
    return _Part(seconds, networks, [], stacked if here else None)


def _train_elsewhere(
    cfgs: Sequence[TrainConfig], positions: Sequence[int], raises: bool, report: Progress, stop: Stop
) -> _Part:
    """:func:`_train_stack` for a worker's share: the task and the initial weights are built from the
    configs (the same bits as here: :func:`~actlab.training.loop.build_model` draws from the config's seed), so
    that only the configs cross to the worker (or this process, when it takes a late worker's share over)."""
    task = make_task(cfgs[0])
    models = [build_model(c, task) for c in cfgs]
    specs = [layer_specs(c) for c in cfgs]
    return _train_stack(cfgs, models, specs, positions, task, (), raises, False, report, stop)


class _LastStep(Callback):
    def __init__(self) -> None:
        self.step = 0
        self.history: list[float] = []

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
    except DivergenceError as err:
        if on_diverge == "raise":
            raise
        task = make_task(config)
        model = build_model(config, task)
        metrics: dict[str, float | None] = dict.fromkeys(evaluate(model, task), math.nan)
        metrics.update(dead_fraction=math.nan, diverged_step=err.step)
        result = TrainResult(model, config, seen.history, seen.step, math.nan, metrics)
    else:
        result.metrics.update(dead_fraction=eval_dead_fraction(result.model, result.task), diverged_step=None)
    if progress is not None:
        progress(result.steps)
    return result


# --- on a GPU ---------------------------------------------------------------------------------------------


def device_batches(configs: Sequence[TrainConfig], task: Task) -> Iterator[tuple[Tensor, Tensor]]:
    """Each step's batches of all networks, stacked, on ``configs[0].device``, forever: network ``i`` gets
    exactly the batches of ``batch_stream(configs[i])`` there (its own generator, one draw of
    :data:`~actlab.training.device.DEVICE_DRAW_STEPS` steps per call)."""
    size, n = configs[0].batch_size, DEVICE_DRAW_STEPS
    gens = [torch.Generator(c.device).manual_seed(c.seed + BATCH_SEED_OFFSET) for c in configs]
    while True:
        xs, ys = zip(*(task.sample(n * size, g, "train") for g in gens), strict=True)
        x = torch.stack([t.view(n, size, *t.shape[1:]) for t in xs], dim=1)  # (n, M, B, in)
        y = torch.stack([t.view(n, size, *t.shape[1:]) for t in ys], dim=1)
        del xs, ys  # GPU memory: at most the last draw and the next, per network and stacked (group_bytes)
        yield from zip(x, y, strict=True)
        del x, y


def train_group_on_device(
    configs: Sequence[TrainConfig],
    callbacks: Sequence[Callback] = (),
    progress: Progress | None = None,
    on_diverge: str = "raise",
) -> list[TrainResult]:
    """One group (equal :func:`group_key`) trained as one stack on ``configs[0].device``; results in the
    order of ``configs``, as :func:`train_many` gives them.

    The loop of :func:`_train_stack` without waiting for the device each step: which networks stopped
    (target loss) or diverged, and at which step, are GPU tensors, read back every :data:`SYNC_EVERY` steps
    and at the end (``on_diverge="raise"`` raises the earliest divergence there; callbacks, when given, read
    the mean loss each step). On a GPU it first checks that the group fits in the free memory
    (:func:`~actlab.training.device.check_fits`). It runs on the CPU too (the tests run it there).
    """
    if len({group_key(c) for c in configs}) != 1:
        raise ValueError("train_group_on_device trains one group: configs with equal group_key()")
    order = sorted(range(len(configs)), key=lambda i: layer_specs(configs[i]))
    cfgs = [configs[i] for i in order]
    first, size = cfgs[0], len(cfgs)
    task = make_task(first)
    models = [build_model(c, task) for c in cfgs]
    dtype = next(models[0].parameters()).dtype
    if first.device != "cpu":
        need = group_bytes(
            size,
            task.in_features,
            first.hidden,
            task.out_features,
            first.batch_size,
            first.steps,
            dtype.itemsize,
            first.optimizer,
        )
        check_fits(need, free_gpu_bytes(first.device), size)
    stacked = StackedMLP(models, [layer_specs(c) for c in cfgs], first.batch_size, per_chunk=size).to(first.device)
    for chunk in stacked.chunks:
        for module in chunk.modules:
            module.to(first.device)
    step_fn = StackedStep(stacked, task)
    params, lrs = [*stacked.weights, *stacked.biases], [c.lr for c in cfgs]
    optimizer = StackedSGD(params, lrs, first.momentum) if first.optimizer == "sgd" else StackedAdam(params, lrs)
    for cb in callbacks:
        cb.on_train_start(stacked, cfgs)

    steps, target, device = first.steps, first.target_loss, first.device
    history = torch.empty(steps, size, dtype=dtype, device=device)
    frozen = torch.zeros(size, dtype=torch.bool, device=device)  # stopped early or diverged: no more updates
    last = torch.full((size,), steps, device=device)  # steps in each network's history
    diverged = torch.zeros(size, dtype=torch.long, device=device)  # the step whose loss was not finite; 0: none
    trained = torch.zeros((), dtype=torch.long, device=device)  # model-steps since the last read-back
    start = time.perf_counter()
    for step, (x, y) in enumerate(device_batches(cfgs, task), start=1):
        value = step_fn(x, y)  # (size,): each network's loss
        history[step - 1] = value
        broken = ~torch.isfinite(value)
        newly = (broken | (value <= target) if target is not None else broken) & ~frozen
        diverged = torch.where(newly & broken, step, diverged)
        last = torch.where(newly, step - broken.long(), last)  # train() raises before a broken step's update
        trained += (~frozen).sum()
        for cb in callbacks:
            cb.on_before_step(step, stacked)
        optimizer.step(frozen | broken)
        if callbacks:
            mean_loss = float(value[~frozen].mean())
            for cb in callbacks:
                cb.on_step_end(step, mean_loss, stacked)
        frozen = frozen | newly
        if step % SYNC_EVERY == 0 or step == steps:
            if progress is not None:
                progress(int(trained))
            trained.zero_()
            if on_diverge == "raise" and bool(diverged.any()):
                break
            if step == steps or bool(frozen.all()):
                break
    if device != "cpu":
        torch.cuda.synchronize(device)  # the loop's time includes the GPU's work queued in it
    seconds = time.perf_counter() - start
    stacked.write_back(models)  # one copy from the GPU per layer; the stack stays there to be evaluated
    lengths, failed, losses = last.tolist(), diverged.tolist(), history.cpu()
    if on_diverge == "raise" and any(failed):
        i = min((s, i) for i, s in enumerate(failed) if s)[1]
        raise divergence_error(failed[i], float(losses[failed[i] - 1, i]), cfgs[i])
    failed_at = {i: s for i, s in enumerate(failed) if s}  # position -> the step whose loss was not finite
    all_metrics, errors = final_metrics(stacked, models, task, cfgs, failed_at, lengths)  # on the device
    stacked.to("cpu")
    if errors and on_diverge == "raise":
        raise errors[0][1]
    curves = losses.T.contiguous()  # (size, steps): each network's curve in one piece
    results = [
        TrainResult(
            model,
            cfgs[i],
            curves[i, : lengths[i]].tolist(),
            lengths[i],
            seconds / size,
            metrics,
            [],
            i not in failed_at and lengths[i] < steps,
        )
        for i, (model, metrics) in enumerate(zip(models, all_metrics, strict=True))
    ]
    for cb in callbacks:
        cb.on_train_end(stacked, results)
    unsorted: list[TrainResult] = [results[0]] * size
    for position, i in enumerate(order):
        unsorted[i] = results[position]
    return unsorted
