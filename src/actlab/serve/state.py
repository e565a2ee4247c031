"""The playground's one state object: every setting of the page, validated here at the edge.

The page keeps the whole experiment in one object, writes it to the URL hash and sends it to the server
whole; a link therefore reproduces the experiment. This module is the one place that says which keys exist,
their defaults, and what values they may take: :func:`parse_state` checks a dict from the page, and
:func:`schema` describes the same rules to the page (which builds its URL parsing and controls from it).

Keys (URL hash ``#data=xor&layers=4,2&act=tanh,tanh&lr=0.03&...``):

=========  ==========================================================  ===========================
key        meaning                                                     values
=========  ==========================================================  ===========================
data       the dataset: an actlab task with two inputs, or ``own``     see :data:`DATASETS`
feat       input features fed to the network                           subset of FEATURES, >= 1
layers     hidden layer widths                                         0-6 layers of 1-8 neurons
act        activation of each hidden layer (catalog names)             one per layer
cmp        compare mode: the second network's activation, or ``""``     a catalog name or ""
opt        optimizer                                                   adam, sgd
lr         learning rate                                               0 < lr <= 10
batch      batch size                                                  1-30
noise      input noise of the classification sets, % of half-width    0-50
split      share of the points used for training, %                   10-90
reg        regularisation                                              none, l1, l2
rate       regularisation rate                                         0-10
seed       data, initial weights and batch order                       0 to 2**31 - 1
view       the square shown: the training box or the extrapolation box  train, extrap
test       show the test points                                        bool (page only)
disc       discretize the output heatmap                               bool (page only)
lang       the page's language                                         en, zh (page only)
pts        own data: points [x1, x2, class]                            <= 500 in the data square
=========  ==========================================================  ===========================
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from actlab.catalog.entries import lookup
from actlab.errors import ActlabError
from actlab.serve.features import FEATURES
from actlab.serve.limits import Limits

CLASSIFICATION = ("circle", "xor", "gauss", "spiral", "moons")  # TF Playground's four, and moons
ARITHMETIC = ("add", "sub", "mul", "div", "max")  # the lesson's tasks; add (a plane) and mul (a saddle)
DATASETS = (*CLASSIFICATION, *ARITHMETIC, "own")  # "own": points the user uploads or clicks
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # the page's menu
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
MAX_LR = 10.0
MAX_RATE = 10.0
MAX_SEED = 2**31 - 1
CLASSES = (0, 1)


class StateError(ActlabError):
    """A bad value for one key of the state; ``key`` names it, so the page can point at the control."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class State:
    """Every setting of the page. Defaults: TF Playground's opening experiment (circle, 4-2 tanh, lr 0.03,
    batch 10), trained with Adam, actlab's default optimizer, which copes with every task's input scale."""

    data: str = "circle"
    feat: tuple[str, ...] = ("x1", "x2")  # raw coordinates: the network can be exported as a run folder
    layers: tuple[int, ...] = (4, 2)
    act: tuple[str, ...] = ("tanh", "tanh")
    cmp: str = ""  # "" = one network; a name = a second network with this activation, same data and seed
    opt: str = "adam"
    lr: float = 0.03
    batch: int = 10
    noise: int = 0
    split: int = 50
    reg: str = "none"
    rate: float = 0.0
    seed: int = 0
    view: str = "train"
    test: bool = False
    disc: bool = False
    lang: str = "en"
    pts: tuple[tuple[float, float, int], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (tuples as lists), the form the page and the URL use."""
        data = asdict(self)
        return {
            k: [list(p) for p in v] if k == "pts" else list(v) if isinstance(v, tuple) else v for k, v in data.items()
        }

    def with_(self, **changes: Any) -> State:
        return replace(self, **changes)


# --- one checker per key: (value, limits) -> the value in its type, or ActlabError -------------------------


def _choice(key: str, options: tuple[str, ...]) -> Callable[[Any, Limits], str]:
    def check(value: Any, limits: Limits) -> str:
        if not isinstance(value, str) or value not in options:
            raise ActlabError(f"{key}: {value!r} is not one of {', '.join(options)}")
        return value

    return check


def _int(key: str, low: int, high: int | Callable[[Limits], int]) -> Callable[[Any, Limits], int]:
    def check(value: Any, limits: Limits) -> int:
        top = high(limits) if callable(high) else high
        number = _whole(key, value)
        if not low <= number <= top:
            raise ActlabError(f"{key} must be a whole number from {low} to {top}, got {number}")
        return number

    return check


def _number(key: str, low: float, high: float, open_low: bool) -> Callable[[Any, Limits], float]:
    def check(value: Any, limits: Limits) -> float:
        number = _finite(key, value)
        if number > high or number < low or (open_low and number == low):
            bracket = "(" if open_low else "["
            raise ActlabError(f"{key} must be a number in {bracket}{low:g}, {high:g}], got {number:g}")
        return number

    return check


def _bool(key: str) -> Callable[[Any, Limits], bool]:
    def check(value: Any, limits: Limits) -> bool:
        if not isinstance(value, bool):
            raise ActlabError(f"{key} must be true or false, got {value!r}")
        return value

    return check


def _features(value: Any, limits: Limits) -> tuple[str, ...]:
    items = _list("feat", value, len(FEATURES))
    unknown = [v for v in items if v not in FEATURES]
    if unknown:
        raise ActlabError(f"feat: unknown feature {unknown[0]!r}; features are {', '.join(FEATURES)}")
    if not items:
        raise ActlabError("feat: choose at least one input feature, e.g. x1,x2")
    return tuple(name for name in FEATURES if name in items)  # one order everywhere: the table's


def _layers(value: Any, limits: Limits) -> tuple[int, ...]:
    items = _list("layers", value, limits.max_layers)
    widths = tuple(_whole("layers", w) for w in items)
    for w in widths:
        if not 1 <= w <= limits.max_width:
            raise ActlabError(f"layers: a hidden layer has 1 to {limits.max_width} neurons, got {w}")
    return widths


def _activations(value: Any, limits: Limits) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else _list("act", value, limits.max_layers)
    return tuple(_activation("act", v) for v in items)


def _compare(value: Any, limits: Limits) -> str:
    return "" if value == "" else _activation("cmp", value)


def _activation(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ActlabError(f"{key}: an activation is a catalog name such as 'relu', got {value!r}")
    try:
        return lookup(value).name
    except ActlabError as err:
        raise ActlabError(f"{key}: {err}") from None


def _points(value: Any, limits: Limits) -> tuple[tuple[float, float, int], ...]:
    items = _list("pts", value, limits.max_points, what="points")
    low, high = limits.square
    points = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, list | tuple) or len(item) != 3:
            raise ActlabError(f"pts: point {i} must be [x1, x2, class], got {item!r}")
        x1, x2 = (_finite(f"pts: point {i}", v) for v in item[:2])
        if not (low <= x1 <= high and low <= x2 <= high):
            raise ActlabError(f"pts: point {i} ({x1:g}, {x2:g}) is outside the square [{low:g}, {high:g}]²")
        label = item[2]
        if isinstance(label, bool) or label not in CLASSES:
            raise ActlabError(f"pts: point {i} has class {label!r}; a class is 0 or 1")
        points.append((x1, x2, int(label)))
    return tuple(points)


def _list(key: str, value: Any, most: int, what: str = "items") -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ActlabError(f"{key} must be a list, got {value!r}")
    if len(value) > most:
        raise ActlabError(f"{key}: at most {most} {what}, got {len(value)}")
    return list(value)


def _whole(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        raise ActlabError(f"{key} must be a whole number, got {value!r}")
    return int(value)


def _finite(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ActlabError(f"{key} must be a finite number, got {value!r}")
    return float(value)


CHECKS: dict[str, Callable[[Any, Limits], Any]] = {
    "data": _choice("data", DATASETS),
    "feat": _features,
    "layers": _layers,
    "act": _activations,
    "cmp": _compare,
    "opt": _choice("opt", ("adam", "sgd")),
    "lr": _number("lr", 0.0, MAX_LR, open_low=True),
    "batch": _int("batch", 1, lambda limits: limits.max_batch),
    "noise": _int("noise", 0, 50),
    "split": _int("split", 10, 90),
    "reg": _choice("reg", ("none", "l1", "l2")),
    "rate": _number("rate", 0.0, MAX_RATE, open_low=False),
    "seed": _int("seed", 0, MAX_SEED),
    "view": _choice("view", ("train", "extrap")),
    "test": _bool("test"),
    "disc": _bool("disc"),
    "lang": _choice("lang", ("en", "zh")),
    "pts": _points,
}


def parse_state(data: Any, limits: Limits, base: State | None = None) -> State:
    """The :class:`State` of a dict from the page: missing keys keep ``base``'s value (the defaults when
    ``base`` is None), unknown keys and bad values raise :class:`ActlabError` naming the key.

    One activation for several layers applies to each; otherwise ``act`` must give one per layer.
    """
    if not isinstance(data, dict):
        raise ActlabError(f"a state must be a JSON object, got {type(data).__name__}")
    extra = sorted(set(data) - set(CHECKS))
    if extra:
        raise StateError(extra[0], f"unknown state key {extra[0]!r}; keys are {', '.join(CHECKS)}")
    values = {}
    for key, value in data.items():
        try:
            values[key] = CHECKS[key](value, limits)
        except ActlabError as err:
            raise StateError(key, str(err)) from None
    state = replace(base or State(), **values)
    try:
        return replace(state, act=_one_per_layer(state.act, len(state.layers), given="act" in data))
    except ActlabError as err:
        raise StateError("act", str(err)) from None


def _one_per_layer(act: tuple[str, ...], depth: int, given: bool) -> tuple[str, ...]:
    """One activation per hidden layer. A single given activation applies to every layer; after layers
    were added or removed without new activations, the list is cut, or grows by repeating its last entry."""
    if len(act) == depth:
        return act
    if given and len(act) != 1:
        raise ActlabError(f"act: {len(act)} activations for {depth} hidden layers; give one per layer")
    if given:
        return act * depth
    fill = act[-1] if act else State().act[0]
    return (*act[:depth], *(fill,) * (depth - len(act)))


def schema(limits: Limits) -> dict[str, Any]:
    """The rules of :func:`parse_state` for the page: defaults, choices and bounds of every key."""
    from actlab.catalog.entries import names

    return {
        "defaults": State().to_dict(),
        "datasets": {"classification": list(CLASSIFICATION), "arithmetic": list(ARITHMETIC), "own": ["own"]},
        "features": {name: label for name, (label, _) in FEATURES.items()},
        "activations": names(),
        "learning_rates": list(LEARNING_RATES),
        "reg_rates": list(REG_RATES),
        "max_layers": limits.max_layers,
        "max_width": limits.max_width,
        "max_batch": limits.max_batch,
        "max_points": limits.max_points,
        "square": list(limits.square),
        "noise": [0, 50],
        "split": [10, 90],
    }
