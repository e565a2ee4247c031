"""actlab: an activation-function laboratory on PyTorch.

The public API, by layer (dependencies point one way: catalog -> model -> training / diagnostics ->
comparisons -> tour / cli):

* catalog: :func:`get`, :func:`lookup`, :func:`names`, :data:`CATALOG`, :class:`Activation`,
  :class:`CatalogActivation`; the lesson's layer: :func:`run_demo`;
* models and training: :class:`MLP`, :class:`TrainConfig`, :func:`train`, :class:`TrainResult`
  (tasks live in :mod:`actlab.tasks`); run folders: :func:`save_run` (a trained result or a hand-built
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

from actlab.catalog import CATALOG, Activation, lookup, names
from actlab.errors import ActlabError

if TYPE_CHECKING:
    from actlab.demo import run_demo
    from actlab.diagnostics import Monitor, diagnose
    from actlab.model import MLP
    from actlab.modules import CatalogActivation, get
    from actlab.rundir import load_run, save_run
    from actlab.store import ResultStore
    from actlab.training import TrainConfig, TrainResult, train
    from actlab.vectorized import train_many

__version__ = "0.1.0"

_LAZY = {
    "get": "actlab.modules",
    "CatalogActivation": "actlab.modules",
    "run_demo": "actlab.demo",
    "MLP": "actlab.model",
    "TrainConfig": "actlab.training",
    "TrainResult": "actlab.training",
    "train": "actlab.training",
    "Monitor": "actlab.diagnostics",
    "diagnose": "actlab.diagnostics",
    "train_many": "actlab.vectorized",
    "ResultStore": "actlab.store",
    "save_run": "actlab.rundir",
    "load_run": "actlab.rundir",
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
