"""How well a trained network does, inside the training range and outside it.

For regression, on ``n`` held-out points of a region (``interp``: the training distribution; ``extrap``:
the extrapolation box minus the training box), with prediction ŷ and truth y:

* ``mae`` = mean |ŷ − y|;  ``max_error`` = max |ŷ − y|;
* ``rel_error`` = mean |ŷ − y| / mean |y| (relative to the size of the answers; no division by a zero y);
* ``exact_rate``: on whole-number inputs, the fraction where round(ŷ) = y exactly (``None`` when whole
  inputs do not give whole answers, as for ``div`` and ``sqrt``, or the region holds too few whole numbers).

For classification: ``accuracy`` (interp) and ``extrap_accuracy``, the fraction where argmax of the logits
is the true class; NaN when some logits are NaN or infinite (their argmax means nothing).

The metrics of :data:`PREDICTION_METRICS` are finite exactly when every prediction on their points is:
that is how :func:`actlab.training.loop.final_divergence` tells a model whose outputs overflowed.

Evaluation data comes from fixed seeds (:data:`EVAL_SEEDS`), independent of the training seed, so every
run of a task is measured on the same points.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from actlab.errors import ActlabError
from actlab.nets.tasks import MAX_INPUT, Task

EVAL_SEEDS = {"interp": 7_000_001, "extrap": 7_000_002}  # whole-number sets use seed + 1
EVAL_POINTS = 2000
PREDICTION_METRICS = ("interp_mae", "interp_max_error", "extrap_mae", "extrap_max_error", "accuracy", "extrap_accuracy")


def _dtype(model: nn.Module) -> torch.dtype:
    return next(model.parameters()).dtype


@torch.no_grad()
def predict_batch(model: nn.Module, x: Tensor) -> Tensor:
    """The model's outputs for ``x`` in evaluation mode (cast to the model's dtype)."""
    was_training = model.training
    model.eval()
    try:
        return model(x.to(_dtype(model)))
    finally:
        model.train(was_training)


def region_points(task: Task, region: str, n: int = EVAL_POINTS, integer: bool = False) -> tuple[Tensor, Tensor]:
    """A region's evaluation points and their truth, from the region's fixed seed (``integer``: the
    whole-number set, from seed + 1): the same points for every run of a task."""
    seed = EVAL_SEEDS[region] + int(integer)
    generator = torch.Generator().manual_seed(seed)
    if integer:
        return task.sample(n, generator, region, integer=True)  # type: ignore[arg-type]
    return task.sample(n, generator, region)  # type: ignore[arg-type]


def wants_exact_rate(task: Task, region: str) -> bool:
    """Whether ``{region}_exact_rate`` is measured (else ``None``): whole inputs give whole answers there."""
    return task.exact_integers and task.has_whole_numbers(region)  # type: ignore[arg-type]


def metrics_of_predictions(
    task: Task, region: str, out: Tensor, y: Tensor, whole: tuple[Tensor, Tensor] | None = None
) -> list[dict[str, float | None]]:
    """The metrics of one region for a stack of ``M`` networks, from their predictions ``out`` ``(M, n, out)``
    on the region's points with truth ``y`` (``(n,)`` classes or ``(n, out)`` values), and for
    ``{region}_exact_rate`` their predictions on the whole-number points with that truth (``whole``,
    where :func:`wants_exact_rate`). Reductions run per network over its own points; a few read-backs for
    the whole stack (what makes it cheap on a GPU). One dict per network, keys as :func:`region_metrics`."""
    size = out.shape[0]
    if task.kind == "classification":
        key = "accuracy" if region == "interp" else f"{region}_accuracy"
        finite = torch.isfinite(out).flatten(1).all(dim=1)  # (M,): argmax of a NaN logit means nothing
        rate = (out.argmax(dim=-1) == y).double().mean(dim=1)
        return [{key: r if ok else math.nan} for r, ok in zip(rate.tolist(), finite.tolist(), strict=True)]
    err = (out.double() - y.double()).abs()  # (M, n, 1)
    scale = y.double().abs().mean().item()
    mae, top = err.mean(dim=(1, 2)).tolist(), err.amax(dim=(1, 2)).tolist()
    exact: list[float | None] = [None] * size
    if whole is not None:
        whole_out, yi = whole
        exact = (whole_out.double().round() == yi.double()).double().mean(dim=(1, 2)).tolist()
    return [
        {
            f"{region}_mae": m,
            f"{region}_max_error": t,
            f"{region}_rel_error": m / scale if scale > 0 else math.inf,
            f"{region}_exact_rate": e,
        }
        for m, t, e in zip(mae, top, exact, strict=True)
    ]


def region_metrics(model: nn.Module, task: Task, region: str, n: int = EVAL_POINTS) -> dict[str, float | None]:
    """The metrics of one region, keys prefixed with the region name (``interp_mae``, ``extrap_mae``, ...)."""
    x, y = region_points(task, region, n)
    whole = None
    if task.kind != "classification" and wants_exact_rate(task, region):
        xi, yi = region_points(task, region, n, integer=True)
        whole = (predict_batch(model, xi).unsqueeze(0), yi)
    return metrics_of_predictions(task, region, predict_batch(model, x).unsqueeze(0), y, whole)[0]


def evaluate(model: nn.Module, task: Task, n: int = EVAL_POINTS) -> dict[str, float | None]:
    """All metrics of ``model`` on ``task``: the interpolation ones, then the extrapolation ones."""
    return {**region_metrics(model, task, "interp", n), **region_metrics(model, task, "extrap", n)}


NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
OPERATOR = r"[-+*/x×·÷−,]"
BINARY = re.compile(rf"\s*({NUMBER})\s*({OPERATOR})\s*({NUMBER})\s*")  # "5+3", "5 - -3", "6/2", "5,3"
MAX_CALL = re.compile(rf"\s*max\s*\(\s*({NUMBER})\s*,\s*({NUMBER})\s*\)\s*", re.IGNORECASE)  # "max(5, 3)"
OPERATORS: dict[str, tuple[str, frozenset[str]]] = {  # task: (how to write it, the symbols that mean it)
    "add": ("+", frozenset("+")),
    "sub": ("-", frozenset("-−")),
    "mul": ("*", frozenset("*x×·")),
    "div": ("/", frozenset("/÷")),
}


def parse_inputs(values: Sequence[str | float], task: Task, run: str | None = None) -> list[float]:
    """Numbers for :func:`predict` from plain numbers (``["5", "-3"]``, ``[5.0, 3.0]``) or an expression.

    An expression ``a OP b`` (``"5+3"``, ``"5 - -3"``, ``["5", "-", "3"]``) must use the task's own operator
    (``+`` for ``add``, ``-`` for ``sub``, ``*`` or ``x`` for ``mul``, ``/`` for ``div``); ``max`` takes
    ``"max(5, 3)"``; a comma (``"5,3"``) only separates. Plain numbers are read first, so ``["5", "-3"]`` is
    a = 5, b = -3 on every task. ``run`` (the run folder) goes into the examples of error messages.

    Raises :class:`ActlabError` for another task's operator, the wrong count, or a value that is not a
    finite number.
    """
    items = [str(v).strip() for v in values]
    text = " ".join(items)
    example = _examples(task, run)
    if len(items) == task.in_features and all(_is_float(item) for item in items):
        return [_finite(item, example) for item in items]
    pair = BINARY.fullmatch(text)
    if pair is not None and task.in_features == 2:
        a, op, b = pair.groups()
        if op != "," and op not in OPERATORS.get(task.name, ("", frozenset()))[1]:
            raise ActlabError(f"{text!r} asks {_learned(task, op)}; ask e.g. {example}")
        return [_finite(a, example), _finite(b, example)]
    call = MAX_CALL.fullmatch(text)
    if call is not None and task.in_features == 2:
        if task.name != "max":
            raise ActlabError(f"{text!r} asks max(a, b), but {_learned(task, None)}; ask e.g. {example}")
        return [_finite(call.group(1), example), _finite(call.group(2), example)]
    if len(items) == task.in_features and pair is None:
        for item in items:
            _finite(item, example)  # raises for the first item that is not a number
    inputs = "1 input, a single number" if task.in_features == 1 else f"{task.in_features} inputs"
    raise ActlabError(f"task {task.name!r} takes {inputs}, got {text!r}; ask e.g. {example}")


def _is_float(item: str) -> bool:
    try:
        float(item)
    except ValueError:
        return False
    return True


def _learned(task: Task, op: str | None) -> str:
    """``'a + b, but this run learned a - b'`` for an expression written with another task's operator."""
    asked = f"a {op} b, but " if op is not None else ""
    if task.kind == "classification":
        return f"{asked}this run classifies points (a, b); give the two coordinates"
    if task.name == "max":
        return f"{asked}this run learned max(a, b)"
    return f"{asked}this run learned a {OPERATORS[task.name][0]} b" if task.name in OPERATORS else asked


def _examples(task: Task, run: str | None) -> str:
    """Commands that would work: ``actlab predict RUN 5 3 or "5-3"``."""
    prefix = f"actlab predict {shlex.quote(run)} " if run is not None else ""
    if task.in_features == 1:
        return f"{prefix}5"
    if task.kind == "classification":
        return f"{prefix}0.5 -0.5"
    if task.name == "max":
        return f'{prefix}5 3 or {prefix}"max(5, 3)"'
    if task.name in OPERATORS:
        return f'{prefix}5 3 or {prefix}"5{OPERATORS[task.name][0]}3"'
    return f"{prefix}5 3"


def _finite(item: str, example: str = "5 3") -> float:
    try:
        value = float(item)
    except ValueError:
        raise ActlabError(f"input {item!r} is not a number (write e.g. {example})") from None
    if not math.isfinite(value):
        raise ActlabError(f"input {item!r} is not a finite number")
    if abs(value) > MAX_INPUT:
        raise ActlabError(f"input {item!r} is beyond ±{MAX_INPUT:g}, the largest inputs actlab handles")
    return value


def predict(model: nn.Module, task: Task, inputs: Sequence[float]) -> dict[str, Any]:
    """One prediction: ``{"inputs", "prediction", "truth"}``; for classification also ``"probabilities"``.

    The model sees the inputs in its own dtype (rounded to float32 only for a float32 model); the truth is
    computed in float64 from the inputs as given (123456.123 + 654321.456 = 777777.579).
    """
    x = torch.tensor([list(inputs)], dtype=torch.float64)  # (1, d)
    out = predict_batch(model, x)[0]
    truth = task.targets(x)[0]
    if task.kind == "classification":
        return {
            "inputs": list(inputs),
            "prediction": int(out.argmax().item()),
            "probabilities": torch.softmax(out.double(), dim=0).tolist(),
            "truth": int(truth.item()),
        }
    return {"inputs": list(inputs), "prediction": out.item(), "truth": truth.item()}


def line_inputs(task: Task, t: Tensor) -> Tensor:
    """Points along the line used for plots and slopes: ``x = t`` for one input; ``a = t, b = c + (t − c)/2``
    for two (``c`` is the training box's centre), a line through the centre that leaves the box at t = low
    and t = high and keeps both inputs moving."""
    t = t.to(torch.float32)
    if task.in_features == 1:
        return t.unsqueeze(1)
    return torch.stack([t, task.centre + (t - task.centre) / 2], dim=1)  # (n, 2)


def slope_ratio(model: nn.Module, task: Task, near: float = 5.0, far: float = 10.0) -> float:
    """How the prediction continues outside the training range, as one number.

    Along :func:`line_inputs`, from t₁ = c + near·h to t₂ = c + far·h (well outside the box of half-width
    h), the ratio of slopes (ŷ(t₂) − ŷ(t₁)) / (y(t₂) − y(t₁)): about 1 when the network keeps the rule's
    trend (ReLU-like activations on ``add``), about 0 when its output flattens (saturating ones).
    """
    t = torch.tensor([task.centre + near * task.half_width, task.centre + far * task.half_width])
    x = line_inputs(task, t)
    pred = predict_batch(model, x)[:, 0].double()
    truth = task.targets(x.double())[:, 0]
    return ((pred[1] - pred[0]) / (truth[1] - truth[0])).item()
