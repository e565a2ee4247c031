"""compare(): the statistics come from the runs, the store is reused, and work units commit one by one."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from actlab.errors import ActlabError
from actlab.experiments.compare import check_request, compare, loss_band, steps_to_target
from actlab.experiments.executor import LocalExecutor, RunOutcome, WorkUnit, plan_missing, run_missing
from actlab.experiments.stats import estimate
from actlab.experiments.store import ResultStore
from actlab.training.config import TrainConfig

BASE = TrainConfig(hidden=[8], steps=40, batch_size=32)


def test_statistics_are_those_of_the_runs(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "runs.db") as store:
        calls: list[tuple[int, int]] = []
        result = compare("add", ["relu", "identity"], 3, BASE, store=store, progress=lambda d, t: calls.append((d, t)))
    assert (result.trained, result.reused, result.metric) == (6, 0, "mae")
    assert calls[0] == (0, 6 * 40) and calls[-1] == (6 * 40, 6 * 40)
    relu = result.stats[0]
    runs = result.runs["relu"]
    assert [r.seed for r in runs] == [0, 1, 2]
    maes = [r.metrics["interp_mae"] for r in runs]
    assert relu.interp.mean == pytest.approx(sum(maes) / 3)
    assert relu.interp.ci95 == pytest.approx(estimate(maes).ci95)
    assert relu.final_loss.mean == pytest.approx(sum(r.losses[-1] for r in runs) / 3)
    identity = result.stats[1]
    assert identity.interp.mean < relu.interp.mean  # a linear net is the right model for a + b
    row = result.to_dict()["results"][1]
    assert row["activation"] == "identity" and row["seeds"] == 3
    assert row["interp_mae_mean"] == identity.interp.mean and row["extrap_mae_ci95"] == identity.extrap.ci95
    assert result.to_dict()["method"].startswith("Student t")


def test_second_call_reuses_the_store_and_fresh_retrains(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "runs.db") as store:
        first = compare("add", ["relu", "tanh"], 2, BASE, store=store)
        again = compare("add", ["relu", "tanh"], 2, BASE, store=store)
        assert (again.trained, again.reused) == (0, 4)
        assert [s.interp.mean for s in again.stats] == [s.interp.mean for s in first.stats]
        more = compare("add", ["relu", "tanh"], 3, BASE, store=store)  # one more seed: only 2 new runs
        assert (more.trained, more.reused) == (2, 4)
        fresh = compare("add", ["relu"], 2, BASE, store=store, fresh=True)
        assert (fresh.trained, fresh.reused) == (2, 0)
        assert store.count() == 6


def test_warns_when_seeds_cannot_separate_activations() -> None:
    same = compare("add", ["relu", "leaky_relu:negative_slope=0.0"], 2, BASE)  # the same function twice
    assert same.stats[0].interp.mean == pytest.approx(same.stats[1].interp.mean, rel=1e-4)
    assert len(same.warnings) == 1 and "not separated with 2 and 2 seeds" in same.warnings[0]
    apart = compare("add", ["identity", "tanh"], 3, BASE)
    assert apart.warnings == []
    one = compare("add", ["relu", "tanh"], 1, BASE)
    assert math.isnan(one.stats[0].interp.ci95) and "fewer than 2" in one.warnings[0]


def test_diverged_runs_are_counted_not_averaged() -> None:
    wild = TrainConfig(hidden=[8], steps=30, batch_size=16, optimizer="sgd", lr=5.0)
    result = compare("add", ["relu", "identity"], 2, wild)
    for s in result.stats:
        assert s.diverged == 2 and s.interp.n == 0 and s.interp.missing == 0


def test_bad_arguments() -> None:
    with pytest.raises(ActlabError, match="seeds must be at least 1"):
        compare("add", ["relu"], 0, BASE)
    with pytest.raises(ActlabError, match="no activations"):
        compare("add", [" "], 2, BASE)
    with pytest.raises(ActlabError, match="unknown activation 'rleu'"):
        compare("add", ["relu", "rleu"], 2, BASE)
    with pytest.raises(ActlabError, match="unknown task"):
        compare("addd", ["relu"], 2, BASE)


@pytest.mark.parametrize(
    ("activations", "seeds", "target", "message"),
    [
        (["relu", "", "tanh"], 2, None, "activation 2 of 3 is empty (two commas in a row, or one at an end?)"),
        (["relu", " "], 2, None, "activation 2 of 2 is empty"),
        (["relu", "tanh", " relu"], 2, None, "activation 'relu' is listed twice; list each activation once"),
        (["relu"], [0, 3, 0], None, "seed 0 is listed twice; list each seed once"),
        (["relu"], [0, -1], None, "seeds must be a count >= 1 or whole numbers >= 0, got [0, -1]"),
        (["relu"], 2, -1.0, "target_loss must be a number > 0 (a training loss such as 0.01), got -1.0"),
        (["relu"], 2, 0.0, "target_loss must be a number > 0"),
        (["relu"], 2, math.nan, "target_loss must be a number > 0 (a training loss such as 0.01), got nan"),
        (["relu"], 2, math.inf, "target_loss must be a number > 0"),
        (
            ["relu", "tanh"],
            100_000_000,
            None,
            "2 activations x 100,000,000 seeds is 200,000,000 runs, more than the limit of 100,000 for one request",
        ),
        (["relu"], 100_001, None, "1 activation x 100,001 seeds is 100,001 runs, more than the limit of 100,000"),
    ],
)
def test_bad_lists_targets_and_sizes_are_refused_before_training(
    activations: list[str], seeds: int | list[int], target: float | None, message: str
) -> None:
    calls: list[tuple[int, int]] = []
    with pytest.raises(ActlabError) as err:
        compare("add", activations, seeds, BASE, target_loss=target, progress=lambda d, t: calls.append((d, t)))
    assert str(err.value).startswith(message), str(err.value)
    assert calls == []


def test_steps_to_target_and_loss_band() -> None:
    assert steps_to_target([5.0, 2.0, 0.5, 0.1], 0.5) == 3
    assert steps_to_target([5.0, 2.0], 0.5) is None
    band = loss_band([[100.0, 10.0, 1.0], [100.0, 1000.0, 1.0], [100.0, 10.0]], points=10)
    assert band.steps == [1, 2, 3]
    assert band.mean[0] == pytest.approx(100.0) and band.low[0] == pytest.approx(100.0)
    assert band.mean[1] == pytest.approx(10 ** (5 / 3))  # geometric mean of 10, 1000, 10
    assert band.mean[2] == pytest.approx(1.0)  # only the runs that reached step 3


class FailsAfterOne:
    """An executor whose process dies after the first unit."""

    def run(self, units: Sequence[WorkUnit], advance: object = None) -> Iterator[tuple[WorkUnit, list[RunOutcome]]]:
        inner = LocalExecutor().run(units[:1])
        yield next(inner)
        raise KeyboardInterrupt


def test_each_unit_is_committed_on_its_own(tmp_path: Path) -> None:
    configs = [TrainConfig(hidden=[w], steps=10, batch_size=8, seed=s) for w in (3, 4, 5) for s in (0, 1)]
    with ResultStore(tmp_path / "runs.db") as store:
        plan = plan_missing(configs, store)
        assert len(plan.units) == 3 and plan.reused == 0
        with pytest.raises(KeyboardInterrupt):
            run_missing(plan, store, FailsAfterOne())
        assert store.count() == 2
        resumed = plan_missing(configs, store)
        assert resumed.reused == 2 and len(resumed.units) == 2
        run_missing(resumed, store)
        assert store.count() == 6
        assert plan_missing(configs, store).units == []


@pytest.mark.parametrize(
    ("seeds", "target", "message"),
    [
        (0, None, "--seeds must be at least 1, got 0"),
        (2, 0.0, "--reach must be a number > 0 (a training loss such as 0.01), got 0.0"),
    ],
)
def test_check_request_names_the_arguments_as_the_caller_calls_them(
    seeds: int, target: float | None, message: str
) -> None:
    with pytest.raises(ActlabError) as err:
        check_request("add", ["relu"], seeds, BASE, target, seeds_name="--seeds", target_name="--reach")
    assert str(err.value) == message


def test_check_request_returns_stripped_names_seeds_and_the_base_config() -> None:
    names, seeds, base = check_request("sub", [" relu", "tanh "], 3, BASE)
    assert names == ["relu", "tanh"] and seeds == [0, 1, 2]
    assert base.task == "sub" and base.hidden == [8] and base.steps == 40
