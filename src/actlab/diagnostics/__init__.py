"""Diagnostics for any PyTorch model: dead, saturated and sparse units, vanishing gradients, collapse.

* :class:`Monitor`: a context manager instrumenting every activation site (modules and functional calls);
* :func:`diagnose`: one pass over a tensor, a Dataset or a DataLoader, and its :class:`Report`;
* :class:`TrainingTracker`: a training callback recording dead fraction, sparsity, gradient norms and
  update ratios per layer every few steps;
* :func:`born_dead_fraction`: how often deep narrow ReLU networks are collapsed at initialisation;
* plots in :mod:`actlab.plots.diagnostics` (imported on use: matplotlib is slow to import).
"""

from __future__ import annotations

from actlab.diagnostics.collapse import born_dead_fraction, born_dead_table, is_collapsed
from actlab.diagnostics.diagnose import diagnose
from actlab.diagnostics.monitor import Monitor
from actlab.diagnostics.records import LayerReport, SiteReport, Thresholds, Verdict
from actlab.diagnostics.report import Report
from actlab.diagnostics.tracker import TrainingTracker

__all__ = [
    "LayerReport",
    "Monitor",
    "Report",
    "SiteReport",
    "Thresholds",
    "TrainingTracker",
    "Verdict",
    "born_dead_fraction",
    "born_dead_table",
    "diagnose",
    "is_collapsed",
]
