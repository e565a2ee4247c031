"""``actlab diagnose``'s library side: a run folder's data and loss, and the checks of the arguments."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from actlab.errors import ActlabError
from actlab.training.config import TrainConfig
from actlab.training.diagnose_run import diagnose_run, diagnose_target, run_data
from actlab.training.loop import train
from actlab.training.rundir import load_run, save_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_run(train(TrainConfig(task="add", steps=20, hidden=[4], seed=1)), tmp_path_factory.mktemp("d") / "r")


def test_run_data_draws_the_training_distribution_with_its_targets(run_dir: Path) -> None:
    model, data, loss = run_data(run_dir, 10, seed=3)
    x, y = data.tensors
    assert x.shape == (10, 2) and y.shape == (10, 1)
    assert torch.equal(y, x[:, :1] + x[:, 1:])  # add: the targets are the sums
    assert ((x >= -10) & (x <= 10)).all()  # the task's default training box
    assert loss is F.mse_loss
    again = run_data(run_dir, 10, seed=3)[1].tensors[0]
    assert torch.equal(x, again) and not torch.equal(x, run_data(run_dir, 10, seed=4)[1].tensors[0])
    saved = load_run(run_dir).model.state_dict()
    assert all(torch.equal(value, saved[key]) for key, value in model.state_dict().items())


def test_run_data_refuses_too_few_and_too_many_samples(run_dir: Path) -> None:
    with pytest.raises(ActlabError, match=r"^--samples 1 must be at least 2$"):
        run_data(run_dir, 1, seed=0)
    with pytest.raises(ActlabError, match=r"--samples 10,000,000,000"):
        run_data(run_dir, 10**10, seed=0)


def test_diagnose_target_of_a_run_is_diagnose_run_and_names_the_folder(run_dir: Path) -> None:
    report, what = diagnose_target(run_dir, samples=64, batch_size=32, seed=0)
    assert what == str(run_dir)
    assert report.inputs == 64
    assert report.to_dict() == diagnose_run(run_dir, samples=64, batch_size=32, seed=0).to_dict()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "nothing to diagnose: give a run folder"),
        ({"run_dir": Path("r"), "model": "m.py:f"}, "give either a run folder .* not both"),
        ({"run_dir": Path("r"), "input_shape": [2, 2]}, "--input-shape and --inputs go with --model"),
        ({"model": "m.py:f", "lang": "fr"}, "fr"),
        ({"model": "m.py:f", "seed": -1}, "--seed -1"),
        ({"model": "m.py:f", "batch_size": 0}, "--batch-size 0 must be between 1"),
    ],
)
def test_diagnose_target_refuses_bad_arguments_before_any_work(kwargs: dict, message: str) -> None:
    with pytest.raises(ActlabError, match=message):
        diagnose_target(**kwargs)
