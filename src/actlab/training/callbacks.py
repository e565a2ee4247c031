"""How training reports what it does: the library calls these hooks; the CLI or a diagnostic implements them.

Library code never prints. A progress bar or a test's recorder subclasses :class:`Callback` and overrides
the hooks it needs; every hook is a no-op by default. :class:`Callback` is a protocol, so a class with all
four hooks is one without importing it: that is how :class:`actlab.diagnostics.TrainingTracker`, which
sits below training in the package's layers, is one.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from torch import nn


@runtime_checkable
class Callback(Protocol):
    """Hooks called by :func:`actlab.train` (and the vectorized trainer) in this order each step:
    forward and backward, ``on_before_step`` (gradients present), optimizer step, ``on_step_end``.

    A subclass overrides only the hooks it needs; the others are no-ops (hence ``return None``: mypy treats a
    protocol method with an empty body as abstract, and would refuse to instantiate such a subclass)."""

    def on_train_start(self, model: nn.Module, config: Any) -> None:
        """Before the first step, with the freshly initialised model."""
        return None

    def on_before_step(self, step: int, model: nn.Module) -> None:
        """After ``loss.backward()`` and before ``optimizer.step()``: ``p.grad`` holds this step's gradients."""
        return None

    def on_step_end(self, step: int, loss: float, model: nn.Module) -> None:
        """After ``optimizer.step()``; ``step`` counts from 1, ``loss`` is this step's training loss."""
        return None

    def on_train_end(self, model: nn.Module, result: Any) -> None:
        """After the last step (or early stop), with the finished result."""
        return None
