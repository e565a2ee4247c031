"""Names, aliases, parameter validation, modules and the public ``actlab.get``."""

from __future__ import annotations

import pytest
import torch

import actlab
from actlab.catalog import CATALOG, lookup, parse_spec
from actlab.modules import MODULES, CatalogActivation

REQUIRED = [
    "identity", "step", "relu", "leaky_relu", "prelu", "relu6", "elu", "selu", "celu", "gelu",
    "silu", "mish", "softplus", "sigmoid", "tanh", "hardtanh", "hardsigmoid", "hardswish", "softsign", "sin",
]  # fmt: skip


def test_catalog_has_the_twenty_required_entries_each_with_a_module() -> None:
    assert set(REQUIRED) <= set(CATALOG)
    assert set(MODULES) == set(CATALOG)


@pytest.mark.parametrize(
    ("alias", "name"),
    [("linear", "identity"), ("none", "identity"), ("swish", "silu"), ("lrelu", "leaky_relu"),
     ("Leaky-ReLU", "leaky_relu"), ("heaviside", "step"), ("RELU", "relu")],
)  # fmt: skip
def test_aliases_resolve(alias: str, name: str) -> None:
    assert lookup(alias).name == name
    assert actlab.get(alias).entry.name == name


@pytest.mark.parametrize("name", list(CATALOG))
def test_every_entry_is_fully_described(name: str) -> None:
    e = CATALOG[name]
    assert e.formula and e.formula_latex and e.derivative and e.derivative_latex and e.kinks and e.summary
    assert e.torch_name and e.reference
    assert name == "identity" or 1900 < e.year <= 2026


@pytest.mark.parametrize("name", list(CATALOG))
def test_module_equals_functional(name: str) -> None:
    x = torch.linspace(-8, 8, 97, dtype=torch.float64)
    module = actlab.get(name)
    assert isinstance(module, CatalogActivation)
    expected = CATALOG[name].fn(x, **CATALOG[name].resolve())
    torch.testing.assert_close(module(x), expected, rtol=1e-12, atol=1e-15)
    x32 = x.float()  # the module's fused kernel and the formula agree in float32 too (gelu: PyTorch's 4e-5)
    torch.testing.assert_close(module(x32), CATALOG[name].fn(x32, **CATALOG[name].resolve()), rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(module.derivative(x), CATALOG[name].grad(x, **CATALOG[name].resolve()))


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
    per_channel = actlab.modules.PReLU(num_parameters=3)
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
        (lambda: parse_spec("elu:alpha"), "write key=value"),
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


def test_step_passes_a_zero_gradient_so_nothing_learns_through_it() -> None:
    layer = torch.nn.Linear(2, 3)
    net = torch.nn.Sequential(layer, actlab.get("step"), torch.nn.Linear(3, 1))
    net(torch.randn(8, 2)).sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.abs().sum().item() == 0.0
