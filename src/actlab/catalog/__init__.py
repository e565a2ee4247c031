"""The catalog layer: pure functions and their derivatives (:mod:`~actlab.catalog.functional`), one entry per
activation (:mod:`~actlab.catalog.entries`), thin ``nn.Module`` wrappers (:mod:`~actlab.catalog.modules`)
and the lesson's worked layer (:mod:`~actlab.catalog.demo`).

Importing this package loads the entries only (no torch, no matplotlib): ``actlab list`` starts fast.
"""

from __future__ import annotations

from actlab.catalog.entries import ALIASES, CATALOG, Activation, Param, Properties, Range, lookup, names, parse_spec

__all__ = ["ALIASES", "CATALOG", "Activation", "Param", "Properties", "Range", "lookup", "names", "parse_spec"]
