"""Sweep files: the grid they expand to, the work units, and one-line errors that name the line."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from actlab.errors import ActlabError
from actlab.experiments.executor import MAX_RUNS, plan_units
from actlab.experiments.sweep import load, parse

GOOD = """\
label = "demo"

[grid]
tasks = ["add", "sub"]
activations = [
    "relu",
    "leaky_relu:negative_slope=0.1",
]
depths = [1, 2]
widths = [8]
lrs = [0.003, 0.01]
seeds = 3

[train]
steps = 20
batch_size = 16
"""


def test_grid_expands_to_every_combination() -> None:
    sweep = parse(GOOD)
    configs = sweep.expand()
    assert sweep.size == len(configs) == 2 * 2 * 2 * 1 * 1 * 2 * 3
    assert sweep.label == "demo"
    assert {c.task for c in configs} == {"add", "sub"}
    assert {tuple(c.hidden) for c in configs} == {(8,), (8, 8)}
    assert {c.init for c in configs} == {"default"}  # an axis left out keeps TrainConfig's default
    assert {(c.steps, c.batch_size) for c in configs} == {(20, 16)}
    assert [c.seed for c in configs[:4]] == [0, 1, 2, 0]  # seeds innermost


def test_units_group_configs_of_one_shape() -> None:
    configs = parse(GOOD).expand()
    units = plan_units(configs)
    assert len(units) == 4  # task x depth; activation, lr and seed vary inside a unit
    assert sorted(len(u.configs) for u in units) == [12, 12, 12, 12]
    for unit in units:
        assert len({(c.task, tuple(c.hidden)) for c in unit.configs}) == 1
    small = plan_units(configs, max_unit=5)
    assert sorted(len(u.configs) for u in small) == [2, 2, 2, 2, 5, 5, 5, 5, 5, 5, 5, 5]
    assert sum(len(u.configs) for u in small) == len(configs)


def test_seed_lists_and_single_values() -> None:
    sweep = parse('[grid]\nactivations = "tanh"\nseeds = [4, 1]\n')
    assert sweep.activations == ["tanh"] and sweep.seeds == [4, 1]
    assert [(c.activation, c.seed) for c in sweep.configs()] == [("tanh", 4), ("tanh", 1)]


def test_a_huge_grid_is_refused_before_anything_is_built() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ActlabError) as err:
            parse('[grid]\nactivations = ["relu", "tanh"]\nseeds = 100000000\n', "huge.toml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(err.value) == (
        "huge.toml, line 3: the grid (2 activations x 100,000,000 seeds) is 200,000,000 runs, more than the "
        "limit of 100,000 for one request; use fewer seeds or values, or split it into several requests that "
        "share a --db"
    )
    assert peak < 5 * 2**20  # no list of 10**8 seeds (that alone would be 800 MB)


def test_the_largest_allowed_grid_is_counted_without_expanding_it() -> None:
    assert MAX_RUNS == 100_000
    sweep = parse(f'[grid]\nactivations = ["relu", "tanh"]\nseeds = {MAX_RUNS // 2}\n')
    assert sweep.size == MAX_RUNS
    first = next(sweep.configs())
    assert (first.activation, first.seed) == ("relu", 0)
    with pytest.raises(ActlabError, match="100,002 runs, more than the limit of 100,000"):
        parse(f'[grid]\nactivations = ["relu", "tanh"]\nseeds = {MAX_RUNS // 2 + 1}\n')


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("seeds = 3", "seeds = 0"), 12, "seeds = 0: give a count > 0"),
        (("seeds = 3", "seeds = -2"), 12, "seeds = -2: give a count > 0"),
        (("seeds = 3", "seeds = [1, -1]"), 12, "seed -1 must be a whole number >= 0"),
        (("seeds = 3", "seeds = []"), 12, "seeds is empty"),
        (("widths = [8]", "widths = []"), 10, "widths is empty: the grid would have no runs"),
        (('"leaky_relu:negative_slope=0.1"', '"rleu"'), 7, "unknown activation 'rleu': did you mean relu"),
        (('tasks = ["add", "sub"]', 'tasks = ["add", "subb"]'), 4, "unknown task 'subb'"),
        (("depths = [1, 2]", "depths = [1, 0]"), 9, "0 must be a whole number > 0"),
        (("lrs = [0.003, 0.01]", "lr = [0.003]"), 11, "unknown grid key 'lr'; did you mean lrs"),
        (('label = "demo"', 'lable = "demo"'), 1, "unknown key 'lable'; did you mean label"),
        (("steps = 20", "step = 20"), 15, "unknown training option 'step'; did you mean steps"),
        (("steps = 20", "steps = -5"), 15, "steps must be >= 1"),
        (("batch_size = 16", "seed = 4"), 16, "seed belongs in [grid] (as seeds)"),
        (("seeds = 3", "seeds = [0, 0, 1]"), 12, "seed 0 is listed twice; list each seed once"),
        (("widths = [8]", "widths = [8, 16, 8]"), 10, "widths: 8 is listed twice; list each value once"),
        (("lrs = [0.003, 0.01]", "lrs = [0.01, 0.01]"), 11, "lrs: 0.01 is listed twice"),
        (('"leaky_relu:negative_slope=0.1"', '"relu"'), 6, "activations: 'relu' is listed twice"),
    ],
)
def test_bad_sweep_files_name_the_line(change: tuple[str, str], line: int, message: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(ActlabError) as err:
        parse(GOOD.replace(old, new), "my.toml")
    text = str(err.value)
    assert text.startswith(f"my.toml, line {line}: "), text
    assert message in text
    assert "\n" not in text


def test_missing_grid_seeds_toml_and_file() -> None:
    with pytest.raises(ActlabError, match="no \\[grid\\] table"):
        parse("label = 'x'\n")
    with pytest.raises(ActlabError, match="needs seeds"):
        parse("[grid]\nactivations = ['relu']\n")
    with pytest.raises(ActlabError, match=r"not valid TOML.*line 2"):
        parse("[grid]\nseeds = = 3\n")
    with pytest.raises(ActlabError, match="does not exist"):
        load(Path("/nonexistent/sweep.toml"))
