"""actlab: an activation-function laboratory on PyTorch.

Public API (everything else is internal and may change):

* the catalog: :func:`get`, :func:`lookup`, :func:`names`, :data:`CATALOG`, :class:`Activation`;
* the lesson's layer: :func:`run_demo`;
* errors: :class:`ActlabError`, the one exception type for mistakes a user can make.
"""

from actlab.catalog import CATALOG, Activation, lookup, names
from actlab.demo import run_demo
from actlab.errors import ActlabError
from actlab.modules import CatalogActivation, get

__version__ = "0.1.0"

__all__ = [
    "CATALOG",
    "Activation",
    "ActlabError",
    "CatalogActivation",
    "__version__",
    "get",
    "lookup",
    "names",
    "run_demo",
]
