"""Training: config validation, the determinism contract, callbacks, early stop, divergence, and the
lesson's claims measured (add/sub learned, identity vs ReLU, extrapolation per activation)."""

from __future__ import annotations

import dataclasses
import json
import math
import pickle
from pathlib import Path

import pytest
import torch
from torch import nn

from actlab import MLP, TrainConfig, TrainResult, train, train_many
from actlab.errors import ActlabError
from actlab.training.callbacks import Callback
from actlab.training.config import BATCH_SEED_OFFSET, FAR_WORSE, loss_warnings, make_task
from actlab.training.evaluate import slope_ratio
from actlab.training.loop import DivergenceError, batch_stream, build_model, final_divergence, loss_fn, make_optimizer
from conftest import QUICK


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"train_range": (5, 5)}, "low < high"),
        ({"extrap_range": (3, -3)}, "low < high"),
        ({"hidden": [16, 0]}, "hidden width must be >= 1"),
        ({"hidden": [-4]}, "hidden width must be >= 1"),
        ({"steps": 0}, "steps must be >= 1"),
        ({"steps": 2.5}, "steps must be a whole number"),
        ({"steps": True}, "steps must be a whole number, got True"),  # a TOML "steps = true" is not 1 step
        ({"hidden": [16, False]}, "a hidden width must be a whole number, got False"),
        ({"lr": "fast"}, "learning rate must be a number"),
        ({"lr": 0}, "learning rate must be > 0"),
        ({"lr": float("nan")}, "finite"),
        ({"momentum": 1.0}, r"momentum must be in \[0, 1\)"),
        ({"optimizer": "adamw"}, "unknown optimizer 'adamw'"),
        ({"task": "addition"}, "unknown task 'addition'"),
        ({"activation": "rleu"}, "unknown activation 'rleu'"),
        ({"activation": ["relu"]}, "1 activations given for 2 hidden layers"),
        ({"init": "kaiming"}, "unknown init scheme"),
        ({"bias_init": "lots"}, "bias init 'lots'"),
        ({"batch_size": 0}, "batch size must be >= 1"),
        ({"target_loss": -1}, "target loss must be >= 0"),
        ({"noise": -0.5}, "noise must be >= 0"),
        ({"hidden": None}, r"hidden must be a list of layer widths such as \[16, 16\]"),
        ({"activation": 5}, "activation must be a name such as 'relu'"),
        ({"task": "sqrt", "train_range": (-5, 5)}, r"sqrt: its inputs must be >= 0.*\[0, 5\]"),
        ({"task": "div", "train_range": (-5, 5)}, r"div: the divisor b must stay away from 0.*\[1, 5\]"),
    ],
)
def test_config_rejects(fields: dict, message: str) -> None:
    with pytest.raises(ActlabError, match=message):
        TrainConfig(**fields)


def test_config_json_round_trip() -> None:
    config = TrainConfig(
        task="sub",
        train_range=(0, 5),
        hidden=[8],
        activation="leaky_relu:negative_slope=0.2",
        bias_init=0.1,
        optimizer="sgd",
        lr=0.01,
        seed=7,
    )
    data = json.loads(json.dumps(config.to_dict()))
    assert TrainConfig.from_dict(data) == config
    assert data["train_range"] == [0.0, 5.0]
    with pytest.raises(ActlabError, match="unknown config key"):
        TrainConfig.from_dict({**data, "stepz": 3})
    resolved = TrainConfig().resolved()
    assert resolved["train_range"] == [-10.0, 10.0] and resolved["extrap_range"] == [-100.0, 100.0]


def test_same_config_same_loss_curve_bit_for_bit() -> None:
    config = TrainConfig(steps=150, seed=3)
    a, b = train(config), train(config)
    assert a.history == b.history
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True))
    assert train(TrainConfig(steps=150, seed=4)).history != a.history


def test_contract_pieces_reproduce_train() -> None:
    """The determinism contract, spelled out: the documented pieces in a bare loop give train's curve."""
    config = TrainConfig(task="xor", steps=40, seed=5, optimizer="sgd", lr=0.05)
    task = make_task(config)
    model = build_model(config, task)
    reference = MLP(2, [16, 16], 2, "relu", generator=torch.Generator().manual_seed(5))
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), reference.parameters(), strict=True))
    x0, _ = next(batch_stream(config, task))
    assert torch.equal(x0, task.sample(config.batch_size, torch.Generator().manual_seed(5 + BATCH_SEED_OFFSET))[0])
    optimizer, criterion, losses = make_optimizer(model.parameters(), config), loss_fn(task), []
    torch.set_num_threads(1)
    for _, (x, y) in zip(range(config.steps), batch_stream(config, task), strict=False):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses == train(config).history


class Recorder(Callback):
    def __init__(self) -> None:
        self.events: list[str] = []
        self.grads_present: list[bool] = []

    def on_train_start(self, model: nn.Module, config: object) -> None:
        self.events.append("start")

    def on_before_step(self, step: int, model: nn.Module) -> None:
        self.events.append(f"before{step}")
        self.grads_present.append(all(p.grad is not None for p in model.parameters()))

    def on_step_end(self, step: int, loss: float, model: nn.Module) -> None:
        self.events.append(f"end{step}")

    def on_train_end(self, model: nn.Module, result: object) -> None:
        self.events.append("finish")
        assert isinstance(result, TrainResult)


def test_callbacks_in_order() -> None:
    rec = Recorder()
    result = train(TrainConfig(steps=3), [rec])
    assert rec.events == ["start", "before1", "end1", "before2", "end2", "before3", "end3", "finish"]
    assert all(rec.grads_present)
    assert result.steps == 3 and len(result.history) == 3


def test_a_subclass_overriding_one_hook_is_a_callback() -> None:
    """The other hooks stay no-ops, and ``isinstance(..., Callback)`` holds as it did when Callback was a plain
    base class (a protocol refuses isinstance unless runtime-checkable)."""

    class Steps(Callback):
        def __init__(self) -> None:
            self.steps: list[int] = []

        def on_step_end(self, step: int, loss: float, model: nn.Module) -> None:
            self.steps.append(step)

    steps = Steps()
    train(TrainConfig(steps=3, hidden=[3]), [steps])
    assert steps.steps == [1, 2, 3]
    assert isinstance(steps, Callback) and not isinstance(object(), Callback)


def test_target_loss_stops_early() -> None:
    result = train(TrainConfig(steps=3000, target_loss=1.0))
    assert result.stopped_early and result.steps < 3000
    assert result.final_loss <= 1.0 and all(v > 1.0 for v in result.history[:-1])


def test_divergence_is_an_error_not_a_nan_model() -> None:
    with pytest.raises(ActlabError, match=r"diverged at step \d+.*such as --lr 1, or --optimizer adam, or a smaller"):
        train(TrainConfig(optimizer="sgd", lr=10.0, steps=200))


def test_divergence_on_adam_does_not_suggest_adam() -> None:
    with pytest.raises(ActlabError) as caught:
        train(TrainConfig(optimizer="adam", lr=1e6, steps=200))
    message = str(caught.value)
    assert "(adam, init=default); try a lower learning rate such as --lr 100000, or a smaller --range" in message
    assert "--optimizer" not in message


def test_result_to_dict_is_json() -> None:
    result = train(TrainConfig(steps=20))
    data = json.loads(json.dumps(result.to_dict(with_history=True)))
    for key in ("interp_mae", "extrap_mae", "final_loss", "steps", "seconds", "config", "history"):
        assert key in data
    assert data["steps"] == 20 and len(data["history"]) == 20


def test_threads_are_restored() -> None:
    before = torch.get_num_threads()
    train(TrainConfig(steps=2, threads=1))
    assert torch.get_num_threads() == before


@pytest.mark.skipif(not Path(__file__).parents[2].joinpath("src/actlab/diagnostics").is_dir(), reason="no diagnostics")
def test_track_every_stores_diagnostics() -> None:
    result = train(TrainConfig(steps=30, track_every=10))
    assert [r["step"] for r in result.diagnostics] == [10, 20, 30]
    assert "act1" in result.diagnostics[0]["sites"]
    assert 0.0 <= result.diagnostics[-1]["sites"]["act1"]["dead_fraction"] <= 1.0


# --- the lesson's claims, measured ------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["add", "sub"])
def test_relu_learns_add_and_sub_at_the_default_config(task: str) -> None:
    result = train(TrainConfig(task=task))
    assert result.metrics["interp_mae"] < 0.05
    assert result.metrics["interp_exact_rate"] == 1.0
    print(f"{task}: interp MAE {result.metrics['interp_mae']:.4f} in {result.seconds:.1f} s")


@pytest.mark.parametrize("task", ["add", "sub"])
def test_identity_learns_add_and_sub_exactly(task: str) -> None:
    result = train(TrainConfig(task=task, activation="identity", steps=1000))
    assert result.metrics["interp_mae"] < 1e-3
    assert result.metrics["extrap_mae"] < 1e-2  # a linear map is linear everywhere


@pytest.mark.slow
@pytest.mark.parametrize("task", ["xor", "circle"])
def test_identity_near_chance_where_relu_succeeds(task: str) -> None:
    steps = 600 if QUICK else 1000
    linear = train(TrainConfig(task=task, activation="identity", steps=steps))
    relu = train(TrainConfig(task=task, activation="relu", steps=steps))
    assert linear.metrics["accuracy"] < 0.7
    assert relu.metrics["accuracy"] > 0.95


LINEAR_TAIL = ["relu", "leaky_relu", "gelu", "softplus"]
FLAT_TAIL = ["tanh", "sigmoid", "hardtanh", "relu6"]


@pytest.fixture(scope="module")
def extrapolation_runs() -> dict[str, TrainResult]:
    """The 8 networks trained together (train_many: each as actlab.train would, at a fraction of the cost)."""
    activations = LINEAR_TAIL + FLAT_TAIL
    runs = train_many([TrainConfig(task="add", activation=a, steps=1000) for a in activations])
    return dict(zip(activations, runs, strict=True))


@pytest.mark.parametrize("activation", LINEAR_TAIL + FLAT_TAIL)
def test_extrapolation_continues_or_flattens(activation: str, extrapolation_runs: dict[str, TrainResult]) -> None:
    """Outside the training range, ReLU-like networks keep a + b's slope; saturating ones go flat."""
    result = extrapolation_runs[activation]
    ratio = slope_ratio(result.model, result.task)
    if activation in LINEAR_TAIL:
        assert 0.85 < ratio < 1.15
    else:
        assert abs(ratio) < 0.05


# --- divergence after the last update, and runs far worse than their start (issue 11, item 1) ------------

OVERFLOWS_ON_ITS_LAST_UPDATE = TrainConfig(steps=1, lr=1e20, optimizer="sgd", hidden=[8])  # every loss finite


def test_a_model_whose_last_update_overflowed_is_never_returned() -> None:
    with pytest.raises(DivergenceError) as caught:
        train(OVERFLOWS_ON_ITS_LAST_UPDATE)
    assert caught.value.step == 2  # the step whose loss the final weights would have had
    assert str(caught.value).startswith("training diverged after step 1: the final model's predictions are not finite")
    assert pickle.loads(pickle.dumps(caught.value)).step == 2  # a worker process sends it back whole


def test_final_divergence_looks_at_weights_and_predictions() -> None:
    model = nn.Sequential(nn.Linear(2, 1))
    finite = {"interp_mae": 1.0, "extrap_mae": 2.0, "interp_rel_error": math.inf}  # rel_error may be inf: not looked at
    assert final_divergence(model, finite) is None
    assert final_divergence(model, {**finite, "extrap_mae": math.nan}) == (
        "the final model's predictions are not finite (extrap_mae nan)"
    )
    with torch.no_grad():
        model[0].bias.fill_(math.inf)
    assert final_divergence(model, finite) == "the final weights are not finite"


def test_classification_accuracy_of_non_finite_logits_is_nan() -> None:
    from actlab.nets.tasks import get_task
    from actlab.training.evaluate import evaluate

    model = nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.fill_(math.nan)
    metrics = evaluate(model, get_task("xor"))
    assert math.isnan(metrics["accuracy"]) and math.isnan(metrics["extrap_accuracy"])  # argmax of NaN means nothing


@pytest.mark.parametrize("workers", [1, 2])
def test_train_many_counts_a_last_update_overflow_as_diverged(workers: int) -> None:
    good = dataclasses.replace(OVERFLOWS_ON_ITS_LAST_UPDATE, lr=1e-3)
    kept_good, kept_bad = train_many([good, OVERFLOWS_ON_ITS_LAST_UPDATE], on_diverge="keep", workers=workers)
    assert kept_bad.metrics["diverged_step"] == 2 and math.isnan(kept_bad.metrics["interp_mae"])
    assert kept_good.metrics["diverged_step"] is None and math.isfinite(kept_good.metrics["interp_mae"])
    with pytest.raises(DivergenceError, match="diverged after step 1"):
        train_many([good, OVERFLOWS_ON_ITS_LAST_UPDATE], workers=workers)
    alone = dataclasses.replace(OVERFLOWS_ON_ITS_LAST_UPDATE, track_every=1)  # not stackable: trained by train()
    (kept,) = train_many([alone], on_diverge="keep")
    assert kept.metrics["diverged_step"] == 2


def test_compare_counts_a_last_update_overflow_as_diverged() -> None:
    from actlab.experiments.compare import compare

    result = compare("add", ["relu"], 2, OVERFLOWS_ON_ITS_LAST_UPDATE)
    assert result.stats[0].diverged == 2 and result.stats[0].interp.n == 0


def test_a_run_far_worse_than_its_start_gets_a_warning() -> None:
    assert loss_warnings([64.0, 640.0]) == []  # FAR_WORSE times the start is not yet "far worse"
    assert loss_warnings([64.0, 641.0]) == [
        "the final loss 641 is far worse than at the start: more than 10 times the loss 64 of step 1; the learning "
        "rate is probably too high"
    ]
    assert loss_warnings([5.0]) == []
    bad = train(TrainConfig(steps=20, lr=1000))  # Adam with lr 1000: the loss of ~1e8 and more
    assert bad.final_loss > FAR_WORSE * bad.history[0] and bad.warnings == loss_warnings(bad.history)
    assert bad.to_dict()["warnings"] == bad.warnings and len(bad.warnings) == 1
    assert train(TrainConfig(steps=20)).warnings == []


# --- numbers bounded to what the code can represent (issue 11, item 5) -------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"lr": 1e39}, r"learning rate must be at most 1e\+30"),
        ({"hidden": [111111111111111111111111111111]}, "over the limit of 2 GiB"),
        ({"hidden": [4] * 1001}, "1,001 hidden layers are more than the limit of 1,000"),
        ({"batch_size": 10**12}, "over the limit of 2 GiB"),
        ({"steps": 10**30}, "steps must be at most 10,000,000"),
        ({"seed": 2**32}, "seed must be at most 4,294,967,295"),
        ({"track_every": 10**30}, "track_every must be at most"),
        ({"threads": 10**30}, "threads must be at most 1,024"),
        ({"task": "xor", "noise": 1e300}, "noise must be at most 100"),
        ({"train_range": (-1e18, 1e18), "extrap_range": (-1e20, 1e20)}, r"reaches beyond ±1e\+18"),
        ({"extrap_range": (-1e38, 100), "integer": True}, r"reaches beyond ±1e\+18"),
        ({"task": "square", "train_range": (0, 1e10), "extrap_range": (0, 1e11)}, "overflows float32"),
        ({"task": "div", "train_range": (1e-40, 1), "extrap_range": (1e-40, 10)}, "overflows float32"),
        ({"activation": "elu:alpha=1e308"}, "beyond float32's"),
    ],
)
def test_config_bounds_every_number(fields: dict, message: str) -> None:
    with pytest.raises(ActlabError, match=message):
        TrainConfig(**fields)


def test_the_largest_allowed_numbers_train() -> None:
    config = TrainConfig(steps=2, hidden=[4], train_range=(-1e9, 1e9), extrap_range=(-1e18, 1e18), seed=2**32 - 1)
    result = train(config)
    assert all(math.isfinite(v) for v in result.history)
