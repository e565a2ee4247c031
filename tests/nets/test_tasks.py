"""Tasks: shapes, exact targets, regions that respect their boxes, determinism, overrides and errors."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from actlab.errors import ActlabError
from actlab.nets.tasks import TASKS, get_task


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("name", list(TASKS))
@pytest.mark.parametrize("region", ["train", "interp", "extrap"])
def test_shapes_and_types(name: str, region: str) -> None:
    task = get_task(name)
    x, y = task.sample(300, gen(), region)
    assert x.shape == (300, task.in_features) and x.dtype == torch.float32
    if task.kind == "regression":
        assert y.shape == (300, 1) and y.dtype == torch.float32
    else:
        assert y.shape == (300,) and y.dtype == torch.int64 and set(y.tolist()) <= {0, 1}
    assert torch.isfinite(x).all() and torch.isfinite(y.float()).all()


def test_arithmetic_targets_are_exact() -> None:
    x, y = get_task("add").sample(500, gen())
    assert torch.equal(y[:, 0], x[:, 0] + x[:, 1])
    x, y = get_task("sub").sample(500, gen())
    assert torch.equal(y[:, 0], x[:, 0] - x[:, 1])
    x = torch.tensor([[6.0, 3.0], [-2.0, 7.0]])
    assert get_task("mul").targets(x)[:, 0].tolist() == [18.0, -14.0]
    assert get_task("div").targets(x)[:, 0].tolist() == pytest.approx([2.0, -2.0 / 7.0])
    assert get_task("max").targets(x)[:, 0].tolist() == [6.0, 7.0]
    assert get_task("square").targets(torch.tensor([[-3.0]])).item() == 9.0
    assert get_task("sqrt").targets(torch.tensor([[16.0]])).item() == 4.0


@pytest.mark.parametrize("name", list(TASKS))
def test_regions_respect_their_boxes(name: str) -> None:
    task = get_task(name)
    low, high = task.train_range
    elow, ehigh = task.extrap_range
    x, _ = task.sample(2000, gen(1), "extrap")
    assert ((x >= elow) & (x <= ehigh)).all()
    assert ((x < low) | (x > high)).any(dim=1).all(), "an extrapolation point fell inside the training box"
    if task.kind == "regression":
        x, _ = task.sample(2000, gen(1), "train")
        assert ((x >= low) & (x <= high)).all()


def test_same_generator_same_data_and_regions_differ() -> None:
    task = get_task("add")
    a = task.sample(64, gen(5))
    b = task.sample(64, gen(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(task.sample(64, gen(6))[0], a[0])


def test_integer_inputs_are_whole_numbers() -> None:
    task = get_task("add", integer=True)
    x, y = task.sample(500, gen())
    assert torch.equal(x, x.round()) and torch.equal(y, y.round())
    assert x.min() >= -10 and x.max() <= 10
    x, _ = get_task("add").sample(500, gen(), "extrap", integer=True)
    assert torch.equal(x, x.round())


@pytest.mark.parametrize("name", ["xor", "circle", "spiral", "moons"])
def test_noise_free_clouds_follow_the_rule(name: str) -> None:
    task = get_task(name, noise=0.0)
    x, y = task.sample(2000, gen())
    assert torch.equal(task.targets(x), y)
    assert 0.4 < y.float().mean().item() < 0.6  # balanced classes


def test_gauss_blobs_are_mostly_on_their_side() -> None:
    task = get_task("gauss", noise=0.0)
    x, y = task.sample(4000, gen())
    assert (task.targets(x) == y).float().mean().item() > 0.97


def test_noise_moves_points_but_not_labels() -> None:
    clean = get_task("circle", noise=0.0).sample(500, gen(3))
    noisy = get_task("circle", noise=0.1).sample(500, gen(3))
    assert torch.equal(clean[1], noisy[1])
    shift = (noisy[0] - clean[0]).std().item()
    assert shift == pytest.approx(0.1, rel=0.15)  # noise 0.1 box half-widths, h = 1


def test_overrides_move_the_ranges() -> None:
    task = get_task("add", train_range=(0, 100), extrap_range=(-1000, 1000))
    x, _ = task.sample(1000, gen())
    assert x.min() >= 0 and x.max() <= 100 and x.max() > 90
    assert task.train_range == (0.0, 100.0)
    assert get_task("add", train_range=None).train_range == (-10.0, 10.0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"train_range": (5, 5)}, "low < high"),
        ({"train_range": (10, -10)}, "low < high"),
        ({"extrap_range": (-5, 5)}, "must reach outside"),
        ({"train_range": (0, math.inf)}, "finite"),
        ({"train_range": ("a", 1)}, "two numbers"),
        ({"noise": -0.1}, "noise"),
        ({"colour": "red"}, "no option 'colour'"),
    ],
)
def test_bad_options(overrides: dict, message: str) -> None:
    with pytest.raises(ActlabError, match=message):
        get_task("add", **overrides)


@pytest.mark.parametrize(
    ("name", "overrides", "message"),
    [
        (
            "sqrt",
            {"train_range": (-5, 5)},
            r"sqrt: its inputs must be >= 0, but the training range \[-5, 5\] reaches below 0; give a range from 0 up, "
            r"e.g. \[0, 5\]",
        ),
        ("sqrt", {"extrap_range": (-1, 100)}, r"extrapolation range \[-1, 100\] reaches below 0.*e.g. \[0, 100\]"),
        ("sqrt", {"train_range": (-5, -1)}, r"e.g. \[0, 10\]"),
        (
            "div",
            {"train_range": (-5, 5)},
            r"div: the divisor b must stay away from 0, but the training range \[-5, 5\] includes 0; give a range on "
            r"one side of 0, e.g. \[1, 5\]",
        ),
        ("div", {"train_range": (0, 10)}, r"training range \[0, 10\] includes 0.*e.g. \[1, 10\]"),
        ("div", {"train_range": (-10, 0), "extrap_range": (-100, -1)}, r"includes 0.*e.g. \[-10, -1\]"),
        ("div", {"extrap_range": (-100, 100)}, r"extrapolation range \[-100, 100\] includes 0.*e.g. \[1, 100\]"),
    ],
)
def test_ranges_outside_the_rules_domain_are_refused(name: str, overrides: dict, message: str) -> None:
    with pytest.raises(ActlabError, match=message):
        get_task(name, **overrides)


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("sqrt", {"train_range": (0, 5), "extrap_range": (0, 50)}),
        ("div", {"train_range": (0.5, 5), "extrap_range": (0.5, 50)}),
        ("div", {"train_range": (-10, -1), "extrap_range": (-100, -1)}),
    ],
)
def test_ranges_inside_the_domain_give_finite_targets(name: str, overrides: dict) -> None:
    task = get_task(name, **overrides)
    for region, box in (("train", "train_range"), ("extrap", "extrap_range")):
        x, y = task.sample(500, gen(), region)  # type: ignore[arg-type]
        assert bool(torch.isfinite(y).all())
        assert x.min() >= overrides[box][0] and x.max() <= overrides[box][1]


def test_unknown_task_suggests() -> None:
    with pytest.raises(ActlabError, match=r"unknown task 'ad'.*add"):
        get_task("ad")


@settings(max_examples=40, deadline=None)
@given(
    low=st.floats(-1e4, 1e4, allow_nan=False),
    width=st.floats(0.5, 1e4),
    seed=st.integers(0, 2**31),
)
def test_any_box_is_respected(low: float, width: float, seed: int) -> None:
    task = get_task("sub", train_range=(low, low + width), extrap_range=(low - width, low + 2 * width))
    x, y = task.sample(200, gen(seed))
    assert (x >= low).all() and (x <= low + width).all()
    assert torch.equal(y[:, 0], x[:, 0] - x[:, 1])
    xe, _ = task.sample(200, gen(seed), "extrap")
    assert ((xe < low) | (xe > low + width)).any(dim=1).all()
