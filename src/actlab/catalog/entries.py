"""The activation catalog: one :class:`Activation` entry per function, looked up by name or alias.

An entry holds everything the lab knows about a function: its formula and derivative (LaTeX and plain
Unicode), the pure functions from :mod:`actlab.catalog.functional`, its hyper-parameters with defaults and
validation, output range, properties, the derivative convention at kinks, where it comes from, and its
PyTorch counterpart.

Reading the catalog imports no torch (``actlab list`` starts in a fraction of a second): an entry names its
functions, and they are imported on their first call (:class:`Deferred`).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from actlab.errors import ActlabError, unknown

if TYPE_CHECKING:
    from torch import Tensor

INF = math.inf
FLOAT32_MAX = 3.4028234663852886e38  # torch.finfo(torch.float32).max: no parameter may exceed it


@dataclass(frozen=True)
class Param:
    """One hyper-parameter: a real number within bounds, or one of a few named choices."""

    name: str
    default: float | str
    doc: str
    low: float = -INF  # smallest allowed value
    high: float = INF  # largest allowed value
    low_open: bool = False  # True: the low bound itself is not allowed
    choices: tuple[str, ...] = ()  # non-empty: a string parameter

    def rule(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.low == -INF and self.high == INF:
            return "a finite number"
        if self.high == INF:
            return f"a number {'>' if self.low_open else '>='} {self.low:g}"
        return f"a number in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"

    def parse(self, value: Any, activation: str) -> float | str:
        """Check (and convert from text) one value; raise :class:`ActlabError` when it is invalid."""
        bad = ActlabError(f"{activation}: {self.name}={value!r} is invalid; {self.name} must be {self.rule()}")
        if self.choices:
            if str(value) not in self.choices:
                raise bad
            return str(value)
        if isinstance(value, bool):
            raise bad
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise bad from None
        too_low = number <= self.low if self.low_open else number < self.low
        if not math.isfinite(number) or too_low or number > self.high:
            raise bad
        if abs(number) > FLOAT32_MAX:  # the modules compute in float32: a bigger value cannot even be passed
            raise ActlabError(f"{activation}: {self.name}={value!r} is beyond float32's ±{FLOAT32_MAX:.3g}")
        return number


@dataclass(frozen=True)
class Range:
    """The set of output values; ``closed`` says whether each finite end is attained."""

    low: float
    high: float
    low_closed: bool = False
    high_closed: bool = False

    def __str__(self) -> str:
        def end(v: float) -> str:
            return "∞" if v == INF else "-∞" if v == -INF else f"{v:.4g}"

        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"{left}{end(self.low)}, {end(self.high)}{right}"

    def contains(self, y: Tensor) -> Tensor:
        lo = y >= self.low if self.low_closed else y > self.low
        hi = y <= self.high if self.high_closed else y < self.high
        return lo & hi


@dataclass(frozen=True)
class Properties:
    """Shape facts about ``f`` at its default hyper-parameters.

    monotonic: never decreasing. zero_centred: odd-like, outputs of both signs balanced around 0.
    bounded_below / bounded_above: the output range has a finite end. smooth: continuously
    differentiable everywhere (C¹). saturating: f'(x) -> 0 as x -> ±∞ on both sides. exact_zeros: a
    whole interval of inputs maps to exactly 0 (the lesson's "sparsity").
    """

    monotonic: bool
    zero_centred: bool
    bounded_below: bool
    bounded_above: bool
    smooth: bool
    saturating: bool
    exact_zeros: bool

    def as_dict(self) -> dict[str, bool]:
        return dict(self.__dict__)

    def short(self) -> str:
        keys = {
            "monotonic": "mono",
            "zero_centred": "zero-c",
            "smooth": "C¹",
            "saturating": "sat",
            "exact_zeros": "zeros",
        }
        return " ".join(label for key, label in keys.items() if getattr(self, key))


@dataclass(frozen=True)
class Activation:
    """One catalog entry. ``fn(x, **params)`` and ``grad(x, **params)`` are pure tensor functions."""

    name: str
    aliases: tuple[str, ...]
    formula: str  # plain Unicode
    formula_latex: str
    derivative: str  # plain Unicode
    derivative_latex: str
    fn: Callable[..., Tensor]
    grad: Callable[..., Tensor]
    output_range: Callable[[Mapping[str, Any]], Range]
    properties: Properties
    kinks: str  # the derivative convention where f is not differentiable
    reference: str
    year: int
    torch_name: str | None  # the PyTorch counterpart, as users would write it
    torch_fn: Callable[..., Tensor] | None  # the counterpart called with this entry's parameters
    params: tuple[Param, ...] = ()
    summary: str = ""
    # PyTorch's kernel returns NaN or inf at ±inf or huge |x| where f is finite or has a limit (gelu(-inf) is
    # -inf·0 there): the module checks its output and repairs those places (see actlab.catalog.modules)
    repair_edges: bool = False
    fused: bool = True  # modules run torch_fn (PyTorch's kernel); False: they run the formula fn

    def resolve(self, **params: Any) -> dict[str, Any]:
        """Defaults merged with ``params``, each validated; unknown names are an error."""
        known = {p.name: p for p in self.params}
        for key in params:
            if key not in known:
                allowed = ", ".join(known) if known else "none"
                raise ActlabError(f"{self.name} has no parameter {key!r} (its parameters: {allowed})")
        values = {p.name: p.default for p in self.params}
        for key, value in params.items():
            values[key] = known[key].parse(value, self.name)
        self._check_together(values)
        return values

    def _check_together(self, values: Mapping[str, Any]) -> None:
        if "min_val" in values and values["min_val"] >= values["max_val"]:
            raise ActlabError(f"{self.name}: min_val={values['min_val']:g} must be below max_val={values['max_val']:g}")

    def range_for(self, **params: Any) -> Range:
        return self.output_range(self.resolve(**params))

    def as_dict(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The entry as plain JSON types (``actlab list --json`` and ``show --json``), its range for ``params``."""
        r = self.output_range(params)
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "formula": self.formula,
            "formula_latex": self.formula_latex,
            "derivative": self.derivative,
            "derivative_latex": self.derivative_latex,
            "range": {"low": r.low, "high": r.high, "text": str(r)},
            "properties": self.properties.as_dict(),
            "params": {p.name: {"default": p.default, "rule": p.rule(), "doc": p.doc} for p in self.params},
            "kinks": self.kinks,
            "reference": self.reference,
            "year": self.year or None,
            "torch": self.torch_name,
            "summary": self.summary,
        }

    def __call__(self, x: Tensor, **params: Any) -> Tensor:
        return self.fn(x, **self.resolve(**params))


def _fixed(r: Range) -> Callable[[Mapping[str, Any]], Range]:
    return lambda _params: r


class Deferred:
    """The function ``module.name``, imported on its first call."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name
        self._target: Callable[..., Tensor] | None = None

    def resolve(self) -> Callable[..., Tensor]:
        if self._target is None:
            self._target = getattr(importlib.import_module(self.module), self.name)
        return self._target

    def __call__(self, x: Tensor, **params: Any) -> Tensor:
        return self.resolve()(x, **params)

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"


def resolved(f: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """The function itself, without the :class:`Deferred` indirection (for hot paths)."""
    return f.resolve() if isinstance(f, Deferred) else f


def _formula(name: str) -> Deferred:
    return Deferred("actlab.catalog.functional", name)


# Counterparts and formulas that need an adapter (PyTorch's argument names or forms differ from the catalog's).


def _same(x: Tensor) -> Tensor:
    return x


def _heaviside(x: Tensor) -> Tensor:
    import torch

    return torch.heaviside(x, torch.zeros_like(x))


def _prelu(x: Tensor, init: float = 0.25) -> Tensor:
    from actlab.catalog import functional

    return functional.prelu(x, init)


def _prelu_grad(x: Tensor, init: float = 0.25) -> Tensor:
    from actlab.catalog import functional

    return functional.prelu_grad(x, init)


def _torch_prelu(x: Tensor, init: float = 0.25) -> Tensor:
    import torch
    import torch.nn.functional as F

    return F.prelu(x, torch.as_tensor([init], dtype=x.dtype, device=x.device))


def _props(flags: str) -> Properties:
    """Properties from a compact flag string, e.g. ``"mono bounded_below exact_zeros"``."""
    names = set(flags.split())
    fields = Properties.__dataclass_fields__
    unknown_flags = names - set(fields)
    assert not unknown_flags, unknown_flags
    return Properties(**{k: k in names for k in fields})


ALL_REALS = Range(-INF, INF)
SELU_SCALE_ALPHA = 1.7580993408473766  # λα of functional.SELU_SCALE and SELU_ALPHA, selu's limit at -∞ (tested equal)
RELU_KINK = "f'(0) = 0 (PyTorch's choice)"

_ENTRIES: list[Activation] = [
    Activation(
        name="identity",
        aliases=("linear", "none"),
        formula="f(x) = x",
        formula_latex=r"f(x) = x",
        derivative="f'(x) = 1",
        derivative_latex=r"f'(x) = 1",
        fn=_formula("identity"),
        grad=_formula("identity_grad"),
        output_range=_fixed(ALL_REALS),
        properties=_props("monotonic zero_centred smooth"),
        kinks="none (smooth)",
        reference="no activation: a purely linear network",
        year=0,
        torch_name="torch.nn.Identity",
        torch_fn=_same,
        summary="No non-linearity: any stack of layers stays one linear map.",
    ),
    Activation(
        name="step",
        aliases=("heaviside", "threshold"),
        formula="f(x) = 1 if x > 0 else 0",
        formula_latex=r"f(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
        derivative="f'(x) = 0",
        derivative_latex=r"f'(x) = 0",
        fn=_formula("step"),
        grad=_formula("step_grad"),
        output_range=_fixed(Range(0.0, 1.0, True, True)),
        properties=_props("monotonic bounded_below bounded_above saturating exact_zeros"),
        kinks="f'(0) = 0 (the jump has no derivative; 0 everywhere, so no gradient ever flows)",
        reference="McCulloch & Pitts, A Logical Calculus of the Ideas Immanent in Nervous Activity",
        year=1943,
        torch_name="torch.heaviside",
        torch_fn=_heaviside,
        fused=False,  # torch.heaviside has no backward at all; ours passes a zero gradient
        summary="The perceptron's threshold: no slope, so gradient descent cannot learn through it.",
    ),
    Activation(
        name="relu",
        aliases=("rectifier",),
        formula="f(x) = max(0, x)",
        formula_latex=r"f(x) = \max(0, x)",
        derivative="f'(x) = 1 if x > 0 else 0",
        derivative_latex=r"f'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
        fn=_formula("relu"),
        grad=_formula("relu_grad"),
        output_range=_fixed(Range(0.0, INF, True)),
        properties=_props("monotonic bounded_below exact_zeros"),
        kinks=RELU_KINK,
        reference="Nair & Hinton, Rectified Linear Units Improve Restricted Boltzmann Machines",
        year=2010,
        torch_name="torch.nn.ReLU",
        torch_fn=Deferred("torch.nn.functional", "relu"),
        summary="The lesson's subject: keeps positives, zeroes negatives.",
    ),
    Activation(
        name="leaky_relu",
        aliases=("lrelu", "leakyrelu", "leaky"),
        formula="f(x) = x if x > 0 else a·x",
        formula_latex=r"f(x) = \begin{cases} x & x > 0 \\ a x & x \le 0 \end{cases}",
        derivative="f'(x) = 1 if x > 0 else a",
        derivative_latex=r"f'(x) = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}",
        fn=_formula("leaky_relu"),
        grad=_formula("leaky_relu_grad"),
        output_range=_fixed(ALL_REALS),
        properties=_props("monotonic"),
        kinks="f'(0) = a, the negative slope (PyTorch's choice)",
        reference="Maas, Hannun & Ng, Rectifier Nonlinearities Improve Neural Network Acoustic Models",
        year=2013,
        torch_name="torch.nn.LeakyReLU",
        torch_fn=Deferred("torch.nn.functional", "leaky_relu"),
        params=(Param("negative_slope", 0.01, "slope a for x <= 0", low=0.0, high=1.0),),
        summary="ReLU with a small slope for negatives, the lesson's fix for dead neurons.",
    ),
    Activation(
        name="prelu",
        aliases=("parametric_relu",),
        formula="f(x) = x if x > 0 else a·x, a learned",
        formula_latex=r"f(x) = \begin{cases} x & x > 0 \\ a x & x \le 0 \end{cases},\ a \text{ learned}",
        derivative="f'(x) = 1 if x > 0 else a",
        derivative_latex=r"f'(x) = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}",
        fn=_prelu,
        grad=_prelu_grad,
        output_range=_fixed(ALL_REALS),
        properties=_props("monotonic"),
        kinks="f'(0) = a (PyTorch's choice)",
        reference="He, Zhang, Ren & Sun, Delving Deep into Rectifiers",
        year=2015,
        torch_name="torch.nn.PReLU",
        torch_fn=_torch_prelu,
        params=(Param("init", 0.25, "initial slope a for x <= 0 (learned)", low=0.0, high=1.0),),
        summary="Leaky ReLU whose negative slope is a trained parameter (initial value 0.25).",
    ),
    Activation(
        name="relu6",
        aliases=(),
        formula="f(x) = min(max(0, x), 6)",
        formula_latex=r"f(x) = \min(\max(0, x), 6)",
        derivative="f'(x) = 1 if 0 < x < 6 else 0",
        derivative_latex=r"f'(x) = \mathbb{1}[0 < x < 6]",
        fn=_formula("relu6"),
        grad=_formula("relu6_grad"),
        output_range=_fixed(Range(0.0, 6.0, True, True)),
        properties=_props("monotonic bounded_below bounded_above saturating exact_zeros"),
        kinks="f'(0) = f'(6) = 0 (PyTorch's choice)",
        reference="Krizhevsky, Convolutional Deep Belief Networks on CIFAR-10",
        year=2010,
        torch_name="torch.nn.ReLU6",
        torch_fn=Deferred("torch.nn.functional", "relu6"),
        summary="ReLU capped at 6, popular in low-precision mobile networks.",
    ),
    Activation(
        name="elu",
        aliases=(),
        formula="f(x) = x if x > 0 else α(eˣ − 1)",
        formula_latex=r"f(x) = \begin{cases} x & x > 0 \\ \alpha (e^x - 1) & x \le 0 \end{cases}",
        derivative="f'(x) = 1 if x > 0 else α·eˣ",
        derivative_latex=r"f'(x) = \begin{cases} 1 & x > 0 \\ \alpha e^x & x \le 0 \end{cases}",
        fn=_formula("elu"),
        grad=_formula("elu_grad"),
        output_range=lambda p: Range(-p["alpha"], INF),
        properties=_props("monotonic bounded_below smooth"),
        kinks="f'(0) = α (PyTorch's choice; continuous when α = 1)",
        reference="Clevert, Unterthiner & Hochreiter, Fast and Accurate Deep Network Learning by ELUs",
        year=2015,
        torch_name="torch.nn.ELU",
        torch_fn=Deferred("torch.nn.functional", "elu"),
        params=(Param("alpha", 1.0, "saturation value -α for x -> -∞", low=0.0, low_open=True),),
        summary="Smooth negative part that saturates at -α, pushing mean activations toward 0.",
    ),
    Activation(
        name="selu",
        aliases=(),
        formula="f(x) = λ·x if x > 0 else λα(eˣ − 1), λ ≈ 1.0507, α ≈ 1.6733",
        formula_latex=r"f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha (e^x - 1) & x \le 0 \end{cases}",
        derivative="f'(x) = λ if x > 0 else λα·eˣ",
        derivative_latex=r"f'(x) = \lambda \begin{cases} 1 & x > 0 \\ \alpha e^x & x \le 0 \end{cases}",
        fn=_formula("selu"),
        grad=_formula("selu_grad"),
        output_range=_fixed(Range(-SELU_SCALE_ALPHA, INF)),
        properties=_props("monotonic bounded_below"),
        kinks="f'(0) = λα ≈ 1.7581 (PyTorch's choice)",
        reference="Klambauer, Unterthiner, Mayr & Hochreiter, Self-Normalizing Neural Networks",
        year=2017,
        torch_name="torch.nn.SELU",
        torch_fn=Deferred("torch.nn.functional", "selu"),
        summary="Scaled ELU whose constants keep activations near zero mean and unit variance.",
    ),
    Activation(
        name="celu",
        aliases=(),
        formula="f(x) = x if x > 0 else α(e^(x/α) − 1)",
        formula_latex=r"f(x) = \max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))",
        derivative="f'(x) = 1 if x > 0 else e^(x/α)",
        derivative_latex=r"f'(x) = \begin{cases} 1 & x > 0 \\ e^{x/\alpha} & x \le 0 \end{cases}",
        fn=_formula("celu"),
        grad=_formula("celu_grad"),
        output_range=lambda p: Range(-p["alpha"], INF),
        properties=_props("monotonic bounded_below smooth"),
        kinks="none: f'(0) = 1 from both sides for every α",
        reference="Barron, Continuously Differentiable Exponential Linear Units",
        year=2017,
        torch_name="torch.nn.CELU",
        torch_fn=Deferred("torch.nn.functional", "celu"),
        params=(Param("alpha", 1.0, "saturation value -α for x -> -∞", low=0.0, low_open=True),),
        summary="ELU rescaled so that its derivative is continuous for every α.",
    ),
    Activation(
        name="gelu",
        aliases=(),
        formula="f(x) = x·Φ(x), Φ the standard normal CDF",
        formula_latex=r"f(x) = x \Phi(x) = \tfrac{x}{2}\left(1 + \operatorname{erf}(x/\sqrt{2})\right)",
        derivative="f'(x) = Φ(x) + x·φ(x)",
        derivative_latex=r"f'(x) = \Phi(x) + x \varphi(x)",
        fn=_formula("gelu"),
        grad=_formula("gelu_grad"),
        output_range=lambda p: Range(-0.170041 if p["approximate"] == "tanh" else -0.169972, INF, True),
        properties=_props("bounded_below smooth"),
        kinks="none (smooth); approximate='tanh' uses ½x(1 + tanh(√(2/π)(x + 0.044715x³)))",
        reference="Hendrycks & Gimpel, Gaussian Error Linear Units (GELUs)",
        year=2016,
        torch_name="torch.nn.GELU",
        torch_fn=Deferred("torch.nn.functional", "gelu"),
        params=(Param("approximate", "none", "'none' (exact erf) or 'tanh'", choices=("none", "tanh")),),
        repair_edges=True,
        summary="Weights each input by how likely a standard normal is below it; used in transformers.",
    ),
    Activation(
        name="silu",
        aliases=("swish",),
        formula="f(x) = x·σ(x)",
        formula_latex=r"f(x) = x \sigma(x) = \frac{x}{1 + e^{-x}}",
        derivative="f'(x) = σ(x)(1 + x(1 − σ(x)))",
        derivative_latex=r"f'(x) = \sigma(x)\left(1 + x (1 - \sigma(x))\right)",
        fn=_formula("silu"),
        grad=_formula("silu_grad"),
        output_range=_fixed(Range(-0.278465, INF, True)),
        properties=_props("bounded_below smooth"),
        kinks="none (smooth)",
        reference="Elfwing, Uchibe & Doya, Sigmoid-Weighted Linear Units; Ramachandran et al., Swish",
        year=2017,
        torch_name="torch.nn.SiLU",
        torch_fn=Deferred("torch.nn.functional", "silu"),
        repair_edges=True,
        summary="Self-gated: the input times its own sigmoid.",
    ),
    Activation(
        name="mish",
        aliases=(),
        formula="f(x) = x·tanh(softplus(x))",
        formula_latex=r"f(x) = x \tanh(\ln(1 + e^x))",
        derivative="f'(x) = tanh(sp(x)) + x·sech²(sp(x))·σ(x)",
        derivative_latex=r"f'(x) = \tanh(s) + x\,\operatorname{sech}^2(s)\,\sigma(x),\ s = \ln(1+e^x)",
        fn=_formula("mish"),
        grad=_formula("mish_grad"),
        output_range=_fixed(Range(-0.308844, INF, True)),
        properties=_props("bounded_below smooth"),
        kinks="none (smooth)",
        reference="Misra, Mish: A Self Regularized Non-Monotonic Activation Function",
        year=2019,
        torch_name="torch.nn.Mish",
        torch_fn=Deferred("torch.nn.functional", "mish"),
        repair_edges=True,
        summary="A smooth, non-monotonic cousin of SiLU.",
    ),
    Activation(
        name="softplus",
        aliases=("smooth_relu",),
        formula="f(x) = (1/β)·ln(1 + e^(βx)), = x where βx > threshold",
        formula_latex=r"f(x) = \frac{1}{\beta} \ln(1 + e^{\beta x})",
        derivative="f'(x) = σ(βx), = 1 where βx > threshold",
        derivative_latex=r"f'(x) = \sigma(\beta x)",
        fn=_formula("softplus"),
        grad=_formula("softplus_grad"),
        output_range=_fixed(Range(0.0, INF)),
        properties=_props("monotonic bounded_below smooth"),
        kinks="none (smooth); above the threshold f is x and f' is 1, as in PyTorch",
        reference="Dugas, Bengio, Bélisle, Nadeau & Garcia, Incorporating Second-Order Functional Knowledge",
        year=2001,
        torch_name="torch.nn.Softplus",
        torch_fn=Deferred("torch.nn.functional", "softplus"),
        params=(
            Param("beta", 1.0, "sharpness β; large β approaches ReLU", low=0.0, low_open=True),
            Param("threshold", 20.0, "above βx > threshold the function is x", low=0.0, low_open=True),
        ),
        summary="A smooth ReLU: never exactly zero, never a dead gradient.",
    ),
    Activation(
        name="sigmoid",
        aliases=("logistic",),
        formula="f(x) = 1 / (1 + e^−x)",
        formula_latex=r"\sigma(x) = \frac{1}{1 + e^{-x}}",
        derivative="f'(x) = σ(x)(1 − σ(x))",
        derivative_latex=r"\sigma'(x) = \sigma(x)(1 - \sigma(x))",
        fn=_formula("sigmoid"),
        grad=_formula("sigmoid_grad"),
        output_range=_fixed(Range(0.0, 1.0)),
        properties=_props("monotonic bounded_below bounded_above smooth saturating"),
        kinks="none (smooth); f'(x) <= 0.25 everywhere",
        reference="Rumelhart, Hinton & Williams, Learning Representations by Back-Propagating Errors",
        year=1986,
        torch_name="torch.nn.Sigmoid",
        torch_fn=Deferred("torch", "sigmoid"),
        summary="The classic squashing function; its gradient vanishes for large |x|.",
    ),
    Activation(
        name="tanh",
        aliases=(),
        formula="f(x) = (eˣ − e^−x) / (eˣ + e^−x)",
        formula_latex=r"\tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}}",
        derivative="f'(x) = 1 − tanh²(x)",
        derivative_latex=r"\tanh'(x) = 1 - \tanh^2(x)",
        fn=_formula("tanh"),
        grad=_formula("tanh_grad"),
        output_range=_fixed(Range(-1.0, 1.0)),
        properties=_props("monotonic zero_centred bounded_below bounded_above smooth saturating"),
        kinks="none (smooth)",
        reference="LeCun, Bottou, Orr & Müller, Efficient BackProp",
        year=1998,
        torch_name="torch.nn.Tanh",
        torch_fn=Deferred("torch", "tanh"),
        summary="A zero-centred sigmoid (tanh(x) = 2σ(2x) − 1); also saturates.",
    ),
    Activation(
        name="hardtanh",
        aliases=("clip",),
        formula="f(x) = min(max(x, min_val), max_val)",
        formula_latex=r"f(x) = \min(\max(x, a), b)",
        derivative="f'(x) = 1 if min_val < x < max_val else 0",
        derivative_latex=r"f'(x) = \mathbb{1}[a < x < b]",
        fn=_formula("hardtanh"),
        grad=_formula("hardtanh_grad"),
        output_range=lambda p: Range(p["min_val"], p["max_val"], True, True),
        properties=_props("monotonic zero_centred bounded_below bounded_above saturating"),
        kinks="f'(min_val) = f'(max_val) = 0 (PyTorch's choice)",
        reference="Collobert, Large Scale Machine Learning (PhD thesis)",
        year=2004,
        torch_name="torch.nn.Hardtanh",
        torch_fn=Deferred("torch.nn.functional", "hardtanh"),
        params=(
            Param("min_val", -1.0, "lower clip value"),
            Param("max_val", 1.0, "upper clip value"),
        ),
        summary="A piecewise-linear tanh: cheap, but with zero gradient outside [min_val, max_val].",
    ),
    Activation(
        name="hardsigmoid",
        aliases=(),
        formula="f(x) = min(max(0, x + 3), 6) / 6",
        formula_latex=r"f(x) = \frac{\operatorname{ReLU6}(x + 3)}{6}",
        derivative="f'(x) = 1/6 if −3 < x < 3 else 0",
        derivative_latex=r"f'(x) = \tfrac{1}{6}\mathbb{1}[-3 < x < 3]",
        fn=_formula("hardsigmoid"),
        grad=_formula("hardsigmoid_grad"),
        output_range=_fixed(Range(0.0, 1.0, True, True)),
        properties=_props("monotonic bounded_below bounded_above saturating exact_zeros"),
        kinks="f'(−3) = f'(3) = 0 (PyTorch's choice)",
        reference="Howard et al., Searching for MobileNetV3",
        year=2019,
        torch_name="torch.nn.Hardsigmoid",
        torch_fn=Deferred("torch.nn.functional", "hardsigmoid"),
        summary="A piecewise-linear sigmoid for cheap hardware.",
    ),
    Activation(
        name="hardswish",
        aliases=("hard_swish",),
        formula="f(x) = x·min(max(0, x + 3), 6) / 6",
        formula_latex=r"f(x) = x \frac{\operatorname{ReLU6}(x + 3)}{6}",
        derivative="f'(x) = 0 if x ≤ −3, (2x + 3)/6 if −3 < x < 3, 1 if x ≥ 3",
        derivative_latex=r"f'(x) = \begin{cases} 0 & x \le -3 \\ \frac{2x+3}{6} & -3 < x < 3 "
        r"\\ 1 & x \ge 3 \end{cases}",
        fn=_formula("hardswish"),
        grad=_formula("hardswish_grad"),
        output_range=_fixed(Range(-0.375, INF, True)),
        properties=_props("bounded_below exact_zeros"),
        kinks="f'(−3) = 0 and f'(3) = 1 (PyTorch's choice: the outer pieces own both ends)",
        reference="Howard et al., Searching for MobileNetV3",
        year=2019,
        torch_name="torch.nn.Hardswish",
        torch_fn=Deferred("torch.nn.functional", "hardswish"),
        repair_edges=True,
        summary="A piecewise-polynomial SiLU for mobile networks.",
    ),
    Activation(
        name="softsign",
        aliases=(),
        formula="f(x) = x / (1 + |x|)",
        formula_latex=r"f(x) = \frac{x}{1 + |x|}",
        derivative="f'(x) = 1 / (1 + |x|)²",
        derivative_latex=r"f'(x) = \frac{1}{(1 + |x|)^2}",
        fn=_formula("softsign"),
        grad=_formula("softsign_grad"),
        output_range=_fixed(Range(-1.0, 1.0)),
        properties=_props("monotonic zero_centred bounded_below bounded_above smooth saturating"),
        kinks="none (smooth)",
        reference="Bergstra, Desjardins, Lamblin & Bengio, Quadratic Polynomials Learn Better Image Features",
        year=2009,
        torch_name="torch.nn.Softsign",
        torch_fn=Deferred("torch.nn.functional", "softsign"),
        repair_edges=True,
        summary="Like tanh, but approaches ±1 polynomially rather than exponentially.",
    ),
    Activation(
        name="sin",
        aliases=("sine", "siren"),
        formula="f(x) = sin(x)",
        formula_latex=r"f(x) = \sin(x)",
        derivative="f'(x) = cos(x)",
        derivative_latex=r"f'(x) = \cos(x)",
        fn=_formula("sin"),
        grad=_formula("sin_grad"),
        output_range=_fixed(Range(-1.0, 1.0, True, True)),
        properties=_props("zero_centred bounded_below bounded_above smooth"),
        kinks="none (smooth)",
        reference="Sitzmann et al., Implicit Neural Representations with Periodic Activation Functions",
        year=2020,
        torch_name="torch.sin",
        torch_fn=Deferred("torch", "sin"),
        summary="Periodic: the SIREN activation for signals and coordinates.",
    ),
]

CATALOG: dict[str, Activation] = {a.name: a for a in _ENTRIES}
ALIASES: dict[str, str] = {alias: a.name for a in _ENTRIES for alias in a.aliases}


def names() -> list[str]:
    """Canonical names, in catalog order."""
    return list(CATALOG)


def lookup(name: str) -> Activation:
    """The entry for a canonical name or alias (case and ``-`` vs ``_`` do not matter)."""
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in CATALOG:
        raise unknown("activation", name, [*CATALOG, *ALIASES])
    return CATALOG[key]


def parse_spec(spec: str, extra: Sequence[str] = ()) -> tuple[Activation, dict[str, Any]]:
    """Parse ``"name"`` or ``"name:key=value,key=value"`` (the CLI's way to pass parameters), with ``extra``
    ``key=value`` items added after the spec's own (``actlab show relu -p key=value``)."""
    if extra:
        spec = f"{spec}{',' if ':' in spec else ':'}{','.join(extra)}"
    name, _, rest = spec.partition(":")
    entry = lookup(name)
    params: dict[str, Any] = {}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            first = entry.params[0] if entry.params else lookup("leaky_relu").params[0]  # an example that exists
            example = f"{entry.name if entry.params else 'leaky_relu'}:{first.name}={first.default}"
            raise ActlabError(f"bad parameter {item!r} in {spec!r}: write key=value, e.g. {example}")
        params[key.strip()] = value.strip()
    return entry, entry.resolve(**params)
