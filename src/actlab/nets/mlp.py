"""The multilayer perceptron every experiment trains, and the hand-built networks of the lesson."""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from actlab.catalog.modules import get
from actlab.errors import ActlabError
from actlab.nets.init import init_linear

ActivationSpec = str | nn.Module | Sequence[str | nn.Module]


class MLP(nn.Sequential):
    """A fully connected network: ``len(hidden)`` hidden layers, each a linear map and an activation, then a
    linear output layer.

    For ``hidden = [h1, ..., hL]`` it builds, in order (the module names are the attribute names)::

        linear1: nn.Linear(in_features, h1)     # z1 = x W1ᵀ + b1          (B, h1)
        act1:    activation of layer 1          # a1 = f1(z1)              (B, h1)
        ...
        linearL: nn.Linear(h(L-1), hL)
        actL:    activation of layer L
        out:     nn.Linear(hL, out_features)    # y = aL Woutᵀ + bout      (B, out_features)

    No activation follows ``out``: regression reads ``y`` as the prediction, classification as logits.
    ``hidden = []`` builds ``out`` alone, a linear model.

    Args:
        in_features: inputs per example (2 for ``a + b``).
        hidden: widths of the hidden layers, each > 0.
        out_features: outputs per example (1 for arithmetic, the class count for classification).
        activation: a catalog name or spec (``"relu"``, ``"leaky_relu:negative_slope=0.1"``), a module (deep
            copied per layer, so learned parameters such as PReLU's are not shared), or one of either per
            hidden layer.
        init: weight scheme from :mod:`actlab.nets.init` (``default``, ``he``, ``xavier``, ``lecun``, ...).
        bias_init: ``"auto"``, ``"zero"``, ``"default"`` or a constant; see :mod:`actlab.nets.init`.
        generator: the source of the initial weights, drawn layer by layer (``linear1``'s weight, its bias,
            ``linear2``'s, ..., ``out``'s); ``None`` uses PyTorch's global generator.

    >>> model = MLP(2, [16, 16], 1, activation="relu", generator=torch.Generator().manual_seed(0))
    >>> [name for name, _ in model.named_children()]
    ['linear1', 'act1', 'linear2', 'act2', 'out']
    >>> model(torch.zeros(5, 2)).shape
    torch.Size([5, 1])
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int] = (16, 16),
        out_features: int = 1,
        activation: ActivationSpec = "relu",
        init: str = "default",
        bias_init: str | float = "auto",
        generator: torch.Generator | None = None,
    ) -> None:
        widths = [_width("in_features", in_features), *(_width("hidden width", h) for h in hidden)]
        widths.append(_width("out_features", out_features))
        activations = _activations(activation, len(hidden))
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        for i, act in enumerate(activations, start=1):
            layers[f"linear{i}"] = nn.Linear(widths[i - 1], widths[i])
            layers[f"act{i}"] = act
        layers["out"] = nn.Linear(widths[-2], widths[-1])
        super().__init__(layers)
        self.in_features, self.out_features = widths[0], widths[-1]
        self.hidden = widths[1:-1]
        for layer in self.linears():
            init_linear(layer, init, bias_init, generator)

    def linears(self) -> list[nn.Linear]:
        """The linear layers in order, ``out`` last."""
        return [m for m in self if isinstance(m, nn.Linear)]

    def activations(self) -> list[nn.Module]:
        """The activation modules in order, one per hidden layer."""
        return [m for name, m in self.named_children() if name.startswith("act")]

    @classmethod
    def from_weights(
        cls,
        weights: Sequence[Any],
        biases: Sequence[Any] | None = None,
        activation: ActivationSpec = "relu",
        dtype: torch.dtype | None = None,
    ) -> MLP:
        """A network with the given parameters, in ``nn.Linear``'s layout: ``weights[i]`` has shape
        ``(out, in)``, the last entry is the ``out`` layer, and every earlier one a hidden layer followed by
        the activation. ``biases`` default to zeros. ``dtype`` defaults to that of the first weight if it is
        a floating tensor, else float32.

        The exact two-unit ReLU adder, since z = relu(z) - relu(-z)::

            >>> adder = MLP.from_weights([[[1.0, 1.0], [-1.0, -1.0]], [[1.0, -1.0]]], activation="relu")
            >>> adder(torch.tensor([[123456.0, 654321.0]])).item()
            777777.0

        The lesson's hand-set layer ``relu(input @ W + b)`` is ``from_weights([W.T, eye(5)], [b, zeros(5)])``:
        an identity read-out shows the activated hidden layer.
        """
        if not weights:
            raise ActlabError("from_weights needs at least one weight matrix (the output layer)")
        first = weights[0]
        if dtype is None:
            is_float = isinstance(first, Tensor) and first.is_floating_point()
            dtype = first.dtype if is_float else torch.float32
        ws = [torch.as_tensor(w, dtype=dtype) for w in weights]
        if biases is not None and len(biases) != len(ws):
            raise ActlabError(f"from_weights: {len(ws)} weight matrices but {len(biases)} bias vectors")
        bs = [torch.as_tensor(b, dtype=dtype) for b in biases] if biases is not None else [None] * len(ws)
        for i, w in enumerate(ws):
            if w.dim() != 2:
                raise ActlabError(f"from_weights: weight {i} must be a matrix (out, in), got shape {tuple(w.shape)}")
            if i and w.shape[1] != ws[i - 1].shape[0]:
                raise ActlabError(
                    f"from_weights: weight {i} takes {w.shape[1]} inputs but layer {i - 1} gives {ws[i - 1].shape[0]}"
                )
            b = bs[i]
            if b is not None and tuple(b.shape) != (w.shape[0],):
                raise ActlabError(f"from_weights: bias {i} must have shape ({w.shape[0]},), got {tuple(b.shape)}")
        shape = (ws[0].shape[1], [w.shape[0] for w in ws[:-1]], ws[-1].shape[0])
        model = cls(*shape, activation, bias_init="zero", generator=torch.Generator())  # leave global RNG be
        model.to(dtype)
        with torch.no_grad():
            for layer, w, b in zip(model.linears(), ws, bs, strict=True):
                layer.weight.copy_(w)
                if b is not None:
                    layer.bias.copy_(b)
        return model


def _width(label: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ActlabError(f"{label} must be a whole number > 0, got {value!r}")
    return value


def _activations(activation: ActivationSpec, depth: int) -> list[nn.Module]:
    """One fresh activation module per hidden layer."""
    if isinstance(activation, str | nn.Module):
        per_layer: Sequence[str | nn.Module] = [activation] * depth
    else:
        per_layer = list(activation)
        if len(per_layer) != depth:
            raise ActlabError(f"{len(per_layer)} activations given for {depth} hidden layers: give one per layer")
    return [get(a) if isinstance(a, str) else copy.deepcopy(a) for a in per_layer]
