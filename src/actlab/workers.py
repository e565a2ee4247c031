"""Jobs run side by side on the CPU cores: the first in this process, each other one in a forked child.

Why processes: Python threads share one interpreter lock, and a training step of small networks is mostly
Python-level dispatch between short kernels, so two worker threads ran *slower* than one there (the tour's
arithmetic section took 7.5 s on two threads against 5.1 s on one; BENCHMARKS.md). A forked child has an
interpreter of its own, inherits everything the job needs (models, configs, task) without pickling it, and
starts in milliseconds.

A job is called as ``job(report, stop)``: ``report(n)`` tells the caller's progress callback that ``n``
more units of work are done, and ``stop()`` says whether to give up (a child's parent has died). A child
sends its progress and then its job's return value (which must pickle) through a pipe; it ignores Ctrl-C,
which the parent handles by killing it. If the parent's own job fails or is interrupted, the children are
killed. Forking is safe here because a child runs PyTorch on one thread only, as a ``DataLoader`` worker
does; it is used on Linux only (:data:`FORK`), where it is the system's own way of starting processes.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

import torch

T = TypeVar("T")
Report = Callable[[int], None]
Stop = Callable[[], bool]

FORK = sys.platform.startswith("linux")  # elsewhere callers run one job at a time
PROGRESS_EVERY = 0.05  # seconds: a child reports its progress at most this often


def can_fork() -> bool:
    """Whether :func:`run_side_by_side` may start children here: on Linux, outside a daemonic process
    (a ``multiprocessing.Pool`` worker, which may have none)."""
    return FORK and not multiprocessing.current_process().daemon


def run_side_by_side(jobs: Sequence[Callable[[Report, Stop], T]], progress: Report | None = None) -> list[T]:
    """Each job's return value, in order: ``jobs[0]`` runs here, the others in forked children."""
    report: Report = progress or (lambda _: None)
    children: list[_Child[T]] = []
    try:
        for job in jobs[1:]:
            children.append(_Child(job, [c.connection for c in children]))

        def relay(done: int) -> None:
            report(done)
            for child in children:
                child.drain(report)

        first = jobs[0](relay, lambda: False)
        waiting = list(children)
        while waiting:  # whichever child has something to say: none may block on a full pipe meanwhile
            for connection in wait([c.connection for c in waiting]):
                child = next(c for c in waiting if c.connection is connection)
                child.drain(report)
            waiting = [c for c in waiting if c.value is c.EMPTY]
        return [first, *(child.value for child in children)]
    finally:
        for child in children:
            child.close()


class _Child(Generic[T]):
    """One forked child running one job, and the read end of its pipe."""

    EMPTY: Any = object()  # the value until the child's result has arrived

    def __init__(self, job: Callable[[Report, Stop], T], siblings: list[Connection]) -> None:
        receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
        with warnings.catch_warnings():  # Python 3.12+ warns about forking a process that has threads
            warnings.simplefilter("ignore", DeprecationWarning)
            self.process = multiprocessing.get_context("fork").Process(
                target=_child_main, args=(job, send, [receive, *siblings], os.getpid()), daemon=True
            )
            self.process.start()
        send.close()
        self.connection, self.value = receive, self.EMPTY

    def drain(self, report: Report) -> None:
        """Relay the messages that have arrived, the result included. A child's error is
        raised here."""
        while self.value is self.EMPTY and self.connection.poll():
            try:
                kind, payload = pickle.loads(self.connection.recv_bytes())
            except (EOFError, OSError):
                self.process.join(5)
                raise RuntimeError(
                    f"a training worker process ended without its results (exit code {self.process.exitcode})"
                ) from None
            if kind == "progress":
                report(payload)
            elif kind == "error":
                raise payload
            else:
                self.value = payload

    def close(self) -> None:
        if self.process.is_alive() and self.value is self.EMPTY:
            self.process.kill()
        self.process.join()
        self.connection.close()


def _child_main(job: Callable[[Report, Stop], Any], connection: Connection, inherited: list[Connection],
                parent: int) -> None:  # fmt: skip
    for other in inherited:  # read ends this child must not hold: a write to a dead parent then fails at once
        other.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it kills this process
    torch.set_num_threads(1)
    pending, last_sent = 0, time.monotonic()

    def report(done: int) -> None:  # at most every PROGRESS_EVERY seconds, so that the pipe never fills
        nonlocal pending, last_sent
        pending += done
        if time.monotonic() - last_sent >= PROGRESS_EVERY:
            connection.send_bytes(pickle.dumps(("progress", pending)))
            pending, last_sent = 0, time.monotonic()

    try:
        message = ("result", job(report, lambda: os.getppid() != parent))
    except BaseException as error:  # every failure goes back to the parent
        message = ("error", error)
    try:
        data = pickle.dumps(message)
        pickle.loads(data)  # an exception may pickle and still fail to load (a constructor with other arguments)
    except Exception as unpicklable:
        data = pickle.dumps(("error", RuntimeError(f"in a worker process: {message[1]!r} ({unpicklable})")))
    with contextlib.suppress(OSError):  # the parent is gone
        if pending:
            connection.send_bytes(pickle.dumps(("progress", pending)))
        connection.send_bytes(data)
    connection.close()
