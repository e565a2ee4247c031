"""Figures (matplotlib, headless, files only): what they share (:mod:`~actlab.plots.style`), catalog
entries, trained networks, comparisons, sweeps and diagnostics reports, one module each. Depends on every
layer it draws; nothing below it imports matplotlib.

Every figure is drawn by the Agg backend (files only, no display needed), chosen here once: importing any
``actlab.plots`` module imports this package first.
"""

import matplotlib

matplotlib.use("Agg")
