"""Run folders: the round trip, atomic writes, and refusal of foreign or damaged folders."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

import actlab
from actlab import MLP, TrainConfig, train
from actlab.errors import ActlabError
from actlab.training.evaluate import predict
from actlab.training.rundir import CONFIG, MARKER, METRICS, WEIGHTS, is_run, load_run, save_run


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


def test_missing_parent_folders_are_created(result, tmp_path: Path) -> None:
    path = save_run(result, tmp_path / "missing" / "deeper" / "run")
    assert is_run(path) and load_run(path).history == result.history


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
        run="{run}",
        file="config.json",
        what="config",
        why="not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2",
    ),
    "bad config value": DAMAGED.format(
        run="{run}", file="config.json", what="config", why="steps must be >= 1, got -1"
    ),
    "unknown task": DAMAGED.format(
        run="{run}",
        file="config.json",
        what="config",
        why="unknown task 'nosuch': choose from add, circle, div, gauss, identity, max, moons, mul, spiral, sqrt, "
        "square, sub, xor",
    ),
    "config is a list": DAMAGED.format(
        run="{run}", file="config.json", what="config", why="it holds a JSON array, not an object"
    ),
    "config of wrong type": DAMAGED.format(
        run="{run}",
        file="config.json",
        what="config",
        why="hidden must be a list of layer widths such as [16, 16] ([] for linear), got None",
    ),
    "garbage weights": DAMAGED.format(
        run="{run}", file="weights.pt", what="weights", why="not a PyTorch weights file, or cut short"
    ),
    "truncated weights": DAMAGED.format(
        run="{run}", file="weights.pt", what="weights", why="not a PyTorch weights file, or cut short"
    ),
    "missing weights": "{run} is damaged: weights.pt is missing",
    "more layers in config": DAMAGED.format(
        run="{run}",
        file="weights.pt",
        what="weights",
        why="it does not fit config.json (hidden 8 8): missing linear2.weight, linear2.bias",
    ),
    "other width": DAMAGED.format(
        run="{run}",
        file="weights.pt",
        what="weights",
        why="it does not fit config.json (hidden 9): linear1.weight is 8x2, expected 9x2",
    ),
    "extra tensor": DAMAGED.format(
        run="{run}",
        file="weights.pt",
        what="weights",
        why="it does not fit config.json (hidden 8): missing out.bias; unexpected extra",
    ),
    "weights a list": DAMAGED.format(
        run="{run}", file="weights.pt", what="weights", why="it does not hold a dict of named tensors"
    ),
    "integer weights": DAMAGED.format(
        run="{run}", file="weights.pt", what="weights", why="out.bias holds torch.int64, not floating-point numbers"
    ),
    "pickled object": DAMAGED.format(
        run="{run}",
        file="weights.pt",
        what="weights",
        why="it holds objects other than tensors, which actlab never loads",
    ),
    "history a list": DAMAGED.format(
        run="{run}", file="history.json", what="history", why="it holds a JSON array, not an object"
    ),
    "loss not numbers": DAMAGED.format(
        run="{run}", file="history.json", what="history", why='"loss" must be a list of numbers'
    ),
    "metrics not json": DAMAGED.format(
        run="{run}", file="metrics.json", what="metrics", why="not valid JSON: not UTF-8 text"
    ),
}


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


# --- hostile files: too deep, not regular, a plain pickle ----------------------------------------------------


def test_deeply_nested_json_is_damaged_not_a_recursion_error(result, tmp_path: Path) -> None:
    path = save_run(result, tmp_path / "run")
    (path / METRICS).write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ActlabError) as caught:
        load_run(path)
    assert (
        str(caught.value)
        == f"{path / METRICS} is damaged or not an actlab run's metrics (its JSON is nested too deeply)"
    )


def _load_in_thread(path: Path) -> dict[str, Any]:
    """``load_run(path)`` in a thread that may block: the outcome, or ``{"blocked": True}`` after 60 s."""
    outcome: dict[str, Any] = {"blocked": True}

    def target() -> None:
        try:
            load_run(path)
            outcome.update(blocked=False, error=None)
        except ActlabError as err:
            outcome.update(blocked=False, error=str(err))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=60)
    return outcome


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX feature")
@pytest.mark.parametrize("name", [WEIGHTS, METRICS])
def test_a_fifo_in_a_run_folder_is_refused_without_blocking(result, tmp_path: Path, name: str) -> None:
    path = save_run(result, tmp_path / "run")
    (path / name).unlink()
    os.mkfifo(path / name)
    try:
        outcome = _load_in_thread(path)
    finally:  # release a reader blocked in open() on the old code: open the other end, then close it
        with contextlib.suppress(OSError):  # no reader waiting: nothing to release
            os.close(os.open(path / name, os.O_WRONLY | os.O_NONBLOCK))
    assert not outcome["blocked"]
    what = "weights" if name == WEIGHTS else "metrics"
    assert outcome["error"] == (
        f"{path / name} is damaged or not an actlab run's {what} (not a regular file: a FIFO, a device or a folder)"
    )


def test_a_folder_as_weights_is_refused(result, tmp_path: Path) -> None:
    path = save_run(result, tmp_path / "run")
    (path / WEIGHTS).unlink()
    (path / WEIGHTS).mkdir()
    with pytest.raises(ActlabError, match=r"weights\.pt is damaged .*\(not a regular file"):
        load_run(path)


def test_a_plain_pickle_is_refused_in_one_line_without_pytorch_warnings(result, tmp_path: Path) -> None:
    path = save_run(result, tmp_path / "run")
    with (path / WEIGHTS).open("wb") as handle:
        pickle.dump({"linear1.weight": [1.0, 2.0]}, handle)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with pytest.raises(ActlabError) as caught:
            load_run(path)
    assert [str(w.message) for w in shown] == []  # PyTorch's "Detected pickle protocol 4" UserWarning
    assert str(caught.value) == (
        f"{path / WEIGHTS} is damaged or not an actlab run's weights (not a PyTorch weights file, or cut short)"
    )


# --- dtypes and hand-built models ---------------------------------------------------------------------------


def test_a_float64_run_is_read_back_in_float64(tmp_path: Path) -> None:
    trained = train(TrainConfig(steps=5, hidden=[4], seed=1))
    trained.model.to(torch.float64)
    run = load_run(save_run(trained, tmp_path / "run"))
    assert {p.dtype for p in run.model.parameters()} == {torch.float64}
    x = torch.randn(8, 2, dtype=torch.float64)
    assert torch.equal(run.model(x), trained.model(x))


def exact_adder() -> MLP:
    """z = relu(z) - relu(-z) with z = a + b: the two-unit ReLU adder, in float64."""
    return MLP.from_weights([[[1.0, 1.0], [-1.0, -1.0]], [[1.0, -1.0]]], activation="relu", dtype=torch.float64)


def test_a_hand_built_adder_saved_as_a_run_predicts_exactly(tmp_path: Path) -> None:
    path = actlab.save_run(exact_adder(), tmp_path / "adder", task="add", extrap_range=(-1e6, 1e6))
    run = actlab.load_run(path)
    assert run.model.out.weight.dtype == torch.float64
    assert run.config.activation == "relu" and run.config.hidden == [2] and run.config.extrap_range == (-1e6, 1e6)
    assert run.history == [] and run.metrics["hand_built"] is True and run.metrics["steps"] == 0
    assert run.metrics["interp_exact_rate"] == 1.0 and run.metrics["extrap_exact_rate"] == 1.0
    assert predict(run.model, run.task, [123456.0, 654321.0]) == {
        "inputs": [123456.0, 654321.0],
        "prediction": 777777.0,
        "truth": 777777.0,
    }
    # No rounding to float32 on the way in; the truth from the inputs as given: the float64 sum of the two.
    answer = predict(run.model, run.task, [123456.123, 654321.456])
    assert answer["truth"] == 123456.123 + 654321.456 and answer["prediction"] == 123456.123 + 654321.456


def test_predict_computes_the_truth_from_the_inputs_as_given(result) -> None:
    answer = predict(result.model, result.task, [123456.123, 654321.456])  # a float32 model
    assert answer["truth"] == 123456.123 + 654321.456  # not 777777.5625, the sum of the float32-rounded inputs


def test_hand_built_models_keep_their_activations(tmp_path: Path) -> None:
    model = MLP(
        2, [3, 4], 1, activation=["leaky_relu:negative_slope=0.1", "tanh"], generator=torch.Generator().manual_seed(0)
    )
    run = load_run(save_run(model, tmp_path / "run", task="sub", train_range=(-5, 5)))
    assert run.config.activation == ["leaky_relu:negative_slope=0.1", "tanh"] and run.config.task == "sub"
    assert run.config.train_range == (-5.0, 5.0)
    x = torch.randn(16, 2)
    assert torch.equal(run.model(x), model(x))


@pytest.mark.parametrize(
    ("model", "kwargs", "message"),
    [
        (exact_adder(), {}, "save_run: give the task a hand-built model answers, e.g. task='add'"),
        (
            exact_adder(),
            {"task": "sqrt"},
            "save_run: task 'sqrt' takes 1 input(s) and gives 1 output(s), but the model has 2 and 1",
        ),
        (
            MLP(2, [3], 1, activation=torch.nn.ReLU()),
            {"task": "add"},
            "save_run: activation ReLU is not from actlab's catalog; build the MLP with catalog names (actlab list) "
            "so that a run folder can rebuild it",
        ),
        (exact_adder(), {"task": "add", "train_range": (5, -5)}, "the training range needs low < high, got [5, -5]"),
        ("not a model", {"task": "add"}, "save_run takes a TrainResult or an actlab.MLP, not str"),
    ],
)
def test_save_run_refuses_what_it_cannot_rebuild(
    tmp_path: Path, model: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ActlabError) as caught:
        save_run(model, tmp_path / "run", **kwargs)
    assert str(caught.value).startswith(message)
    assert list(tmp_path.iterdir()) == []


def test_predict_eval_and_diagnose_accept_a_hand_built_run(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = str(save_run(exact_adder(), tmp_path / "adder", task="add"))
    asked = cli("predict", path, "123456", "654321")
    assert asked.code == 0, asked.err
    assert " ".join(asked.out.split()) == "123456 + 654321 ≈ 777777.00 (exact: 777777, error 0)"
    exact = json.loads(cli("predict", path, "123456.123", "654321.456", "--json").out)
    assert exact == {"inputs": [123456.123, 654321.456], "prediction": 777777.579, "truth": 777777.579}
    evaluated = cli("eval", path, "--range", "-1000000", "1000000", "--json")
    assert evaluated.code == 0, evaluated.err
    assert json.loads(evaluated.out)["extrap_exact_rate"] == 1.0
    diagnosed = cli("diagnose", path, "--json")
    assert diagnosed.code == 0, diagnosed.err
    assert json.loads(diagnosed.out)["sites"][0]["units"] == 2


def test_save_run_refuses_a_diverged_model(tmp_path: Path) -> None:
    import math

    from actlab.nets.mlp import MLP

    broken = MLP.from_weights([[[math.nan, 1.0]], [[1.0]]], activation="identity")
    with pytest.raises(ActlabError, match=r"not saved to .*: the model diverged \(the final weights are not finite\)"):
        save_run(broken, tmp_path / "broken", task="add")
    assert list(tmp_path.iterdir()) == []


def test_a_run_answers_questions_as_users_write_them(tmp_path: Path) -> None:
    run = actlab.load_run(actlab.save_run(exact_adder(), tmp_path / "adder", task="add"))
    assert run.ask(["5", "3"]) == {"inputs": [5.0, 3.0], "prediction": 8.0, "truth": 8.0}
    assert run.ask(["5 + -3"]) == run.ask(["5", "-3"]) == {"inputs": [5.0, -3.0], "prediction": 2.0, "truth": 2.0}
    with pytest.raises(ActlabError, match="takes 2 inputs"):
        run.ask(["5"])
    with pytest.raises(ActlabError, match=r"asks a - b, but this run learned a \+ b"):
        run.ask(["5 - 3"])


def test_a_run_is_evaluated_again_on_a_range_of_ones_choosing(tmp_path: Path) -> None:
    run = actlab.load_run(actlab.save_run(exact_adder(), tmp_path / "adder", task="add"))
    task, metrics = run.evaluate((-1000.0, 1000.0))
    assert task.extrap_range == (-1000.0, 1000.0) and task.train_range == run.task.train_range
    # The adder is exact in float64; the evaluation points are drawn in float32, so a + b there is off by at most
    # half a float32 step at |a + b| <= 2000 against the sum of the float64 inputs.
    assert metrics["extrap_mae"] <= 2000 * 2.0**-24 and metrics["extrap_exact_rate"] == 1.0
    assert run.evaluate()[0].extrap_range == run.task.extrap_range
