"""What counts as an activation site, and how each one maps to a catalog entry and its derivative.

Two kinds of site:

* **module sites**: an instance of a ``torch.nn`` activation module (``nn.ReLU``, ``nn.GELU``, ...) or of
  any :class:`actlab.catalog.modules.CatalogActivation`, found by walking ``model.named_modules()``;
* **functional sites**: a call such as ``F.relu(x)``, ``torch.tanh(x)`` or ``x.relu()`` inside some
  ``forward``, seen by a ``TorchFunctionMode`` (:data:`FUNCTIONS` lists the calls it recognises).

Either way the site is described by an :class:`Activation` entry of the catalog, its hyper-parameters,
and the closed-form derivative ``f'(z)`` that saturation is measured with.

A *unit* is one feature of the last dimension for tensors of up to 3 dimensions (``Linear`` outputs
``(B, F)``, sequences ``(B, T, D)``) and one channel, dimension 1, for 4- and 5-dimensional tensors
(``Conv2d`` / ``Conv3d`` outputs ``(B, C, H, W)``). All other dimensions count as samples of that unit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from actlab.catalog import functional as fn
from actlab.catalog.entries import Activation, lookup
from actlab.catalog.modules import CatalogActivation

Derivative = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class SiteKind:
    """The activation at a site: its catalog entry and a derivative bound to the site's parameters."""

    entry: Activation
    derivative: Derivative

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def display(self) -> str:
        """The name users know from PyTorch: ``ReLU``, ``GELU``, ``Sigmoid``, ``sin``."""
        torch_name = self.entry.torch_name
        return torch_name.rsplit(".", 1)[-1] if torch_name else self.entry.name

    @cached_property
    def nonnegative(self) -> bool:
        """Outputs are never negative (ReLU, sigmoid, ...), so |y| is y."""
        return self.entry.range_for().low >= 0

    @cached_property
    def measures_saturation(self) -> bool:
        """Saturation is measured where f' goes to 0 on both sides (the catalog's ``saturating``)."""
        return self.entry.properties.saturating

    @cached_property
    def needs_derivative(self) -> bool:
        """ReLU-like activations (exact zeros, not saturating) are dead exactly where their output is 0;
        every other one also needs f'(z) to tell a unit that outputs 0 from one that passes no gradient."""
        return self.measures_saturation or not self.entry.properties.exact_zeros


def kind(catalog_name: str, params: Mapping[str, Any] | None = None) -> SiteKind:
    """A site kind for a catalog name with the given hyper-parameters (defaults for the missing ones).

    Parameters are not validated: a user's model may use values the catalog would refuse (a negative
    slope above 1, say), and the Monitor must still describe it.
    """
    entry = lookup(catalog_name)
    values = {p.name: p.default for p in entry.params} | dict(params or {})
    return SiteKind(entry, lambda z: entry.grad(z, **values))


def _prelu_kind(weight: Tensor) -> SiteKind:
    return SiteKind(lookup("prelu"), lambda z: fn.prelu_grad(z, weight.detach()))


# --- module sites ------------------------------------------------------------------------------------

_MODULE_KINDS: dict[type[nn.Module], Callable[[Any], SiteKind]] = {
    nn.ReLU: lambda m: kind("relu"),
    nn.ReLU6: lambda m: kind("relu6"),
    nn.LeakyReLU: lambda m: kind("leaky_relu", {"negative_slope": m.negative_slope}),
    nn.PReLU: lambda m: _prelu_kind(m.weight),
    nn.ELU: lambda m: kind("elu", {"alpha": m.alpha}),
    nn.SELU: lambda m: kind("selu"),
    nn.CELU: lambda m: kind("celu", {"alpha": m.alpha}),
    nn.GELU: lambda m: kind("gelu", {"approximate": m.approximate}),
    nn.SiLU: lambda m: kind("silu"),
    nn.Mish: lambda m: kind("mish"),
    nn.Softplus: lambda m: kind("softplus", {"beta": m.beta, "threshold": m.threshold}),
    nn.Sigmoid: lambda m: kind("sigmoid"),
    nn.Tanh: lambda m: kind("tanh"),
    nn.Hardtanh: lambda m: kind("hardtanh", {"min_val": m.min_val, "max_val": m.max_val}),
    nn.Hardsigmoid: lambda m: kind("hardsigmoid"),
    nn.Hardswish: lambda m: kind("hardswish"),
    nn.Softsign: lambda m: kind("softsign"),
}


def module_kind(module: nn.Module) -> SiteKind | None:
    """The site kind of an activation module, or ``None`` for any other module.

    The most specific class wins (``nn.ReLU6`` is a subclass of ``nn.Hardtanh``). A catalog module uses
    its own closed-form derivative, so a learned PReLU slope is read when the derivative is taken.
    """
    if isinstance(module, CatalogActivation):
        return SiteKind(module.entry, module.derivative)
    for cls in type(module).__mro__:
        if cls in _MODULE_KINDS:
            return _MODULE_KINDS[cls](module)
    return None


def is_inplace(module: nn.Module) -> bool:
    return bool(getattr(module, "inplace", False))


# --- functional sites --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionSpec:
    """How to read a recognised call: its catalog name, its argument names in order, and which of those
    are hyper-parameters. ``inplace`` is True for calls that always overwrite their input (``relu_``)."""

    catalog_name: str
    arg_names: tuple[str, ...] = ("input",)
    params: tuple[str, ...] = ()
    inplace: bool = False

    def read(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> tuple[Any, SiteKind, bool]:
        """The input (a tensor, unless the call is not one the Monitor can watch: the caller checks), the site
        kind and whether this call overwrites its input."""
        bound = dict(zip(self.arg_names, args, strict=False)) | dict(kwargs)
        z = bound.get("input", bound.get("self"))
        if self.catalog_name == "prelu":
            site = _prelu_kind(bound["weight"])
        else:
            site = kind(self.catalog_name, {p: bound[p] for p in self.params if p in bound})
        return z, site, self.inplace or bool(bound.get("inplace", False))


def _specs() -> dict[Callable[..., Any], FunctionSpec]:
    inplace_arg = ("input", "inplace")
    table: dict[Callable[..., Any], FunctionSpec] = {
        F.relu: FunctionSpec("relu", inplace_arg),
        torch.relu: FunctionSpec("relu"),
        torch.Tensor.relu: FunctionSpec("relu"),
        torch.relu_: FunctionSpec("relu", inplace=True),
        torch.Tensor.relu_: FunctionSpec("relu", inplace=True),
        F.relu6: FunctionSpec("relu6", inplace_arg),
        F.leaky_relu: FunctionSpec("leaky_relu", ("input", "negative_slope", "inplace"), ("negative_slope",)),
        F.leaky_relu_: FunctionSpec("leaky_relu", ("input", "negative_slope"), ("negative_slope",), True),
        torch.prelu: FunctionSpec("prelu", ("input", "weight")),
        F.elu: FunctionSpec("elu", ("input", "alpha", "inplace"), ("alpha",)),
        F.elu_: FunctionSpec("elu", ("input", "alpha"), ("alpha",), True),
        F.selu: FunctionSpec("selu", inplace_arg),
        F.celu: FunctionSpec("celu", ("input", "alpha", "inplace"), ("alpha",)),
        F.gelu: FunctionSpec("gelu", ("input", "approximate"), ("approximate",)),
        F.silu: FunctionSpec("silu", inplace_arg),
        F.mish: FunctionSpec("mish", inplace_arg),
        F.softplus: FunctionSpec("softplus", ("input", "beta", "threshold"), ("beta", "threshold")),
        torch.sigmoid: FunctionSpec("sigmoid"),
        torch.Tensor.sigmoid: FunctionSpec("sigmoid"),
        torch.sigmoid_: FunctionSpec("sigmoid", inplace=True),
        torch.Tensor.sigmoid_: FunctionSpec("sigmoid", inplace=True),
        torch.tanh: FunctionSpec("tanh"),
        torch.Tensor.tanh: FunctionSpec("tanh"),
        torch.tanh_: FunctionSpec("tanh", inplace=True),
        torch.Tensor.tanh_: FunctionSpec("tanh", inplace=True),
        F.hardtanh: FunctionSpec("hardtanh", ("input", "min_val", "max_val", "inplace"), ("min_val", "max_val")),
        F.hardtanh_: FunctionSpec("hardtanh", ("input", "min_val", "max_val"), ("min_val", "max_val"), True),
        F.hardsigmoid: FunctionSpec("hardsigmoid", inplace_arg),
        F.hardswish: FunctionSpec("hardswish", inplace_arg),
        F.softsign: FunctionSpec("softsign"),
    }
    return table


FUNCTIONS: dict[Callable[..., Any], FunctionSpec] = _specs()


# --- units -------------------------------------------------------------------------------------------


def unit_dim(t: Tensor) -> int:
    """The dimension whose entries are units (see the module docstring); -1 for a 0-d tensor too."""
    return 1 if t.dim() >= 4 else -1


def units_of(t: Tensor) -> int:
    return int(t.shape[unit_dim(t)]) if t.dim() else 1
