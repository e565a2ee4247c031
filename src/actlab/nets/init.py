"""Weight and bias initialisation schemes for ``nn.Linear`` layers, drawn from an explicit generator.

For a layer with weight ``W`` of shape ``(fan_out, fan_in)``:

============== ===================================================== ===========================
scheme         weights                                               default bias (``"auto"``)
============== ===================================================== ===========================
default        U(-1/√fan_in, 1/√fan_in) — PyTorch's ``nn.Linear``     U(-1/√fan_in, 1/√fan_in)
he, he_normal  N(0, 2/fan_in) — Kaiming, for ReLU                     0
he_uniform     U(-√(6/fan_in), √(6/fan_in))                           0
xavier,        U(-√(6/(fan_in+fan_out)), √(6/(fan_in+fan_out)))      0
xavier_uniform — Glorot & Bengio 2010
xavier_normal  N(0, 2/(fan_in+fan_out))                               0
lecun          N(0, 1/fan_in) — LeCun 1998, SELU's scheme              0
standard       U(-1/√fan_in, 1/√fan_in) — the pre-2010 habit          0
============== ===================================================== ===========================

``default`` and ``standard`` draw the same weights (PyTorch's ``kaiming_uniform_(a=√5)`` works out to
U(±1/√fan_in)); they differ in the bias. ``bias_init`` overrides the bias: ``"auto"`` (the column above),
``"zero"``, ``"default"`` (PyTorch's U(±1/√fan_in)) or a number (a constant).

Draw order (part of the training determinism contract): the weight first, then the bias if it is random,
each with one call on the generator.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from actlab.errors import ActlabError, unknown

# scheme -> (distribution, k, fan includes fan_out): the weights' variance is k / fan
_SCHEMES: dict[str, tuple[str, float, bool]] = {
    "default": ("uniform", 1.0 / 3.0, False),  # U(±a) has variance a²/3; a = 1/√fan_in
    "standard": ("uniform", 1.0 / 3.0, False),
    "he": ("normal", 2.0, False),
    "he_normal": ("normal", 2.0, False),
    "he_uniform": ("uniform", 2.0, False),
    "xavier": ("uniform", 2.0, True),
    "xavier_uniform": ("uniform", 2.0, True),
    "xavier_normal": ("normal", 2.0, True),
    "lecun": ("normal", 1.0, False),
}
INIT_SCHEMES: tuple[str, ...] = tuple(_SCHEMES)
BIAS_CHOICES: tuple[str, ...] = ("auto", "zero", "default")


def check_scheme(scheme: str) -> str:
    """The scheme name, or an :class:`ActlabError` naming the closest ones."""
    if scheme not in _SCHEMES:
        raise unknown("init scheme", str(scheme), INIT_SCHEMES)
    return scheme


def check_bias(bias_init: str | float) -> str | float:
    """``"auto"``, ``"zero"``, ``"default"`` or a finite number (text such as ``"0.1"`` is converted)."""
    if isinstance(bias_init, str) and bias_init in BIAS_CHOICES:
        return bias_init
    try:
        value = float(bias_init)
    except (TypeError, ValueError):
        raise ActlabError(
            f"bias init {bias_init!r} is invalid: use auto, zero, default or a number such as 0.1"
        ) from None
    if not math.isfinite(value) or isinstance(bias_init, bool):
        raise ActlabError(f"bias init {bias_init!r} is invalid: a constant bias must be a finite number")
    if abs(value) > torch.finfo(torch.float32).max:  # the weights are float32
        raise ActlabError(f"bias init {bias_init!r} is invalid: beyond float32's ±3.4e+38")
    return value


def weight_std(scheme: str, fan_in: int, fan_out: int) -> float:
    """The standard deviation of the scheme's weights: √(k / fan), fan = fan_in (+ fan_out for Xavier)."""
    _, k, both = _SCHEMES[check_scheme(scheme)]
    return math.sqrt(k / (fan_in + fan_out if both else fan_in))


def init_linear(
    layer: nn.Linear,
    scheme: str = "default",
    bias_init: str | float = "auto",
    generator: torch.Generator | None = None,
) -> None:
    """Overwrite ``layer.weight`` and ``layer.bias`` in place with the scheme's draws from ``generator``."""
    kind, _, _ = _SCHEMES[check_scheme(scheme)]
    bias_init = check_bias(bias_init)
    fan_out, fan_in = layer.weight.shape
    std = weight_std(scheme, fan_in, fan_out)
    with torch.no_grad():
        if kind == "uniform":
            bound = math.sqrt(3.0) * std  # U(±a) has std a/√3
            layer.weight.uniform_(-bound, bound, generator=generator)
        else:
            layer.weight.normal_(0.0, std, generator=generator)
        if layer.bias is None:
            return
        if bias_init == "auto":
            bias_init = "default" if scheme == "default" else "zero"
        if bias_init == "default":
            bound = 1.0 / math.sqrt(fan_in)
            layer.bias.uniform_(-bound, bound, generator=generator)
        elif bias_init == "zero":
            layer.bias.zero_()
        else:
            layer.bias.fill_(float(bias_init))
