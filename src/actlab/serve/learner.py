"""One playground network learning one dataset, an epoch at a time, with actlab's own pieces.

The network is an :class:`actlab.MLP` drawn from ``torch.Generator().manual_seed(seed)`` exactly as
:func:`actlab.training.loop.build_model` draws it (so with the features x1, x2 it *is* ``build_model``'s network
and exports as a run folder); the loss is :func:`actlab.training.loop.loss_fn`, the optimizer
:func:`actlab.training.loop.make_optimizer`, and the live diagnostics come from :class:`actlab.Monitor`.

What the playground adds to ``actlab.train``'s loop, as TF Playground has it: a fixed training set visited
in shuffled batches (an *epoch* is one pass; the order comes from ``seed + BATCH_SEED_OFFSET``), input
features, and an L1 or L2 penalty on the weights (not the biases) added to the loss:
``rate · Σ|w|`` or ``rate · ½ Σ w²``. The losses reported are the data loss alone, over the whole set.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from actlab.diagnostics import Monitor
from actlab.diagnostics.records import Thresholds
from actlab.errors import ActlabError
from actlab.nets.mlp import MLP
from actlab.serve.dataset import Dataset
from actlab.serve.features import feature_matrix
from actlab.serve.state import State
from actlab.training.config import BATCH_SEED_OFFSET, TrainConfig
from actlab.training.loop import loss_fn, make_optimizer

SATURATED_UNIT = Thresholds().saturated_critical  # a unit is marked when over half its inputs have |f'| < 0.01


class FeatureNet(nn.Module):
    """The chosen input features of the points, then the MLP: ``mlp(features(x))``."""

    def __init__(self, features: tuple[str, ...], mlp: MLP) -> None:
        super().__init__()
        self.features = features
        self.mlp = mlp

    def forward(self, x: Tensor) -> Tensor:  # (B, 2) -> (B, out)
        return self.mlp(feature_matrix(x, self.features))


def train_config(state: State, data: Dataset, activation: tuple[str, ...]) -> TrainConfig:
    """The actlab training config of the state: what an exported run folder records.

    Own data has no actlab task; its config names ``xor``, a stand-in with the same shape (two inputs,
    two classes, cross-entropy), used for the optimizer only: own data is never exported.
    """
    return TrainConfig(
        task=data.task.name if data.task is not None else "xor",
        train_range=data.box,
        extrap_range=data.extrap,
        noise=data.task.noise if data.task is not None and data.kind == "classification" else None,
        activation=list(activation),
        hidden=list(state.layers),
        optimizer=state.opt,  # type: ignore[arg-type]
        lr=state.lr,
        batch_size=state.batch,
        steps=1,
        seed=state.seed,
    )


@dataclass
class Losses:
    """Data loss and accuracy (classification) on the training and the test set."""

    train_loss: float | None = None
    test_loss: float | None = None
    train_acc: float | None = None
    test_acc: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "loss": {"train": _round(self.train_loss), "test": _round(self.test_loss)},
            "acc": {"train": _round(self.train_acc), "test": _round(self.test_acc)},
        }


@dataclass
class Health:
    """The Monitor's view of the network on the training set."""

    dead: list[list[int]]  # per hidden layer, the units that never fired (output and slope 0 on every point)
    saturated: list[list[int]]  # per hidden layer, the units with over half their inputs saturated
    grad_norms: list[float | None]  # per weight layer (linear1, ..., out): ‖∂L/∂W‖ of the data loss

    def as_dict(self) -> dict[str, Any]:
        return {"dead": self.dead, "saturated": self.saturated, "grad_norms": [_round(g) for g in self.grad_norms]}


@dataclass
class Learner:
    """One network, its optimizer and its place in the batch order.

    :meth:`train` takes optimizer steps, :meth:`losses` and :meth:`health` look at the network. The
    features of the training and test points are computed once.
    """

    state: State
    data: Dataset
    activation: tuple[str, ...]  # one per hidden layer
    config: TrainConfig = field(init=False)
    model: FeatureNet = field(init=False)
    epochs: int = 0  # complete passes over the training set
    steps: int = 0  # optimizer steps
    history: array[float] = field(default_factory=lambda: array("f"))  # the loss of every step, 4 bytes each

    def __post_init__(self) -> None:
        self.config = train_config(self.state, self.data, self.activation)
        mlp = MLP(
            len(self.state.feat),
            self.config.hidden,
            self.data.out_features,
            self.config.activation,
            self.config.init,
            self.config.bias_init,
            torch.Generator().manual_seed(self.config.seed),
        )
        self.model = FeatureNet(self.state.feat, mlp)
        self.optimizer = make_optimizer(self.model.parameters(), self.config)
        self.criterion = loss_fn(self.data.task) if self.data.task is not None else F.cross_entropy  # own: 2 classes
        self.order = torch.Generator().manual_seed(self.config.seed + BATCH_SEED_OFFSET)
        self.monitor = Monitor(mlp, functional=False)
        self.weights = [layer.weight for layer in mlp.linears()]
        self.train_f = feature_matrix(self.data.train_x, self.state.feat)  # (n, k)
        self.test_f = feature_matrix(self.data.test_x, self.state.feat)
        self._epoch_order = torch.zeros(0, dtype=torch.int64)
        self._position = 0  # next index into the epoch's order

    @property
    def mlp(self) -> MLP:
        return self.model.mlp

    def retune(self, state: State) -> None:
        """Take the settings that apply while training (learning rate, optimizer, batch, regularisation)."""
        if state.opt != self.state.opt:
            self.config.optimizer = state.opt  # type: ignore[assignment]
            self.config.lr = state.lr
            self.optimizer = make_optimizer(self.model.parameters(), self.config)
        for group in self.optimizer.param_groups:
            group["lr"] = state.lr
        self.config.lr, self.config.batch_size = state.lr, state.batch
        self.state = state

    def train(self, max_steps: int) -> bool:
        """Up to ``max_steps`` optimizer steps, stopping at the end of an epoch; True when one ended.

        Each epoch visits the training set once in an order drawn from the batch generator; the last batch
        of an epoch may be smaller.
        """
        x, y, batch = self.train_f, self.data.train_y, self.state.batch
        for _ in range(max_steps):
            if self._position == 0:
                self._epoch_order = torch.randperm(len(x), generator=self.order)
            idx = self._epoch_order[self._position : self._position + batch]
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.criterion(self.mlp(x[idx]), y[idx]) + self._penalty()
            loss.backward()
            self.optimizer.step()
            self.history.append(loss.item())
            self.steps += 1
            self._position += batch
            if self._position >= len(x):
                self._position = 0
                self.epochs += 1
                return True
        return False

    def epoch(self) -> None:
        """The rest of the current epoch (a whole one when none is under way)."""
        while not self.train(len(self.train_f)):
            pass

    def _penalty(self) -> Tensor | float:
        rate, reg = self.state.rate, self.state.reg
        if reg == "none" or rate == 0:
            return 0.0
        if reg == "l1":
            return rate * sum(w.abs().sum() for w in self.weights)
        return rate * 0.5 * sum(w.square().sum() for w in self.weights)

    @torch.no_grad()
    def losses(self) -> Losses:
        """Data loss and accuracy on both sets; raises ActlabError when training diverged."""
        result = Losses()
        if len(self.train_f):
            out = self.mlp(self.train_f)
            result.train_loss, result.train_acc = (
                self.criterion(out, self.data.train_y).item(),
                self._accuracy(out, self.data.train_y),
            )
        if len(self.test_f):
            out = self.mlp(self.test_f)
            result.test_loss, result.test_acc = (
                self.criterion(out, self.data.test_y).item(),
                self._accuracy(out, self.data.test_y),
            )
        for value in (result.train_loss, result.test_loss):
            if value is not None and not math.isfinite(value):
                raise ActlabError(
                    f"training diverged at epoch {self.epochs}: the loss became {value} with learning rate "
                    f"{self.state.lr:g}; choose a lower learning rate (e.g. {self.state.lr / 10:g}) and press reset"
                )
        return result

    def health(self) -> Health:
        """One forward and backward pass of the data loss over the training set under :class:`actlab.Monitor`
        (the gradients are cleared afterwards: no step is taken)."""
        depth = len(self.state.layers)
        dead: list[list[int]] = [[] for _ in range(depth)]
        saturated: list[list[int]] = [[] for _ in range(depth)]
        if not len(self.train_f):
            return Health(dead, saturated, [None] * (depth + 1))
        self.monitor.reset()
        self.monitor.attach()
        try:
            self.criterion(self.mlp(self.train_f), self.data.train_y).backward()
        finally:
            self.monitor.detach()
            self.optimizer.zero_grad(set_to_none=True)
        for i, site in enumerate(self.monitor.sites[:depth]):
            dead[i] = site.dead_units()
            if site.kind.measures_saturation and site.samples:
                saturated[i] = (site.saturated > SATURATED_UNIT * site.samples).nonzero().flatten().tolist()
        return Health(dead, saturated, [layer.grad_norm for layer in self.monitor.layers])

    def _accuracy(self, out: Tensor, y: Tensor) -> float | None:
        if self.data.kind != "classification":
            return None
        return (out.argmax(dim=1) == y).double().mean().item()

    def parameters_dict(self) -> dict[str, Any]:
        """Weights (``[out][in]`` per layer, ``out`` last) and biases, rounded for the page's lines."""
        layers = self.mlp.linears()
        return {
            "weights": [_rounded(layer.weight) for layer in layers],
            "biases": [_rounded(layer.bias) for layer in layers],
        }


def _rounded(t: Tensor) -> Any:
    return (t.detach() * 1e4).round_().div_(1e4).nan_to_num_(0.0, 0.0, 0.0).tolist()  # JSON has no NaN or inf


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")
