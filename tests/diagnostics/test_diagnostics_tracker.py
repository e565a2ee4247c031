"""TrainingTracker: records every ``every`` steps, changes nothing in training, leaves no hook behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from test_diagnostics_sites import assert_no_hooks
from torch import nn

from actlab.diagnostics import TrainingTracker
from actlab.errors import ActlabError
from actlab.training.callbacks import Callback
from actlab.training.config import TrainConfig
from actlab.training.loop import train


def net(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))


def train_loop(model: nn.Module, steps: int, callbacks: list[Callback], lr: float = 0.05) -> None:
    """A trainer following the Callback contract of actlab.training.callbacks."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(1)
    for cb in callbacks:
        cb.on_train_start(model, None)
    for step in range(1, steps + 1):
        x = torch.rand(32, 2, generator=gen) * 2 - 1
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), x.sum(1, keepdim=True))
        loss.backward()
        for cb in callbacks:
            cb.on_before_step(step, model)
        opt.step()
        for cb in callbacks:
            cb.on_step_end(step, loss.item(), model)
    for cb in callbacks:
        cb.on_train_end(model, None)


class LayerSpy(Callback):
    """Each weight layer's gradient norm and update ratio, and the loss, at the given steps, measured
    directly on the model (another path than the tracker's hooks)."""

    def __init__(self, steps: set[int]) -> None:
        self.steps = steps
        self.grad: dict[tuple[int, str], float] = {}
        self.ratio: dict[tuple[int, str], float] = {}
        self.loss: dict[int, float] = {}
        self.before: dict[str, torch.Tensor] = {}

    @staticmethod
    def layers(model: nn.Module) -> list[tuple[str, nn.Linear]]:
        return [(name, m) for name, m in model.named_children() if isinstance(m, nn.Linear)]

    def on_before_step(self, step: int, model: nn.Module) -> None:
        if step in self.steps:
            for name, layer in self.layers(model):
                assert layer.weight.grad is not None
                self.grad[step, name] = layer.weight.grad.norm().item()
                self.before[name] = layer.weight.detach().clone()

    def on_step_end(self, step: int, loss: float, model: nn.Module) -> None:
        if step in self.steps:
            self.loss[step] = loss
            for name, layer in self.layers(model):
                before = self.before[name]
                self.ratio[step, name] = ((layer.weight - before).norm() / before.norm()).item()


def test_records_every_nth_step_with_per_site_and_per_layer_values() -> None:
    model, spy = net(), LayerSpy({4, 8})
    tracker = TrainingTracker(model, every=4)
    train_loop(model, 10, [spy, tracker])
    history = tracker.history()
    assert [h["step"] for h in history] == [4, 8]
    record = history[0]
    assert list(record["sites"]) == ["1", "3"] and list(record["layers"]) == ["0", "2", "4"]
    assert set(record["sites"]["1"]) == {
        "dead",
        "dead_fraction",
        "sparsity",
        "near_zero",
        "saturation",
        "post_std",
        "grad_norm",
    }
    for h in history:  # every layer's values are those of its recorded step
        assert h["loss"] == spy.loss[h["step"]]
        for name, values in h["layers"].items():
            assert values["grad_norm"] == pytest.approx(spy.grad[h["step"], name], rel=1e-6)
            assert values["update_ratio"] == pytest.approx(spy.ratio[h["step"], name], rel=1e-5)
    assert json.loads(json.dumps(history)) == history  # plain JSON types


def test_dead_units_are_counted_on_the_recorded_batch() -> None:
    model = net()
    with torch.no_grad():
        model[0].bias[[0, 1, 2]] = -100.0  # inputs are in [-1, 1]: these three never fire
    tracker = TrainingTracker(model, every=1)
    train_loop(model, 3, [tracker], lr=0.0)
    assert [h["sites"]["1"]["dead"] for h in tracker.history()] == [3, 3, 3]
    assert all(h["sites"]["1"]["dead_fraction"] == 3 / 8 for h in tracker.history())


def test_tracking_changes_nothing_in_training_and_leaves_no_hook() -> None:
    plain, tracked = net(), net()
    train_loop(plain, 12, [])
    train_loop(tracked, 12, [TrainingTracker(tracked, every=2)])
    for a, b in zip(plain.parameters(), tracked.parameters(), strict=True):
        assert torch.equal(a, b)
    assert_no_hooks(tracked)


def test_model_can_come_from_on_train_start() -> None:
    model, tracker = net(), TrainingTracker(every=5)
    train_loop(model, 5, [tracker])
    assert [h["step"] for h in tracker.history()] == [5]


@pytest.mark.parametrize("every", [0, -3, 2.5, True])
def test_every_must_be_a_positive_whole_number(every: object) -> None:
    with pytest.raises(ActlabError, match="every="):
        TrainingTracker(net(), every=every)  # type: ignore[arg-type]


def test_the_arithmetic_trainer_fills_its_result_with_the_history() -> None:
    result = train(TrainConfig(steps=12, track_every=4, hidden=[8, 8]))
    assert [h["step"] for h in result.diagnostics] == [4, 8, 12]
    assert set(result.diagnostics[0]["sites"]) == {"act1", "act2"}
    assert_no_hooks(result.model)


def test_tensorboard_scalars_when_tensorboard_is_installed(tmp_path: Path) -> None:
    pytest.importorskip("torch.utils.tensorboard")
    model = net()
    tracker = TrainingTracker(model, every=2, log_dir=tmp_path)
    train_loop(model, 4, [tracker])
    logged = scalars(tmp_path)
    history = tracker.history()
    assert logged["loss"] == [(h["step"], float32(h["loss"])) for h in history]
    assert logged["site/1/dead_fraction"] == [(h["step"], float32(h["sites"]["1"]["dead_fraction"])) for h in history]
    assert logged["layer/2/grad_norm"] == [(h["step"], float32(h["layers"]["2"]["grad_norm"])) for h in history]


def float32(value: float) -> float:
    """``value`` as TensorBoard stores it."""
    return torch.tensor(value, dtype=torch.float32).item()


def scalars(log_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar written under ``log_dir``, read back with TensorBoard's own reader: tag -> (step, value)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(log_dir))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def test_tensorboard_without_the_package_is_a_clear_error(tmp_path, monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import now fails
    with pytest.raises(ActlabError, match="pip install tensorboard"):
        TrainingTracker(net(), every=2, log_dir=tmp_path)


def test_tensorboard_log_dir_that_is_a_file_is_a_clear_error(tmp_path) -> None:
    pytest.importorskip("torch.utils.tensorboard")
    from actlab.diagnostics.tensorboard import check_log_dir

    afile = tmp_path / "afile.txt"
    afile.write_text("hi")
    with pytest.raises(ActlabError) as err:
        TrainingTracker(net(), every=2, log_dir=afile)
    assert str(err.value) == f"cannot write TensorBoard logs to {afile}: it is a file; give a new or existing folder"
    with pytest.raises(ActlabError, match=f"it lies under {afile}, which is a file"):
        check_log_dir(afile / "logs")
    assert check_log_dir(tmp_path / "new" / "logs") == tmp_path / "new" / "logs"
