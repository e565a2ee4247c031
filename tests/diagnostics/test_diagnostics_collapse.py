"""Collapse detection and the born-dead experiment, checked against a direct count of dead layers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from actlab.diagnostics import born_dead_fraction, born_dead_table, diagnose, is_collapsed
from actlab.errors import ActlabError
from actlab.nets.mlp import MLP


def test_a_network_with_a_dead_layer_is_collapsed_exactly() -> None:
    net = MLP(2, [4, 4], 1, "relu", init="he", generator=torch.Generator().manual_seed(0))
    x = torch.randn(100, 2)
    assert not is_collapsed(net, x, tol=0.0)
    with torch.no_grad():
        net.linear2.bias.fill_(-1e6)
    assert is_collapsed(net, x, tol=0.0)


def spread_network(spread: float, level: float) -> MLP:
    """Outputs ``level`` at input 0 and ``level · (1 + spread)`` at input 1 (float64, identity hidden unit):
    a relative spread of ``spread / (1 + spread)``."""
    return MLP.from_weights([[[1.0]], [[spread * level]]], [[0.0], [level]], "identity", dtype=torch.float64)


TWO_INPUTS = torch.tensor([[0.0], [1.0]], dtype=torch.float64)


# The tolerance is 1e-6 of the output's magnitude: spreads on both sides of it, and between 1e-6 and 1e-4
# (a tolerance loosened 100x would call those collapsed), at two magnitudes (the scale is relative).
@pytest.mark.parametrize("spread, collapsed", [(1e-7, True), (9e-7, True), (2e-6, False), (1e-5, False), (9e-5, False)])
@pytest.mark.parametrize("level", [1.0, 1000.0])
def test_collapsed_means_a_relative_output_spread_of_at_most_1e_6(spread: float, collapsed: bool, level: float) -> None:
    net = spread_network(spread, level)
    assert net(TWO_INPUTS).flatten().tolist() == pytest.approx([level, level * (1 + spread)], rel=1e-15)
    assert is_collapsed(net, TWO_INPUTS) is collapsed  # the default tolerance
    report = diagnose(net, TWO_INPUTS, backward=False)  # the Monitor's, from its Thresholds
    assert report.collapsed is collapsed
    assert ("collapsed" in [v.code for v in report.verdicts]) is collapsed
    assert report.output_spread == pytest.approx(spread / (1 + spread), rel=1e-9)


def test_relative_tolerance() -> None:
    net = spread_network(1e-9, 1.0)
    assert is_collapsed(net, TWO_INPUTS) and not is_collapsed(net, TWO_INPUTS, tol=0.0)


def test_collapse_needs_two_inputs() -> None:
    with pytest.raises(ActlabError, match="at least two inputs"):
        is_collapsed(nn.Linear(2, 1), torch.randn(1, 2))


def dead_layer_count(width: int, depth: int, seeds: range) -> int:
    """Networks in which some hidden layer outputs only zeros on all inputs: born dead, counted by hand."""
    dead = 0
    for seed in seeds:
        net = MLP(2, [width] * depth, 1, "relu", init="he", generator=torch.Generator().manual_seed(seed))
        h = torch.randn(256, 2, generator=torch.Generator().manual_seed(10**6 + seed))
        layer_dead = False
        for linear in net.linears()[:-1]:
            h = torch.relu(linear(h))
            layer_dead |= bool((h == 0).all())
        dead += layer_dead
    return dead


@pytest.mark.parametrize(("width", "depth"), [(2, 8), (3, 12)])
def test_born_dead_fraction_counts_exactly_the_networks_with_a_dead_layer(width: int, depth: int) -> None:
    result = born_dead_fraction(width, depth, 30)
    assert result.collapsed == dead_layer_count(width, depth, range(30))
    assert 0 < result.collapsed < 30  # both kinds occur, so the comparison means something
    assert result.fraction == result.collapsed / 30
    assert result.as_dict()["fraction"] == result.fraction


def test_wide_shallow_networks_are_never_born_dead_and_narrow_deep_ones_almost_always() -> None:
    assert born_dead_fraction(32, 2, 10).collapsed == 0
    assert born_dead_fraction(2, 30, 10).collapsed == 10


def test_table_order_and_seed_lists() -> None:
    cells = born_dead_table([2, 3], [4, 6], [5, 6, 7])
    assert [(c.width, c.depth, c.networks) for c in cells] == [(2, 4, 3), (2, 6, 3), (3, 4, 3), (3, 6, 3)]


@pytest.mark.parametrize(("kwargs", "message"), [({"seeds": []}, "at least one seed"), ({"depth": 0}, "depth")])
def test_bad_arguments(kwargs: dict, message: str) -> None:
    args = {"width": 2, "depth": 3, "seeds": 2} | kwargs
    with pytest.raises(ActlabError, match=message):
        born_dead_fraction(**args)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seeds": 0}, "seeds=0 must be between 1 and 1,000,000"),
        ({"seeds": 10**7}, "seeds=10,000,000 must be between 1 and 1,000,000"),
        ({"width": 0}, "width must be at least 1, got 0"),
        ({"n_inputs": 1}, "n_inputs must be at least 2"),
    ],
)
def test_bad_counts_are_refused(kwargs: dict, message: str) -> None:
    args = {"width": 2, "depth": 3, "seeds": 2} | kwargs
    with pytest.raises(ActlabError, match=message):
        born_dead_fraction(**args)


def test_networks_too_big_for_memory_are_refused_before_any_is_built() -> None:
    # width 100,000 and depth 50: 49 hidden 100,000 x 100,000 weight matrices, 1.78 TiB of float32
    with pytest.raises(ActlabError) as err:
        born_dead_fraction(100_000, 50, 2)
    assert str(err.value) == (
        "a born-dead network of width 100,000 and depth 50 needs 490,056,500,001 float32 values (1.78 TiB), "
        "over the limit of 2 GiB (536,870,912 values): use a smaller width or depth"
    )
    # the table checks every cell before computing any, so no small cell is computed in vain; the message names
    # the biggest network of the table
    with pytest.raises(ActlabError, match="width 100,000 and depth 50 needs 490,056,500,001 float32 values"):
        born_dead_table([2, 100_000], [2, 50], 2)
    born_dead_fraction(4096, 2, 1)  # 4096 x 4096 weights (64 MiB) are fine
