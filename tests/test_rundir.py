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
    assert is_run(save_run(result, tmp_path / "missing" / "run"))  # missing parent folders are created


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


def _set_config(path: Path, **changes: object) -> None:
    data = json.loads((path / CONFIG).read_text())
    (path / CONFIG).write_text(json.dumps({**data, **changes}))


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
    elif how == "unknown task":
        _set_config(path, task="nosuch")
    elif how == "config is a list":
        (path / CONFIG).write_text("[]")
    elif how == "config of wrong type":
        _set_config(path, hidden=None)
    elif how == "garbage weights":
        (path / WEIGHTS).write_bytes(b"\x00\x01garbage")
    elif how == "truncated weights":
        (path / WEIGHTS).write_bytes((path / WEIGHTS).read_bytes()[:300])
    elif how == "missing weights":
        (path / WEIGHTS).unlink()
    elif how == "more layers in config":
        _set_config(path, hidden=[8, 8])
    elif how == "other width":
        _set_config(path, hidden=[9])
    elif how == "extra tensor":
        state = torch.load(path / WEIGHTS, weights_only=True)
        del state["out.bias"]
        torch.save({**state, "extra": torch.zeros(1)}, path / WEIGHTS)
    elif how == "weights a list":
        torch.save([torch.zeros(1)], path / WEIGHTS)
    elif how == "integer weights":
        state = torch.load(path / WEIGHTS, weights_only=True)
        torch.save({**state, "out.bias": torch.zeros(1, dtype=torch.int64)}, path / WEIGHTS)
    elif how == "pickled object":
        torch.save({"linear1.weight": Evil()}, path / WEIGHTS)
    elif how == "history a list":
        (path / "history.json").write_text("[1, 2]")
    elif how == "loss not numbers":
        (path / "history.json").write_text(json.dumps({"loss": 3}))
    elif how == "metrics not json":
        (path / "metrics.json").write_bytes(b"\xff\xfe")


DAMAGED = "{run}/{file} is damaged or not an actlab run's {what} ({why})"
MESSAGES = {
    "no marker": "{run}: it is not an actlab run folder (no actlab-run.json)",
    "foreign format": "{run} is not an actlab run folder (actlab-run.json names another format)",
    "future version": "{run} is a run of format version 99; this actlab reads 1",
    "bad config json": DAMAGED.format(
        run="{run}", file="config.json", what="config",
        why="not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
    "bad config value": DAMAGED.format(
        run="{run}", file="config.json", what="config", why="steps must be >= 1, got -1"),
    "unknown task": DAMAGED.format(
        run="{run}", file="config.json", what="config",
        why="unknown task 'nosuch': choose from add, circle, div, gauss, identity, max, moons, mul, spiral, sqrt, "
            "square, sub, xor"),
    "config is a list": DAMAGED.format(
        run="{run}", file="config.json", what="config", why="it holds a JSON array, not an object"),
    "config of wrong type": DAMAGED.format(
        run="{run}", file="config.json", what="config",
        why="hidden must be a list of layer widths such as [16, 16] ([] for linear), got None"),
    "garbage weights": DAMAGED.format(
        run="{run}", file="weights.pt", what="weights", why="not a PyTorch weights file, or cut short"),
    "truncated weights": DAMAGED.format(
        run="{run}", file="weights.pt", what="weights", why="not a PyTorch weights file, or cut short"),
    "missing weights": "{run} is damaged: weights.pt is missing",
    "more layers in config": DAMAGED.format(
        run="{run}", file="weights.pt", what="weights",
        why="it does not fit config.json (hidden 8 8): missing linear2.weight, linear2.bias"),
    "other width": DAMAGED.format(
        run="{run}", file="weights.pt", what="weights",
        why="it does not fit config.json (hidden 9): linear1.weight is 8x2, expected 9x2"),
    "extra tensor": DAMAGED.format(
        run="{run}", file="weights.pt", what="weights",
        why="it does not fit config.json (hidden 8): missing out.bias; unexpected extra"),
    "weights a list": DAMAGED.format(
        run="{run}", file="weights.pt", what="weights", why="it does not hold a dict of named tensors"),
    "integer weights": DAMAGED.format(
        run="{run}", file="weights.pt", what="weights", why="out.bias holds torch.int64, not floating-point numbers"),
    "pickled object": DAMAGED.format(
        run="{run}", file="weights.pt", what="weights",
        why="it holds objects other than tensors, which actlab never loads"),
    "history a list": DAMAGED.format(
        run="{run}", file="history.json", what="history", why="it holds a JSON array, not an object"),
    "loss not numbers": DAMAGED.format(
        run="{run}", file="history.json", what="history", why='"loss" must be a list of numbers'),
    "metrics not json": DAMAGED.format(
        run="{run}", file="metrics.json", what="metrics", why="not valid JSON: not UTF-8 text"),
}  # fmt: skip


@pytest.mark.parametrize("how", list(MESSAGES))
def test_damaged_folders_are_refused_naming_the_file(result, tmp_path: Path, how: str) -> None:
    path = save_run(result, tmp_path / "run")
    _damage(path, how)
    with pytest.raises(ActlabError) as caught:
        load_run(path)
    message = str(caught.value)
    assert message == MESSAGES[how].format(run=path)
    assert "\n" not in message and "weights_only" not in message and "Error(s) in loading" not in message


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ActlabError, match="is not a folder"):
        load_run(tmp_path / "nowhere")
    assert not is_run(tmp_path)
