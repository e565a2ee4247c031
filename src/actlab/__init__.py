"""actlab: an activation-function laboratory on PyTorch.

The public API, by layer (dependencies point one way: catalog -> nets -> diagnostics -> training -> fast ->
experiments -> plots -> tour / serve / backends -> cli; see the README's "Architecture"):

* catalog: :func:`get`, :func:`lookup`, :func:`names`, :data:`CATALOG`, :class:`Activation`,
  :class:`CatalogActivation`; the lesson's layer: :func:`run_demo`;
* models and training: :class:`MLP`, :class:`TrainConfig`, :func:`train`, :class:`TrainResult`
  (tasks live in :mod:`actlab.nets.tasks`); run folders: :func:`save_run` (a trained result or a hand-built
  :class:`MLP`), :func:`load_run`;
* diagnostics: :class:`Monitor`, :func:`diagnose`;
* comparisons: :func:`train_many` (the vectorized trainer), :class:`ResultStore`;
* errors: :class:`ActlabError`, the one exception type for mistakes a user can make.

Everything that needs torch is imported on first use (``actlab.get``, ``actlab.MLP``...), so ``import actlab``
and the catalog's metadata need neither torch nor matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from actlab._version import __version__
from actlab.catalog.entries import CATALOG, Activation, lookup, names
from actlab.errors import ActlabError

if TYPE_CHECKING:
    from actlab.catalog.demo import run_demo
    from actlab.catalog.modules import CatalogActivation, get
    from actlab.diagnostics import Monitor, diagnose
    from actlab.experiments.store import ResultStore
    from actlab.fast.vectorized import train_many
    from actlab.nets.mlp import MLP
    from actlab.training.config import TrainConfig, TrainResult
    from actlab.training.loop import train
    from actlab.training.rundir import load_run, save_run

_LAZY = {
    "get": "actlab.catalog.modules",
    "CatalogActivation": "actlab.catalog.modules",
    "run_demo": "actlab.catalog.demo",
    "MLP": "actlab.nets.mlp",
    "TrainConfig": "actlab.training",
    "TrainResult": "actlab.training",
    "train": "actlab.training",
    "Monitor": "actlab.diagnostics",
    "diagnose": "actlab.diagnostics",
    "train_many": "actlab.fast.vectorized",
    "ResultStore": "actlab.experiments.store",
    "save_run": "actlab.training.rundir",
    "load_run": "actlab.training.rundir",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'actlab' has no attribute {name!r}")


__all__ = [
    "CATALOG",
    "MLP",
    "Activation",
    "ActlabError",
    "CatalogActivation",
    "Monitor",
    "ResultStore",
    "TrainConfig",
    "TrainResult",
    "__version__",
    "diagnose",
    "get",
    "load_run",
    "lookup",
    "names",
    "run_demo",
    "save_run",
    "train",
    "train_many",
]
