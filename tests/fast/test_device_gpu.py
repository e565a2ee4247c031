"""The device path on a real GPU (skipped where PyTorch sees none; CI has none): each network trained in a
stacked group on the GPU against ``actlab.train`` of that network on the GPU, in float32 and float64; tasks
drawn on the GPU; the memory estimate against the measured peak.

Why ``train`` on the GPU is the reference: on a GPU the batches come from the GPU's own generator (the
determinism contract of :mod:`actlab.training`, step 3), so a network's GPU run sees other points than its
CPU run and the two agree only statistically. ``train`` on the GPU draws exactly the batches
``train_many(device="cuda")`` gives the network, from the same initial bits (drawn on the CPU), so the two
differ only by float rounding: a batched matmul sums in another order than ``nn.Linear``'s matmul, and Adam's
per-network step size is computed on the GPU. The tolerances are those of the CPU's stacked-vs-alone tests
(:data:`actlab.fast.vectorized.RTOL`, 1e-4 relative on loss curves and weights in float32), whose error model is the
same: each op differs by a few units in the last place (float32: 2⁻²⁴ ≈ 6e-8) and training amplifies that
over the steps. With TF32 matmuls (off by default in PyTorch) the per-op error would be 2⁻¹¹ instead; the
test checks that it is off. In float64 (2⁻⁵³ ≈ 1.1e-16 per op) the same amplification stays below 1e-10.
"""

from __future__ import annotations

import pytest
import torch

from actlab.errors import ActlabError
from actlab.fast.vectorized import RTOL, train_many
from actlab.nets.tasks import TASKS
from actlab.training.config import TrainConfig
from actlab.training.device import group_bytes
from actlab.training.loop import build_model, train

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "sigmoid", "identity")


def _configs(steps: int = 200) -> list[TrainConfig]:
    return [
        TrainConfig(activation=a, seed=s, hidden=[16, 16], steps=steps, batch_size=64, device="cuda")
        for a in ACTIVATIONS
        for s in (0, 1)
    ]


def _agree(configs: list[TrainConfig], rtol: float, atol: float) -> None:
    many = train_many(configs)
    for config, result in zip(configs, many, strict=True):
        alone = train(config)
        assert result.config.device == "cuda" and result.steps == alone.steps
        got, want = torch.tensor(result.history), torch.tensor(alone.history)
        worst = float(((got - want).abs() / want.abs().clamp_min(atol)).max())
        torch.testing.assert_close(got, want, rtol=rtol, atol=atol, msg=f"{config.activation}: {worst:.2e}")
        for p, q in zip(result.model.parameters(), alone.model.parameters(), strict=True):
            assert p.device.type == "cpu" and q.device.type == "cpu"  # results come back to the CPU
            torch.testing.assert_close(p, q, rtol=rtol, atol=atol * 10)


def test_tf32_is_off() -> None:
    assert not torch.backends.cuda.matmul.allow_tf32  # the float32 tolerance assumes full-precision matmuls


def test_each_network_on_the_gpu_agrees_with_train_on_the_gpu() -> None:
    _agree(_configs(), RTOL, 1e-6)


def test_float64_on_the_gpu() -> None:
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        _agree(_configs(100), 1e-10, 1e-12)
    finally:
        torch.set_default_dtype(before)


def test_initial_weights_are_the_cpu_bits() -> None:
    config = TrainConfig(seed=5, device="cuda")
    cpu = build_model(TrainConfig(seed=5))
    for p, q in zip(build_model(config).to("cuda").parameters(), cpu.parameters(), strict=True):
        assert torch.equal(p.cpu(), q)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_tasks_draw_on_the_gpu(name: str) -> None:
    task = TASKS[name]
    x, y = task.sample(512, torch.Generator("cuda").manual_seed(0), "train")
    assert x.device.type == "cuda" and y.device.type == "cuda" and x.shape == (512, task.in_features)
    if task.kind == "regression":  # the rule on the CPU gives the same targets
        torch.testing.assert_close(task.targets(x.cpu()), y.cpu())
    else:
        assert y.dtype == torch.long and set(y.unique().tolist()) == {0, 1}
    xe, _ = task.sample(256, torch.Generator("cuda").manual_seed(1), "extrap")
    low, high = task.train_range
    assert bool(((xe < low) | (xe > high)).any(dim=1).all())


def test_divergence_on_the_gpu_like_train() -> None:
    bad = TrainConfig(optimizer="sgd", lr=5.0, seed=0, hidden=[8], steps=150, batch_size=16, device="cuda")
    good = TrainConfig(optimizer="sgd", lr=1e-3, seed=1, hidden=[8], steps=150, batch_size=16, device="cuda")
    with pytest.raises(ActlabError) as alone:
        train(bad)
    with pytest.raises(ActlabError) as many:
        train_many([good, bad])
    assert str(many.value) == str(alone.value)


def test_memory_estimate_covers_the_measured_peak() -> None:
    configs = [
        TrainConfig(activation=a, seed=s, hidden=[32, 32], batch_size=256, steps=150, device="cuda")
        for a in ACTIVATIONS
        for s in range(128)
    ]
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    train_many(configs)
    peak = torch.cuda.max_memory_allocated() - base
    assert peak <= group_bytes(len(configs), 2, [32, 32], 1, 256, 150)
