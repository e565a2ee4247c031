"""The vectorized trainer against actlab.train, network by network: same init, same batches, same result."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import torch

from actlab.errors import ActlabError
from actlab.fast.metrics import eval_dead_fraction
from actlab.fast.vectorized import RTOL, batches, chunkable, group_key, train_many
from actlab.fast.workers import Progress, Stop, can_fork, run_side_by_side
from actlab.nets.mlp import MLP
from actlab.nets.tasks import get_task
from actlab.training.callbacks import Callback
from actlab.training.config import TrainConfig, TrainResult, make_task
from actlab.training.loop import train


def _nothing(report: Progress, stop: Stop) -> None:
    pass


@pytest.fixture(scope="module", autouse=True)
def worker_factory_running() -> None:
    """Start the worker factory and wait for it, so that train_many(workers=N) really trains in workers here
    (while the factory starts, train_many trains the workers' share itself)."""
    if can_fork():
        run_side_by_side([_nothing, _nothing])


def assert_same_run(many: TrainResult, alone: TrainResult) -> None:
    assert many.steps == alone.steps
    assert many.stopped_early == alone.stopped_early
    torch.testing.assert_close(torch.tensor(many.history), torch.tensor(alone.history), rtol=RTOL, atol=1e-6)
    for p, q in zip(many.model.parameters(), alone.model.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=RTOL, atol=1e-5)
    for key, value in alone.metrics.items():
        if value is not None:
            assert many.metrics[key] == pytest.approx(value, rel=1e-3, abs=1e-4), key


def test_each_network_equals_training_it_alone() -> None:
    configs = [
        TrainConfig(activation=act, seed=seed, lr=lr, init=init, hidden=[8, 8], steps=60, batch_size=32)
        for act, seed, lr, init in [
            ("relu", 0, 3e-3, "default"),
            ("tanh", 1, 1e-2, "he"),
            ("relu", 2, 1e-2, "xavier"),
            ("gelu", 0, 3e-3, "lecun"),
            ("leaky_relu:negative_slope=0.1", 3, 5e-3, "default"),
        ]
    ]
    assert len({group_key(c) for c in configs}) == 1  # one stacked group, in mixed activation order
    many = train_many(configs)
    for config, result in zip(configs, many, strict=True):
        assert result.config is config
        assert_same_run(result, train(config))
    assert len({r.history[-1] for r in many}) == len(configs)  # really different networks


def test_sgd_classification_per_layer_activations_and_early_stop() -> None:
    sgd = [
        TrainConfig(optimizer="sgd", lr=1e-3, momentum=0.9, seed=s, hidden=[6], steps=40, batch_size=16) for s in (0, 1)
    ]
    xor = [
        TrainConfig(task="xor", activation=["tanh", "relu"], hidden=[8, 8], seed=s, steps=40, batch_size=16)
        for s in (0, 1)
    ]
    assert not chunkable(make_task(xor[0]), 16)  # the per-step batch path is covered too
    stop = [TrainConfig(seed=s, hidden=[8], steps=400, lr=2e-2, target_loss=2.0, batch_size=32) for s in (0, 1)]
    configs = [*sgd, *xor, *stop]
    for config, result in zip(configs, train_many(configs), strict=True):
        assert_same_run(result, train(config))
    alone = train(stop[0])
    assert alone.stopped_early and alone.steps < 400  # the early-stop case is really exercised


def test_divergence_raises_like_train_or_is_kept_apart() -> None:
    bad = TrainConfig(optimizer="sgd", lr=5.0, seed=0, hidden=[8], steps=50, batch_size=16)
    good = TrainConfig(optimizer="sgd", lr=1e-3, seed=1, hidden=[8], steps=50, batch_size=16)
    with pytest.raises(ActlabError) as alone_err:
        train(bad)
    with pytest.raises(ActlabError) as many_err:
        train_many([good, bad])
    assert str(many_err.value) == str(alone_err.value)
    kept_good, kept_bad = train_many([good, bad], on_diverge="keep")
    step = kept_bad.metrics["diverged_step"]
    assert f"at step {step}:" in str(alone_err.value)
    assert kept_bad.steps == step - 1 and math.isnan(kept_bad.metrics["interp_mae"])
    assert_same_run(kept_good, train(good))  # the diverged network does not disturb its neighbour


def test_batches_are_those_of_batch_stream() -> None:
    from actlab.training.loop import batch_stream

    configs = [TrainConfig(seed=s, batch_size=8) for s in (4, 9)]
    task = make_task(configs[0])
    stacked = list(batches(configs, task, steps=5))
    for i, config in enumerate(configs):
        stream = batch_stream(config, task)
        for x, y in stacked:
            ex, ey = next(stream)
            assert torch.equal(x[i], ex) and torch.equal(y[i], ey)


def test_dead_fraction_counts_units_never_active() -> None:
    task = get_task("add")
    # unit 1 is z = -1000 + a + b < 0 on the whole training box: dead; unit 0 (a + b) is alive
    model = MLP.from_weights([[[1.0, 1.0], [1.0, 1.0]], [[1.0, 1.0]]], [[0.0, -1000.0], [0.0]], activation="relu")
    assert eval_dead_fraction(model, task) == 0.5
    sigmoid = MLP.from_weights([[[1.0, 1.0], [1.0, 1.0]], [[1.0, 1.0]]], [[0.0, -1000.0], [0.0]], "sigmoid")
    assert eval_dead_fraction(sigmoid, task) == 0.5  # sigmoid(-1000) is 0 in float32, and so is its slope
    tanh = MLP.from_weights([[[1.0, 1.0], [1.0, 1.0]], [[1.0, 1.0]]], [[0.0, -1000.0], [0.0]], "tanh")
    assert eval_dead_fraction(tanh, task) == 0.0  # tanh(-1000) = -1: it outputs a constant, it is not silent


def test_callbacks_and_progress_see_every_step() -> None:
    class Count(Callback):
        def __init__(self) -> None:
            self.steps: list[int] = []
            self.losses: list[float] = []

        def on_step_end(self, step: int, loss: float, model: torch.nn.Module) -> None:
            self.steps.append(step)
            self.losses.append(loss)

    counter, done = Count(), []
    configs = [TrainConfig(seed=s, hidden=[4], steps=7, batch_size=8) for s in range(3)]
    results = train_many(configs, [counter], progress=done.append)
    assert counter.steps == list(range(1, 8)) and done == [3] * 7
    assert counter.losses[-1] == pytest.approx(sum(r.history[-1] for r in results) / 3, rel=1e-6)


def test_one_intra_op_thread_while_training_and_the_count_restored_after_even_on_error() -> None:
    class Threads(Callback):
        def __init__(self) -> None:
            self.seen: set[int] = set()

        def on_step_end(self, step: int, loss: float, model: torch.nn.Module) -> None:
            self.seen.add(torch.get_num_threads())

    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        config = TrainConfig(hidden=[4], steps=3, batch_size=8)
        for workers, inside in ((1, 1), (None, 3)):  # None: PyTorch's setting as it is
            spy = Threads()
            train_many([config], [spy], workers=workers)
            assert spy.seen == {inside} and torch.get_num_threads() == 3
        with pytest.raises(ActlabError):
            train_many([TrainConfig(optimizer="sgd", lr=1e30, hidden=[8], steps=5, batch_size=16)])
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


def test_worker_processes_give_each_network_the_same_run() -> None:
    configs = [
        TrainConfig(activation=act, seed=seed, hidden=[7, 5], steps=40, batch_size=13)
        for act in ("relu", "tanh", "gelu")
        for seed in range(3)
    ]
    one, two = train_many(configs, workers=1), train_many(configs, workers=2)
    for config, a, b in zip(configs, one, two, strict=True):
        assert b.config is config
        assert_same_run(b, train(config))
        assert b.history == a.history  # bit for bit: odd sizes put chunks off the 64-byte grid, copied aligned
        assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True))


def test_train_then_workers_in_one_process() -> None:
    # autograd has run here (actlab.train) before the workers start: on a machine with a GPU a forked
    # child of this process could not run autograd (see test_workers for the mechanism on any machine)
    configs = [
        TrainConfig(activation=act, seed=seed, hidden=[6], steps=20, batch_size=8)
        for act in ("relu", "softsign")
        for seed in range(2)
    ]
    alone = train(configs[0])
    one, four = train_many(configs, workers=1), train_many(configs, workers=4)
    assert [r.history for r in one] == [r.history for r in four]  # bit for bit
    assert_same_run(four[0], alone)


def test_a_network_does_not_depend_on_the_networks_beside_it() -> None:
    configs = [
        TrainConfig(activation=act, seed=seed, hidden=[7, 5], steps=60, batch_size=13)
        for act in ("relu", "tanh", "gelu", "elu", "sigmoid")
        for seed in range(5)
    ]
    together = train_many(configs)
    for act in ("gelu", "sigmoid"):  # their chunks start elsewhere in memory when trained alone
        alone = train_many([c for c in configs if c.activation == act])
        assert [r.history for r in together if r.config.activation == act] == [r.history for r in alone]


def diverged_at(error: ActlabError) -> int:
    """The step an :func:`actlab.train` divergence error names."""
    found = re.search(r"at step (\d+):", str(error))
    assert found, str(error)
    return int(found.group(1))


def test_worker_processes_raise_the_earliest_divergence_like_train() -> None:
    good = [TrainConfig(optimizer="sgd", lr=1e-3, seed=s, hidden=[8], steps=50, batch_size=16) for s in (1, 2)]
    late = TrainConfig(optimizer="sgd", lr=5.0, seed=0, hidden=[8], steps=50, batch_size=16, activation="relu")
    # lr 1e30 (the largest lr TrainConfig accepts): step 1's update sends every parameter with a gradient to
    # about ±1e30·g, so step 2's output is of order 1e30 and its squared error overflows float32 (max 3.4e38).
    # This network sorts last (silu) yet diverges first.
    early = TrainConfig(optimizer="sgd", lr=1e30, seed=0, hidden=[8], steps=50, batch_size=16, activation="silu")
    errors = []
    for config in (late, early):
        with pytest.raises(ActlabError) as err:
            train(config)
        errors.append(err.value)
    assert diverged_at(errors[1]) == 2 < diverged_at(errors[0])
    with pytest.raises(ActlabError) as many_err:
        train_many([*good, late, early], workers=2)
    assert str(many_err.value) == str(errors[1])


def test_partition_splits_whole_chunks_evenly() -> None:
    from actlab.fast.vectorized import partition

    configs = [TrainConfig(activation=a, hidden=[32], batch_size=256) for a in ["elu"] * 20 + ["relu"] * 12]
    parts = partition(configs, 2)  # chunks of 16: elu 0-16, elu 16-20, relu 20-32
    assert parts == [list(range(16)), list(range(16, 32))]
    assert partition(configs, 8) == [list(range(16)), list(range(20, 32)), list(range(16, 20))]
    assert partition(configs, 1) == [list(range(32))]


def test_partition_balances_by_cost_when_given() -> None:
    from actlab.fast.vectorized import partition

    acts = ["elu"] * 16 + ["gelu"] * 16 + ["identity"] * 16 + ["relu"] * 16
    configs = [TrainConfig(activation=a, hidden=[32], batch_size=256) for a in acts]
    cost = {("elu",): 3.0, ("gelu",): 1.0, ("identity",): 1.0, ("relu",): 1.0}
    # elu alone weighs as much as the other three together
    assert partition(configs, 2, cost.__getitem__) == [list(range(16)), list(range(16, 64))]
    assert partition(configs, 2) == [list(range(16)) + list(range(32, 48)), list(range(16, 32)) + list(range(48, 64))]


def test_measured_cost_is_the_best_of_3_timed_steps_per_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import actlab.fast.vectorized
    from actlab.fast.vectorized import layer_specs, measured_cost

    configs = [TrainConfig(activation=a, hidden=[8], batch_size=16, seed=s) for a in ("relu", "elu") for s in (0, 1)]
    task = make_task(configs[0])
    models = [MLP(2, [8], 1, c.activation) for c in configs]
    clock = iter([0.3, 0.1, 0.2, 0.9, 0.6, 0.7])  # seconds of the 3 timed steps of relu, then of elu
    monkeypatch.setattr(actlab.fast.vectorized, "_timed", lambda fn: (fn(), next(clock))[1])
    cost = measured_cost(models, [layer_specs(c) for c in configs], task, 16)
    assert (cost(("relu",)), cost(("elu",))) == (0.1 / 2, 0.6 / 2)  # best of 3, per network (2 of each)
    assert next(clock, None) is None
    with pytest.raises(KeyError):
        cost(("tanh",))


def test_cores_in_a_cgroup_cpu_quota() -> None:
    from actlab.fast.vectorized import cores_in_cpu_max

    assert cores_in_cpu_max("200000 100000\n") == 2
    assert cores_in_cpu_max("50000 100000") == 1  # half a core still runs one worker
    assert cores_in_cpu_max("max 100000") is None
    assert cores_in_cpu_max("") is None and cores_in_cpu_max("1 0") is None


@pytest.mark.parametrize(
    ("cores", "cpu_max", "workers"),
    [(16, "200000 100000", 2), (3, None, 3), (32, "max 100000", 8), (4, "50000 100000", 1), (1, "800000 100000", 1)],
)
def test_default_workers_are_the_cores_within_the_quota_and_at_most_8(
    cores: int, cpu_max: str | None, workers: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import actlab.fast.vectorized
    from actlab.fast.vectorized import MAX_DEFAULT_WORKERS, default_workers

    assert MAX_DEFAULT_WORKERS == 8
    monkeypatch.setattr(os, "process_cpu_count", lambda: cores, raising=False)  # Python 3.13+'s count
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))  # the count before 3.13
    quota = tmp_path / "cpu.max"
    if cpu_max is not None:
        quota.write_text(cpu_max + "\n")
    monkeypatch.setattr(actlab.fast.vectorized, "CPU_MAX", str(quota))  # a missing file: no quota
    assert default_workers() == workers
