"""The train / predict / eval / tasks commands, end to end in-process, and every bad input: exit code 2 and
one line on stderr, never a traceback."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from actlab import TrainConfig, train
from actlab.training.rundir import save_run


def one_line_error(result) -> str:
    assert result.code == 2, (result.code, result.out, result.err)
    assert "Traceback" not in result.err + result.out
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("actlab: error: "), result.err
    return lines[0]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_run(train(TrainConfig(steps=200, hidden=[8])), tmp_path_factory.mktemp("runs") / "small")


def test_train_predict_eval_the_issue_commands(cli, tmp_path: Path) -> None:
    out = tmp_path / "add-relu"
    r = cli(
        "train",
        "--task",
        "add",
        "--activation",
        "relu",
        "--hidden",
        "16",
        "16",
        "--steps",
        "3000",
        "--seed",
        "0",
        "--out",
        str(out),
        "--json",
    )
    assert r.code == 0, r.err
    assert r.err == ""  # no progress bar remnants when stderr is not a terminal
    data = json.loads(r.out)
    for key in ("interp_mae", "extrap_mae", "final_loss", "steps", "seconds"):
        assert isinstance(data[key], float | int)
    assert data["interp_mae"] < 0.05 and data["steps"] == 3000
    assert data["config"]["hidden"] == [16, 16]

    for args in (["5", "3"], ["5+3"]):
        r = cli("predict", str(out), *args, "--json")
        answer = json.loads(r.out)
        assert answer["inputs"] == [5.0, 3.0]
        assert abs(answer["prediction"] - 8) < 0.05
    r = cli("predict", str(out), "5", "3")
    assert r.code == 0 and "5 + 3 ≈ 8.0" in r.out

    r = cli("eval", str(out), "--range", "-1000", "1000", "--json")
    data = json.loads(r.out)
    assert data["extrap_range"] == [-1000.0, 1000.0] and data["train_range"] == [-10.0, 10.0]
    assert data["extrap_mae"] > data["interp_mae"]


def test_train_table_and_plot(cli, tmp_path: Path) -> None:
    r = cli("train", "--task", "sub", "--hidden", "8,8", "--steps", "50", "--plot", str(tmp_path / "p.png"), "-q")
    assert r.code == 0, r.err
    assert "interp_mae" in r.out and "extrap_exact_rate" in r.out and "sub · relu · hidden 8 8" in r.out
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_train_classification_json_has_accuracy(cli) -> None:
    r = cli("train", "--task", "xor", "--steps", "30", "--json", "-q")
    data = json.loads(r.out)
    assert 0.0 <= data["accuracy"] <= 1.0 and "extrap_accuracy" in data


def test_predict_negative_numbers_and_classification(cli, small_run: Path, tmp_path: Path) -> None:
    r = cli("predict", str(small_run), "5", "-3", "--json")
    assert json.loads(r.out)["inputs"] == [5.0, -3.0]
    assert cli("predict", str(small_run), "5", "-3").out.startswith("5 + (-3) ≈ ")  # not "5 + -3"
    xor = save_run(train(TrainConfig(task="xor", steps=20)), tmp_path / "xor")
    r = cli("predict", str(xor), "0.5", "0.5", "--json")
    assert json.loads(r.out)["prediction"] in (0, 1)


def test_tasks_lists_every_task(cli) -> None:
    data = json.loads(cli("tasks", "--json").out)
    by_name = {t["name"]: t for t in data}
    assert {
        "add",
        "sub",
        "mul",
        "div",
        "max",
        "identity",
        "square",
        "sqrt",
        "xor",
        "circle",
        "gauss",
        "spiral",
        "moons",
    } == set(by_name)
    assert by_name["add"]["train_range"] == [-10.0, 10.0] and by_name["add"]["extrap_range"] == [-100.0, 100.0]
    assert "sqrt" in cli("tasks").out


BAD_TRAIN = {
    "unknown task": (["--task", "addd"], "unknown task 'addd'"),
    "unknown activation": (["--activation", "rleu"], "unknown activation 'rleu'"),
    "range low = high": (["--range", "5", "5"], "low < high"),
    "range low > high": (["--range", "10", "-10"], "low < high"),
    "zero width": (["--hidden", "0"], "hidden width must be >= 1"),
    "negative width": (["--hidden", "-4"], "hidden width must be >= 1"),
    "word width": (["--hidden", "wide"], "not a whole number"),
    "zero steps": (["--steps", "0"], "steps must be >= 1"),
    "negative steps": (["--steps", "-5"], "steps must be >= 1"),
    "lr not a number": (["--lr", "fast"], "Invalid value for '--lr'"),
    "lr nan": (["--lr", "nan"], "finite"),
    "unknown init": (["--init", "kaiming"], "unknown init scheme"),
    "unknown optimizer": (["--optimizer", "adamw"], "unknown optimizer"),
    "stray argument": (["stray"], "unexpected argument"),
    "empty width between commas": (
        ["--hidden", "16,,16"],
        "--hidden '16,,16' has an empty width (a stray comma); write e.g. --hidden 16,16",
    ),
    "trailing comma": (
        ["--hidden", "16,"],
        "--hidden '16,' has an empty width (a stray comma); write e.g. --hidden 16",
    ),
    "empty hidden": (
        ["--hidden", ""],
        "--hidden got an empty value ''; give widths, e.g. --hidden 16 16, or --hidden none for a linear model",
    ),
    "blank hidden": (["--hidden", " "], "--hidden got an empty value ' '"),
    "none with widths": (["--hidden", "none", "16"], "--hidden none (a linear model) cannot go with widths"),
    "sqrt below 0": (
        ["--task", "sqrt", "--range", "-5", "5"],
        "sqrt: its inputs must be >= 0, but the training range [-5, 5] reaches below 0; give a range "
        "from 0 up, e.g. [0, 5]",
    ),
    "sqrt extrapolating below 0": (
        ["--task", "sqrt", "--extrap-range", "-50", "50"],
        "the extrapolation range [-50, 50] reaches below 0",
    ),
    "div across 0": (
        ["--task", "div", "--range", "-5", "5"],
        "div: the divisor b must stay away from 0, but the training range [-5, 5] includes 0; give a "
        "range on one side of 0, e.g. [1, 5]",
    ),
    "div extrapolating across 0": (
        ["--task", "div", "--extrap-range", "-100", "100"],
        "the extrapolation range [-100, 100] includes 0",
    ),
    "steps in e-notation": (["--steps", "1e9"], "Invalid value for '--steps'"),
    # numbers that passed validation and then overflowed (issue 11, item 5)
    "lr beyond float32": (["--lr", "1e39"], "learning rate must be at most 1e+30, got 1e+39"),
    "huge width": (
        ["--hidden", "111111111111111111111111111111"],
        "a network of hidden widths 111111111111111111111111111111 trained on batches of 128 needs "
        "6.68e+32 float32 values",
    ),
    "too deep": (["--hidden", ",".join(["2"] * 1001)], "hidden: 1,001 hidden layers are more than the limit of 1,000"),
    "huge batch": (["--batch-size", "10000000000"], "trained on batches of 10,000,000,000 needs"),
    "huge steps": (["--steps", "111111111111111111111111111111"], "steps must be at most 10,000,000, got 1.111e+29"),
    "huge seed": (["--seed", "111111111111111111111111111111"], "seed must be at most 4,294,967,295"),
    "huge noise": (["--task", "xor", "--noise", "1e300"], "noise must be at most 100, got 1e+300"),
    "ranges beyond int64": (
        ["--range", "-1e18", "1e18", "--extrap-range", "-1e20", "1e20"],
        "add: the extrapolation range [-1e+20, 1e+20] reaches beyond ±1e+18, the largest inputs "
        "actlab draws; give a smaller range",
    ),
    "integer extrapolation beyond int64": (
        ["--extrap-range", "-1e38", "100", "--integer"],
        "the extrapolation range [-1e+38, 100] reaches beyond ±1e+18",
    ),
    "answers whose square overflows": (
        ["--task", "mul", "--range", "-1e10", "1e10", "--extrap-range", "-1e11", "1e11"],
        "mul: on the training range [-1e+10, 1e+10] the answers reach 1e+20, whose "
        "square (the training loss) overflows float32; give a smaller range",
    ),
    "activation parameter beyond float32": (
        ["--activation", "elu:alpha=1e308"],
        "elu: alpha='1e308' is beyond float32's ±3.4e+38",
    ),
    "bias beyond float32": (["--bias-init", "1e308"], "bias init '1e308' is invalid: beyond float32's ±3.4e+38"),
    "extrapolation box barely outside": (
        ["--extrap-range", "-10", "10.01"],
        "add: the extrapolation range [-10, 10.01] hardly reaches outside the "
        "training range [-10, 10] (less than 1% of it); widen it",
    ),
    "whole numbers barely outside": (
        ["--extrap-range", "-10.5", "10.5", "--integer"],
        "(less than 1% of its whole numbers); widen it",
    ),
}


@pytest.mark.parametrize("case", list(BAD_TRAIN))
def test_train_bad_input(cli, tmp_path: Path, case: str) -> None:
    args, message = BAD_TRAIN[case]
    line = one_line_error(cli("train", *args, "--quiet", "--out", str(tmp_path / "never")))
    assert message in line
    assert "diverged" not in line
    assert not (tmp_path / "never").exists()


def test_hidden_none_is_a_linear_model_and_commas_still_work(cli) -> None:
    r = cli("train", "--hidden", "none", "--steps", "5", "-q", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["config"]["hidden"] == []
    r = cli("train", "--hidden", "8,4", "--steps", "5", "-q", "--json")
    assert json.loads(r.out)["config"]["hidden"] == [8, 4]
    r = cli("train", "--hidden", "8", "4", "--steps", "5", "-q", "--json")
    assert json.loads(r.out)["config"]["hidden"] == [8, 4]


def test_sqrt_and_div_train_on_valid_ranges(cli) -> None:
    r = cli(
        "train", "--task", "sqrt", "--range", "0", "5", "--extrap-range", "0", "50", "--steps", "20", "-q", "--json"
    )
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["config"]["train_range"] == [0.0, 5.0] and math.isfinite(data["final_loss"])
    r = cli(
        "train",
        "--task",
        "div",
        "--range",
        "-10",
        "-1",
        "--extrap-range",
        "-100",
        "-1",
        "--steps",
        "20",
        "-q",
        "--json",
    )
    assert r.code == 0, r.err
    assert json.loads(r.out)["config"]["extrap_range"] == [-100.0, -1.0]


def test_divergence_on_adam_suggests_no_optimizer_switch(cli) -> None:
    line = one_line_error(cli("train", "--lr", "1e6", "--steps", "200", "-q"))
    assert "(adam, init=default); try a lower learning rate such as --lr 100000, or a smaller --range" in line
    assert "--optimizer" not in line
    line = one_line_error(cli("train", "--optimizer", "sgd", "--lr", "10", "--steps", "200", "-q"))
    assert "such as --lr 1, or --optimizer adam, or a smaller --range" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["5"], "takes 2 inputs"),
        (["5", "3", "1"], "takes 2 inputs"),
        (["5%3"], "takes 2 inputs"),
        (["nan", "3"], "not a finite number"),
        (["5", "nan"], "not a finite number"),
        (["five", "3"], "not a number"),
        (["1e39", "3"], "input '1e39' is beyond ±1e+18, the largest inputs actlab handles"),
        (["5", "-1e19"], "input '-1e19' is beyond ±1e+18"),
    ],
)
def test_predict_bad_input(cli, small_run: Path, args: list[str], message: str) -> None:
    assert message in one_line_error(cli("predict", str(small_run), *args))


@pytest.fixture(scope="module")
def sub_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_run(train(TrainConfig(task="sub", steps=50, hidden=[8])), tmp_path_factory.mktemp("runs") / "sub")


@pytest.mark.parametrize(
    ("args", "inputs"),
    [
        (["5-3"], [5.0, 3.0]),
        (["5", "3"], [5.0, 3.0]),
        (["5", "-3"], [5.0, -3.0]),
        (["-5", "3"], [-5.0, 3.0]),
        (["-5-3"], [-5.0, 3.0]),
        (["5 - -3"], [5.0, -3.0]),
        (["5", "-", "-3"], [5.0, -3.0]),
        (["5--3"], [5.0, -3.0]),
    ],
)
def test_predict_reads_the_runs_own_operator(cli, sub_run: Path, args: list[str], inputs: list[float]) -> None:
    r = cli("predict", str(sub_run), *args, "--json")
    assert r.code == 0, r.err
    answer = json.loads(r.out)
    assert answer["inputs"] == inputs and answer["truth"] == inputs[0] - inputs[1]


@pytest.mark.parametrize(("expression", "op"), [("5+3", "+"), ("5*3", "*"), ("5x3", "x"), ("5+-3", "+"), ("6/2", "/")])
def test_predict_refuses_another_operator(cli, sub_run: Path, expression: str, op: str) -> None:
    line = one_line_error(cli("predict", str(sub_run), expression))
    assert line == (
        f"actlab: error: '{expression}' asks a {op} b, but this run learned a - b; ask e.g. "
        f'actlab predict {sub_run} 5 3 or actlab predict {sub_run} "5-3"'
    )


def test_predict_on_an_add_run_refuses_minus(cli, small_run: Path) -> None:
    line = one_line_error(cli("predict", str(small_run), "5-3"))
    assert "'5-3' asks a - b, but this run learned a + b" in line
    r = cli("predict", str(small_run), "5+-3", "--json")
    assert json.loads(r.out)["inputs"] == [5.0, -3.0] and json.loads(r.out)["truth"] == 2.0


def test_predict_one_input_task(cli, tmp_path: Path) -> None:
    run = save_run(train(TrainConfig(task="sqrt", steps=20, hidden=[4])), tmp_path / "sqrt")
    r = cli("predict", str(run), "4", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["inputs"] == [4.0] and json.loads(r.out)["truth"] == 2.0
    assert "√4 ≈" in cli("predict", str(run), "4").out
    for args in (["4", "1"], ["4+1"]):
        line = one_line_error(cli("predict", str(run), *args))
        assert "task 'sqrt' takes 1 input, a single number" in line and line.endswith(f"actlab predict {run} 5")


def test_predict_and_eval_on_foreign_or_damaged_folders(cli, small_run: Path, tmp_path: Path) -> None:
    assert "not an actlab run folder" in one_line_error(cli("predict", str(tmp_path), "5", "3"))
    assert "is not a folder" in one_line_error(cli("eval", str(tmp_path / "nowhere")))
    broken = save_run(train(TrainConfig(steps=5)), tmp_path / "broken")
    (broken / "weights.pt").write_bytes(b"junk")
    assert one_line_error(cli("predict", str(broken), "5", "3")) == (
        f"actlab: error: {broken}/weights.pt is damaged or not an actlab run's weights "
        "(not a PyTorch weights file, or cut short)"
    )
    assert "low < high" in one_line_error(cli("eval", str(small_run), "--range", "3", "-3"))


def test_out_refuses_a_folder_that_is_not_a_run(cli, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    assert "not an actlab run folder" in one_line_error(cli("train", "--steps", "5", "-q", "--out", str(tmp_path)))
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_ctrl_c_during_training_writes_nothing(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import actlab.training.loop

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(actlab.training.loop, "_train", interrupted)
    r = cli("train", "--steps", "5", "--out", str(tmp_path / "run"))
    assert r.code == 130 and "Traceback" not in r.err
    assert list(tmp_path.iterdir()) == []


class Evil:
    def __reduce__(self) -> tuple:
        return (print, ("unpickled arbitrary code",))


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("pickled object", "weights.pt is damaged or not an actlab run's weights (it holds objects other than tensors"),
        ("other width", "weights.pt is damaged or not an actlab run's weights (it does not fit config.json (hidden 9)"),
        ("unknown task", "config.json is damaged or not an actlab run's config (unknown task 'nosuch'"),
        ("config is a list", "config.json is damaged or not an actlab run's config (it holds a JSON array"),
    ],
)
def test_damaged_run_errors_name_the_file_in_one_line(
    cli, small_run: Path, tmp_path: Path, how: str, reason: str
) -> None:
    import shutil

    import torch

    run = tmp_path / "run"
    shutil.copytree(small_run, run)
    config = json.loads((run / "config.json").read_text())
    if how == "pickled object":
        torch.save({"linear1.weight": Evil()}, run / "weights.pt")
    elif how == "other width":
        (run / "config.json").write_text(json.dumps({**config, "hidden": [9]}))
    elif how == "unknown task":
        (run / "config.json").write_text(json.dumps({**config, "task": "nosuch"}))
    else:
        (run / "config.json").write_text("[]")
    for command in (["predict", str(run), "5", "3"], ["eval", str(run)]):
        line = one_line_error(cli(*command))
        assert line.startswith(f"actlab: error: {run}/{reason}")
        assert "weights_only" not in line and "trust" not in line and "Error(s)" not in line


def test_predict_writes_a_negative_input_in_parentheses(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`-3²` reads as −9; the truth printed beside it is 9: the question must say (-3)²."""
    run = save_run(train(TrainConfig(task="square", steps=20, hidden=[4])), tmp_path / "square")
    r = cli("predict", str(run), "-3")
    assert r.code == 0, r.err
    assert r.out.startswith("(-3)² ≈ ") and "(exact: 9," in r.out
    assert cli("predict", str(run), "3").out.startswith("3² ≈ ")


def test_a_model_that_diverges_after_its_last_update_is_an_error_and_not_saved(cli, tmp_path: Path) -> None:
    out = tmp_path / "D"
    r = cli("train", "--steps", "1", "--lr", "1e20", "--optimizer", "sgd", "--hidden", "8", "--out", str(out), "-q")
    line = one_line_error(r)
    assert line.startswith(
        "actlab: error: training diverged after step 1: the final model's predictions are not finite (interp_mae"
    )
    assert "with lr=1e+20 (sgd, init=default); try a lower learning rate such as --lr 1e+19" in line
    assert r.out == "" and not out.exists()


def test_a_run_far_worse_than_its_start_is_saved_with_a_warning(cli, tmp_path: Path) -> None:
    r = cli("train", "--steps", "20", "--lr", "1000", "--json", "--out", str(tmp_path / "bad"))
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["final_loss"] > 10 * 60  # the first step's loss is about 64 (E[(a + b)^2] = 66.7 at init)
    assert len(data["warnings"]) == 1 and "far worse than at the start" in data["warnings"][0]
    r = cli("train", "--steps", "20", "--lr", "1000", "-q")
    assert r.code == 0 and "warning: the final loss" in r.out and "learning rate is probably too high" in r.out
    assert json.loads(cli("train", "--steps", "20", "--json").out)["warnings"] == []


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Training that fails the test if it starts: a refusal must come before any work."""
    import actlab.training.loop

    def must_not_train(*args: object) -> None:
        raise AssertionError("training started although the output location can never be written")

    monkeypatch.setattr(actlab.training.loop, "_train", must_not_train)


def test_out_creates_missing_folders(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli("train", "--steps", "5", "-q", "--out", "nope/x", "--plot", "pics/deeper/p.png")
    assert r.code == 0, r.err
    assert (tmp_path / "nope" / "x" / "weights.pt").is_file() and (tmp_path / "pics" / "deeper" / "p.png").is_file()
    assert "saved run to nope/x" in r.out


UNWRITABLE = {
    "proc": ("/proc/actlab-run", "cannot write to /proc/actlab-run: folder /proc does not accept new files"),
    "proc folder": ("/proc/self/x", "cannot write to /proc/self/x: folder /proc/self does not accept new files"),
    "folder under proc": ("/proc/nope/x", "cannot write to /proc/nope/x: cannot create folder /proc/nope"),
    "long name": (
        "{tmp}/" + "x" * 256,
        "the name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' is 256 bytes long; names may have at most 255 bytes",
    ),
    "long folder name": ("{tmp}/" + "y" * 300 + "/run", "is 300 bytes long"),
    "a file as folder": (
        "{tmp}/afile/run",
        "cannot write to {tmp}/afile/run: it lies under {tmp}/afile, which is a file; give a new or existing folder",
    ),
    "a file as the run": ("{tmp}/afile", "cannot write to {tmp}/afile: it is a file; give a new or existing folder"),
}


@pytest.mark.parametrize("case", list(UNWRITABLE))
def test_unwritable_out_is_refused_before_training(cli, tmp_path: Path, no_training: None, case: str) -> None:
    (tmp_path / "afile").write_text("not a folder")
    path, message = (text.format(tmp=tmp_path) for text in UNWRITABLE[case])
    line = one_line_error(cli("train", "--steps", "5", "-q", "--out", path, "--json"))
    assert line == f"actlab: error: {message}" or message in line
    line = one_line_error(cli("train", "--steps", "5", "-q", "--plot", path + "/p.png"))
    assert "cannot write to" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_refused_before_training(cli, tmp_path: Path, no_training: None) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        line = one_line_error(cli("train", "--steps", "5", "-q", "--out", str(locked / "run")))
        assert f"folder {locked} does not accept new files (permission denied)" in line
    finally:
        locked.chmod(0o755)


def test_a_write_that_fails_at_the_end_still_shows_the_metrics(cli, tmp_path: Path, monkeypatch) -> None:
    import actlab.training.rundir

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(actlab.training.rundir, "save_run", full_disk)
    out = tmp_path / "run"
    r = cli("train", "--steps", "5", "-q", "--out", str(out), "--json")
    line = one_line_error(r)
    assert line == (
        f"actlab: error: cannot write to {out}: no space left on device (the work itself is done: its "
        f"results are above)"
    )
    data = json.loads(r.out)  # the metrics are printed all the same
    assert data["steps"] == 5 and data["run"] is None and math.isfinite(data["interp_mae"])
    r = cli("train", "--steps", "5", "-q", "--out", str(out))
    assert r.code == 2 and "interp_mae" in r.out and "saved run" not in r.out


@pytest.mark.parametrize(
    ("args", "none"),
    [(["--range", "1e-3", "0.5"], "interp_exact_rate"), (["--extrap-range", "-10.5", "10.5"], "extrap_exact_rate")],
)
def test_exact_rate_is_none_where_the_region_holds_no_whole_numbers(cli, args: list[str], none: str) -> None:
    r = cli("train", "--steps", "2", "-q", "--json", *args)
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data[none] is None and sum(data[k] is None for k in ("interp_exact_rate", "extrap_exact_rate")) == 1
