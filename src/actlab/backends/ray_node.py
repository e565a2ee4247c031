"""The Ray task of :class:`~actlab.backends.ray_executor.RayExecutor`: train one work unit on a node.

Nothing here touches the results store: the task returns its outcomes to the driver, which stores them.
"""

from __future__ import annotations

from typing import Any

from actlab.backends.ray_board import reporter
from actlab.experiments.executor import RunOutcome, WorkUnit, run_unit


def train_unit(unit: WorkUnit, workers: int, device: str | None, board: Any) -> tuple[str, list[RunOutcome]]:
    """Train ``unit`` with :func:`~actlab.experiments.executor.run_unit` (``workers`` processes, on ``device``:
    ``None`` is the CPU), reporting progress to ``board`` (a :class:`~actlab.backends.ray_board.
    ProgressBoard` handle, or ``None``); return this node's actlab version with the outcomes."""
    from actlab._version import __version__

    return __version__, run_unit(unit, reporter(board, unit.key), workers, device)
