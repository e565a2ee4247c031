"""The stacked training step against autograd on each network alone, in float64; the stacked optimizers
against torch.optim; the chunking."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from actlab.catalog.entries import names
from actlab.fast.optim import StackedAdam, StackedSGD
from actlab.fast.stacked import StackedMLP, StackedStep, chunk_bounds, networks_per_chunk
from actlab.fast.vectorized import stackable
from actlab.nets.mlp import MLP
from actlab.nets.tasks import get_task
from actlab.training.config import TrainConfig

STACKABLE = [n for n in names() if stackable(TrainConfig(activation=n))]


def test_every_catalog_activation_but_prelu_stacks() -> None:
    assert "prelu" not in STACKABLE and len(STACKABLE) == len(names()) - 1


def test_chunk_bounds_cut_runs_of_equal_specs() -> None:
    specs = [("a",), ("a",), ("a",), ("b",), ("c",), ("c",)]
    assert chunk_bounds(specs, 2) == [(0, 2), (2, 3), (3, 4), (4, 6)]
    assert chunk_bounds(specs, 10) == [(0, 3), (3, 4), (4, 6)]
    assert chunk_bounds([], 4) == []


def test_networks_per_chunk_fills_half_a_megabyte() -> None:
    assert networks_per_chunk(256, [32, 32]) == 16  # 512 KiB / (256 x 32 x 4 bytes)
    assert networks_per_chunk(256, [128, 16]) == 4
    assert networks_per_chunk(100_000, [512]) == 1  # never zero


def _models(specs: list[str], hidden: list[int], n_in: int, n_out: int, seed: int = 0) -> list[MLP]:
    torch.manual_seed(seed)
    models = [MLP(n_in, hidden, n_out, spec).double() for spec in specs]
    for m in models:  # biases away from 0 so that every activation's kinks and tails are crossed
        for layer in m.linears():
            torch.nn.init.normal_(layer.bias, std=1.5)
    return models


def _alone_grads(model: MLP, x: torch.Tensor, y: torch.Tensor, classification: bool) -> tuple[float, list]:
    model.zero_grad()
    out = model(x)
    loss = F.cross_entropy(out, y) if classification else F.mse_loss(out, y)
    loss.backward()
    return loss.item(), [(layer.weight.grad, layer.bias.grad) for layer in model.linears()]


@pytest.mark.parametrize("classification", [False, True])
def test_step_equals_autograd_per_network_for_every_activation(classification: bool) -> None:
    specs = sorted(STACKABLE * 2)  # two networks per activation: chunks of 2 with several per kind
    task = get_task("xor" if classification else "add")
    n_out = 2 if classification else 1
    models = _models(specs, [5, 4], 2, n_out)
    stacked = StackedMLP(models, [(s, s) for s in specs], batch_size=7)
    step = StackedStep(stacked, task)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(len(specs), 7, 2, generator=gen, dtype=torch.float64) * 3
    y = (
        torch.randint(0, 2, (len(specs), 7), generator=gen)
        if classification
        else torch.randn(len(specs), 7, 1, generator=gen, dtype=torch.float64)
    )
    losses = step(x, y).clone()
    for i, model in enumerate(models):
        loss, grads = _alone_grads(model, x[i], y[i], classification)
        assert losses[i].item() == pytest.approx(loss, rel=1e-12), specs[i]
        for k, (gw, gb) in enumerate(grads):
            torch.testing.assert_close(stacked.weights[k].grad[i], gw, rtol=1e-10, atol=1e-12, msg=specs[i])
            torch.testing.assert_close(stacked.biases[k].grad[i, 0], gb, rtol=1e-10, atol=1e-12, msg=specs[i])


def test_forward_equals_each_network() -> None:
    specs = ["relu", "relu", "tanh", "gelu"]
    models = _models(specs, [6], 2, 1)
    stacked = StackedMLP(models, [(s,) for s in specs], batch_size=3)
    x = torch.randn(4, 3, 2, dtype=torch.float64)
    out = stacked(x)
    for i, model in enumerate(models):
        torch.testing.assert_close(out[i], model(x[i]).detach(), rtol=1e-12, atol=1e-12)


def _per_network_reference(optimizer: str, lrs: list[float], grads: list[torch.Tensor]) -> list[list[torch.Tensor]]:
    out = []
    for i, lr in enumerate(lrs):
        params = [torch.nn.Parameter(torch.linspace(-1, 1, 6, dtype=torch.float64).view(2, 3) * (i + 1))]
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9) if optimizer == "sgd" else torch.optim.Adam(params, lr=lr)
        history = []
        for g in grads:
            params[0].grad = g[i].clone()
            opt.step()
            history.append(params[0].detach().clone())
        out.append(history)
    return out


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_stacked_optimizers_equal_torch_optim_per_network(optimizer: str) -> None:
    lrs = [1e-3, 3e-2, 0.5]
    gen = torch.Generator().manual_seed(3)
    grads = [torch.randn(3, 2, 3, generator=gen, dtype=torch.float64) for _ in range(4)]
    stacked = torch.stack([torch.linspace(-1, 1, 6, dtype=torch.float64).view(2, 3) * (i + 1) for i in range(3)])
    opt = StackedSGD([stacked], lrs, 0.9) if optimizer == "sgd" else StackedAdam([stacked], lrs)
    reference = _per_network_reference(optimizer, lrs, grads)
    for t, g in enumerate(grads):
        stacked.grad = g
        opt.step()
        for i in range(3):
            torch.testing.assert_close(stacked[i], reference[i][t], rtol=1e-14, atol=1e-15)


def test_frozen_networks_are_left_alone_even_with_nan_gradients() -> None:
    p = torch.ones(2, 3)
    p.grad = torch.tensor([[1.0, 2.0, 3.0], [float("nan")] * 3])
    opt = StackedAdam([p], [0.1, 0.1])
    opt.step(torch.tensor([False, True]))
    assert torch.equal(p[1], torch.ones(3))
    alone = torch.ones(3, requires_grad=True)  # the live network moved as torch.optim.Adam moves it alone
    alone.grad = torch.tensor([1.0, 2.0, 3.0])
    torch.optim.Adam([alone], lr=0.1).step()
    torch.testing.assert_close(p[0], alone.detach())  # about 0.9 each: Adam's first step is lr·g/|g|


def test_backward_calls_autograds_own_node_where_the_graph_is_one_node() -> None:
    specs = ["identity", "relu", "softsign", "step", "tanh"]
    models = _models(specs, [3], 2, 1)
    step = StackedStep(StackedMLP(models, [(s,) for s in specs], batch_size=4), get_task("add"))
    step(torch.randn(5, 4, 2, dtype=torch.float64), torch.randn(5, 4, 1, dtype=torch.float64))
    # identity has no node; relu and tanh one C++ node; softsign is a formula, step a Python Function
    assert [plan.direct[0] for plan in step.plans] == [None, True, False, False, True]
