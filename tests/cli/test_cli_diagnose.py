"""``actlab diagnose`` and ``actlab born-dead`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from actlab import training
from actlab.diagnostics import tensorboard
from actlab.errors import ActlabError
from actlab.training import rundir

MODELS = """
import torch
from torch import nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.act = nn.ReLU(inplace=True)
        self.fc = nn.Linear(4 * 4 * 4, 2)
        with torch.no_grad():
            self.conv.bias[:2] = -1000.0  # channels 0 and 1 can never fire

    def forward(self, x):
        return self.fc(F.gelu(self.act(self.conv(x))).flatten(1))


def make():
    return Net()


def linear():
    return nn.Linear(4, 2)


def broken():
    raise ValueError("no weights here")


def not_a_model():
    return 42


def quits():
    import sys

    sys.exit(3)
"""

SCRIPT = """
import sys

sys.exit(3)
"""


@pytest.fixture
def models(tmp_path: Path) -> Path:
    path = tmp_path / "models.py"
    path.write_text(MODELS)
    return path


def test_own_model_on_random_inputs_as_json(cli, models: Path) -> None:
    r = cli("diagnose", "--model", f"{models}:make", "--input-shape", "16,3,4,4", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["model"] == f"{models}:make" and data["inputs"] == 16 and data["collapsed"] is False
    sites = {s["name"]: s for s in data["sites"]}
    assert list(sites) == ["act", "gelu#1"]
    assert (sites["act"]["kind"], sites["act"]["units"], sites["act"]["dead"]) == ("relu", 4, 2)
    assert sites["act"]["samples"] == 16 * 4 * 4
    assert sites["gelu#1"]["saturation"] is None and sites["act"]["grad_norm"] > 0
    assert [v["code"] for v in data["verdicts"]] == ["dead"]
    assert data["verdicts"][0]["message"] == "act: 2 of 4 ReLU units (50 %) never fired on 16 inputs — dead."


def test_chinese_verdicts_table_and_plot(cli, models: Path, tmp_path: Path) -> None:
    plot = tmp_path / "bars.png"
    r = cli("diagnose", "--model", f"{models}:make", "--input-shape", "8,3,4,4", "--lang", "zh", "--plot", str(plot))
    assert r.code == 0, r.err
    assert "4 个 ReLU 单元中有 2 个（50 %）" in "".join(r.out.split("\n"))  # rich may wrap long lines
    assert "act" in r.out and "gelu#1" in r.out and plot.stat().st_size > 0


def test_given_inputs_and_targets(cli, models: Path, tmp_path: Path) -> None:
    pt = tmp_path / "inputs.pt"
    torch.save((torch.randn(10, 3, 4, 4), torch.randn(10, 2)), pt)
    r = cli("diagnose", "--model", f"{models}:make", "--inputs", str(pt), "--json", "--no-backward")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["inputs"] == 10 and data["sites"][0]["grad_norm"] is None


def test_run_folder_saved_by_training(cli, tmp_path: Path) -> None:
    folder = rundir.save_run(training.train(training.TrainConfig(steps=30, hidden=[8, 8])), tmp_path / "run")
    r = cli("diagnose", str(folder), "--samples", "500", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["inputs"] == 500 and [s["name"] for s in data["sites"]] == ["act1", "act2"]
    assert [s["units"] for s in data["sites"]] == [8, 8] and isinstance(data["collapsed"], bool)


def test_born_dead_table(cli) -> None:
    r = cli("born-dead", "--width", "2,32", "--depth", "2,30", "--seeds", "5", "--json")
    assert r.code == 0, r.err
    cells = {(c["width"], c["depth"]): c["collapsed"] for c in json.loads(r.out)}
    assert cells[(32, 2)] == 0 and cells[(2, 30)] == 5
    r = cli("born-dead", "--width", "2", "--depth", "3", "--seeds", "2")
    assert r.code == 0 and "born-dead relu networks" in r.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "{m}:nope", "--input-shape", "4,3,4,4"], "no function 'nope' (it defines: Net, broken, linear"),
        (["--model", "{m}:make", "--input-shape", "4,3"], "Net rejected inputs of shape (4, 3)"),
        (["--model", "{m}:linear", "--input-shape", "4,4"], "Linear has no activation sites"),
        (["--model", "{d}/missing.py:make", "--input-shape", "4,4"], "no file"),
        (["--model", "{m}", "--input-shape", "4,4"], "write FILE.py:FACTORY"),
        (["--model", "{m}:broken", "--input-shape", "4,4"], "broken() failed: ValueError: no weights here"),
        (["--model", "{m}:not_a_model", "--input-shape", "4,4"], "returned int, not a torch.nn.Module"),
        (["--model", "{m}:make", "--input-shape", "4,x3"], "whole numbers"),
        (["--model", "{m}:make", "--input-shape", "0,3"], "at least 1"),
        (["--model", "{m}:make"], "either --input-shape"),
        (["--model", "{m}:make", "--inputs", "{d}/none.pt"], "--inputs: no file"),
        (["--model", "{m}:make", "--input-shape", "4,3,4,4", "--lang", "fr"], "use one of en, zh"),
        (["--model", "{m}:make", "--input-shape", "4,3,4,4", "--plot", "{d}/x.txt"], "ending in .png"),
        ([], "nothing to diagnose: give a run folder (actlab diagnose DIR) or --model FILE.py:FACTORY"),
        (
            ["{d}", "--model", "{m}:make"],
            "give either a run folder (actlab diagnose DIR) or --model FILE.py:FACTORY, not",
        ),
        (["{d}/nowhere"], "is not a folder"),
        (["--model", "{m}:make", "--input-shape", "4,,3"], "--input-shape '4,,3': an item is empty"),
        (["--model", "{m}:make", "--input-shape", "4,3,"], "--input-shape '4,3,': an item is empty"),
        (["--model", "{m}:make", "--input-shape", "4,3,4,4", "--seed", "-1"], "--seed -1 must be >= 0 (a seed)"),
        (["--model", "{m}:make", "--input-shape", "4,3,4,4", "--batch-size", "0"], "--batch-size 0 must be between 1"),
        (
            ["--model", "{m}:make", "--input-shape", "100000000000,3"],
            "--input-shape 100000000000,3 needs 300,000,000,000 float32 values (1.09 TiB), "
            "over the limit of 2 GiB (536,870,912 values): use a smaller shape",
        ),
        (["--model", "{m}:quits", "--input-shape", "4,4"], "--model: quits() called sys.exit(3) instead of returning"),
        (["--model", "{s}:make", "--input-shape", "4,4"], "called sys.exit(3); a model file must define make()"),
        (
            ["--model", "{m}:make", "--inputs", "{m}"],
            "is not a tensor file saved with torch.save: save the inputs with torch.save(x, 'inputs.pt'), "
            "or inputs and targets with torch.save((x, y), 'inputs.pt')",
        ),
    ],
)
def test_user_errors_are_one_line_and_exit_2(cli, models: Path, args: list[str], message: str) -> None:
    script = models.parent / "script.py"
    script.write_text(SCRIPT)
    r = cli("diagnose", *(a.format(m=models, d=models.parent, s=script) for a in args))
    assert r.code == 2
    assert r.err.startswith("actlab: error: ") and r.err.count("\n") == 1 and "Traceback" not in r.err
    assert message in r.err


def one_line_error(r) -> str:
    assert r.code == 2 and r.out == ""
    assert r.err.startswith("actlab: error: ") and r.err.count("\n") == 1 and "Traceback" not in r.err
    return r.err.removeprefix("actlab: error: ").strip()


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    return rundir.save_run(training.train(training.TrainConfig(steps=10, hidden=[8, 8])), tmp_path / "run")


def test_run_folder_errors_are_one_line(cli, run_folder: Path, tmp_path: Path) -> None:
    afile = tmp_path / "afile.txt"
    afile.write_text("not a folder")
    if tensorboard.available():
        r = cli("diagnose", str(run_folder), "--tensorboard", str(afile))
        assert one_line_error(r) == (
            f"cannot write TensorBoard logs to {afile}: it is a file; give a new or existing folder"
        )
    assert one_line_error(cli("diagnose", str(run_folder), "--seed", "-1")) == "--seed -1 must be >= 0 (a seed)"
    assert one_line_error(cli("diagnose", str(run_folder), "--batch-size", "111111111111111111111111111111")) == (
        "--batch-size 111111111111111111111111111111 must be between 1 and 100,000"
    )
    assert one_line_error(cli("diagnose", str(run_folder), "--samples", "10000000")) == (
        "--samples 10,000,000 is more than the limit of 100,000 inputs"
    )
    assert one_line_error(cli("diagnose", str(run_folder), "--samples", "100000000000")) == (
        "--samples 100,000,000,000 needs 300,000,000,000 float32 values (1.09 TiB), "
        "over the limit of 2 GiB (536,870,912 values): use fewer samples"
    )


def test_tensorboard_folder_gets_the_report(cli, run_folder: Path, tmp_path: Path) -> None:
    pytest.importorskip("torch.utils.tensorboard")
    logs = tmp_path / "logs" / "diagnose"  # missing folders are created
    r = cli("diagnose", str(run_folder), "--samples", "50", "--tensorboard", str(logs), "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["inputs"] == 50
    assert [p.name.startswith("events.out.tfevents") for p in logs.iterdir()] == [True]


def test_inputs_with_python_objects_or_mismatched_rows(cli, models: Path, tmp_path: Path) -> None:
    objects, rows = tmp_path / "objects.pt", tmp_path / "rows.pt"
    torch.save({"x": torch.randn(4, 3, 4, 4), "note": Path("somewhere")}, objects)
    torch.save((torch.randn(10, 3, 4, 4), torch.randn(9, 2)), rows)
    err = one_line_error(cli("diagnose", "--model", f"{models}:make", "--inputs", str(objects)))
    assert err.startswith(f"--inputs: {objects} holds Python objects other than tensors")
    err = one_line_error(cli("diagnose", "--model", f"{models}:make", "--inputs", str(rows)))
    assert err == (
        f"--inputs: the tensors in {rows} have shapes (10, 3, 4, 4), (9, 2); "
        "inputs and targets need the same first dimension (one row per example)"
    )


def test_chinese_table_has_no_english_labels(cli, models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from actlab.cli._common import console

    monkeypatch.setattr(console, "_width", 200)  # no wrapping inside the table's cells
    r = cli("diagnose", "--model", f"{models}:make", "--input-shape", "8,3,4,4", "--lang", "zh")
    assert r.code == 0, r.err
    text = "".join(r.out.split("\n"))
    words = (
        "位点",
        "类型",
        "单元数",
        "死亡",
        "稀疏度",
        "接近 0",
        "饱和",
        "输出 μ ± σ",
        "（函数调用）",
        "塌缩：否",
        "警告",
    )
    for word in words:
        assert word in text, word
    assert "make：8个输入上的2个激活位点" in "".join(text.split())  # the title may wrap
    assert "权重梯度范数 ‖∂L/∂W‖，从输入到输出：conv" in text
    for english in (
        "site",
        "kind",
        "units",
        "sparsity",
        "near 0",
        "saturated",
        "post",
        "collapsed",
        "gradient norm",
        "(fn)",
        "warning",
        "activation sites",
        "inputs",
    ):
        assert english not in text.replace(str(models), ""), english
    r = cli("diagnose", "--model", f"{models}:make", "--input-shape", "8,3,4,4")
    assert "collapsed: no" in r.out and "gelu#1 │ GELU (fn)" in r.out and " warning act: 2 of 4 ReLU" in r.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--width", "2,,3"],
            "--width '2,,3': an item is empty; write whole numbers separated by single commas, e.g. 2,3,4,8",
        ),
        (["--depth", ",5"], "--depth ',5': an item is empty"),
        (["--depth", "x"], "--depth 'x': write whole numbers separated by commas, e.g. 5,10,20,50"),
        (["--seeds", "0"], "--seeds 0 must be between 1 and 1,000,000"),
        (
            ["--width", "2,100000", "--depth", "3,50", "--seeds", "2"],
            "a born-dead network of width 100,000 and depth 50 needs 490,056,500,001 float32 values (1.78 TiB), "
            "over the limit of 2 GiB (536,870,912 values): use a smaller width or depth",
        ),
    ],
)
def test_born_dead_errors_are_one_line(cli, args: list[str], message: str) -> None:
    assert one_line_error(cli("born-dead", *args)).startswith(message)


HOSTILE = """
import torch
from torch import nn

print("hello from the model file")  # must not reach the JSON on stdout


class Stop(BaseException):
    pass


class Net(nn.Module):
    def __init__(self, fail=None):
        super().__init__()
        self.fc, self.act, self.fail = nn.Linear(4, 4), nn.ReLU(), fail

    def forward(self, x):
        print("forward says hi")
        if self.fail == "loop":
            while True:
                pass
        if self.fail is not None:
            raise self.fail
        return self.act(self.fc(x))


def chatty():
    print("making a model")
    return Net()


def loops():
    while True:
        pass


def loops_in_forward():
    return Net("loop")


def key_error():
    return Net(KeyError("missing"))


def custom_base_exception():
    return Net(Stop("stop right there"))


def interrupted():
    raise KeyboardInterrupt


def swallows_everything():
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
"""


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.py"
    path.write_text(HOSTILE)
    return path


def test_model_that_prints_keeps_the_json_clean(cli, hostile: Path) -> None:
    r = cli("diagnose", "--model", f"{hostile}:chatty", "--input-shape", "8,4", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)  # the model's prints went elsewhere (stderr)
    assert data["inputs"] == 8 and [s["name"] for s in data["sites"]] == ["act"]


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (
            "loops",
            "--model: loops() did not finish within the time limit of 1 s and was stopped; allow more with "
            "--timeout SECONDS",
        ),
        ("swallows_everything", "--model: swallows_everything() did not finish within the time limit of 1 s"),
        ("loops_in_forward", "--model: the passes of Net over the inputs did not finish within the time limit of 1 s"),
        ("key_error", "--model: Net failed on the inputs: KeyError: 'missing'"),
        ("custom_base_exception", "--model: Net failed on the inputs: Stop: stop right there"),
        ("interrupted", "--model: interrupted() failed: KeyboardInterrupt"),
    ],
)
def test_hostile_models_are_stopped_or_reported_in_one_line(cli, hostile: Path, factory: str, message: str) -> None:
    r = cli("diagnose", "--model", f"{hostile}:{factory}", "--input-shape", "8,4", "--timeout", "1", "--json")
    assert one_line_error(r).startswith(message)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input-shape", "8,4", "--timeout", "0"], "--timeout 0.0: give seconds > 0 and at most 604,800 (a week)"),
        (["--input-shape", "8,4", "--timeout", "nan"], "--timeout nan: give seconds > 0"),
        (
            ["--input-shape", "1000000,4"],
            "--input-shape 1000000,4: 1,000,000 inputs are more than the limit of "
            "100,000; use fewer (the first number)",
        ),
        (["--input-shape", "8,4", "--seed", "111111111111111111111111111111"], "--seed"),
        (["--input-shape", "8,4", "--batch-size", "111111111111111111111111111111"], "--batch-size 1111111111111"),
    ],
)
def test_user_model_limits(cli, hostile: Path, args: list[str], message: str) -> None:
    assert one_line_error(cli("diagnose", "--model", f"{hostile}:chatty", *args)).startswith(message)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--depth", "1000000"], "a born-dead network: 1,000,000 hidden layers are more than the limit of 1,000"),
        (
            ["--depth", "1000", "--seeds", "10000"],
            "a born-dead table of 10,000 seeds per cell builds 40,000,000 layers, more than the limit of 1,000,000",
        ),
        (
            ["--width", "4000", "--depth", "30", "--seeds", "1000"],
            "a born-dead table of 1,000 seeds per cell takes 1.19e+14 multiply-adds, more than the limit",
        ),
        (["--activation", "elu:alpha=1e308"], "elu: alpha='1e308' is beyond float32's ±3.4e+38"),
    ],
)
def test_born_dead_sizes_and_numbers_are_bounded(cli, args: list[str], message: str) -> None:
    assert one_line_error(cli("born-dead", *args)).startswith(message)


def test_spawned_child_as_on_a_gpu_machine(hostile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where CUDA is present the child is spawned, not forked: the same report, the same one-line errors."""
    from actlab.diagnostics import user_model

    monkeypatch.setattr(user_model, "start_method", lambda: "spawn")
    report = user_model.diagnose_user_model(f"{hostile}:chatty", input_shape=[8, 4], timeout=30)
    assert report.inputs == 8 and [s.name for s in report.sites] == ["act"]
    with pytest.raises(ActlabError, match="--model: Net failed on the inputs: KeyError: 'missing'"):
        user_model.diagnose_user_model(f"{hostile}:key_error", input_shape=[8, 4], timeout=30)
