"""Jobs side by side in worker processes: results in order, progress relayed, failures brought home, and
workers that never descend by fork from the caller (whatever the caller ran before)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
from functools import partial
from pathlib import Path

import pytest
import torch

from actlab.errors import ActlabError
from actlab.fast.workers import FORK, Progress, Stop, can_fork, prepare, run_side_by_side

pytestmark = pytest.mark.skipif(not FORK, reason="worker processes are used on Linux only")

FORKED_FROM_THE_CALLER = False  # set in a process that a fork of the test process made (see below)
WAIT = 60.0  # seconds: bound on waits for another process, far above what they take


def _forked_from_the_caller() -> None:
    global FORKED_FROM_THE_CALLER
    FORKED_FROM_THE_CALLER = True


def _counting(name: str, steps: int, report: Progress, stop: Stop) -> tuple[str, int, int, bool]:
    for _ in range(steps):
        report(1)
    return name, os.getpid(), os.getppid(), stop()


def test_results_in_order_from_other_processes_with_all_progress() -> None:
    seen: list[int] = []
    jobs = [partial(_counting, "a", 3), partial(_counting, "b", 50), partial(_counting, "c", 7)]
    results = run_side_by_side(jobs, seen.append)
    assert [r[0] for r in results] == ["a", "b", "c"]
    assert results[0][1] == os.getpid() and len({r[1] for r in results}) == 3  # jobs 1 and 2 ran elsewhere
    assert not any(r[3] for r in results)  # nobody was told to stop
    assert sum(seen) == 60


def _autograd_state(report: Progress, stop: Stop) -> tuple[int, bool]:
    x = torch.ones(3, requires_grad=True)
    (x * x).sum().backward()  # a worker may run autograd itself (a train_many worker does, for some activations)
    assert x.grad is not None and x.grad.tolist() == [2.0, 2.0, 2.0]
    return os.getppid(), FORKED_FROM_THE_CALLER


def test_workers_never_descend_by_fork_from_the_caller_even_after_autograd() -> None:
    # PyTorch marks a process that forks after its autograd engine started device threads (a machine with
    # a GPU) with a pthread_atfork handler, and autograd in the child then fails. The same mechanism, here
    # visible on any machine: a fork handler registered after autograd ran marks every process forked from
    # this one, directly or through a fork of a fork. Workers must come unmarked.
    x = torch.ones(2, requires_grad=True)
    (2 * x).sum().backward()
    os.register_at_fork(after_in_child=_forked_from_the_caller)
    results = run_side_by_side([partial(_counting, "here", 0), _autograd_state, _autograd_state])
    for parent, marked in results[1:]:
        assert not marked
        assert parent != os.getpid()  # not a child of the caller: the factory's


def _settings(report: Progress, stop: Stop) -> tuple[str | None, str, bool, torch.dtype, int]:
    return (
        os.environ.get("ACTLAB_WORKER_TEST"),
        os.getcwd(),
        "/some/extra/path" in sys.path,
        torch.get_default_dtype(),
        torch.get_num_threads(),
    )


def test_a_worker_sees_the_callers_settings_as_they_are_when_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTLAB_WORKER_TEST", "yes")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend("/some/extra/path")
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        _, settings = run_side_by_side([partial(_counting, "a", 0), _settings])
    finally:
        torch.set_default_dtype(before)
    assert settings == ("yes", str(tmp_path), True, torch.float64, 1)


def _failing(report: Progress, stop: Stop) -> None:
    raise ActlabError("the child's own message")


def _dying(report: Progress, stop: Stop) -> None:
    os._exit(3)


def test_a_workers_error_is_raised_here() -> None:
    with pytest.raises(ActlabError, match="the child's own message"):
        run_side_by_side([partial(_counting, "a", 1), _failing])


def test_a_worker_that_dies_is_reported_with_its_exit_code() -> None:
    with pytest.raises(RuntimeError, match="exit code 3"):
        run_side_by_side([partial(_counting, "a", 1), _dying])


def test_a_job_that_cannot_cross_to_a_worker_is_refused_before_anything_starts() -> None:
    with pytest.raises(TypeError, match="must pickle"):
        run_side_by_side([partial(_counting, "a", 1), lambda report, stop: None])


def _slow(pid_file: Path, report: Progress, stop: Stop) -> None:
    partial_file = pid_file.with_suffix(".partial")
    partial_file.write_text(str(os.getpid()))
    partial_file.rename(pid_file)  # it appears whole
    while not stop():
        report(1)
        time.sleep(0.001)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_workers_are_gone_when_this_process_fails(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    def first(report: Progress, stop: Stop) -> None:  # raises once the worker is surely running
        deadline = time.monotonic() + WAIT
        while not pid_file.exists() and time.monotonic() < deadline:
            report(0)
            time.sleep(0.01)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_side_by_side([first, partial(_slow, pid_file)])
    assert _gone(int(pid_file.read_text()))  # killed, and reaped, before run_side_by_side returned


def test_workers_die_with_the_caller(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    caller = textwrap.dedent(f"""
        import os, sys, time
        from functools import partial
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from actlab.fast.workers import run_side_by_side
        from test_workers import _slow

        def first(report, stop):
            while not Path({str(pid_file)!r}).exists():
                time.sleep(0.01)
            os._exit(0)  # the caller dies without cleaning up (as if killed)

        run_side_by_side([first, partial(_slow, Path({str(pid_file)!r}))])
    """)
    subprocess.run([sys.executable, "-c", caller], check=True, timeout=WAIT)
    pid, deadline = int(pid_file.read_text()), time.monotonic() + WAIT
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid)


def _logged(log: Path, report: Progress, stop: Stop) -> int:
    with log.open("a") as file:
        file.write(f"{os.getpid()}\n")
    return os.getpid()


def test_a_job_whose_worker_has_not_begun_runs_here_when_this_process_is_done(tmp_path: Path) -> None:
    (tmp_path / "slow_to_import.py").write_text("import time\ntime.sleep(1.0)\n")
    sys.path.insert(0, str(tmp_path))
    try:
        prepare(["slow_to_import"])  # the factory is busy importing for a second: no worker starts before
        log = tmp_path / "log"
        seen: list[int] = []
        results = run_side_by_side([partial(_counting, "a", 2), partial(_logged, log)], seen.append, take_over=True)
        assert results[1] == os.getpid() and sum(seen) == 2  # job 1 ran here, its progress relayed
        # once the factory is free, its next worker runs; the cancelled one before it never ran its job
        (_, worker) = run_side_by_side([partial(_counting, "b", 0), partial(_logged, log)])
        assert worker != os.getpid() and log.read_text().split() == [str(os.getpid()), str(worker)]
    finally:
        sys.path.remove(str(tmp_path))


def _after(marker: Path, report: Progress, stop: Stop) -> int:
    deadline = time.monotonic() + WAIT
    while not marker.exists() and time.monotonic() < deadline:
        report(0)  # this process answers the worker's "ready" while it relays
        time.sleep(0.01)
    return os.getpid()


def _begins(marker: Path, report: Progress, stop: Stop) -> int:
    marker.touch()
    return os.getpid()


def test_a_job_whose_worker_has_begun_is_left_to_it(tmp_path: Path) -> None:
    marker = tmp_path / "begun"
    here, there = run_side_by_side([partial(_after, marker), partial(_begins, marker)], take_over=True)
    assert here == os.getpid() and there != os.getpid()


def test_no_workers_from_a_daemonic_process() -> None:
    assert can_fork()
    with multiprocessing.get_context("fork").Pool(1) as pool:  # its workers are daemonic
        assert pool.apply(can_fork) is False


class TwoArgError(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a} and {b}")


def _two_arg_failure(report: Progress, stop: Stop) -> None:
    raise TwoArgError(1, 2)


def test_an_error_that_cannot_be_rebuilt_here_still_arrives_with_its_text() -> None:
    with pytest.raises(RuntimeError, match="1 and 2"):
        run_side_by_side([partial(_counting, "a", 1), _two_arg_failure])


def _waits_for(marker: Path, report: Progress, stop: Stop) -> bool:  # until the chatty one ends (only if it is read)
    deadline = time.monotonic() + WAIT
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return marker.exists()


def _chatty(marker: Path, report: Progress, stop: Stop) -> bool:
    import actlab.fast.workers

    actlab.fast.workers.PROGRESS_EVERY = 0.0  # in this worker: every report is a message, so the socket fills
    for _ in range(20_000):  # about 700 KB of messages, several times a socket's buffer
        report(1)
    marker.touch()
    return True


def test_a_chatty_worker_is_never_stuck_behind_a_slow_one(tmp_path: Path) -> None:
    marker = tmp_path / "chatty-done"
    seen: list[int] = []
    jobs = [partial(_counting, "a", 0), partial(_waits_for, marker), partial(_chatty, marker)]
    assert run_side_by_side(jobs, seen.append)[1:] == [True, True]
    assert sum(seen) == 20_000
