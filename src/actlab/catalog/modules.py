"""``torch.nn.Module`` wrappers over the catalog's pure functions, and :func:`get` to build one by name.

Every module is thin: ``forward`` is one call into the functional form, ``extra_repr`` shows its
hyper-parameters, shape ``(*) -> (*)``.

>>> import torch, actlab
>>> actlab.get("relu")(torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0]))
tensor([0., 0., 0., 1., 2.])
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from actlab.catalog import functional as fn
from actlab.catalog.docs import DECIMALS, EXAMPLE_INPUTS, docstring, example_call
from actlab.catalog.entries import Activation, lookup, parse_spec, resolved


class CatalogActivation(nn.Module):
    """Base of every catalog module: the entry's function applied with fixed hyper-parameters.

    ``forward`` runs PyTorch's own fused kernel where the entry has one (one pass over memory, the speed
    a network actually gets); the catalog's formula in :mod:`actlab.catalog.functional` is the readable reference,
    and the tests hold the two together (within a few units of the last place).

    Some kernels miss a limit the formula keeps (the entries with ``repair_edges``): ``gelu``, ``silu``,
    ``mish`` and ``hardswish`` give NaN at ``-inf`` (``-inf · 0``), ``softsign`` at ``±inf``, ``gelu`` at
    ``+inf`` and ``gelu``/``hardswish`` overflow to ``inf`` at huge finite ``x``. Their modules sum the
    kernel's output (one read of it, the only cost on ordinary inputs); only if the sum is not finite do they
    take the formula's value wherever the kernel's is NaN or ``±inf`` (:class:`_Repaired`).
    """

    catalog_name: ClassVar[str]

    def __init__(self, **params: Any) -> None:
        super().__init__()
        self.entry: Activation = lookup(self.catalog_name)
        self.params: dict[str, Any] = self.entry.resolve(**params)
        kernel = self.entry.torch_fn if self.entry.fused else None
        self._kernel = resolved(kernel or self.entry.fn)
        self._repair = kernel is not None and self.entry.repair_edges

    def forward(self, x: Tensor) -> Tensor:
        y = self._kernel(x, **self.params)
        # NaN or ±inf somewhere: look closer. On the CPU only: elsewhere `.item()` would wait for the device at
        # every call (a host synchronisation per step in the GPU trainer), so there the kernel's values stand.
        if self._repair and y.device.type == "cpu" and not math.isfinite(y.detach().sum().item()):
            return _Repaired.apply(x, y.detach(), self)
        return y

    def derivative(self, x: Tensor) -> Tensor:
        """The closed-form ``f'(x)`` at the module's current hyper-parameters."""
        return self.entry.grad(x, **self.params)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.params.items())


class _Repaired(torch.autograd.Function):
    """The kernel's output ``y`` with the formula's value wherever ``y`` is NaN or ``±inf`` (the formula keeps
    the limits at ``±inf`` and the values at huge ``|x|``; NaN in still gives NaN). Backward: the closed-form
    derivative, which keeps its limits there too (the kernel's own backward gives NaN at ``±inf``)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, y: Tensor, module: CatalogActivation) -> Tensor:
        ctx.save_for_backward(x)
        ctx.module = module
        return torch.where(torch.isfinite(y), y, module.entry.fn(x, **module.params))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple[Tensor, None, None]:
        (x,) = ctx.saved_tensors
        return grad_out * ctx.module.derivative(x), None, None


class Identity(CatalogActivation):
    catalog_name = "identity"


class Step(CatalogActivation):
    catalog_name = "step"


class ReLU(CatalogActivation):
    catalog_name = "relu"


class LeakyReLU(CatalogActivation):
    catalog_name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__(negative_slope=negative_slope)


class PReLU(CatalogActivation):
    """Leaky ReLU with learned slopes: one shared (``num_parameters=1``) or one per channel (dim 1)."""

    catalog_name = "prelu"

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__(init=init)
        self.weight = nn.Parameter(torch.full((num_parameters,), float(self.params["init"])))

    def forward(self, x: Tensor) -> Tensor:
        return fn.prelu(x, self.weight)

    def derivative(self, x: Tensor) -> Tensor:
        return fn.prelu_grad(x, self.weight.detach())

    def extra_repr(self) -> str:
        return f"num_parameters={self.weight.numel()}"


class ReLU6(CatalogActivation):
    catalog_name = "relu6"


class ELU(CatalogActivation):
    catalog_name = "elu"

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__(alpha=alpha)


class SELU(CatalogActivation):
    catalog_name = "selu"


class CELU(CatalogActivation):
    catalog_name = "celu"

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__(alpha=alpha)


class GELU(CatalogActivation):
    catalog_name = "gelu"

    def __init__(self, approximate: str = "none") -> None:
        super().__init__(approximate=approximate)


class SiLU(CatalogActivation):
    catalog_name = "silu"


class Mish(CatalogActivation):
    catalog_name = "mish"


class Softplus(CatalogActivation):
    catalog_name = "softplus"

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__(beta=beta, threshold=threshold)


class Sigmoid(CatalogActivation):
    catalog_name = "sigmoid"


class Tanh(CatalogActivation):
    catalog_name = "tanh"


class Hardtanh(CatalogActivation):
    catalog_name = "hardtanh"

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        super().__init__(min_val=min_val, max_val=max_val)


class Hardsigmoid(CatalogActivation):
    catalog_name = "hardsigmoid"


class Hardswish(CatalogActivation):
    catalog_name = "hardswish"


class Softsign(CatalogActivation):
    catalog_name = "softsign"


class Sin(CatalogActivation):
    catalog_name = "sin"


MODULES: dict[str, type[CatalogActivation]] = {
    cls.catalog_name: cls
    for cls in (
        Identity,
        Step,
        ReLU,
        LeakyReLU,
        PReLU,
        ReLU6,
        ELU,
        SELU,
        CELU,
        GELU,
        SiLU,
        Mish,
        Softplus,
        Sigmoid,
        Tanh,
        Hardtanh,
        Hardsigmoid,
        Hardswish,
        Softsign,
        Sin,
    )
}


def _document(cls: type[CatalogActivation]) -> None:
    """Fill ``cls.__doc__`` from its catalog entry (:func:`actlab.catalog.docs.docstring`); a docstring the class
    has itself is kept as a note. The example's output is the entry's formula in float64, shown in float32."""
    entry = lookup(cls.catalog_name)
    exact = entry.fn(torch.tensor(EXAMPLE_INPUTS, dtype=torch.float64), **entry.resolve())
    y = exact.float()
    rounded = not (torch.equal(y.double(), exact) and torch.equal(exact, exact.round(decimals=DECIMALS)))
    shown = y.round(decimals=DECIMALS) if rounded else y
    learned = any(p.requires_grad for p in cls().parameters())
    call = example_call(entry, rounded=rounded, detach=learned)
    cls.__doc__ = docstring(entry, call, repr(shown), note=cls.__dict__.get("__doc__") or "")


for _cls in MODULES.values():
    _document(_cls)


def get(name: str, **params: Any) -> CatalogActivation:
    """A fresh module for a catalog name or alias, e.g. ``get("lrelu", negative_slope=0.1)``.

    ``name`` may also carry parameters, as the CLI writes them: ``get("leaky_relu:negative_slope=0.1")``.
    Raises :class:`actlab.ActlabError` for an unknown name or an invalid parameter.
    """
    entry, spec_params = parse_spec(name)
    return MODULES[entry.name](**entry.resolve(**{**spec_params, **params}))
