"""The training layer: one network on one task.

* :mod:`~actlab.training.config`: :class:`TrainConfig` (checked field by field) and :class:`TrainResult`;
* :mod:`~actlab.training.loop`: :func:`train` and the pieces the vectorized trainer reuses;
* :mod:`~actlab.training.evaluate`: metrics inside and outside the training range, and ``predict``;
* :mod:`~actlab.training.callbacks`: the hooks a training run calls;
* :mod:`~actlab.training.rundir`: a trained run as a folder (:func:`save_run`, :func:`load_run`);
* :mod:`~actlab.training.device`: the ``--device`` names and GPU memory estimates.

Depends on the catalog, the networks and the diagnostics (the tracker of ``track_every``).
"""

from __future__ import annotations

from actlab.training.callbacks import Callback
from actlab.training.config import FAR_WORSE, TrainConfig, TrainResult
from actlab.training.loop import DivergenceError, train
from actlab.training.rundir import Run, load_run, save_run

__all__ = [
    "FAR_WORSE",
    "Callback",
    "DivergenceError",
    "Run",
    "TrainConfig",
    "TrainResult",
    "load_run",
    "save_run",
    "train",
]
