"""Names, aliases, parameter validation, modules and the public ``actlab.get``."""

from __future__ import annotations

import math

import pytest
import torch
from catalog_error_model import K, assert_within, curvature, derivative_bound, forward_bound

import actlab
from actlab.catalog.entries import CATALOG, SELU_SCALE_ALPHA, lookup, parse_spec
from actlab.catalog.modules import MODULES, CatalogActivation
from actlab.errors import ActlabError

REQUIRED = [
    "identity",
    "step",
    "relu",
    "leaky_relu",
    "prelu",
    "relu6",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "mish",
    "softplus",
    "sigmoid",
    "tanh",
    "hardtanh",
    "hardsigmoid",
    "hardswish",
    "softsign",
    "sin",
]


def test_catalog_has_the_twenty_required_entries_each_with_a_module() -> None:
    assert set(REQUIRED) <= set(CATALOG)
    assert set(MODULES) == set(CATALOG)


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("linear", "identity"),
        ("none", "identity"),
        ("swish", "silu"),
        ("lrelu", "leaky_relu"),
        ("Leaky-ReLU", "leaky_relu"),
        ("heaviside", "step"),
        ("RELU", "relu"),
    ],
)
def test_aliases_resolve(alias: str, name: str) -> None:
    assert lookup(alias).name == name
    assert actlab.get(alias).entry.name == name


@pytest.mark.parametrize("name", list(CATALOG))
def test_every_entry_is_fully_described(name: str) -> None:
    e = CATALOG[name]
    assert e.formula and e.formula_latex and e.derivative and e.derivative_latex and e.kinks and e.summary
    assert e.torch_name and e.reference
    assert name == "identity" or 1900 < e.year <= 2026


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("name", list(CATALOG))
def test_module_equals_functional(name: str, dtype: torch.dtype) -> None:
    """The module (PyTorch's fused kernel) and the catalog's formula in float64, within the error model."""
    x = torch.linspace(-8, 8, 97, dtype=torch.float64).to(dtype)
    x64 = x.double()
    module = actlab.get(name).to(dtype)
    assert isinstance(module, CatalogActivation)
    entry = CATALOG[name]
    value, slope = entry.fn(x64, **entry.resolve()), entry.grad(x64, **entry.resolve())
    bound = forward_bound(x64, value, slope, dtype, gate=name == "gelu")  # PyTorch forms ½(1 + erf)
    assert_within(module(x), value, bound, f"{module!r} in {dtype}")


@pytest.mark.parametrize("name", list(CATALOG))
def test_module_derivative_equals_autograd_through_the_module(name: str) -> None:
    """``module.derivative`` (the closed form) against autograd through ``module.forward`` (the kernel) in
    float64, on a grid through every kink (0, ±1, ±3, 6), where both follow PyTorch's conventions."""
    x = torch.linspace(-8, 8, 97, dtype=torch.float64)
    module = actlab.get(name).double()
    xx = x.clone().requires_grad_(True)
    y = module(xx)
    autograd = torch.autograd.grad(y.sum(), xx)[0] if y.requires_grad else torch.zeros_like(x)
    ours = module.derivative(x)
    bound = derivative_bound(x, ours, curvature(module.derivative, x))
    if name == "hardsigmoid":  # PyTorch's backward multiplies by 1/6 rounded to float32, even in float64
        bound = K * torch.finfo(torch.float32).eps * ours.abs()
    assert_within(autograd, ours, bound, f"autograd through {module!r}")


def test_module_derivative_follows_its_parameters() -> None:
    x = torch.tensor([-2.0, 0.0, 2.0], dtype=torch.float64)
    assert actlab.get("leaky_relu", negative_slope=0.3).derivative(x).tolist() == [0.3, 0.3, 1.0]
    assert actlab.get("elu", alpha=0.5).derivative(x).tolist() == pytest.approx([0.5 * math.exp(-2.0), 0.5, 1.0])
    prelu = actlab.get("prelu", init=0.2)
    with torch.no_grad():
        prelu.weight.fill_(0.7)  # a learned slope: the derivative follows the weight, not the initial value
    assert prelu.derivative(x).tolist() == pytest.approx([0.7, 0.7, 1.0])


def test_module_hyper_parameters_and_repr() -> None:
    m = actlab.get("lrelu", negative_slope=0.2)
    assert repr(m) == "LeakyReLU(negative_slope=0.2)"
    assert m(torch.tensor([-1.0, 3.0])).tolist() == pytest.approx([-0.2, 3.0])
    assert actlab.get("leaky_relu:negative_slope=0.3").params == {"negative_slope": 0.3}
    assert actlab.get("gelu", approximate="tanh").params == {"approximate": "tanh"}
    assert actlab.get("softplus:beta=2", threshold=10).params == {"beta": 2.0, "threshold": 10.0}


def test_prelu_slope_is_learned_per_channel() -> None:
    m = actlab.get("prelu", init=0.1)
    assert isinstance(m.weight, torch.nn.Parameter) and m.weight.item() == pytest.approx(0.1)
    per_channel = actlab.catalog.modules.PReLU(num_parameters=3)
    x = torch.tensor([[-1.0, -2.0, -4.0]])
    per_channel(x).sum().backward()
    assert per_channel.weight.grad.tolist() == [-1.0, -2.0, -4.0]
    torch.testing.assert_close(per_channel(x), torch.nn.PReLU(3)(x))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: actlab.get("relux"), "unknown activation 'relux': did you mean relu"),
        (lambda: actlab.get("leaky_relu", negative_slope="abc"), "negative_slope='abc' is invalid"),
        (lambda: actlab.get("softplus", beta=-1), "beta must be a number > 0"),
        (lambda: actlab.get("elu", alpha=float("nan")), "alpha must be a number > 0"),
        (lambda: actlab.get("relu", alpha=1), "relu has no parameter 'alpha'"),
        (lambda: actlab.get("hardtanh", min_val=2, max_val=1), "min_val=2 must be below max_val=1"),
        (lambda: actlab.get("gelu", approximate="fast"), "one of 'none', 'tanh'"),
        (lambda: parse_spec("elu:alpha"), "write key=value, e.g. elu:alpha=1.0"),  # its own entry's parameter
        (lambda: parse_spec("leaky_relu:negative_slope"), "e.g. leaky_relu:negative_slope=0.01"),
        (lambda: parse_spec("relu:slope"), "e.g. leaky_relu:negative_slope=0.01"),  # relu has none: a real one
    ],
)
def test_bad_input_raises_actlab_error(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(actlab.ActlabError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_range_follows_parameters() -> None:
    assert str(lookup("elu").range_for(alpha=2)) == "(-2, ∞)"
    assert str(lookup("hardtanh").range_for(min_val=-2, max_val=3)) == "[-2, 3]"
    assert str(lookup("relu").range_for()) == "[0, ∞)"
    assert str(lookup("sigmoid").range_for()) == "(0, 1)"


def test_selu_range_is_its_limit_at_minus_infinity() -> None:
    from actlab.catalog import functional

    assert SELU_SCALE_ALPHA == functional.SELU_SCALE * functional.SELU_ALPHA
    assert lookup("selu").range_for().low == -SELU_SCALE_ALPHA


def test_reading_the_catalog_imports_no_torch() -> None:
    """``actlab list`` and ``actlab --help`` start quickly because the catalog names its functions and imports
    them on first call: in a fresh interpreter, ``import actlab`` and every entry's metadata leave torch out."""
    import subprocess
    import sys

    code = (
        "import sys, actlab\n"
        "rows = [(e.name, e.formula, str(e.range_for()), e.properties.short()) for e in actlab.CATALOG.values()]\n"
        "assert len(rows) == 20\n"
        "print(sorted(m for m in ('torch', 'matplotlib', 'numpy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_step_passes_a_zero_gradient_so_nothing_learns_through_it() -> None:
    layer = torch.nn.Linear(2, 3)
    net = torch.nn.Sequential(layer, actlab.get("step"), torch.nn.Linear(3, 1))
    net(torch.randn(8, 2)).sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.abs().sum().item() == 0.0


def test_parse_spec_adds_extra_items_after_the_specs_own() -> None:
    assert parse_spec("leaky_relu", ["negative_slope=0.2"])[1] == {"negative_slope": 0.2}
    assert parse_spec("elu:alpha=2", ["alpha=3"])[1] == {"alpha": 3.0}  # the later item wins, as in a spec
    with pytest.raises(ActlabError, match="has no parameter 'alpha'"):
        parse_spec("relu", ["alpha=1"])


def test_as_dict_describes_the_entry_with_its_range_for_the_params() -> None:
    entry = lookup("hardtanh")
    data = entry.as_dict(entry.resolve(min_val=-2, max_val=3))
    assert data["name"] == "hardtanh"
    assert data["range"] == {"low": -2.0, "high": 3.0, "text": "[-2, 3]"}
    assert data["params"]["min_val"]["default"] == -1.0
    assert data["year"] is None or isinstance(data["year"], int)


def test_example_values_are_f_and_its_slope_at_the_five_points() -> None:
    from actlab.catalog.demo import example_values

    entry = lookup("relu")
    assert example_values(entry, {}) == {
        "x": [-2.0, -1.0, 0.0, 1.0, 2.0],
        "y": [0.0, 0.0, 0.0, 1.0, 2.0],
        "dy": [0.0, 0.0, 0.0, 1.0, 1.0],  # relu'(0) = 0, PyTorch's convention
    }
