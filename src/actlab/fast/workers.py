"""Jobs run side by side on the CPU cores: the first in this process, each other one in a worker process.

Why processes: Python threads share one interpreter lock, and a training step of small networks is mostly
Python-level dispatch between short kernels, so two worker threads ran *slower* than one there (the tour's
arithmetic section took 7.5 s on two threads against 5.1 s on one; BENCHMARKS.md).

Where workers come from: never from this process. A fork of a process that has run autograd is unsafe on a
machine with a GPU: PyTorch's autograd engine has started its device threads there, and a forked child that
runs backward fails ("Unable to handle autograd's threading in combination with fork-based
multiprocessing"), whatever ran the autograd (an earlier ``actlab.train``, a user's own model). So workers
are forked from a *factory*: a fresh interpreter that this process starts the first time it needs workers
(:func:`prepare`), which imports PyTorch and the jobs' modules and then only forks on request. A worker
therefore starts in milliseconds, with PyTorch imported, from a process that has never run autograd. The
factory costs one interpreter start and ``import torch`` once per process (BENCHMARKS.md):
:func:`prepare` starts it early, so that it boots while the caller does other work, and with ``take_over``
the caller does a late worker's share itself rather than wait for it. The factory lives as long as this
process: when this process dies, the factory kills its workers and exits.

A job is called as ``job(report, stop)``: ``report(n)`` tells the caller's progress callback that ``n``
more units of work are done, and ``stop()`` says whether to give up (the caller has died or given up on
the worker). ``jobs[0]`` runs in this process; every other job crosses to its worker by pickle, so it must
be a module-level function (or a ``functools.partial`` of one) of a module the worker can import by name
(not ``__main__``), with arguments that pickle. A worker sees this process's ``sys.path``, working
directory, environment variables and default dtype as they are when it starts, and runs PyTorch on one
intra-op thread. It sends its progress and then its job's return value (which must pickle), or its error,
through a socket of its own; an error that cannot be rebuilt here arrives as a ``RuntimeError`` with its
text. A worker ignores Ctrl-C, which this process handles by killing it; if this process's own job fails or
is interrupted, the workers are killed, and :func:`run_side_by_side` returns only once every worker it
started is gone (one the factory has not forked yet ends as soon as it starts).
Workers are used on Linux only (:data:`FORK`), never from a daemonic process (:func:`can_fork`).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import multiprocessing
import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

import torch

T = TypeVar("T")
Progress = Callable[[int], None]  # called with the number of model-steps just finished
Stop = Callable[[], bool]

FORK = sys.platform.startswith("linux")  # elsewhere callers run one job at a time
PROGRESS_EVERY = 0.05  # seconds: a worker reports its progress at most this often
GONE_WAIT = 30.0  # seconds: how long closing a worker waits for the factory to confirm that it is gone
_BOOT = (  # the factory's program: Ctrl-C is the caller's to handle, then the caller's import path
    "import json, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); sys.path[:] = json.loads(sys.argv[1]); "
    "from actlab.fast.workers import _factory_main; _factory_main(int(sys.argv[2]))"
)


def can_fork() -> bool:
    """Whether :func:`run_side_by_side` may start workers here: on Linux, outside a daemonic process
    (a ``multiprocessing.Pool`` worker, which is killed with its parent and may have no children)."""
    return FORK and bool(sys.executable) and not multiprocessing.current_process().daemon


def prepare(modules: Iterable[str] = ()) -> None:
    """Start the worker factory now if it is not running, and have it import ``modules``; returns at once.
    Call it before work that precedes :func:`run_side_by_side`, so that the factory boots meanwhile. The
    factory imports the jobs' modules too, once: importing them must not run autograd."""
    if can_fork():
        _factory().send(set(modules))


def run_side_by_side(
    jobs: Sequence[Callable[[Progress, Stop], T]], progress: Progress | None = None, take_over: bool = False
) -> list[T]:
    """Each job's return value, in order: ``jobs[0]`` runs here, the others in worker processes.

    With ``take_over``, once ``jobs[0]`` is done this process also runs every other job whose worker process
    has not started yet (while the worker factory still starts, say) rather than wait for that worker: then
    workers never make the whole much slower than one process, only faster. A worker then begins its job
    only when this process says so (at ``jobs[0]``'s next progress report, or when it is done), so that no
    job ever runs twice.
    """
    report: Progress = progress or (lambda _: None)
    pickled = [_pickled(job) for job in jobs[1:]]  # a job that cannot cross fails before anything starts
    modules = {m for job in jobs[1:] if (m := _module_of(job)) != "__main__"}
    children: list[_Child[T]] = []
    try:
        for data in pickled:
            children.append(_Child(data, modules, wait_for_go=take_over))

        def relay(done: int) -> None:
            report(done)
            for child in children:
                child.drain(report)

        first = jobs[0](relay, _never)
        for job, child in zip(jobs[1:], children, strict=True):
            child.drain(report)
            if take_over and child.cancel(unless_started=True):
                child.value = job(relay, _never)
        waiting = [c for c in children if c.value is c.EMPTY]
        while waiting:  # whichever worker has something to say: none may block on a full socket meanwhile
            for connection in wait([c.connection for c in waiting]):
                child = next(c for c in waiting if c.connection is connection)
                child.drain(report)
            waiting = [c for c in waiting if c.value is c.EMPTY]
        return [first, *(child.value for child in children)]
    finally:
        for child in children:
            child.close()


def _never() -> bool:
    return False


def _pickled(job: Callable[..., Any]) -> bytes:
    try:
        return pickle.dumps(job)
    except Exception as error:
        raise TypeError(
            f"a job for a worker process must pickle (a module-level function, or a functools.partial of one, "
            f"with arguments that pickle): {job!r} does not ({error})"
        ) from error


def _module_of(job: Callable[..., Any]) -> str:
    while isinstance(job, partial):
        job = job.func
    return getattr(job, "__module__", None) or "__main__"


# --- this process's side --------------------------------------------------------------------------------


class _Child(Generic[T]):
    """One worker running one job: this process's end of its socket, and what has arrived through it.

    The conversation: this process sends the job; the worker says ``started`` (its pid) and, with the job
    unpacked, ``ready``; this process says ``go`` (at once, or on ``ready`` with ``wait_for_go``; or
    ``cancel`` instead, when it runs the job itself); the worker sends progress and then its result or its
    error; the factory adds the worker's exit code.
    """

    EMPTY: Any = object()  # the value until the worker's result has arrived

    def __init__(self, job: bytes, modules: set[str], wait_for_go: bool) -> None:
        here, there = socket.socketpair()
        try:
            _factory().send(modules, there)
        finally:
            there.close()
        self.connection = Connection(here.detach())
        self.value, self.pid, self.exitcode = self.EMPTY, None, None
        self.ended = self.begun = self.cancelled = False
        setup = (list(sys.path), os.getcwd(), dict(os.environ), torch.get_default_dtype())
        self.connection.send_bytes(pickle.dumps((setup, job)))
        if not wait_for_go:  # the job is the worker's whatever happens: it begins as soon as it can
            self.connection.send_bytes(pickle.dumps("go"))
            self.begun = True

    def drain(self, report: Progress) -> None:
        """Relay the messages that have arrived, the result included. A worker's error is raised here."""
        if self.cancelled:
            return
        while self.value is self.EMPTY and self._next():
            kind, payload = self._message
            if kind == "ready" and not self.begun:
                with contextlib.suppress(OSError):  # a worker gone meanwhile is reported by its end below
                    self.connection.send_bytes(pickle.dumps("go"))
                self.begun = True
            elif kind == "progress":
                report(payload)
            elif kind == "error":
                raise payload
            elif kind == "result":
                self.value = payload
        if self.value is self.EMPTY and self.ended:
            code = "unknown" if self.exitcode is None else self.exitcode
            raise RuntimeError(f"a training worker process ended without its results (exit code {code})")

    def cancel(self, unless_started: bool = False) -> bool:
        """Tell the worker not to begin its job, unless it has begun (or, with ``unless_started``, unless its
        process has started: it is about to begin); whether it was cancelled."""
        if not self.begun and self.value is self.EMPTY and not (unless_started and self.pid is not None):
            with contextlib.suppress(OSError):  # the worker is gone already
                self.connection.send_bytes(pickle.dumps("cancel"))
            self.cancelled = True
        return self.cancelled

    def _next(self, timeout: float | None = 0.0) -> bool:
        """Read one message into ``_message`` if one arrives within ``timeout``; note the worker's start
        (its pid) and end (its exit code: the factory's last word)."""
        if self.ended or not self.connection.poll(timeout):
            return False
        try:
            self._message = pickle.loads(self.connection.recv_bytes())
        except (EOFError, OSError):
            self.ended = True
            return False
        kind, payload = self._message
        if kind == "started":
            self.pid = payload
        elif kind == "exit":
            self.exitcode = payload
        return True

    def close(self) -> None:
        """Stop the worker unless its result has arrived (cancel it, or kill it if it has begun), and wait
        until the factory has seen it end. A worker not even forked yet is not waited for: it ends as soon
        as it starts, on reading the cancel."""
        deadline = time.monotonic() + GONE_WAIT
        kill = self.value is self.EMPTY and not self.ended and not self.cancel()
        while not self.ended and not (self.cancelled and self.pid is None) and time.monotonic() < deadline:
            if kill and self.pid is not None:  # (the pid may arrive only now)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                kill = False
            self._next(timeout=0.1)
        self.connection.close()


class _Factory:
    """The worker factory as this process sees it: the process, and the socket that asks it for workers."""

    def __init__(self) -> None:
        here, there = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)  # one message per request
        with there:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _BOOT, json.dumps(sys.path), str(there.fileno())], pass_fds=[there.fileno()]
            )
        self.control = here
        self.owner = os.getpid()

    def send(self, modules: set[str], worker: socket.socket | None = None) -> None:
        """Ask the factory to import ``modules`` (this process's ``sys.path``) and, with ``worker`` (the
        factory's end of a new worker's socket), to fork a worker on it."""
        request = pickle.dumps((list(sys.path), sorted(modules)))
        socket.send_fds(self.control, [request], [worker.fileno()] if worker else [])

    def close(self) -> None:
        self.control.close()  # the factory kills its workers and exits
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_lock = threading.Lock()
_current: _Factory | None = None


def _factory() -> _Factory:
    """This process's factory, started if there is none or it has died."""
    global _current
    with _lock:
        if _current is None or _current.process.poll() is not None:
            if _current is None:
                atexit.register(_close_factory)
            else:
                _current.close()
            _current = _Factory()
        return _current


def _close_factory() -> None:
    global _current
    with _lock:
        if _current is not None and _current.owner == os.getpid():
            _current.close()
        _current = None


def _forget_factory() -> None:  # in a fork of this process: the factory is the parent's, not this one's
    global _current, _lock
    _lock = threading.Lock()
    if _current is not None:
        _current.control.close()
    _current = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_factory)


# --- the factory ------------------------------------------------------------------------------------------


def _factory_main(control_fd: int) -> None:
    """Serve fork requests until the caller's end of ``control`` closes, then kill the workers left."""
    control = socket.socket(fileno=control_fd)
    wake_r, wake_w = os.pipe()  # SIGCHLD writes here (set_wakeup_fd): a worker has ended
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    workers: dict[int, int] = {}  # pid -> the factory's copy of the worker's socket (for the exit code)
    try:
        while True:
            ready = select.select([control.fileno(), wake_r], [], [])[0]
            if wake_r in ready:
                _reap(wake_r, workers)
            if control.fileno() not in ready:
                continue
            request, fds, _, _ = socket.recv_fds(control, 2**20, 1)
            if not request:
                return  # the caller has gone
            path, modules = pickle.loads(request)
            sys.path[:] = path
            for name in modules:
                with contextlib.suppress(Exception):  # the worker will meet the error again, and report it
                    importlib.import_module(name)
            for fd in fds:
                with warnings.catch_warnings():  # Python 3.12+ warns of forking with threads: the one other
                    warnings.simplefilter("ignore", DeprecationWarning)  # is PyTorch's, started at import, idle
                    pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        signal.set_wakeup_fd(-1)
                        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                        for other in (wake_r, wake_w, *workers.values()):
                            os.close(other)
                        control.close()
                        code = _worker_main(fd)
                    finally:
                        os._exit(code)
                workers[pid] = fd
    finally:
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _reap(wake_r: int, workers: dict[int, int]) -> None:
    """Collect the workers that have ended; tell each one's caller its exit code, then close the socket."""
    with contextlib.suppress(BlockingIOError):
        while os.read(wake_r, 4096):
            pass
    while workers:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        fd = workers.pop(pid, None)
        if fd is not None:
            os.set_blocking(fd, False)  # the worker is gone: no one else writes here; never wait for the caller
            connection = Connection(fd)
            with contextlib.suppress(OSError):
                connection.send_bytes(pickle.dumps(("exit", os.waitstatus_to_exitcode(status))))
            connection.close()


# --- a worker ----------------------------------------------------------------------------------------------


def _worker_main(fd: int) -> int:
    """Run one job sent by the caller through the socket ``fd``; returns the process's exit code."""
    connection = Connection(fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle: it kills this process
    with contextlib.suppress(OSError):
        connection.send_bytes(pickle.dumps(("started", os.getpid())))
    try:
        (path, cwd, environ, dtype), job_data = pickle.loads(connection.recv_bytes())
    except (EOFError, OSError):
        return 0  # the caller gave up before the job arrived
    sys.path[:] = path
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(environ)
    torch.set_default_dtype(dtype)
    torch.set_num_threads(1)  # the whole worker process: one core per worker (not restored: the process ends)
    pending, last_sent = 0, time.monotonic()

    def report(done: int) -> None:  # at most every PROGRESS_EVERY seconds, so that the socket never fills
        nonlocal pending, last_sent
        pending += done
        if time.monotonic() - last_sent >= PROGRESS_EVERY:
            connection.send_bytes(pickle.dumps(("progress", pending)))
            pending, last_sent = 0, time.monotonic()

    try:
        job = pickle.loads(job_data)
    except BaseException as error:  # a job this worker cannot rebuild (a module it cannot import)
        message: tuple[str, Any] = ("error", error)
    else:
        try:
            connection.send_bytes(pickle.dumps(("ready", None)))
            if pickle.loads(connection.recv_bytes()) != "go":
                return 0  # cancelled: the caller runs the job itself
        except (EOFError, OSError):
            return 0  # the caller is gone
        try:
            message = ("result", job(report, connection.poll))  # anything readable: the caller closed its end
        except BaseException as error:  # every failure goes back to the caller
            message = ("error", error)
    try:
        data = pickle.dumps(message)
        pickle.loads(data)  # an exception may pickle and still fail to load (a constructor with other arguments)
    except Exception as unpicklable:
        data = pickle.dumps(("error", RuntimeError(f"in a worker process: {message[1]!r} ({unpicklable})")))
    with contextlib.suppress(OSError):  # the caller is gone
        if pending:
            connection.send_bytes(pickle.dumps(("progress", pending)))
        connection.send_bytes(data)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return 0
