"""Planning against a results database without creating it, and where a set of configs trains."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from actlab.errors import ActlabError
from actlab.experiments.executor import plan_stored, training_device
from actlab.experiments.store import ResultStore
from actlab.training.config import TrainConfig

CONFIGS = [TrainConfig(hidden=[4], steps=10, seed=s) for s in range(3)]


def test_plan_stored_without_a_database_plans_everything_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    plan, path = plan_stored(CONFIGS, db, label="x")
    assert path == db and not db.exists()
    assert (plan.reused, plan.to_train, plan.model_steps) == (0, 3, 30)
    assert {u.label for u in plan.units} == {"x"}


def test_plan_stored_reuses_stored_runs_unless_fresh(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with ResultStore(db) as store:
        store.put(CONFIGS[1], {"interp_mae": 0.5}, [1.0])
    before = db.stat().st_mtime_ns
    plan, _ = plan_stored(CONFIGS, db)
    assert (plan.reused, plan.to_train) == (1, 2)
    assert plan_stored(CONFIGS, db, fresh=True)[0].to_train == 3
    assert db.stat().st_mtime_ns == before  # read only


def test_plan_stored_default_path_and_a_missing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTLAB_DB", str(tmp_path / "env.db"))
    assert plan_stored(CONFIGS, None)[1] == tmp_path / "env.db"
    with pytest.raises(ActlabError):
        plan_stored(CONFIGS, tmp_path / "missing" / "r.db")


def test_training_device_is_cuda_when_any_config_asks_for_it() -> None:
    assert training_device(CONFIGS) == "cpu"
    assert training_device([]) == "cpu"
    assert training_device([*CONFIGS, dataclasses.replace(CONFIGS[0], device="cuda")]) == "cuda"
