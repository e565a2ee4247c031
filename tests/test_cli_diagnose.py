"""``actlab diagnose`` and ``actlab born-dead`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

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
    rundir = pytest.importorskip("actlab.rundir")
    training = pytest.importorskip("actlab.training")
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
        (["--model", "{m}:make", "--input-shape", "4,3,4,4", "--lang", "fr"], "choose en or zh"),
        (["--model", "{m}:make", "--input-shape", "4,3,4,4", "--plot", "{d}/x.txt"], "ending in .png"),
        ([], "give either a run folder"),
        (["{d}/nowhere"], "is not a folder"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(cli, models: Path, args: list[str], message: str) -> None:
    r = cli("diagnose", *(a.format(m=models, d=models.parent) for a in args))
    assert r.code == 2
    assert r.err.startswith("actlab: error: ") and r.err.count("\n") == 1 and "Traceback" not in r.err
    assert message in r.err
