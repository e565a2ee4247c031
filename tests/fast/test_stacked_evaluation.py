"""Stacked evaluation against evaluate() and eval_dead_fraction() network by network, and by hand."""

from __future__ import annotations

import math

import pytest
import torch

from actlab.fast.metrics import EVAL_RTOL, EVAL_RTOL_64, eval_dead_fraction, evaluate_stack, final_metrics
from actlab.fast.stacked import StackedMLP
from actlab.fast.vectorized import layer_specs
from actlab.nets.mlp import MLP
from actlab.nets.tasks import get_task
from actlab.training.config import TrainConfig, make_task
from actlab.training.evaluate import evaluate, region_points
from actlab.training.loop import build_model, final_divergence, train

COUNTS = ("exact_rate", "accuracy", "dead_fraction")  # whole counts over the points: equal, not close


def _trained(task: str, dtype: torch.dtype) -> tuple[list[MLP], list[TrainConfig]]:
    """Networks a few steps into training (not at their initial weights), mixed activations, odd widths."""
    configs = [
        TrainConfig(task=task, activation=act, seed=seed, hidden=[9, 7], steps=25, batch_size=16, lr=1e-2)
        for act in ("relu", "tanh", "gelu", "sigmoid")
        for seed in (0, 1)
    ]
    return [train(c).model.to(dtype) for c in configs], configs


def _scale(task_name: str, key: str) -> float:
    """The size of the answers of the metric's region: errors are compared relative to it (a prediction's
    rounding is relative to the prediction, and an error may be much smaller than the prediction)."""
    task = get_task(task_name)
    _, y = region_points(task, "extrap" if key.startswith("extrap") else "interp")
    return float(y.double().abs().amax())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("task_name", ["add", "div", "spiral"])
def test_stacked_evaluation_equals_evaluate_network_by_network(task_name: str, dtype: torch.dtype) -> None:
    models, configs = _trained(task_name, dtype)
    task = make_task(configs[0])
    specs = [layer_specs(c) for c in configs]
    # slices of 3 networks cut across the activation chunks: a network's result must not depend on its neighbours
    stacked = StackedMLP(models, specs, configs[0].batch_size)
    found = evaluate_stack(stacked, task, max_bytes=3 * 2000 * 9 * dtype.itemsize)
    rtol = EVAL_RTOL if dtype == torch.float32 else EVAL_RTOL_64
    for i, model in enumerate(models):
        alone = evaluate(model, task)
        assert found.metrics[i].keys() == alone.keys()
        for key, value in alone.items():
            got = found.metrics[i][key]
            if value is None or any(key.endswith(c) for c in COUNTS):
                assert got == value, (i, key)
            elif key.endswith("rel_error"):
                assert got == pytest.approx(value, rel=0, abs=rtol), (i, key)
            else:
                assert got == pytest.approx(value, rel=0, abs=rtol * _scale(task_name, key)), (i, key)
        assert found.dead_fraction[i] == eval_dead_fraction(model, task)
    assert found.finite_weights == [True] * len(models)


def test_stacked_evaluation_by_hand() -> None:
    """a + b through ReLU(a + b) - ReLU(-(a + b)): exact answers, no dead unit; a layer biased to -1e6: all dead."""
    task = get_task("add")
    exact = MLP(2, [2], 1, activation="relu")
    dead = MLP(2, [2], 1, activation="relu")
    (first, out), (dead_first, dead_out) = exact.linears(), dead.linears()
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, 1.0], [-1.0, -1.0]]))
        first.bias.zero_()
        out.weight.copy_(torch.tensor([[1.0, -1.0]]))
        out.bias.zero_()
        dead_first.weight.zero_()
        dead_first.bias.fill_(-1e6)
        dead_out.weight.zero_()
        dead_out.bias.fill_(2.0)
    found = evaluate_stack(StackedMLP([exact, dead], [("relu",), ("relu",)], 8), task)
    sure = found.metrics[0]
    assert sure["interp_mae"] == 0.0 and sure["interp_max_error"] == 0.0 and sure["interp_exact_rate"] == 1.0
    assert sure["extrap_mae"] == 0.0 and sure["extrap_exact_rate"] == 1.0
    assert found.dead_fraction == [0.0, 1.0]
    _, y = region_points(task, "interp")
    assert found.metrics[1]["interp_mae"] == pytest.approx(float((y.double() - 2.0).abs().mean()), rel=1e-15)


def test_final_metrics_finds_a_network_whose_predictions_overflowed() -> None:
    """Losses finite, final weights huge: the network is diverged at last + 1 with final_divergence's reason,
    its metrics NaN; its neighbour is untouched; the per-network path agrees."""
    configs = [TrainConfig(seed=s, hidden=[4], steps=5) for s in (0, 1)]
    task = make_task(configs[0])
    models = [build_model(c, task) for c in configs]
    with torch.no_grad():
        models[1].linears()[-1].weight.fill_(3e38)  # finite, but the outputs overflow to inf
    specs = [layer_specs(c) for c in configs]
    for one_by_one in (False, True):
        stacked = StackedMLP(models, specs, configs[0].batch_size)
        diverged: dict[int, int] = {}
        metrics, errors = final_metrics(stacked, models, task, configs, diverged, [5, 3], one_by_one)
        assert diverged == {1: 4} and [i for i, _ in errors] == [1]
        reason = final_divergence(models[1], evaluate(models[1], task))
        assert reason is not None and reason in str(errors[0][1])
        assert math.isnan(metrics[1]["interp_mae"]) and metrics[1]["diverged_step"] == 4
        assert metrics[0]["diverged_step"] is None and math.isfinite(metrics[0]["interp_mae"])
        assert metrics[0]["interp_mae"] == pytest.approx(evaluate(models[0], task)["interp_mae"], rel=1e-5)


def test_a_networks_evaluation_does_not_depend_on_its_neighbours() -> None:
    """The same bits alone, first, in the middle of a stack and at a slice's end (a run trained again alone
    must give what it gave in its group)."""
    models, configs = _trained("add", torch.float32)
    task = make_task(configs[0])
    specs = [layer_specs(c) for c in configs]

    def metrics(chosen: list[int], max_bytes: int = 2**30) -> list[dict[str, float | None]]:
        stacked = StackedMLP([models[i] for i in chosen], [specs[i] for i in chosen], 16)
        return evaluate_stack(stacked, task, max_bytes=max_bytes).metrics

    alone = metrics([3])[0]
    assert metrics([3, 2])[0] == alone and metrics([2, 3, 5])[1] == alone
    assert metrics([1, 2, 3], max_bytes=2 * 2000 * 9 * 4)[2] == alone  # in the second slice of two
    assert metrics([2, 3], max_bytes=2000 * 9 * 4)[1] == alone  # slices of one network each
