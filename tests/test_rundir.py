"""Run folders: the round trip, atomic writes, and refusal of foreign or damaged folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from actlab import TrainConfig, train
from actlab.errors import ActlabError
from actlab.rundir import CONFIG, MARKER, WEIGHTS, is_run, load_run, save_run


@pytest.fixture(scope="module")
def result():
    return train(TrainConfig(steps=50, hidden=[8], seed=2))


def test_round_trip(result, tmp_path: Path) -> None:
    path = save_run(result, tmp_path / "run")
    assert sorted(p.name for p in path.iterdir()) == sorted(
        ["actlab-run.json", "config.json", "weights.pt", "history.json", "metrics.json"]
    )
    run = load_run(path)
    assert run.config == TrainConfig.from_dict(result.config.resolved())
    assert run.config.train_range == (-10.0, 10.0) and run.config.hidden == [8] and run.config.seed == 2
    assert run.history == result.history
    assert run.metrics["interp_mae"] == result.metrics["interp_mae"]
    x = torch.randn(20, 2)
    assert torch.equal(run.model(x), result.model(x))
    assert json.loads((path / CONFIG).read_text())["train_range"] == [-10.0, 10.0]  # resolved defaults


def test_no_temporary_folders_left_and_overwrite(result, tmp_path: Path) -> None:
    save_run(result, tmp_path / "run")
    save_run(result, tmp_path / "run")  # replacing a run is allowed
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_refuses_to_overwrite_other_folders(result, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(ActlabError, match="not an actlab run folder"):
        save_run(result, tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"
    with pytest.raises(ActlabError, match="does not exist"):
        save_run(result, tmp_path / "missing" / "run")


def test_interrupted_save_leaves_nothing(result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(KeyboardInterrupt):
        save_run(result, tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


class Evil:
    """An arbitrary object: ``weights_only=True`` must refuse to unpickle it."""

    def __reduce__(self) -> tuple:
        return (print, ("unpickled arbitrary code",))


def _damage(path: Path, how: str) -> None:
    if how == "no marker":
        (path / MARKER).unlink()
    elif how == "foreign format":
        (path / MARKER).write_text(json.dumps({"format": "something-else", "version": 1}))
    elif how == "future version":
        (path / MARKER).write_text(json.dumps({"format": "actlab-run", "version": 99}))
    elif how == "bad config json":
        (path / CONFIG).write_text("{not json")
    elif how == "bad config value":
        (path / CONFIG).write_text(json.dumps({"task": "add", "steps": -1}))
    elif how == "garbage weights":
        (path / WEIGHTS).write_bytes(b"\x00\x01garbage")
    elif how == "missing weights":
        (path / WEIGHTS).unlink()
    elif how == "other shape":
        data = json.loads((path / CONFIG).read_text())
        (path / CONFIG).write_text(json.dumps({**data, "hidden": [9]}))
    elif how == "pickled object":
        torch.save({"linear1.weight": Evil()}, path / WEIGHTS)


MESSAGES = {
    "no marker": "not an actlab run folder",
    "foreign format": "not an actlab run folder",
    "future version": "format version 99",
    "bad config json": "not valid JSON",
    "bad config value": "steps must be >= 1",
    "garbage weights": "damaged",
    "missing weights": "weights.pt is missing",
    "other shape": "cannot load weights.pt",
    "pickled object": "cannot load weights.pt",
}


@pytest.mark.parametrize("how", list(MESSAGES))
def test_damaged_folders_are_refused(result, tmp_path: Path, how: str) -> None:
    path = save_run(result, tmp_path / "run")
    _damage(path, how)
    with pytest.raises(ActlabError, match=MESSAGES[how]):
        load_run(path)


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ActlabError, match="is not a folder"):
        load_run(tmp_path / "nowhere")
    assert not is_run(tmp_path)
