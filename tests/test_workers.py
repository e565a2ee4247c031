"""Jobs side by side in forked children: results in order, progress relayed, failures brought home."""

from __future__ import annotations

import os

import pytest

from actlab.errors import ActlabError
from actlab.workers import FORK, Report, Stop, run_side_by_side

pytestmark = pytest.mark.skipif(not FORK, reason="forked workers are used on Linux only")


def _counting(name: str, steps: int):  # type: ignore[no-untyped-def]
    def job(report: Report, stop: Stop) -> tuple[str, int, bool]:
        for _ in range(steps):
            report(1)
        return name, os.getpid(), stop()

    return job


def test_results_in_order_from_other_processes_with_all_progress() -> None:
    seen: list[int] = []
    results = run_side_by_side([_counting("a", 3), _counting("b", 50), _counting("c", 7)], seen.append)
    assert [r[0] for r in results] == ["a", "b", "c"]
    assert results[0][1] == os.getpid() and len({r[1] for r in results}) == 3  # jobs 1 and 2 ran in children
    assert not any(r[2] for r in results)  # nobody was told to stop
    assert sum(seen) == 60


def _failing(report: Report, stop: Stop) -> None:
    raise ActlabError("the child's own message")


def _dying(report: Report, stop: Stop) -> None:
    os._exit(3)


def test_a_childs_error_is_raised_here() -> None:
    with pytest.raises(ActlabError, match="the child's own message"):
        run_side_by_side([_counting("a", 1), _failing])


def test_a_child_that_dies_is_reported() -> None:
    with pytest.raises(RuntimeError, match="exit code 3"):
        run_side_by_side([_counting("a", 1), _dying])


def test_children_are_killed_when_this_process_fails() -> None:
    pids: list[int] = []

    def slow(report: Report, stop: Stop) -> None:
        while not stop():
            report(1)

    def first(report: Report, stop: Stop) -> None:
        report(0)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_side_by_side([first, slow], lambda n: pids.append(n))
    assert multiprocessing_children() == []


def multiprocessing_children() -> list[object]:
    import multiprocessing

    return [p for p in multiprocessing.active_children() if p.is_alive()]


def test_no_children_from_a_daemonic_process() -> None:
    import multiprocessing

    from actlab.workers import can_fork

    assert can_fork()
    with multiprocessing.get_context("fork").Pool(1) as pool:  # its workers are daemonic
        assert pool.apply(can_fork) is False


class TwoArgError(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a} and {b}")


def _two_arg_failure(report: Report, stop: Stop) -> None:
    raise TwoArgError(1, 2)


def test_an_error_that_cannot_be_rebuilt_here_still_arrives_with_its_text() -> None:
    with pytest.raises(RuntimeError, match="1 and 2"):
        run_side_by_side([_counting("a", 1), _two_arg_failure])


def test_a_chatty_child_is_never_stuck_behind_a_slow_one(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import time

    import actlab.workers

    monkeypatch.setattr(actlab.workers, "PROGRESS_EVERY", 0.0)  # every report is a message: the pipe fills
    marker = tmp_path / "chatty-done"

    def slow(report: Report, stop: Stop) -> bool:  # waits for the chatty one, which only ends if it is read
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return marker.exists()

    def chatty(report: Report, stop: Stop) -> bool:
        for _ in range(20_000):  # about 700 KB of messages, ten times a pipe's buffer
            report(1)
        marker.touch()
        return True

    seen: list[int] = []
    assert run_side_by_side([_counting("a", 0), slow, chatty], seen.append)[1:] == [True, True]
    assert sum(seen) == 20_000
