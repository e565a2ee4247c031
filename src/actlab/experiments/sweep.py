"""Sweep files: a TOML grid over tasks, activations, depths, widths, inits, learning rates and seeds.

A sweep file::

    label = "relu-vs-rest"       # optional: stored with every run, `actlab runs list --label` finds them

    [grid]                       # every combination is one run; each key is optional but seeds
    tasks = ["add", "sub"]       # default: TrainConfig's ("add")
    activations = ["relu", "tanh", "leaky_relu:negative_slope=0.1"]
    depths = [1, 2]              # hidden layers, each of the same width
    widths = [16, 32]
    inits = ["default", "he"]
    lrs = [0.003, 0.01]
    seeds = 5                    # seeds 0..4, or a list such as [0, 1, 7]

    [train]                      # the same for every run: any other TrainConfig field
    steps = 1000
    batch_size = 128

Unknown keys or values, an empty list, a value listed twice in one list and ``seeds <= 0`` are
:class:`~actlab.errors.ActlabError` with the file's line number. A grid of more than
:data:`~actlab.experiments.executor.MAX_RUNS` (100,000) runs is refused before any config is built. :func:`expand`
(or :meth:`Sweep.configs`, one at a time) turns the grid into configs (validated by :class:`TrainConfig`);
:func:`actlab.experiments.executor.plan_missing` groups them into work units for the vectorized trainer.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actlab.catalog.modules import get
from actlab.errors import ActlabError, closest
from actlab.experiments.executor import MAX_RUNS, check_run_count
from actlab.nets.init import check_scheme
from actlab.nets.tasks import get_task
from actlab.training.config import TrainConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 needs the tomli backport
    import tomli as tomllib

GRID_KEYS = ("tasks", "activations", "depths", "widths", "inits", "lrs", "seeds")
GRID_FIELDS = {"task", "activation", "hidden", "init", "lr", "seed"}  # TrainConfig fields the grid sets
TOP_KEYS = ("label", "grid", "train")


@dataclass(frozen=True)
class Sweep:
    """A parsed sweep file: the grid's axes and the fixed training options."""

    tasks: list[str]
    activations: list[str]
    depths: list[int]
    widths: list[int]
    inits: list[str]
    lrs: list[float]
    seeds: list[int]
    train: dict[str, Any] = field(default_factory=dict)
    label: str | None = None

    @property
    def size(self) -> int:
        return math.prod(len(getattr(self, k)) for k in GRID_KEYS)

    def configs(self) -> Iterator[TrainConfig]:
        """Every combination as a validated :class:`TrainConfig`, seeds innermost, one at a time."""
        for task, act, depth, width, init, lr, seed in itertools.product(
            self.tasks, self.activations, self.depths, self.widths, self.inits, self.lrs, self.seeds
        ):
            yield TrainConfig(
                task=task, activation=act, hidden=[width] * depth, init=init, lr=lr, seed=seed, **self.train
            )

    def expand(self) -> list[TrainConfig]:
        """Every combination as a validated :class:`TrainConfig`, seeds innermost."""
        return list(self.configs())


def load(path: Path) -> Sweep:
    """Read and check a sweep file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ActlabError(f"sweep file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ActlabError(f"cannot read sweep file {path}: {err}") from None
    return parse(text, str(path))


def parse(text: str, name: str = "sweep file") -> Sweep:
    """Parse sweep TOML ``text``; errors name ``name`` and the line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ActlabError(f"{name}: not valid TOML: {err}") from None
    where = _Locator(text, name)
    for key in data:
        if key not in TOP_KEYS:
            raise where.error(None, key, f"unknown key {key!r}{_hint(key, TOP_KEYS)}")
    grid = data.get("grid")
    if not isinstance(grid, dict):
        raise ActlabError(f"{name}: no [grid] table; add one with at least `seeds = 3`")
    train = data.get("train", {})
    if not isinstance(train, dict):
        raise where.error(None, "train", "train must be a table: [train] with lines such as steps = 1000")
    label = data.get("label")
    if label is not None and not isinstance(label, str):
        raise where.error(None, "label", f"label must be a string, got {label!r}")
    for key in grid:
        if key not in GRID_KEYS:
            raise where.error("grid", key, f"unknown grid key {key!r}{_hint(key, GRID_KEYS)}")
    if "seeds" not in grid:
        raise ActlabError(f"{name}: the [grid] table needs seeds, e.g. `seeds = 3` (seeds 0, 1, 2)")
    defaults = TrainConfig()
    axes = {
        "tasks": _axis(grid, "tasks", [defaults.task], _task, where),
        "activations": _axis(grid, "activations", [defaults.activation], _activation, where),
        "depths": _axis(grid, "depths", [len(defaults.hidden)], _depth, where),
        "widths": _axis(grid, "widths", [defaults.hidden[0]], _positive_int, where),
        "inits": _axis(grid, "inits", [defaults.init], _init, where),
        "lrs": _axis(grid, "lrs", [defaults.lr], _positive_float, where),
    }
    seeds = grid["seeds"]
    count = len(seeds) if isinstance(seeds, list) else seeds if isinstance(seeds, int) else 0
    size = math.prod(len(values) for values in axes.values()) * count
    if size > MAX_RUNS:  # before a list of 10**8 seeds, or of configs, is built
        shape = " x ".join(f"{len(values)} {key}" for key, values in axes.items() if len(values) > 1)
        try:
            check_run_count(size, f"the grid ({shape + ' x ' if shape else ''}{count:,} seeds)")
        except ActlabError as err:
            raise where.error("grid", "seeds", str(err)) from None
    axes["seeds"] = _seeds(seeds, where)
    return Sweep(**axes, train=_train(train, where), label=label)


# --- checks -----------------------------------------------------------------------------------------------


def _axis(grid: dict[str, Any], key: str, default: list[Any], check: Any, where: _Locator) -> list[Any]:
    if key not in grid:
        return default
    values = grid[key] if isinstance(grid[key], list) else [grid[key]]
    if not values:
        raise where.error("grid", key, f"{key} is empty: the grid would have no runs; give at least one value")
    checked: list[Any] = []
    for value in values:
        try:
            item = check(value)
        except ActlabError as err:
            raise where.error("grid", key, f"{key}: {err}", value) from None
        if item in checked:
            raise where.error("grid", key, f"{key}: {value!r} is listed twice; list each value once", value)
        checked.append(item)
    return checked


def _seeds(value: Any, where: _Locator) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise where.error("grid", "seeds", f"seeds = {value}: give a count > 0 (seeds 0..n-1) or a list of seeds")
        return list(range(value))
    if isinstance(value, list):
        if not value:
            raise where.error("grid", "seeds", "seeds is empty: the grid would have no runs; give a count > 0")
        seen: set[int] = set()
        for seed in value:
            if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
                raise where.error("grid", "seeds", f"seed {seed!r} must be a whole number >= 0", seed)
            if seed in seen:
                raise where.error("grid", "seeds", f"seed {seed} is listed twice; list each seed once", seed)
            seen.add(seed)
        return list(value)
    raise where.error("grid", "seeds", f"seeds must be a count or a list of whole numbers, got {value!r}")


def _train(table: dict[str, Any], where: _Locator) -> dict[str, Any]:
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    for key, value in table.items():
        if key in GRID_FIELDS:
            axis = {
                "task": "tasks",
                "activation": "activations",
                "hidden": "depths and widths",
                "init": "inits",
                "lr": "lrs",
                "seed": "seeds",
            }[key]
            raise where.error("train", key, f"{key} belongs in [grid] (as {axis}), not in [train]")
        if key not in fields:
            raise where.error("train", key, f"unknown training option {key!r}{_hint(key, fields - GRID_FIELDS)}")
        try:
            TrainConfig(**{key: value})
        except ActlabError as err:
            raise where.error("train", key, str(err)) from None
        except TypeError as err:
            raise where.error("train", key, f"{key}: {err}") from None
    return dict(table)


def _task(value: Any) -> str:
    return get_task(_text(value, "task")).name


def _activation(value: Any) -> str:
    get(_text(value, "activation"))
    return str(value)


def _init(value: Any) -> str:
    return check_scheme(_text(value, "init scheme"))


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ActlabError(f"{what} {value!r} must be a string in quotes")
    return value


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ActlabError(f"{value!r} must be a whole number > 0")
    return value


def _depth(value: Any) -> int:
    """A number of hidden layers, checked before ``[width] * depth`` is built."""
    from actlab.util.bounds import check_depth

    check_depth("a depth", _positive_int(value))
    return int(value)


def _positive_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ActlabError(f"{value!r} must be a number > 0")
    return float(value)


def _hint(word: str, choices: Any) -> str:
    near = closest(word, choices)
    return f"; did you mean {', '.join(near)}?" if near else f"; allowed: {', '.join(sorted(choices))}"


class _Locator:
    """Finds the line of a key (in a table) or of one of its values in the file's text, for messages."""

    def __init__(self, text: str, name: str) -> None:
        self.lines, self.name = text.splitlines(), name

    def line(self, table: str | None, key: str, value: Any = None) -> int | None:
        current: str | None = None
        start = None
        for number, raw in enumerate(self.lines, start=1):
            line = raw.split("#", 1)[0].strip()
            header = re.fullmatch(r"\[\s*([A-Za-z0-9_.-]+)\s*\]", line)
            if header:
                if start is not None:
                    break
                current = header.group(1)
                continue
            if start is None:
                if current == table and re.match(rf"{re.escape(key)}\s*=", line):
                    start = number
                    if value is None or self._holds(raw, value):
                        return number
            elif re.match(r"[A-Za-z0-9_\"'-]+\s*=", line):
                break
            elif self._holds(raw, value):
                return number
        return start

    @staticmethod
    def _holds(raw: str, value: Any) -> bool:
        text = raw.split("=", 1)[-1]
        literal = f'"{value}"' if isinstance(value, str) else str(value)
        return literal in text or (isinstance(value, str) and f"'{value}'" in text)

    def error(self, table: str | None, key: str, message: str, value: Any = None) -> ActlabError:
        number = self.line(table, key, value)
        place = f"{self.name}, line {number}" if number else self.name
        return ActlabError(f"{place}: {message}")
