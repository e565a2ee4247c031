"""Many networks of one :class:`~actlab.nets.mlp.MLP` shape as stacked tensors, and their training step.

``M`` networks become one :class:`StackedMLP`: layer ``l``'s weights are one tensor ``(M, out, in)``
(``nn.Linear``'s layout, one per network) and its biases ``(M, 1, out)``. :class:`StackedStep` computes the
loss of every network and the gradient of their sum (each network's own gradient, since networks share
nothing) with batched matmuls, written out by hand instead of recorded by autograd:

* forward, per layer ``z = h Wᵀ + b`` (``torch.baddbmm``), then the activation;
* backward, per layer ``∂W = ∂zᵀ h``, ``∂b = Σ ∂z``, ``∂h = ∂z W``, each product in the orientation that
  batched matmul handles well (a result with 1 or 2 columns is as slow as a 32 x 32 one), and through the
  activation by calling the very backward node autograd records for it (``tanh``'s ``TanhBackward0`` and so
  on: the same kernel and the same float bits as :func:`actlab.train`, without the engine's ~40 µs a call).
  An activation whose graph has more than one node (a composite formula) goes through ``autograd.grad``.

The networks are processed in :class:`Chunk` s: runs of networks with the same activations, at most
:data:`CHUNK_BYTES` of hidden activations each, so that a chunk's forward and backward stay in the CPU's
cache; a step over all ``M`` networks of 32 units in one piece was slower than in chunks of 16, because its
tensors (4 MB) fell out of the 1 MB L2 cache between operations (BENCHMARKS.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from actlab.catalog.modules import get
from actlab.nets.mlp import MLP
from actlab.nets.tasks import Task

CHUNK_BYTES = 512 * 2**10  # a chunk's widest hidden activation (networks x batch x width x item size) at most this
ALIGN = 64  # bytes: a matmul input starting elsewhere is copied (MKL's result bits depend on the alignment)


@dataclass(frozen=True)
class Chunk:
    """Networks ``start:stop`` of a stack, with the same activation module per hidden layer."""

    start: int
    stop: int
    modules: tuple[nn.Module, ...]


def chunk_bounds(specs: Sequence[tuple[str, ...]], per_chunk: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of consecutive networks with equal per-layer activation specs, cut
    every ``per_chunk`` networks."""
    out: list[tuple[int, int]] = []
    for i, spec in enumerate(specs):
        if out and specs[out[-1][0]] == spec and i - out[-1][0] < per_chunk:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


def chunks_of(specs: Sequence[tuple[str, ...]], per_chunk: int) -> list[Chunk]:
    """The :class:`Chunk` s of :func:`chunk_bounds`, with their activation modules."""
    return [Chunk(s, e, tuple(get(spec) for spec in specs[s])) for s, e in chunk_bounds(specs, per_chunk)]


def networks_per_chunk(batch_size: int, widths: Sequence[int], itemsize: int = 4) -> int:
    """How many networks one :class:`Chunk` holds: :data:`CHUNK_BYTES` over one network's widest activation."""
    return max(1, CHUNK_BYTES // (batch_size * max(widths, default=1) * itemsize))


class StackedMLP(nn.Module):
    """``M`` networks of one :class:`~actlab.nets.mlp.MLP` shape as one module.

    ``weights[l]`` has shape ``(M, out_l, in_l)`` and ``biases[l]`` ``(M, 1, out_l)``; ``chunks`` groups
    the networks for :class:`StackedStep`. ``forward`` maps ``(M, B, in)`` to ``(M, B, out)`` (no gradient).
    """

    def __init__(
        self, models: Sequence[MLP], specs: Sequence[Sequence[str]], batch_size: int, per_chunk: int | None = None
    ) -> None:
        """``per_chunk``: networks per :class:`Chunk` at most (default :func:`networks_per_chunk`, cache-sized
        for a CPU; a GPU takes each activation's networks in one piece)."""
        super().__init__()
        per_model = [m.linears() for m in models]
        depth = len(per_model[0])
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([ls[k].weight.detach() for ls in per_model])) for k in range(depth)
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([ls[k].bias.detach() for ls in per_model]).unsqueeze(1)) for k in range(depth)
        )
        widths = [w.shape[1] for w in self.weights][:-1]
        per_chunk = per_chunk or networks_per_chunk(batch_size, widths, self.weights[0].element_size())
        self.chunks = chunks_of([tuple(s) for s in specs], per_chunk)

    @torch.no_grad()
    def forward(self, x: Tensor) -> Tensor:
        parts = []
        for chunk in self.chunks:
            s, e = chunk.start, chunk.stop
            h = x[s:e]
            for w, b, act in zip(self.weights, self.biases, chunk.modules, strict=False):
                h = act(torch.baddbmm(b[s:e], h, w[s:e].mT))
            parts.append(torch.baddbmm(self.biases[-1][s:e], h, self.weights[-1][s:e].mT))
        return torch.cat(parts)

    @torch.no_grad()
    def write_back(self, models: Sequence[MLP]) -> None:
        """Copy each network's current parameters into its :class:`~actlab.nets.mlp.MLP` (from a GPU: one copy
        of each stacked tensor to the models' device, not one per network)."""
        if not models:
            return
        where = next(models[0].parameters()).device
        weights = [w.detach().to(where) for w in self.weights]
        biases = [b.detach().to(where) for b in self.biases]
        for i, model in enumerate(models):
            for k, layer in enumerate(model.linears()):
                layer.weight.copy_(weights[k][i])
                layer.bias.copy_(biases[k][i, 0])


class _Plan:
    """One chunk's views of the stacked tensors, made once (the optimizer updates them in place).

    Where a view does not start on an :data:`ALIGN` boundary (``start`` times a layer's size is not a
    multiple of 16 floats), the step works on aligned copies: MKL's batched matmul rounds differently for
    differently aligned inputs, and a network's result must not depend on which networks share its stack
    (or its worker: :func:`actlab.train_many` gives the same bits with any number of workers).
    """

    def __init__(self, chunk: Chunk, step: StackedStep) -> None:
        s, e = self.start, self.stop = chunk.start, chunk.stop
        self.weights = [w[s:e] for w in step.weights]
        self.biases = [b[s:e] for b in step.biases]
        self.grad_w = [g[s:e] for g in step.grad_w]
        self.grad_b = [g[s:e] for g in step.grad_b]
        self.losses = step.losses[s:e]
        self.cpu = self.weights[0].device.type == "cpu"  # MKL's alignment rule below concerns the CPU only
        self.copy = self.cpu and not all(_aligned(t) for t in [*self.weights, *self.biases])
        self.forwards = [m.forward for m in chunk.modules]  # no module hooks: the catalog modules have none
        self.direct: list[bool | None] = [None] * len(chunk.modules)  # backward by node call; None: not seen yet
        self.transposed = [w.shape[2] < w.shape[1] for w in step.weights]  # ∂W as (hᵀ ∂z)ᵀ


def _aligned(t: Tensor) -> bool:
    return t.data_ptr() % ALIGN == 0


class StackedStep:
    """One training step's forward and backward over a :class:`StackedMLP`.

    ``step(x, y)`` returns each network's loss ``(M,)`` (the mean over its batch, as
    :func:`actlab.train`'s loss) and leaves the gradient of their sum in the parameters' ``.grad``.
    """

    def __init__(self, stacked: StackedMLP, task: Task) -> None:
        self.weights = [w.detach() for w in stacked.weights]  # the same storage, outside autograd
        self.biases = [b.detach() for b in stacked.biases]
        self.classification = task.kind == "classification"
        for p in stacked.parameters():
            p.grad = torch.zeros_like(p)
        self.grad_w = [w.grad for w in stacked.weights]
        self.grad_b = [b.grad for b in stacked.biases]
        self.losses = torch.empty(len(self.weights[0]), dtype=self.weights[0].dtype, device=self.weights[0].device)
        self.plans = [_Plan(c, self) for c in stacked.chunks]

    @torch.no_grad()
    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        for plan in self.plans:
            self._chunk(plan, x[plan.start : plan.stop], y[plan.start : plan.stop])
        return self.losses

    def _chunk(self, plan: _Plan, h: Tensor, y: Tensor) -> None:
        weights, biases = plan.weights, plan.biases
        if plan.copy:
            weights, biases = [w.clone() for w in weights], [b.clone() for b in biases]
        h = h if _aligned(h) or not plan.cpu else h.clone()
        inputs, graphs = [h], []
        with torch.enable_grad():
            for weight, bias, forward in zip(weights, biases, plan.forwards, strict=False):
                z = torch.baddbmm(bias, h, weight.mT).requires_grad_(True)
                out = forward(z)
                graphs.append((z, out))
                h = out.detach()
                inputs.append(h)
        g = self._loss_grad(torch.baddbmm(biases[-1], h, weights[-1].mT), y, plan.losses)
        for k in range(len(weights) - 1, -1, -1):
            h, weight = inputs[k], weights[k]
            if plan.transposed[k]:
                plan.grad_w[k].copy_(torch.bmm(h.mT, g).mT)
            elif plan.copy:
                plan.grad_w[k].copy_(torch.bmm(g.mT, h))
            else:
                torch.bmm(g.mT, h, out=plan.grad_w[k])
            torch.sum(g, 1, keepdim=True, out=plan.grad_b[k])
            if k:
                g = _backward(plan, k - 1, *graphs[k - 1], g * weight if weight.shape[1] == 1 else torch.bmm(g, weight))

    def _loss_grad(self, out: Tensor, y: Tensor, losses: Tensor) -> Tensor:
        """Writes each network's loss into ``losses``; returns the gradient of their sum w.r.t. ``out``."""
        if self.classification:
            with torch.enable_grad():
                out.requires_grad_(True)
                m, b, c = out.shape
                loss = F.cross_entropy(out.reshape(m * b, c), y.reshape(m * b), reduction="none").view(m, b).mean(1)
                losses.copy_(loss.detach())
                return torch.autograd.grad(loss.sum(), out)[0]
        diff = out - y
        torch.mean(diff.square(), dim=(1, 2), out=losses)
        return diff.mul_(2 / math.prod(diff.shape[1:]))  # d/d out of mean (out - y)²


def _backward(plan: _Plan, layer: int, z: Tensor, out: Tensor, grad: Tensor) -> Tensor:
    """The gradient of an activation's input ``z`` from that of its output ``out`` (see the module docstring)."""
    node = out.grad_fn
    if node is None:  # the identity: out is z itself
        return grad
    direct = plan.direct[layer]
    if direct is None:
        direct = plan.direct[layer] = callable(node) and all(  # a Python Function's node is not callable
            f is None or type(f).__name__ == "AccumulateGrad" for f, _ in node.next_functions
        )
    if direct and callable(node):  # not a Python Function's node, e.g. a module's repair of inf/NaN (_Repaired)
        result = node(grad)
        return result[0] if isinstance(result, tuple) else result
    return torch.autograd.grad(out, z, grad)[0]
