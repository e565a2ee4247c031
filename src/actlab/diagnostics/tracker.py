""":class:`TrainingTracker`: the Monitor following a training run, one recorded step every ``every`` steps.

Cheap by construction: the Monitor's hooks are attached only for the recorded steps (from the end of
the step before, through that step's forward and backward, to its optimizer step) and removed in
between, so unrecorded steps run the bare model. Memory is the Monitor's per-unit counters, reset after
each record: independent of the number of steps and of the data.

Each record describes one training batch: a unit counts as dead when it never fired on that batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from actlab.diagnostics.monitor import Monitor
from actlab.errors import ActlabError

SITE_KEYS = ("dead", "dead_fraction", "sparsity", "near_zero", "saturation", "post_std", "grad_norm")
LAYER_KEYS = ("grad_norm", "weight_norm", "update_ratio")


class TrainingTracker:
    """A training callback (an :class:`actlab.training.Callback` by its four hooks): record per-site dead
    fraction, sparsity, saturation and gradient norm, and per-layer gradient norm and update-to-weight ratio,
    at steps ``every``, ``2·every``, ... of a training run.

    :meth:`history` gives one JSON-able dict per recorded step::

        {"step": 100, "loss": 0.012, "collapsed": False,
         "sites": {"act1": {"dead": 3, "dead_fraction": 0.047, "sparsity": 0.51, ...}, ...},
         "layers": {"linear1": {"grad_norm": 0.08, "weight_norm": 5.1, "update_ratio": 0.0011}, ...}}

    ``model`` may be ``None``: the model given to ``on_train_start`` is then tracked. ``log_dir`` also
    writes every record as TensorBoard scalars (needs the ``tensorboard`` package).
    """

    def __init__(
        self,
        model: nn.Module | None = None,
        every: int = 10,
        *,
        saturation_threshold: float = 0.01,
        near_zero: float = 1e-3,
        functional: bool = True,
        log_dir: str | Path | None = None,
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ActlabError(f"every={every!r} must be a whole number >= 1")
        self.every = every
        self._options: dict[str, Any] = {
            "saturation_threshold": saturation_threshold,
            "near_zero": near_zero,
            "functional": functional,
        }
        self._monitor = Monitor(model, **self._options) if model is not None else None
        self._history: list[dict[str, Any]] = []
        self._writer = None
        if log_dir is not None:
            from actlab.diagnostics.tensorboard import summary_writer

            self._writer = summary_writer(log_dir)

    def history(self) -> list[dict[str, Any]]:
        return list(self._history)

    # --- callback hooks ----------------------------------------------------------------------------

    def on_train_start(self, model: nn.Module, config: Any) -> None:
        if self._monitor is None or self._monitor.model is not model:
            self._monitor = Monitor(model, **self._options)
        self._history.clear()
        self._arm(1)

    def on_before_step(self, step: int, model: nn.Module) -> None:
        """Nothing: the Monitor's hooks, armed at the end of the step before, see this step's gradients."""

    def on_step_end(self, step: int, loss: float, model: nn.Module) -> None:
        monitor = self._monitor
        if monitor is None:
            return
        if monitor.attached and step % self.every == 0:
            monitor.count_updates()
            self._history.append(self._record(step, loss))
            if self._writer is not None:
                from actlab.diagnostics.tensorboard import write_record

                write_record(self._writer, self._history[-1])
        monitor.detach()
        monitor.reset()
        self._arm(step + 1)

    def on_train_end(self, model: nn.Module, result: Any) -> None:
        self.close()

    def close(self) -> None:
        """Remove the hooks (training ending does this) and flush TensorBoard output."""
        if self._monitor is not None:
            self._monitor.detach()
        if self._writer is not None:
            self._writer.flush()

    # --- internals ---------------------------------------------------------------------------------

    def _arm(self, next_step: int) -> None:
        if self._monitor is not None and next_step % self.every == 0:
            self._monitor.attach()

    def _record(self, step: int, loss: float) -> dict[str, Any]:
        assert self._monitor is not None
        report = self._monitor.report().to_dict()
        return {
            "step": step,
            "loss": loss,
            "collapsed": report["collapsed"],
            "sites": {s["name"]: {k: s[k] for k in SITE_KEYS} for s in report["sites"]},
            "layers": {x["name"]: {k: x[k] for k in LAYER_KEYS} for x in report["layers"]},
        }
