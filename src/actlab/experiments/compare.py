"""Comparing activations by many seeds: :func:`compare` trains (or reuses) every run and summarises each
activation with means and 95 % confidence intervals.

Per activation, over its seeds (see :mod:`actlab.experiments.stats` for the interval, Student t over seeds):

* ``interp`` and ``extrap``: mean absolute error inside and outside the training range (regression), or
  accuracy (classification), from :func:`actlab.training.evaluate.evaluate`;
* ``final_loss``: the training loss of the last step;
* ``steps_to_target``: the first step whose training loss is at most ``target_loss``, over the runs that
  got there (``reached`` counts them);
* ``dead_fraction``: hidden units never active on the interpolation points at the end
  (:func:`actlab.fast.metrics.eval_dead_fraction`);
* ``seconds``: each run's share of the training time.

A diverged run (NaN or infinite loss) is counted in ``diverged`` and left out of the means. When two
activations next to each other in the ranking cannot be told apart by Welch's t-test at the 5 % level,
``warnings`` says so, with the number of seeds that would separate them if their spread stays as measured.
The library never prints: ``progress`` receives ``(model_steps_done, model_steps_total)``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from actlab.catalog.modules import get
from actlab.errors import ActlabError
from actlab.experiments.executor import Executor, check_run_count, plan_missing, run_missing
from actlab.experiments.stats import CI_METHOD, Estimate, estimate, seeds_needed, welch_separated
from actlab.experiments.store import ResultStore, RunRecord, config_dict, config_hash
from actlab.training.config import TrainConfig, make_task

DEFAULT_ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "gelu", "identity")
DEFAULT_TARGETS = {"regression": 0.01, "classification": 0.1}  # MSE 0.01 ≈ MAE 0.08 on add; CE 0.1 ≈ 90 %
CURVE_POINTS = 200  # loss curves are summarised at this many steps at most

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class Band:
    """A loss curve over seeds: at each of ``steps``, the geometric mean and its 95 % t-interval (the
    interval of the mean of log10 loss, mapped back), over the runs that reached that step."""

    steps: list[int]
    mean: list[float]
    low: list[float]
    high: list[float]


@dataclass(frozen=True)
class ActivationStats:
    """One activation's results over its seeds."""

    activation: str
    seeds: int
    interp: Estimate
    extrap: Estimate
    final_loss: Estimate
    steps_to_target: Estimate
    reached: int  # runs whose loss reached the target
    dead_fraction: Estimate
    seconds: Estimate
    diverged: int  # runs whose loss became NaN or infinite
    curve: Band = field(repr=False)


@dataclass(frozen=True)
class ComparisonResult:
    """What :func:`compare` returns: one :class:`ActivationStats` per activation, in the order asked."""

    task: str
    kind: str  # "regression" or "classification"
    metric: str  # "mae" (lower is better) or "accuracy" (higher is better)
    target_loss: float
    base_config: TrainConfig
    stats: list[ActivationStats]
    warnings: list[str]
    trained: int  # runs trained by this call
    reused: int  # runs taken from the store
    runs: dict[str, list[RunRecord]] = field(repr=False)  # activation -> its runs, by seed
    method: str = CI_METHOD

    def ranking(self) -> list[ActivationStats]:
        """Best first by interpolation error (or accuracy); activations without a value last."""
        sign = -1.0 if self.metric == "accuracy" else 1.0
        return sorted(self.stats, key=lambda s: sign * s.interp.mean if math.isfinite(s.interp.mean) else math.inf)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: ``results`` holds one flat entry per activation."""
        m = self.metric
        results = []
        for s in self.stats:
            entry: dict[str, Any] = {"activation": s.activation, "seeds": s.seeds}
            for name, est in (
                (f"interp_{m}", s.interp),
                (f"extrap_{m}", s.extrap),
                ("final_loss", s.final_loss),
                ("steps_to_target", s.steps_to_target),
                ("dead_fraction", s.dead_fraction),
                ("seconds", s.seconds),
            ):
                entry[f"{name}_mean"] = est.mean
                entry[f"{name}_ci95"] = est.ci95
            entry.update(reached_target=s.reached, diverged=s.diverged)
            results.append(entry)
        return {
            "task": self.task,
            "metric": m,
            "method": self.method,
            "target_loss": self.target_loss,
            "config": {k: v for k, v in self.base_config.resolved().items() if k not in ("activation", "seed")},
            "trained": self.trained,
            "reused": self.reused,
            "results": results,
            "warnings": list(self.warnings),
        }


def compare(
    task: str = "add",
    activations: Sequence[str] = DEFAULT_ACTIVATIONS,
    seeds: int | Sequence[int] = 10,
    base_config: TrainConfig | None = None,
    *,
    target_loss: float | None = None,
    store: ResultStore | None = None,
    fresh: bool = False,
    executor: Executor | None = None,
    progress: ProgressFn | None = None,
    label: str | None = None,
) -> ComparisonResult:
    """Train ``activations`` x ``seeds`` on ``task`` (all in one vectorized run) and summarise each activation.

    Args:
        task: a task name; it replaces ``base_config.task``.
        activations: catalog specs, e.g. ``["relu", "leaky_relu:negative_slope=0.1"]``.
        seeds: a count ``n`` (seeds 0..n-1) or the seeds themselves.
        base_config: everything else of each run (widths, steps, lr, ...); its ``activation`` and ``seed``
            are replaced. Default: :class:`TrainConfig`'s defaults.
        target_loss: the loss for ``steps_to_target``; default ``base_config.target_loss`` if set, else
            :data:`DEFAULT_TARGETS` by task kind. It does not stop training unless ``base_config`` says so.
        store: reuse the runs it holds and add the new ones (each work unit in its own transaction);
            ``None`` trains everything and keeps nothing.
        fresh: retrain even the runs the store holds (and replace them there).
        executor: how work units run (default: in this process, one after another).
        progress: called with ``(model_steps_done, model_steps_total)`` as training advances.
        label: stored with the new runs.

    Raises :class:`~actlab.errors.ActlabError` for an unknown task or activation, no activations, an empty
    or repeated activation, seeds <= 0 or repeated, a target loss that is not a number > 0, or more than
    :data:`~actlab.experiments.executor.MAX_RUNS` runs.
    """
    names, seed_list, base = check_request(task, activations, seeds, base_config, target_loss)
    configs = {a: [dataclasses.replace(base, activation=a, seed=s) for s in seed_list] for a in names}
    everything = [c for group in configs.values() for c in group]

    damaged_before = set(store.damaged) if store is not None else set()
    plan = plan_missing(everything, store, fresh, label)
    total, done = plan.model_steps, 0

    def advance(steps: int) -> None:
        nonlocal done
        done += steps
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    outcomes = run_missing(plan, store, executor, advance)
    fresh_records = {config_hash(o.config): _record(o) for o in outcomes}
    stored = store.get_many(everything) if store is not None else {}
    records = {**fresh_records, **stored}  # stored ones carry their database ids

    kind = make_task(base).kind
    target = target_loss if target_loss is not None else base.target_loss
    target = target if target is not None else DEFAULT_TARGETS[kind]
    metric = "accuracy" if kind == "classification" else "mae"
    runs = {a: [records[config_hash(c)] for c in group] for a, group in configs.items()}
    stats = [_summarise(a, rs, metric, target) for a, rs in runs.items()]
    result = ComparisonResult(
        task, kind, metric, target, base, stats, [], len(outcomes), len(everything) - len(outcomes), runs
    )
    repaired = sorted(set(store.damaged) - damaged_before) if store is not None else []
    notes = (
        [
            f"{len(repaired)} stored run(s) could not be read (damaged rows, id {', '.join(map(str, repaired))}) "
            f"and were trained again"
        ]
        if repaired
        else []
    )
    return dataclasses.replace(result, warnings=notes + _warnings(result))


def check_request(
    task: str,
    activations: Sequence[str],
    seeds: int | Sequence[int],
    base_config: TrainConfig | None = None,
    target_loss: float | None = None,
    *,
    seeds_name: str = "seeds",
    target_name: str = "target_loss",
) -> tuple[list[str], list[int], TrainConfig]:
    """Check :func:`compare`'s arguments without training or opening anything; returns the activation
    names (stripped), the seeds and the base config with ``task``. Raises what :func:`compare` raises, so a
    caller can refuse a bad request before it creates a results database; its messages call ``seeds`` and
    ``target_loss`` by ``seeds_name`` and ``target_name`` (the command line: ``--seeds``, ``--reach``)."""
    if isinstance(seeds, int) and not isinstance(seeds, bool) and seeds <= 0:
        raise ActlabError(f"{seeds_name} must be at least 1, got {seeds}")
    names = [a.strip() for a in activations]
    if not any(names):
        raise ActlabError("no activations to compare; give at least one, e.g. relu,tanh")
    for position, name in enumerate(names, start=1):
        if not name:
            raise ActlabError(
                f"activation {position} of {len(names)} is empty (two commas in a row, or one at an "
                f"end?); give names such as relu,tanh"
            )
        if names.index(name) < position - 1:
            raise ActlabError(f"activation {name!r} is listed twice; list each activation once")
    count = seeds if isinstance(seeds, int) else len(seeds)
    check_run_count(len(names) * count, f"{len(names)} activation{'s' * (len(names) != 1)} x {count:,} seeds")
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seed_list):
        raise ActlabError(f"seeds must be a count >= 1 or whole numbers >= 0, got {seeds!r}")
    if len(set(seed_list)) != len(seed_list):
        twice = next(s for s in seed_list if seed_list.count(s) > 1)
        raise ActlabError(f"seed {twice} is listed twice; list each seed once")
    if target_loss is not None and not (math.isfinite(target_loss) and target_loss > 0):
        raise ActlabError(f"{target_name} must be a number > 0 (a training loss such as 0.01), got {target_loss}")
    for name in names:
        get(name)  # an unknown name or bad parameter raises here, before any training
    base = dataclasses.replace(base_config or TrainConfig(), task=task)
    base.validate()
    return names, seed_list, base


def _record(outcome: Any) -> RunRecord:
    cfg = outcome.config
    return RunRecord(
        0,
        config_hash(cfg),
        "",
        cfg.task,
        str(cfg.activation),
        cfg.seed,
        config_dict(cfg),  # what the store keeps: cfg.resolved() as JSON, remembered from hashing it
        outcome.metrics,
        outcome.losses,
        "",
    )


def steps_to_target(losses: Sequence[float], target: float) -> int | None:
    """The first step (1-based) whose loss is at most ``target``, or ``None``."""
    return next((step for step, loss in enumerate(losses, start=1) if loss <= target), None)


def _summarise(activation: str, runs: list[RunRecord], metric: str, target: float) -> ActivationStats:
    finished = [r for r in runs if r.metrics.get("diverged_step") is None]

    def values(key: str) -> list[float]:
        return [_number(r.metrics.get(key)) for r in finished]

    hits = [float(s) for r in finished if (s := steps_to_target(r.losses, target)) is not None]
    interp_key, extrap_key = ("accuracy", "extrap_accuracy") if metric == "accuracy" else ("interp_mae", "extrap_mae")
    return ActivationStats(
        activation=activation,
        seeds=len(runs),
        interp=estimate(values(interp_key)),
        extrap=estimate(values(extrap_key)),
        final_loss=estimate(values("final_loss")),
        steps_to_target=estimate(hits),
        reached=len(hits),
        dead_fraction=estimate(values("dead_fraction")),
        seconds=estimate([_number(r.metrics.get("seconds")) for r in runs]),
        diverged=len(runs) - len(finished),
        curve=loss_band([r.losses for r in finished]),
    )


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan


def loss_band(histories: Sequence[Sequence[float]], points: int = CURVE_POINTS) -> Band:
    """Geometric mean and 95 % t-interval of the loss at up to ``points`` steps spread over the run."""
    longest = max((len(h) for h in histories), default=0)
    if longest == 0:
        return Band([], [], [], [])
    stride = max(1, math.ceil(longest / points))
    steps = sorted({*range(1, longest + 1, stride), longest})
    band = Band([], [], [], [])
    for step in steps:
        logs = [math.log10(h[step - 1]) for h in histories if len(h) >= step and h[step - 1] > 0]
        if not logs:
            continue
        e = estimate(logs)
        half = e.ci95 if math.isfinite(e.ci95) else 0.0
        band.steps.append(step)
        band.mean.append(10**e.mean)
        band.low.append(10 ** (e.mean - half))
        band.high.append(10 ** (e.mean + half))
    return band


def _warnings(result: ComparisonResult) -> list[str]:
    """Seeds too few: neighbours in the ranking whose interpolation results a t-test cannot tell apart."""
    out = []
    label = f"interp {result.metric}"
    ranked = [s for s in result.ranking() if s.interp.n > 0]
    if ranked and min(s.interp.n for s in ranked) < 2:
        out.append("fewer than 2 finished seeds for some activation: no confidence interval; use --seeds 3 or more")
        return out
    for better, worse in itertools.pairwise(ranked):
        if welch_separated(better.interp, worse.interp):
            continue
        need = seeds_needed(better.interp, worse.interp)
        more = f"about {need} seeds each would separate them" if need else "their means are equal"
        out.append(
            f"{better.activation} vs {worse.activation}: {label} not separated with {better.interp.n} and "
            f"{worse.interp.n} seeds (Welch t-test, 5 %); {more} if the spread stays as measured"
        )
    return out
