"""The train / predict / eval / tasks commands, end to end in-process, and every bad input: exit code 2 and
one line on stderr, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actlab import TrainConfig, train
from actlab.rundir import save_run


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
    r = cli("train", "--task", "add", "--activation", "relu", "--hidden", "16", "16", "--steps", "3000",
            "--seed", "0", "--out", str(out), "--json")  # fmt: skip
    assert r.code == 0, r.err
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
    xor = save_run(train(TrainConfig(task="xor", steps=20)), tmp_path / "xor")
    r = cli("predict", str(xor), "0.5", "0.5", "--json")
    assert json.loads(r.out)["prediction"] in (0, 1)


def test_tasks_lists_every_task(cli) -> None:
    data = json.loads(cli("tasks", "--json").out)
    by_name = {t["name"]: t for t in data}
    assert {"add", "sub", "mul", "div", "max", "identity", "square", "sqrt", "xor", "circle", "gauss", "spiral",
            "moons"} == set(by_name)  # fmt: skip
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
}


@pytest.mark.parametrize("case", list(BAD_TRAIN))
def test_train_bad_input(cli, tmp_path: Path, case: str) -> None:
    args, message = BAD_TRAIN[case]
    line = one_line_error(cli("train", *args, "--quiet", "--out", str(tmp_path / "never")))
    assert message in line
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["5"], "takes 2 inputs"), (["5", "3", "1"], "takes 2 inputs"), (["nan", "3"], "not a finite number"),
     (["5", "nan"], "not a finite number"), (["five", "3"], "not a number")],
)  # fmt: skip
def test_predict_bad_input(cli, small_run: Path, args: list[str], message: str) -> None:
    assert message in one_line_error(cli("predict", str(small_run), *args))


def test_predict_and_eval_on_foreign_or_damaged_folders(cli, small_run: Path, tmp_path: Path) -> None:
    assert "not an actlab run folder" in one_line_error(cli("predict", str(tmp_path), "5", "3"))
    assert "is not a folder" in one_line_error(cli("eval", str(tmp_path / "nowhere")))
    broken = save_run(train(TrainConfig(steps=5)), tmp_path / "broken")
    (broken / "weights.pt").write_bytes(b"junk")
    assert "damaged" in one_line_error(cli("predict", str(broken), "5", "3"))
    assert "low < high" in one_line_error(cli("eval", str(small_run), "--range", "3", "-3"))


def test_out_refuses_a_folder_that_is_not_a_run(cli, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    assert "not an actlab run folder" in one_line_error(cli("train", "--steps", "5", "-q", "--out", str(tmp_path)))
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_ctrl_c_during_training_writes_nothing(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import actlab.training

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(actlab.training, "_train", interrupted)
    r = cli("train", "--steps", "5", "--out", str(tmp_path / "run"))
    assert r.code == 130 and "Traceback" not in r.err
    assert list(tmp_path.iterdir()) == []
