"""Tasks: seeded, reproducible data sources with a training range and a separate extrapolation range.

Two families:

* **arithmetic** (regression, one output): ``add`` (a + b), ``sub`` (a - b) — the lesson's — and, for
  contrast, ``mul`` (a·b), ``div`` (a / b), ``max`` (max(a, b)); on one input ``identity`` (x), ``square``
  (x²), ``sqrt`` (√x). Inputs are drawn uniformly from the training box ``[low, high]^d``; the
  extrapolation region is the box ``[elow, ehigh]^d`` with the training box cut out (a point is "outside"
  when at least one input is outside ``[low, high]``). Where a rule is undefined the ranges are refused:
  ``sqrt`` needs ranges from 0 up, ``div`` ranges on one side of 0 (its divisor must not reach 0).
* **2-D classification** (two classes, two logits): ``xor``, ``circle``, ``gauss``, ``spiral``, ``moons``,
  the classic problems that show why a network needs a non-linearity. Each has a *label rule* defined on the
  whole plane (``xor``: sign of a·b; ``circle``: inside radius √(2/π)·h, which halves the box; ``gauss``:
  nearer of two centres ±(h/2, h/2); ``spiral``: nearer of two interleaved arms r = h·θ/(3π); ``moons``:
  nearer of two half-circles) and a training distribution (uniform in the box for ``xor``/``circle``;
  points along the blobs, arms or arcs for the others), with Gaussian input noise of standard deviation
  ``noise·h`` (``h`` is the box's half-width; labels come from the clean points). Extrapolation points are
  uniform in the extrapolation box minus the training box, labelled by the rule.

``sample(n, generator, region)`` draws ``n`` points (float32) on the generator's device: ``"train"`` and
``"interp"`` share the training distribution (held out by using different generators), ``"extrap"`` is the
region outside it.

>>> import torch
>>> task = get_task("add")
>>> x, y = task.sample(4, torch.Generator().manual_seed(0))
>>> x.shape, y.shape
(torch.Size([4, 2]), torch.Size([4, 1]))
>>> bool(torch.equal(y[:, 0], x[:, 0] + x[:, 1]))
True
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import torch
from torch import Tensor

from actlab.errors import ActlabError, unknown

MIN_OUTSIDE = 0.01  # the least fraction of the extrapolation box outside the training box (see outside_fraction)
MAX_INPUT = 1e18  # |range ends|: whole-number inputs are drawn as int64 (up to 9.2e18), then made float32
Region = Literal["train", "interp", "extrap"]
Domain = Literal["any", "nonnegative", "nonzero"]  # where the rule is defined, on every input
REGIONS: tuple[str, ...] = ("train", "interp", "extrap")


Rule = Callable[[Tensor, float, float], Tensor]  # (inputs, box centre, half-width h) -> targets
Cloud = Callable[[int, torch.Generator, float], tuple[Tensor, Tensor]]  # (n, gen, h) -> relative x, labels


@dataclass(frozen=True)
class Task:
    """One data source: what to learn (``rule``) and where the inputs come from.

    ``rule(x, centre, h)`` gives the targets of inputs ``x`` of shape ``(n, in_features)``: ``(n, 1)``
    float32 for regression, ``(n,)`` int64 class ids for classification. The fields after ``rule`` are the
    configurable ones (:func:`get_task` overrides them by keyword).
    """

    name: str
    kind: Literal["regression", "classification"]
    in_features: int
    out_features: int
    description: str
    rule: Rule = field(repr=False)
    train_range: tuple[float, float] = (-10.0, 10.0)  # inputs uniform in [low, high]^d while training
    extrap_range: tuple[float, float] = (-100.0, 100.0)  # the box for extrapolation, training box cut out
    noise: float = 0.0  # classification: input noise std, in units of the box half-width h
    integer: bool = False  # regression: draw whole-number inputs in every region
    exact_integers: bool = False  # whole-number inputs give whole-number targets: exact-answer rate defined
    cloud: Cloud | None = field(default=None, repr=False)  # classification: the training distribution
    domain: Domain = "any"  # "nonnegative": inputs >= 0 (sqrt); "nonzero": ranges exclude 0 (div's divisor)

    def __post_init__(self) -> None:
        object.__setattr__(self, "train_range", _pair(self.name, "training range", self.train_range))
        object.__setattr__(self, "extrap_range", _pair(self.name, "extrapolation range", self.extrap_range))
        _check_domain(self.name, self.domain, "training range", self.train_range)
        _check_domain(self.name, self.domain, "extrapolation range", self.extrap_range)
        (low, high), (elow, ehigh) = self.train_range, self.extrap_range
        if not (elow < low or ehigh > high):
            raise ActlabError(
                f"{self.name}: the extrapolation range [{elow:g}, {ehigh:g}] must reach outside the "
                f"training range [{low:g}, {high:g}]"
            )
        if not (isinstance(self.noise, int | float) and math.isfinite(self.noise) and self.noise >= 0):
            raise ActlabError(f"{self.name}: noise must be a number >= 0, got {self.noise!r}")
        if self.integer and not self.has_whole_numbers("train"):
            raise ActlabError(f"{self.name}: the training range [{low:g}, {high:g}] holds no whole number")
        for whole in (False, True) if self.integer else (False,):
            if self.outside_fraction(whole) < MIN_OUTSIDE:
                points = "its whole numbers" if whole else "it"
                raise ActlabError(
                    f"{self.name}: the extrapolation range [{elow:g}, {ehigh:g}] hardly reaches outside the training "
                    f"range [{low:g}, {high:g}] (less than {MIN_OUTSIDE:.0%} of {points}); widen it"
                )
        if self.kind == "regression":
            _check_targets(self, "training range", self.train_range)
            _check_targets(self, "extrapolation range", self.extrap_range)

    @property
    def half_width(self) -> float:
        low, high = self.train_range
        return (high - low) / 2

    @property
    def centre(self) -> float:
        low, high = self.train_range
        return (low + high) / 2

    def outside_fraction(self, whole: bool = False) -> float:
        """The fraction of the extrapolation box outside the training box: of its volume, or (``whole``) of
        its whole-number points. Extrapolation points are drawn by rejection, so it must not be tiny."""
        (low, high), (elow, ehigh) = self.train_range, self.extrap_range
        if whole:
            total: float = math.floor(ehigh) - math.ceil(elow) + 1
            inside: float = max(0, math.floor(min(high, ehigh)) - math.ceil(max(low, elow)) + 1)
        else:
            total, inside = ehigh - elow, max(0.0, min(high, ehigh) - max(low, elow))
        return 1.0 - (inside / total) ** self.in_features if total > 0 else 0.0

    def has_whole_numbers(self, region: Region) -> bool:
        """Whether whole-number points of ``region`` can be drawn (for ``integer`` tasks and exact rates)."""
        if region == "extrap":
            return self.outside_fraction(whole=True) >= MIN_OUTSIDE
        low, high = self.train_range
        return math.floor(high) >= math.ceil(low)

    def targets(self, x: Tensor) -> Tensor:
        """The exact answers for inputs ``x`` of shape ``(n, in_features)``."""
        return self.rule(x, self.centre, self.half_width)

    def sample(
        self, n: int, generator: torch.Generator, region: Region = "train", integer: bool | None = None
    ) -> tuple[Tensor, Tensor]:
        """``n`` points of ``region`` and their targets, drawn from ``generator`` only.

        ``"train"`` and ``"interp"`` share the training distribution, ``"extrap"`` is uniform in the
        extrapolation box minus the training box. ``integer`` overrides the task's ``integer`` field
        (evaluation uses it to measure the exact-answer rate). Each call draws from ``generator`` in a fixed
        order, so a seeded generator gives the same points on every run.
        """
        if region not in REGIONS:
            raise unknown("region", str(region), REGIONS)
        whole = self.integer if integer is None else integer
        if region == "extrap":
            x = self._outside(n, generator, whole)
            return x, self.targets(x)
        if self.cloud is None:
            x = self._uniform(n, generator, self.train_range, whole)
            return x, self.targets(x)
        rel, y = self.cloud(n, generator, self.half_width)  # (n, 2), (n,)
        if self.noise > 0:
            noise = torch.randn(rel.shape, generator=generator, device=rel.device)
            rel = rel + self.noise * self.half_width * noise
        return rel + self.centre, y

    def _uniform(self, n: int, generator: torch.Generator, box: tuple[float, float], whole: bool) -> Tensor:
        low, high = box
        shape = (n, self.in_features)
        if whole:
            return torch.randint(
                math.ceil(low), math.floor(high) + 1, shape, generator=generator, device=generator.device
            ).float()
        return low + (high - low) * torch.rand(shape, generator=generator, device=generator.device)

    def _outside(self, n: int, generator: torch.Generator, whole: bool) -> Tensor:
        """Rejection sampling: uniform in the extrapolation box, keeping points outside the training box."""
        low, high = self.train_range
        kept: list[Tensor] = []
        count = 0
        for _ in range(200):
            x = self._uniform(max(n, 256), generator, self.extrap_range, whole)
            x = x[((x < low) | (x > high)).any(dim=1)]
            kept.append(x)
            count += len(x)
            if count >= n:
                return torch.cat(kept)[:n]
        raise ActlabError(
            f"{self.name}: the extrapolation range [{self.extrap_range[0]:g}, {self.extrap_range[1]:g}] "
            f"hardly reaches outside the training range [{low:g}, {high:g}]; widen it"
        )

    def with_options(self, **overrides: Any) -> Task:
        """A copy with some configurable fields changed (and validated)."""
        allowed = ("train_range", "extrap_range", "noise", "integer")
        for key in overrides:
            if key not in allowed:
                options = ", ".join(allowed)
                raise ActlabError(f"task {self.name!r} has no option {key!r} (its options: {options})")
        if "integer" in overrides and overrides["integer"] and self.kind == "classification":
            raise ActlabError(f"{self.name}: whole-number inputs apply to arithmetic tasks only")
        return replace(self, **overrides)

    def describe(self) -> dict[str, Any]:
        """Plain facts for tables and JSON."""
        return {
            "name": self.name,
            "kind": self.kind,
            "in_features": self.in_features,
            "out_features": self.out_features,
            "train_range": list(self.train_range),
            "extrap_range": list(self.extrap_range),
            "noise": self.noise,
            "description": self.description,
        }


def _pair(task: str, label: str, value: Any) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ActlabError(f"{task}: the {label} must be two numbers [low, high], got {value!r}") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ActlabError(f"{task}: the {label} [{low:g}, {high:g}] must have finite ends")
    if max(abs(low), abs(high)) > MAX_INPUT:
        raise ActlabError(
            f"{task}: the {label} [{low:g}, {high:g}] reaches beyond ±{MAX_INPUT:g}, the largest "
            f"inputs actlab draws; give a smaller range"
        )
    if not low < high:
        raise ActlabError(f"{task}: the {label} needs low < high, got [{low:g}, {high:g}]")
    return low, high


def _check_targets(task: Task, label: str, box: tuple[float, float]) -> None:
    """Refuse a range whose answers overflow float32 once squared (the training loss is their squared error:
    ``mul`` on ±1e10 gives 1e20, and 1e40 is beyond float32's 3.4e38). Checked at the box's corners, where
    every arithmetic rule here takes its largest magnitude (each is monotonic in each input on the box)."""
    corners = torch.tensor(list(itertools.product(box, repeat=task.in_features)), dtype=torch.float32)
    answers = task.targets(corners)
    if not bool(torch.isfinite(corners).all() & torch.isfinite(answers.square()).all()):
        largest = answers.double().abs().max().item()
        raise ActlabError(
            f"{task.name}: on the {label} [{box[0]:g}, {box[1]:g}] the answers reach {largest:.3g}, "
            f"whose square (the training loss) overflows float32; give a smaller range"
        )


def _check_domain(task: str, domain: Domain, label: str, box: tuple[float, float]) -> None:
    """Refuse a range on which the task's rule has no finite answer (NaN or infinite targets)."""
    low, high = box
    if domain == "nonnegative" and low < 0:
        fix = f"[0, {high:g}]" if high > 0 else "[0, 10]"
        raise ActlabError(
            f"{task}: its inputs must be >= 0, but the {label} [{low:g}, {high:g}] reaches below 0; "
            f"give a range from 0 up, e.g. {fix}"
        )
    if domain == "nonzero" and low <= 0 <= high:
        fix = f"[1, {high:g}]" if high > 1 else f"[{low:g}, -1]" if low < -1 else "[1, 10]"
        raise ActlabError(
            f"{task}: the divisor b must stay away from 0, but the {label} [{low:g}, {high:g}] includes 0; "
            f"give a range on one side of 0, e.g. {fix}"
        )


# --- arithmetic (regression): the rule reads the inputs as they are ---------------------------------------


def _arith(name: str, d: int, f: Callable[[Tensor], Tensor], text: str, **kw: Any) -> Task:
    return Task(name, "regression", d, 1, text, lambda x, c, h: f(x).unsqueeze(1), **kw)


# --- classification: rules on points relative to the box centre, clouds around it -------------------------

ARMS_TURN = 3 * math.pi  # a spiral arm turns 3π (1.5 turns) from the centre out to radius h
CIRCLE_RADIUS = math.sqrt(2 / math.pi)  # in units of h: the disc covers half the box, classes balance


def _xor(rel: Tensor, h: float) -> Tensor:
    return (rel[:, 0] * rel[:, 1] > 0).long()


def _circle(rel: Tensor, h: float) -> Tensor:
    return (rel.norm(dim=1) < CIRCLE_RADIUS * h).long()


def _gauss(rel: Tensor, h: float) -> Tensor:
    return (rel.sum(dim=1) > 0).long()  # nearer centre: class 1 at +(h/2, h/2), class 0 at -(h/2, h/2)


def _spiral(rel: Tensor, h: float) -> Tensor:
    r = rel.norm(dim=1)
    theta = torch.atan2(rel[:, 1], rel[:, 0])
    offset = torch.remainder(theta - ARMS_TURN * r / h, 2 * math.pi)  # 0 on arm 0, π on arm 1
    return ((offset > math.pi / 2) & (offset < 3 * math.pi / 2)).long()


def _moon_arcs(h: float, device: torch.device | None = None, k: int = 256) -> tuple[Tensor, Tensor]:
    """scikit-learn's two moons (half-circles, the second shifted by (1, 0.5)), centred, scaled by h/1.5."""
    t = torch.linspace(0, math.pi, k, device=device)
    upper = torch.stack([torch.cos(t) - 0.5, torch.sin(t) - 0.25], dim=1)
    lower = torch.stack([0.5 - torch.cos(t), 0.25 - torch.sin(t)], dim=1)
    return upper * (h / 1.5), lower * (h / 1.5)


def _moons(rel: Tensor, h: float) -> Tensor:
    upper, lower = _moon_arcs(h, rel.device)
    return (torch.cdist(rel, lower).amin(dim=1) < torch.cdist(rel, upper).amin(dim=1)).long()


def _gauss_cloud(n: int, g: torch.Generator, h: float) -> tuple[Tensor, Tensor]:
    y = torch.randint(0, 2, (n,), generator=g, device=g.device)
    centre = (2 * y.float() - 1).unsqueeze(1) * (h / 2)  # (n, 1): ±h/2 on both axes
    return centre + 0.25 * h * torch.randn((n, 2), generator=g, device=g.device), y


def _spiral_cloud(n: int, g: torch.Generator, h: float) -> tuple[Tensor, Tensor]:
    y = torch.randint(0, 2, (n,), generator=g, device=g.device)
    t = torch.rand(n, generator=g, device=g.device)  # position along the arm, 0 at the centre
    theta = ARMS_TURN * t + math.pi * y.float()
    return torch.stack([torch.cos(theta), torch.sin(theta)], dim=1) * (h * t).unsqueeze(1), y


def _moons_cloud(n: int, g: torch.Generator, h: float) -> tuple[Tensor, Tensor]:
    y = torch.randint(0, 2, (n,), generator=g, device=g.device)
    upper, lower = _moon_arcs(h, g.device)
    idx = torch.randint(0, len(upper), (n,), generator=g, device=g.device)
    return torch.where(y.unsqueeze(1) == 1, lower[idx], upper[idx]), y


def _classify(name: str, rule: Callable[[Tensor, float], Tensor], text: str, cloud: Cloud | None = None) -> Task:
    def uniform(n: int, g: torch.Generator, h: float) -> tuple[Tensor, Tensor]:
        rel = h * (2 * torch.rand((n, 2), generator=g, device=g.device) - 1)
        return rel, rule(rel, h)

    return Task(
        name,
        "classification",
        2,
        2,
        text,
        lambda x, c, h: rule(x - c, h),
        train_range=(-1.0, 1.0),
        extrap_range=(-3.0, 3.0),
        noise=0.02,
        cloud=cloud or uniform,
    )


POSITIVE = {"train_range": (0.0, 10.0), "extrap_range": (0.0, 100.0)}

TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        _arith("add", 2, lambda x: x[:, 0] + x[:, 1], "a + b (the lesson's task)", exact_integers=True),
        _arith("sub", 2, lambda x: x[:, 0] - x[:, 1], "a - b (the lesson's task)", exact_integers=True),
        _arith("mul", 2, lambda x: x[:, 0] * x[:, 1], "a · b: not a sum of ramps", exact_integers=True),
        _arith(
            "div",
            2,
            lambda x: x[:, 0] / x[:, 1],
            "a / b on positive inputs",
            train_range=(1.0, 10.0),
            extrap_range=(1.0, 100.0),
            domain="nonzero",
        ),
        _arith("max", 2, lambda x: torch.maximum(x[:, 0], x[:, 1]), "max(a, b) = b + relu(a - b)", exact_integers=True),
        _arith("identity", 1, lambda x: x[:, 0], "x", exact_integers=True),
        _arith("square", 1, lambda x: x[:, 0] ** 2, "x²", exact_integers=True),
        _arith("sqrt", 1, lambda x: torch.sqrt(x[:, 0]), "√x on x >= 0", domain="nonnegative", **POSITIVE),
        _classify("xor", _xor, "class 1 where a·b > 0 (opposite quadrants)"),
        _classify("circle", _circle, "class 1 inside a disc covering half the box"),
        _classify("gauss", _gauss, "two Gaussian blobs at ±(h/2, h/2): linearly separable", _gauss_cloud),
        _classify("spiral", _spiral, "two interleaved spiral arms, 1.5 turns each", _spiral_cloud),
        _classify("moons", _moons, "two interleaved half-circles (scikit-learn's moons)", _moons_cloud),
    )
}


def get_task(name: str, **overrides: Any) -> Task:
    """The task called ``name``, with configurable fields overridden, e.g.
    ``get_task("add", train_range=(0, 100), extrap_range=(-1000, 1000))``.

    Options: ``train_range``, ``extrap_range``, ``noise``, ``integer``; ``None`` keeps the default. Raises
    :class:`actlab.ActlabError` for an unknown name, an unknown option or an invalid value.
    """
    key = str(name).strip().lower()
    if key not in TASKS:
        raise unknown("task", str(name), TASKS)
    options = {k: v for k, v in overrides.items() if v is not None}
    return TASKS[key].with_options(**options) if options else TASKS[key]
