"""The :class:`Monitor`: instruments every activation site of any PyTorch model while it runs.

How it sees each site:

1. **activation modules** (``nn.ReLU``, ``nn.GELU``, ..., any :class:`actlab.CatalogActivation`): a
   forward pre-hook keeps the pre-activation ``z`` (a copy when the module works in place, since it is
   about to be overwritten) and a forward hook adds ``(z, y)`` to the site's counters;
2. **activation calls** inside ``forward`` (``F.relu``, ``torch.tanh``, ``x.relu()``, ...): a
   ``TorchFunctionMode``, pushed while the model's own ``forward`` runs and popped when it returns, sees
   the call and its arguments; the site is named after the innermost module whose code made the call;
3. **gradients**: a hook on each site's output tensor sees ``dL/dy`` when backward runs, and a hook on
   each layer's weight sees its gradient once accumulated (see :mod:`actlab.diagnostics.layers`).

Hooks never return a value, statistics are taken from detached tensors, so the model's outputs and
gradients are bit-identical with and without the Monitor. Leaving the context removes every hook.

Site names: a module site is its path in ``named_modules()`` (``"encoder.0.act"``); the same module
called again in one forward pass gives ``"act#2"``, ``"act#3"``. A functional site is the calling
module's path, the catalog name and the call's order among that module's calls of that function:
``"layers.0.relu#1"`` (``"relu#1"`` when the model's own ``forward`` makes the call).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

import torch
from torch import Tensor, nn
from torch.overrides import TorchFunctionMode
from torch.utils.hooks import RemovableHandle

from actlab.diagnostics.counters import OutputSpread, SiteStats, first_tensor
from actlab.diagnostics.layers import LayerStats, has_uninitialized, weight_layers
from actlab.diagnostics.records import Thresholds
from actlab.diagnostics.report import Report
from actlab.diagnostics.sites import FUNCTIONS, FunctionSpec, SiteKind, is_inplace, module_kind, units_of
from actlab.errors import ActlabError

ROOT = "model"  # the name of a site that is the model itself, e.g. Monitor(nn.ReLU())


class Monitor:
    """Instrument every activation site of ``model`` while inside ``with Monitor(model) as mon:``.

    Args:
        model: any ``nn.Module``; it is left exactly as it was when the context ends.
        saturation_threshold: an input is saturated where |f'(z)| is below this (default 0.01:
            sigmoid beyond |z| ≈ 4.6, tanh beyond |z| ≈ 3.0); measured for saturating activations only.
        near_zero: an output is near zero where |y| <= this (default 1e-3).
        functional: also instrument activation calls inside ``forward`` (``F.relu``, ``torch.tanh``...).
        gradients: also record gradients when backward runs (site outputs, layer weights, updates).

    >>> import torch, actlab
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    >>> with actlab.Monitor(net) as mon:
    ...     _ = net(torch.randn(100, 2))
    >>> mon.report().sites[0].name
    '1'
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        saturation_threshold: float = 0.01,
        near_zero: float = 1e-3,
        functional: bool = True,
        gradients: bool = True,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise ActlabError(f"Monitor needs a torch.nn.Module, not {type(model).__name__}")
        if not saturation_threshold > 0:
            raise ActlabError(f"saturation_threshold={saturation_threshold!r} must be a number > 0")
        if not near_zero >= 0:
            raise ActlabError(f"near_zero={near_zero!r} must be a number >= 0")
        self.model = model
        self.saturation_threshold = float(saturation_threshold)
        self.near_zero = float(near_zero)
        self.functional = functional
        self.gradients = gradients
        self.inputs = 0  # size of the first dimension of the model's first tensor argument, summed
        self._paths = {m: path for path, m in model.named_modules()}
        self._paths_by_id = {id(m): path for m, path in self._paths.items()}  # any caller's `self` can be looked up
        self._kinds: dict[nn.Module, SiteKind] = {}
        self._sites: dict[str, SiteStats] = {}  # in order of first call: input to output
        self._layers: list[LayerStats] = []
        self._hooked: set[int] = set()  # ids of the weights whose gradient hook is registered
        self._lazy = False  # some weights were not materialised yet when the hooks were attached
        self._output = OutputSpread()
        self._handles: list[RemovableHandle] = []
        self._mode = _ActivationCalls(self)
        self._mode_pushed = False
        self._pending: dict[nn.Module, Tensor] = {}
        self._calls: Counter[str] = Counter()
        self._inside_activation = 0

    # --- context -----------------------------------------------------------------------------------

    def __enter__(self) -> Monitor:
        self.attach()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.detach()

    @property
    def attached(self) -> bool:
        return bool(self._handles)

    def attach(self) -> None:
        """Register every hook (what entering the context does); counters keep what they hold."""
        if self.attached:
            return
        self._kinds = {m: k for m in self._paths if (k := module_kind(m)) is not None}
        add = self._handles.append
        add(self.model.register_forward_pre_hook(self._root_pre, with_kwargs=True))
        add(self.model.register_forward_hook(self._root_post, always_call=True))
        for module in self._kinds:
            add(module.register_forward_pre_hook(self._site_pre))
            add(module.register_forward_hook(self._site_post, always_call=True))
        self._lazy = has_uninitialized(self.model)
        self._watch_layers()

    def _watch_layers(self) -> None:
        """Hook every weight layer not yet hooked (lazy modules get their weights at the first forward)."""
        if not self.gradients:
            return
        known = {id(layer.weight): layer for layer in self._layers}
        self._layers = [known.get(id(layer.weight), layer) for layer in weight_layers(self.model)]
        for layer in self._layers:
            if id(layer.weight) not in self._hooked:
                hook = layer.weight.register_post_accumulate_grad_hook(self._layer_grad_hook(layer))
                self._handles.append(hook)
                self._hooked.add(id(layer.weight))

    def detach(self) -> None:
        """Remove every hook (what leaving the context does); the counters and the report stay."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._hooked.clear()
        self._pop_mode()
        self._pending.clear()
        self._inside_activation = 0
        for layer in self._layers:
            layer.snapshot = None

    def reset(self) -> None:
        """Forget everything counted so far (sites found stay named the same way)."""
        self._sites.clear()
        self._output = OutputSpread()
        self.inputs = 0
        for layer in self._layers:
            layer.reset()

    # --- results -----------------------------------------------------------------------------------

    @property
    def sites(self) -> list[SiteStats]:
        return list(self._sites.values())

    @property
    def layers(self) -> list[LayerStats]:
        return list(self._layers)

    @property
    def output(self) -> OutputSpread:
        return self._output

    def thresholds(self) -> Thresholds:
        return Thresholds(saturation=self.saturation_threshold, near_zero=self.near_zero)

    def report(self, lang: str = "en") -> Report:
        """Everything measured so far, with verdicts in ``lang`` (``"en"`` or ``"zh"``)."""
        return Report.build(self.sites, self.layers, self._output, self.inputs, self.thresholds(), lang)

    def count_updates(self) -> None:
        """Compare each layer's weight with the copy taken when its gradient arrived, and count the change
        as one update. The Monitor does this at the start of every forward pass; call it after
        ``optimizer.step()`` to count the last step too."""
        for layer in self._layers:
            if layer.snapshot is not None:
                layer.add_update(layer.snapshot)
                layer.snapshot = None

    # --- the model's forward -----------------------------------------------------------------------

    def _root_pre(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._calls.clear()
        first = next((a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)), None)
        if first is not None:
            self.inputs += int(first.shape[0]) if first.dim() else 1
        self.count_updates()
        if self.functional and not self._mode_pushed:
            self._mode.__enter__()
            self._mode_pushed = True

    def _root_post(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        self._pop_mode()
        if self._lazy:
            self._lazy = has_uninitialized(self.model)
            self._watch_layers()
        out = first_tensor(output)
        if out is not None:
            with torch.no_grad():
                self._output.add(out.detach())

    def _pop_mode(self) -> None:
        if self._mode_pushed:
            self._mode.__exit__(None, None, None)
            self._mode_pushed = False

    # --- module sites ------------------------------------------------------------------------------

    def _site_pre(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        self._inside_activation += 1
        if args and isinstance(args[0], Tensor):
            with _unseen():
                z = args[0].detach()
                self._pending[module] = z.clone() if is_inplace(module) else z

    def _site_post(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        self._inside_activation = max(self._inside_activation - 1, 0)
        z = self._pending.pop(module, None)
        if z is None or not isinstance(output, Tensor):
            return
        with _unseen():
            self._record(self._paths[module] or ROOT, self._kinds[module], "module", z, output)

    # --- functional sites --------------------------------------------------------------------------

    def _call(self, func: Callable[..., Any], spec: FunctionSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        z, site_kind, inplace = spec.read(args, kwargs)
        if not isinstance(z, Tensor):
            return func(*args, **kwargs)
        z_seen = z.detach().clone() if inplace else z.detach()
        output = func(*args, **kwargs)
        if isinstance(output, Tensor):
            owner = self._owner()
            self._record(
                f"{owner}.{site_kind.name}" if owner else site_kind.name,
                site_kind,
                "functional",
                z_seen,
                output,
                numbered=True,
            )
        return output

    def _owner(self) -> str:
        """The path of the innermost module of this model whose code is running (the caller's ``self``)."""
        frame = sys._getframe(2)
        while frame is not None:
            if "self" in frame.f_code.co_varnames[:1]:
                path = self._paths_by_id.get(id(frame.f_locals.get("self")))
                if path is not None:
                    return path
            frame = frame.f_back  # type: ignore[assignment]
        return ""

    # --- recording ---------------------------------------------------------------------------------

    def _record(
        self, base: str, site_kind: SiteKind, source: str, z: Tensor, y: Tensor, *, numbered: bool = False
    ) -> None:
        """Add one call's values to its site; called with the function mode out of the way (``_unseen``, or
        inside the mode's own handler), so that the Monitor's own tensor operations are not intercepted."""
        self._calls[base] += 1
        count = self._calls[base]
        name = f"{base}#{count}" if numbered or count > 1 else base
        units = units_of(y)
        site = self._sites.get(name)
        if site is not None and site.units != units:  # the same call site fed a different width
            name = f"{name}@{units}"
            site = self._sites.get(name)
        if site is None:
            site = self._sites[name] = SiteStats(name, site_kind, source, units)
        with torch.no_grad():
            site.add(z, y.detach(), near_zero=self.near_zero, saturation_threshold=self.saturation_threshold)
        if self.gradients and y.requires_grad and torch.is_grad_enabled():
            y.register_hook(_grad_hook(site))

    def _layer_grad_hook(self, layer: LayerStats) -> Callable[[Tensor], None]:
        def hook(weight: Tensor) -> None:
            if weight.grad is not None:
                with torch.no_grad():
                    layer.add_grad(weight.grad)
                    layer.snapshot = weight.detach().clone()

        return hook


def _unseen() -> AbstractContextManager[None]:
    """A context in which torch calls bypass every TorchFunctionMode, the Monitor's included."""
    return torch._C.DisableTorchFunction()


class _ActivationCalls(TorchFunctionMode):
    """Sees every torch call while the model's forward runs; hands recognised activations to the Monitor."""

    def __init__(self, monitor: Monitor) -> None:
        super().__init__()
        self.monitor = monitor

    def __torch_function__(
        self, func: Callable[..., Any], types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        kwargs = kwargs or {}
        spec = FUNCTIONS.get(func)
        if spec is None or self.monitor._inside_activation:
            return func(*args, **kwargs)
        return self.monitor._call(func, spec, args, kwargs)


def _grad_hook(site: SiteStats) -> Callable[[Tensor], None]:
    def hook(grad: Tensor) -> None:
        with torch.no_grad():
            site.add_grad(grad.detach())

    return hook
