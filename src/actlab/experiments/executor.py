"""Work units and the executors that run them: how comparisons and sweeps get their runs trained.

A :class:`WorkUnit` is a group of configs that :func:`actlab.train_many` stacks into one computation (same
shape, see :func:`actlab.fast.vectorized.group_key`). It is also the unit of storage: :func:`run_missing`
commits each finished unit to the :class:`~actlab.experiments.store.ResultStore` in its own transaction, so that an
interrupted sweep loses at most the units in flight and a rerun trains only what is missing.

An :class:`Executor` turns units into :class:`RunOutcome` lists. :class:`LocalExecutor` runs them one after
another in this process; :mod:`actlab.backends` chooses between it and a Ray implementation of the same
``run`` (units and outcomes are plain, picklable data, and :func:`run_unit` is a module-level function a
worker can call).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from actlab.errors import ActlabError
from actlab.experiments.store import ResultStore, config_hash, default_path, exists
from actlab.fast.vectorized import group_key, train_many
from actlab.fast.workers import Progress
from actlab.training.config import TrainConfig, TrainResult

MAX_UNIT = 128  # networks per unit: enough to fill the batched matmuls, small enough to lose little when killed
GPU_UNIT = 8192  # on a GPU: a step of 8,192 networks costs little more than one of 128 (issue 14's yardstick)
MAX_RUNS = 100_000  # runs one comparison or sweep may ask for: more is a typo (hours of planning, gigabytes)


@dataclass(frozen=True)
class WorkUnit:
    """Configs trained together in one stacked run; ``label`` is stored with their runs."""

    configs: tuple[TrainConfig, ...]
    label: str | None = None

    @property
    def key(self) -> str:
        """A short id: the hash of its configs' hashes."""
        joined = ",".join(config_hash(c) for c in self.configs)
        return hashlib.sha256(joined.encode()).hexdigest()[:12]

    @property
    def model_steps(self) -> int:
        """The most model-steps the unit can take (early stops and divergence take fewer)."""
        return sum(c.steps for c in self.configs)


@dataclass(frozen=True)
class RunOutcome:
    """What the store keeps of one finished run."""

    config: TrainConfig
    metrics: dict[str, Any]
    losses: list[float] = field(repr=False)

    @classmethod
    def from_result(cls, result: TrainResult) -> RunOutcome:
        metrics = {
            **result.metrics,
            "final_loss": result.history[-1] if result.history else None,
            "steps": result.steps,
            "seconds": result.seconds,
            "stopped_early": result.stopped_early,
        }
        return cls(result.config, metrics, list(result.history))


class Executor(Protocol):
    """Runs work units; yields each with its outcomes as it finishes (in any order)."""

    def run(
        self, units: Sequence[WorkUnit], advance: Progress | None = None
    ) -> Iterator[tuple[WorkUnit, list[RunOutcome]]]: ...


def run_unit(
    unit: WorkUnit, advance: Progress | None = None, workers: int | None = 1, device: str | None = None
) -> list[RunOutcome]:
    """Train one unit with :func:`actlab.train_many`; a diverged network is kept as an outcome with NaN
    metrics (a comparison counts it) rather than failing the unit. ``device`` (``None``: the trainer's
    default, the CPU) is passed on to the trainer only when given."""
    on_device: dict[str, Any] = {} if device is None else {"device": device}
    results = train_many(unit.configs, progress=advance, on_diverge="keep", workers=workers, **on_device)
    return [RunOutcome.from_result(r) for r in results]


class LocalExecutor:
    """Runs the units in order, from this process, each with ``workers`` worker processes (see
    :func:`actlab.train_many`; ``None``: one worker with PyTorch's own intra-op setting)."""

    def __init__(self, workers: int | None = 1) -> None:
        self.workers = workers

    def run(
        self, units: Sequence[WorkUnit], advance: Progress | None = None
    ) -> Iterator[tuple[WorkUnit, list[RunOutcome]]]:
        for unit in units:
            yield unit, run_unit(unit, advance, self.workers)


def plan_units(configs: Iterable[TrainConfig], label: str | None = None, max_unit: int = MAX_UNIT) -> list[WorkUnit]:
    """Group configs for the vectorized trainer: same :func:`~actlab.fast.vectorized.group_key`, at most
    ``max_unit`` per unit (on a GPU at least :data:`GPU_UNIT`), in the order groups first appear."""
    groups: dict[str, list[TrainConfig]] = {}
    for config in configs:
        groups.setdefault(group_key(config), []).append(config)
    sizes = {key: max_unit if m[0].device == "cpu" else max(max_unit, GPU_UNIT) for key, m in groups.items()}
    return [
        WorkUnit(tuple(members[start : start + sizes[key]]), label)
        for key, members in groups.items()
        for start in range(0, len(members), sizes[key])
    ]


@dataclass(frozen=True)
class Plan:
    """What :func:`run_missing` will do: the units to train, and how many runs the store already holds."""

    units: list[WorkUnit]
    reused: int

    @property
    def model_steps(self) -> int:
        return sum(u.model_steps for u in self.units)

    @property
    def to_train(self) -> int:
        return sum(len(u.configs) for u in self.units)


def plan_missing(
    configs: Iterable[TrainConfig],
    store: ResultStore | None,
    fresh: bool = False,
    label: str | None = None,
    max_unit: int = MAX_UNIT,
) -> Plan:
    """The units that train the configs the store does not hold (all of them if ``fresh`` or no store);
    duplicate configs are trained once. Each config is hashed once and only the stored keys are read."""
    unique = {config_hash(c): c for c in configs}
    stored = store.stored_hashes(unique) if store is not None and not fresh else set()
    missing = [c for key, c in unique.items() if key not in stored]
    return Plan(plan_units(missing, label, max_unit), len(unique) - len(missing))


def plan_stored(
    configs: Iterable[TrainConfig],
    db: str | os.PathLike[str] | None,
    fresh: bool = False,
    label: str | None = None,
    reuse_any_device: bool = False,
) -> tuple[Plan, Path]:
    """:func:`plan_missing` against the results database at ``db`` (default: $ACTLAB_DB, else the default
    path), opened read-only, and that path: a dry run, which creates nothing, not even the database (where
    there is none yet, every config is to train)."""
    path = Path(db) if db is not None else default_path()
    ResultStore.check_folder(db)
    if not exists(path):
        return plan_missing(configs, None, fresh, label), path
    with ResultStore(db, create=False) as store:
        store.reuse_any_device = reuse_any_device
        return plan_missing(configs, store, fresh, label), path


def training_device(configs: Iterable[TrainConfig]) -> str:
    """Where a set of configs trains: ``cuda`` when any of them asks for the GPU, else ``cpu``."""
    return "cuda" if any(c.device == "cuda" for c in configs) else "cpu"


def check_run_count(runs: int, what: str) -> None:
    """Refuse a request for more than :data:`MAX_RUNS` runs before anything is built for it."""
    if runs > MAX_RUNS:
        raise ActlabError(
            f"{what} is {runs:,} runs, more than the limit of {MAX_RUNS:,} for one request; "
            f"use fewer seeds or values, or split it into several requests that share a --db"
        )


def run_missing(
    plan: Plan,
    store: ResultStore | None,
    executor: Executor | None = None,
    advance: Progress | None = None,
    on_unit: Callable[[WorkUnit, list[RunOutcome]], None] | None = None,
) -> list[RunOutcome]:
    """Run the plan's units, committing each finished unit to ``store`` in its own transaction."""
    outcomes: list[RunOutcome] = []
    for unit, done in (executor or LocalExecutor()).run(plan.units, advance):
        if store is not None:
            store.put_many(((o.config, o.metrics, o.losses) for o in done), unit.label)
        outcomes.extend(done)
        if on_unit is not None:
            on_unit(unit, done)
    return outcomes
