"""The dead-unit rule at its boundary, through every path that counts dead units: a unit that fires once
is alive, one that never fires is dead, for the output and for the slope (the derivative branch).

The paths: the Monitor (and so ``diagnose``, the tracker and the tour) and ``train_many``'s
``dead_fraction`` (``actlab.fast.metrics.eval_dead_fraction``, on the interpolation points). The networks are
built by hand on those very points, so that a unit fires on exactly as many of them as the test says."""

from __future__ import annotations

import pytest
import torch

from actlab.diagnostics import Monitor, diagnose, rules
from actlab.fast.metrics import eval_dead_fraction
from actlab.nets.mlp import MLP
from actlab.nets.tasks import get_task
from actlab.training.evaluate import EVAL_POINTS, EVAL_SEEDS

TASK = get_task("add")  # inputs (a, b) uniform in [-10, 10]²
PROBE = TASK.sample(EVAL_POINTS, torch.Generator().manual_seed(EVAL_SEEDS["interp"]), "interp")[0]  # (2000, 2)


def network(units: list[tuple[float, float]], activation: str) -> MLP:
    """One hidden layer; unit ``i`` computes ``z = scale·(a + b − threshold)`` for ``(threshold, scale)``."""
    weights = [[[scale, scale] for _, scale in units], [[1.0] * len(units)]]
    biases = [[-scale * threshold for threshold, scale in units], [0.0]]
    return MLP.from_weights(weights, biases, activation)


def firing_inputs(model: MLP, unit: int) -> int:
    """On how many probe inputs the unit's z is above 0, counted directly."""
    with torch.no_grad():
        return int((model.linears()[0](PROBE)[:, unit] > 0).sum())


def dead_units_of_the_monitor(model: MLP) -> list[int]:
    """Dead units by the Monitor over the probe inputs in batches of 256 (it must remember a unit that fired
    in an earlier batch)."""
    with Monitor(model) as monitor, torch.no_grad():
        for batch in PROBE.split(256):
            model(batch)
    (site,) = monitor.sites
    return site.dead_units()


SUMS = PROBE.sum(1)
TOP, SECOND = SUMS.topk(2).values.tolist()
ONCE = (TOP + SECOND) / 2  # a + b is above this on one probe input only
NEVER = 1000.0  # a + b never reaches this


@pytest.mark.parametrize(
    "threshold, fires, dead",
    [(ONCE, 1, False), (NEVER, 0, True), (SECOND - 1e-3, 2, False)],
    ids=["fires-once", "never-fires", "fires-twice"],
)
def test_a_relu_unit_is_dead_only_if_it_never_fires(threshold: float, fires: int, dead: bool) -> None:
    model = network([(threshold, 1.0)], "relu")
    assert firing_inputs(model, 0) == fires  # the construction: exactly this many of the 2,000
    assert eval_dead_fraction(model, TASK) == float(dead)
    assert dead_units_of_the_monitor(model) == ([0] if dead else [])
    assert diagnose(model, PROBE, backward=False).sites[0].dead == int(dead)


def test_a_unit_firing_only_where_a_plus_b_exceeds_19_is_alive_and_its_dead_neighbour_is_not() -> None:
    model = network([(19.0, 1.0), (NEVER, 1.0)], "relu")
    rare = firing_inputs(model, 0)
    assert 1 <= rare < EVAL_POINTS / 100  # fires, but on fewer than 1 % of the inputs
    assert eval_dead_fraction(model, TASK) == 0.5
    assert dead_units_of_the_monitor(model) == [1]
    report = diagnose(model, PROBE, backward=False)
    assert report.sites[0].dead == 1 and report.sites[0].dead_fraction == 0.5


# The derivative branch: a sigmoid unit far below 0 outputs exactly 0 and has slope exactly 0 in float32
# (both underflow below z ≈ -104), so it is dead unless some input lifts it. Scaled by 1000 / gap, z is far
# below -104 on every input but the top one, where it is above 0.
SCALE = 1000.0 / (TOP - SECOND)


@pytest.mark.parametrize("threshold, dead", [(ONCE, False), (NEVER, True)], ids=["fires-once", "never-fires"])
def test_a_saturating_unit_is_dead_only_where_output_and_slope_are_0_on_every_input(
    threshold: float, dead: bool
) -> None:
    model = network([(threshold, SCALE)], "sigmoid")
    with torch.no_grad():
        z = model.linears()[0](PROBE)[:, 0]
    silent = (torch.sigmoid(z) == 0) & (model.activations()[0].derivative(z) == 0)
    assert int((~silent).sum()) == (0 if dead else 1)  # the construction: silent everywhere, or but once
    assert eval_dead_fraction(model, TASK) == float(dead)
    assert dead_units_of_the_monitor(model) == ([0] if dead else [])


def test_a_unit_whose_output_is_always_0_but_whose_slope_is_not_is_alive() -> None:
    model = network([(0.0, 0.0)], "tanh")  # z = 0 everywhere: tanh(0) = 0, tanh'(0) = 1
    assert eval_dead_fraction(model, TASK) == 0.0
    assert dead_units_of_the_monitor(model) == []


def test_the_rule_on_hand_made_outputs() -> None:
    nan = float("nan")
    y = torch.tensor([[0.0, 0.0, 0.0, nan], [0.0, 3.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])  # |y|: 3 inputs, 4 units
    slope = torch.tensor([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.0]])  # |f'(z)|
    assert rules.times_fired(y, None, (0,)).tolist() == [0, 1, 0, 0]  # a NaN is not a firing
    assert rules.times_fired(y, slope, (0,)).tolist() == [0, 1, 1, 0]
    assert rules.dead(rules.times_fired(y, slope, (0,))).tolist() == [True, False, False, True]
    assert rules.times_fired(torch.ones(2, 3, 5), None, (0, 2)).tolist() == [10, 10, 10]
    many = torch.zeros(2**24 + 3, 2)  # beyond float32's exact integers: counted in float64
    many[:, 1] = 1.0
    assert rules.times_fired(many, None, (0,)).tolist() == [0, 2**24 + 3]
