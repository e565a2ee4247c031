"""The progress board: a small Ray actor to which training tasks report their model-steps, so that the
driver's progress bar moves while a unit trains, not only when it ends.

This module imports nothing heavy (no PyTorch): the actor's process starts in about a second.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (fast.workers imports PyTorch: the annotation only)
    from actlab.fast.workers import Progress

REPORT_EVERY_S = 0.5  # a task tells the board its model-steps at most this often


class ProgressBoard:
    """A Ray actor: the model-steps each unit's task has finished, as last reported (a retried task
    reports from 0 again; the driver keeps the highest it has seen)."""

    def __init__(self) -> None:
        self.done: dict[str, int] = {}

    def report(self, key: str, done: int) -> None:
        self.done[key] = done

    def read(self) -> dict[str, int]:
        return dict(self.done)


def reporter(board: Any, key: str) -> Progress:
    """An ``advance`` callback for a task training unit ``key``: sums the model-steps it is given and sends
    the total to ``board`` (an actor handle, or ``None``: nothing is sent) every :data:`REPORT_EVERY_S`."""
    done, last = 0, time.monotonic()

    def advance(steps: int) -> None:
        nonlocal done, last
        done += steps
        if board is not None and time.monotonic() - last >= REPORT_EVERY_S:
            board.report.remote(key, done)  # not waited for
            last = time.monotonic()

    return advance
