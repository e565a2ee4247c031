"""The points a playground network learns from: an actlab task sampled once, or the user's own points,
split into a training and a test set, and the square the page shows them in.

Classification tasks are sampled in TF Playground's square [-6, 6]² (its users know that picture), with the
extrapolation box three times as wide, as ``actlab train`` has it; the arithmetic tasks keep their own
ranges ([-10, 10]² for a + b, extrapolation box [-100, 100]²). Every point comes from
``task.sample(POINTS, torch.Generator().manual_seed(seed), "train")``: the same seed gives the same points.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from actlab.errors import ActlabError
from actlab.nets.tasks import Task, get_task
from actlab.serve.limits import Limits
from actlab.serve.state import CLASSIFICATION, State

POINTS = 500  # TF Playground's size of a classification set
EXTRAP_FACTOR = 3.0  # classification: the extrapolation box is this many times the square, as in actlab.nets.tasks


@dataclass
class Dataset:
    """Training and test points (float32 ``(n, 2)``) with their targets, and the squares around them."""

    name: str
    kind: str  # "classification" or "regression"
    task: Task | None  # None for own data: no rule gives the truth
    train_x: Tensor
    train_y: Tensor  # (n,) int64 classes, or (n, 1) float32 values
    test_x: Tensor
    test_y: Tensor
    box: tuple[float, float]  # the training range, per input
    extrap: tuple[float, float]  # the extrapolation range, per input

    @property
    def out_features(self) -> int:
        return 2 if self.kind == "classification" else 1

    def view(self, which: str) -> tuple[float, float]:
        """The square the page shows: the training box, or the extrapolation box."""
        return self.extrap if which == "extrap" else self.box

    def describe(self) -> dict[str, object]:
        """The points and squares as plain JSON for the page (3 significant decimals are plenty on screen)."""

        def rows(x: Tensor, y: Tensor) -> list[list[float]]:
            values = y.float().reshape(-1, 1)
            return [[round(v, 3) for v in row] for row in torch.cat([x, values], dim=1).tolist()]

        return {
            "type": "data",
            "name": self.name,
            "kind": self.kind,
            "box": list(self.box),
            "extrap": list(self.extrap),
            "train": rows(self.train_x, self.train_y),
            "test": rows(self.test_x, self.test_y),
        }


def task_for(state: State, limits: Limits) -> Task | None:
    """The actlab task behind the state's dataset (None for own data)."""
    if state.data == "own":
        return None
    if state.data in CLASSIFICATION:
        low, high = limits.square
        return get_task(
            state.data,
            train_range=(low, high),
            noise=state.noise / 100,
            extrap_range=(low * EXTRAP_FACTOR, high * EXTRAP_FACTOR),
        )
    return get_task(state.data)


def build_dataset(state: State, limits: Limits) -> Dataset:
    """The points of ``state``: sampled from its task with its seed, or its own points; the first
    ``split`` % train, the rest test (the sample is in random order, so a prefix is a random subset)."""
    task = task_for(state, limits)
    if task is None:
        if not state.pts:
            x, y = torch.zeros(0, 2), torch.zeros(0, dtype=torch.int64)
        else:
            x = torch.tensor([p[:2] for p in state.pts], dtype=torch.float32)
            y = torch.tensor([p[2] for p in state.pts], dtype=torch.int64)
            order = torch.randperm(len(x), generator=torch.Generator().manual_seed(state.seed))
            x, y = x[order], y[order]
        box = limits.square
        extrap = (box[0] * EXTRAP_FACTOR, box[1] * EXTRAP_FACTOR)
        kind = "classification"
    else:
        x, y = task.sample(POINTS, torch.Generator().manual_seed(state.seed), "train")
        box, extrap, kind = task.train_range, task.extrap_range, task.kind
    n_train = round(len(x) * state.split / 100)
    if len(x) and n_train == 0:
        n_train = 1
    return Dataset(state.data, kind, task, x[:n_train], y[:n_train], x[n_train:], y[n_train:], box, extrap)


def require_points(data: Dataset) -> None:
    """Refuse to train without training points (own data before any point was added)."""
    if len(data.train_x) == 0:
        raise ActlabError("there are no training points yet: click on the square to add some, or upload a CSV")
