"""The experiments layer: comparisons by many seeds (:mod:`~actlab.experiments.compare`, with
:mod:`~actlab.experiments.stats`), sweep files (:mod:`~actlab.experiments.sweep`), the executors that get
their runs trained (:mod:`~actlab.experiments.executor`), the resumable store of finished runs
(:mod:`~actlab.experiments.store`, exported by :mod:`~actlab.experiments.export`), and the speed benchmark
of each activation (:mod:`~actlab.experiments.speed`). Depends on the engine and training.

Nothing is imported here: ``actlab runs list`` reads the store without loading torch.
"""
