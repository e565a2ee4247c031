"""MLP structure, init schemes (against their formulas and PyTorch), and hand-built networks."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from actlab import MLP
from actlab.catalog.modules import PReLU, ReLU, Tanh
from actlab.errors import ActlabError
from actlab.nets.init import INIT_SCHEMES, init_linear, weight_std


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_structure_and_names() -> None:
    model = MLP(2, [8, 4], 3, activation="tanh", generator=gen())
    assert [n for n, _ in model.named_children()] == ["linear1", "act1", "linear2", "act2", "out"]
    assert [(m.in_features, m.out_features) for m in model.linears()] == [(2, 8), (8, 4), (4, 3)]
    assert all(isinstance(a, Tanh) for a in model.activations())
    assert model(torch.zeros(7, 2)).shape == (7, 3)
    assert model.hidden == [8, 4]


def test_forward_is_the_layer_by_layer_formula() -> None:
    model = MLP(2, [5], 1, activation="relu", generator=gen(1))
    x = torch.randn(10, 2, generator=gen(2))
    by_hand = torch.relu(x @ model.linear1.weight.T + model.linear1.bias) @ model.out.weight.T + model.out.bias
    assert torch.allclose(model(x), by_hand)


def test_no_hidden_layer_is_linear() -> None:
    model = MLP(3, [], 2, generator=gen())
    assert [n for n, _ in model.named_children()] == ["out"]


def test_per_layer_activations_and_specs() -> None:
    model = MLP(2, [4, 4], 1, activation=["relu", "leaky_relu:negative_slope=0.2"], generator=gen())
    first, second = model.activations()
    assert isinstance(first, ReLU) and second.params == {"negative_slope": 0.2}
    with pytest.raises(ActlabError, match="2 hidden layers"):
        MLP(2, [4, 4], 1, activation=["relu"])


def test_module_activation_is_copied_per_layer() -> None:
    model = MLP(2, [4, 4], 1, activation=PReLU(), generator=gen())
    a, b = model.activations()
    assert a is not b and a.weight is not b.weight
    assert len(list(model.parameters())) == 6 + 2


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_width(bad: object) -> None:
    with pytest.raises(ActlabError, match="whole number > 0"):
        MLP(2, [bad], 1)  # type: ignore[list-item]


def test_unknown_activation() -> None:
    with pytest.raises(ActlabError, match="unknown activation 'rleu'"):
        MLP(2, [4], 1, activation="rleu")


def test_same_generator_seed_same_weights() -> None:
    a = MLP(2, [16, 16], 1, generator=gen(3))
    b = MLP(2, [16, 16], 1, generator=gen(3))
    c = MLP(2, [16, 16], 1, generator=gen(4))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a.linear1.weight, c.linear1.weight)


def test_default_scheme_matches_pytorch() -> None:
    ours = nn.Linear(30, 20)
    init_linear(ours, "default", generator=gen(9))
    ref = nn.Linear(30, 20)
    g = gen(9)
    nn.init.kaiming_uniform_(ref.weight, a=math.sqrt(5), generator=g)
    bound = 1 / math.sqrt(30)
    nn.init.uniform_(ref.bias, -bound, bound, generator=g)
    assert torch.allclose(ours.weight, ref.weight, atol=1e-7)
    assert torch.allclose(ours.bias, ref.bias, atol=1e-7)


EXPECTED_STD = {  # fan_in 400, fan_out 200
    "default": 1 / math.sqrt(3 * 400),
    "standard": 1 / math.sqrt(3 * 400),
    "he": math.sqrt(2 / 400),
    "he_normal": math.sqrt(2 / 400),
    "he_uniform": math.sqrt(2 / 400),
    "xavier": math.sqrt(2 / 600),
    "xavier_uniform": math.sqrt(2 / 600),
    "xavier_normal": math.sqrt(2 / 600),
    "lecun": math.sqrt(1 / 400),
}


@pytest.mark.parametrize("scheme", INIT_SCHEMES)
def test_scheme_statistics(scheme: str) -> None:
    layer = nn.Linear(400, 200)
    init_linear(layer, scheme, generator=gen())
    expected = EXPECTED_STD[scheme]
    assert weight_std(scheme, 400, 200) == pytest.approx(expected)
    assert layer.weight.std().item() == pytest.approx(expected, rel=0.03)
    assert abs(layer.weight.mean().item()) < 0.05 * expected
    if "uniform" in scheme or scheme in ("default", "standard", "xavier"):
        assert layer.weight.abs().max().item() <= math.sqrt(3) * expected + 1e-7
    if scheme == "default":
        assert layer.bias.abs().max().item() <= 1 / math.sqrt(400) and layer.bias.abs().sum() > 0
    else:
        assert torch.count_nonzero(layer.bias) == 0


def test_bias_choices() -> None:
    layer = nn.Linear(4, 3)
    init_linear(layer, "he", bias_init=0.1, generator=gen())
    assert torch.equal(layer.bias, torch.full((3,), 0.1))
    init_linear(layer, "default", bias_init="zero", generator=gen())
    assert torch.count_nonzero(layer.bias) == 0
    init_linear(layer, "xavier", bias_init="default", generator=gen())
    assert 0 < layer.bias.abs().max().item() <= 0.5
    with pytest.raises(ActlabError, match="bias init 'big'"):
        init_linear(layer, "he", bias_init="big")
    with pytest.raises(ActlabError, match="unknown init scheme 'kaiming'"):
        init_linear(layer, "kaiming")


# --- hand-built networks --------------------------------------------------------------------------------

ADDER = ([[[1.0, 1.0], [-1.0, -1.0]], [[1.0, -1.0]]], None)  # z = relu(a + b) - relu(-(a + b))


def test_two_unit_relu_adder_is_exact() -> None:
    adder = MLP.from_weights(*ADDER, activation="relu")
    assert adder(torch.tensor([[123456.0, 654321.0]])).item() == 777777.0
    assert adder(torch.tensor([[-123456.0, 654321.0]])).item() == 530865.0
    assert [n for n, _ in adder.named_children()] == ["linear1", "act1", "out"]


@settings(max_examples=60, deadline=None)
@given(a=st.integers(-(2**22), 2**22), b=st.integers(-(2**22), 2**22))
def test_two_unit_relu_adder_exact_at_any_range(a: int, b: int) -> None:
    adder = MLP.from_weights(*ADDER, activation="relu")
    subtractor = MLP.from_weights([[[1.0, -1.0], [-1.0, 1.0]], [[1.0, -1.0]]], activation="relu")
    x = torch.tensor([[float(a), float(b)]])
    assert adder(x).item() == a + b
    assert subtractor(x).item() == a - b


def test_lessons_layer_through_the_same_class() -> None:
    w = torch.tensor([[1.0, 0.3, -0.2, 0.5, -0.7], [0.5, 0.7, 0.8, -0.5, 0.9]], dtype=torch.float64)  # (in, out)
    b = torch.tensor([0.1, 0.2, -0.1, 0.3, 0.5], dtype=torch.float64)
    layer = MLP.from_weights([w.T, torch.eye(5, dtype=torch.float64)], [b, torch.zeros(5, dtype=torch.float64)])
    out = layer(torch.tensor([[5.0, 3.0]], dtype=torch.float64))[0]
    assert [round(v, 10) for v in out.tolist()] == [6.6, 3.8, 1.3, 1.3, 0.0]


def test_from_weights_checks_shapes() -> None:
    with pytest.raises(ActlabError, match="takes 3 inputs but layer 0 gives 2"):
        MLP.from_weights([torch.ones(2, 2), torch.ones(1, 3)])
    with pytest.raises(ActlabError, match=r"bias 0 must have shape \(2,\)"):
        MLP.from_weights([torch.ones(2, 2), torch.ones(1, 2)], [torch.ones(3), torch.ones(1)])
    with pytest.raises(ActlabError, match="at least one"):
        MLP.from_weights([])
