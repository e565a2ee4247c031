"""Figures (matplotlib, headless, files only): what they share (:mod:`~actlab.plots.style`), catalog
entries, trained networks, comparisons, sweeps and diagnostics reports, one module each. Depends on every
layer it draws; nothing below it imports matplotlib."""
