"""The Ray backend: each work unit is one Ray task on some node of a cluster (or of a Ray instance started
on this machine), trained there by :func:`actlab.train_many`; the outcomes come back to this process, the
driver, which alone writes the results store.

How it behaves:

1. **Connecting.** With an address (``"auto"``: the cluster ``ray start`` started on this machine; or
   ``$RAY_ADDRESS``) it joins that cluster; without one it starts Ray here, on the loopback interface, with
   this machine's cores and no dashboard (:mod:`actlab.backends.ray_connect`). A process already connected to Ray (a
   test, a notebook) keeps its connection. Nothing happens until there is a unit to train.
2. **Checking the nodes** (:mod:`actlab.backends.ray_probe`): every node with CPUs must import actlab at
   the driver's version, or the sweep stops before training with one line naming the node. Each task
   returns its node's version too, and the driver checks it again (a node may join later).
3. **Training.** Every unit is submitted at once as a task (:func:`~actlab.backends.ray_node.train_unit`)
   reserving ``workers`` CPUs (and ``gpus_per_task`` GPUs) that trains it with ``workers`` processes;
   results arrive in any order and are yielded as they come. Tasks report their model-steps to a small
   actor (:mod:`actlab.backends.ray_board`) that the driver reads while it waits, without ever blocking on
   it, so the progress bar moves during a unit, not only between units.
4. **Faults.** A task whose worker process dies (killed, out of memory, its node lost) is run again, up to
   :data:`MAX_RETRIES` times; a unit's outcomes are yielded once, from the attempt that finished, so
   nothing is stored twice. An error raised by the training itself is not retried (it would fail again).
   If the driver stops (Ctrl-C, an error), the tasks in flight are cancelled; if it is killed, Ray ends
   its tasks itself. Either way the rerun of the same command trains only what the store does not hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from actlab.backends.ray_board import ProgressBoard
from actlab.backends.ray_connect import first_line, start_or_join
from actlab.backends.ray_node import train_unit
from actlab.backends.ray_probe import PROBE_TIMEOUT_S, check_nodes
from actlab.errors import ActlabError
from actlab.experiments.executor import RunOutcome, WorkUnit
from actlab.fast.workers import Progress

MAX_RETRIES = 3  # attempts after the first for a task whose worker process died
POLL_S = 0.25  # while units train, the progress board is read this often


class RayExecutor:
    """Runs work units as Ray tasks (see the module's description); use it in a ``with`` block, which
    shuts down a Ray instance it started (or leaves the cluster it joined) on leaving."""

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int = 1,
        gpus_per_task: float = 0.0,
        max_retries: int = MAX_RETRIES,
        probe_timeout: float = PROBE_TIMEOUT_S,
    ) -> None:
        """
        Args:
            address: a cluster to join, ``"auto"`` for the one ``ray start`` started on this machine;
                default ``$RAY_ADDRESS``, else Ray is started here.
            workers: worker processes per task (:func:`actlab.train_many`'s ``workers``); each task
                reserves this many CPUs.
            gpus_per_task: GPUs each task reserves; a task given one trains on ``"cuda"``, else on the
                CPU (:func:`actlab.train_many`'s ``device``).
            max_retries: attempts after the first for a task whose worker process died.
            probe_timeout: seconds each node has to answer the probe.
        """
        if workers < 1:
            raise ActlabError(f"workers must be at least 1, got {workers}")
        self.address = address
        self.workers = workers
        self.gpus_per_task = gpus_per_task
        self.max_retries = max_retries
        self.probe_timeout = probe_timeout
        self._connected = False  # this executor called ray.init, and so calls ray.shutdown
        self._board: Any = None  # the progress board's actor handle, once connected

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the progress board, and shut down the Ray instance this executor started (or leave the
        cluster it joined)."""
        import ray

        if self._board is not None and ray.is_initialized():
            ray.kill(self._board)
        self._board = None
        if self._connected:
            ray.shutdown()
            self._connected = False

    # -- connecting ----------------------------------------------------------------------------------------

    def connect(self) -> None:
        """Join or start Ray, check every node and start the progress board (once)."""
        import ray

        if self._board is not None:
            return
        if not ray.is_initialized():
            start_or_join(self.address)
            self._connected = True
        check_nodes(self.probe_timeout, self.workers, self.gpus_per_task)
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
        # ray's stub lists only placement-group strategies for scheduling_strategy; ray.remote takes this one too
        self._board = ray.remote(num_cpus=0, scheduling_strategy=here)(ProgressBoard).remote()  # type: ignore[call-overload]

    # -- running -------------------------------------------------------------------------------------------

    def run(
        self, units: Sequence[WorkUnit], advance: Progress | None = None
    ) -> Iterator[tuple[WorkUnit, list[RunOutcome]]]:
        """Submit every unit as a task and yield each with its outcomes as it finishes."""
        if not units:
            return
        self.connect()
        import ray

        board = self._board if advance is not None else None
        task = ray.remote(
            num_cpus=self.workers, num_gpus=self.gpus_per_task, max_retries=self.max_retries, retry_exceptions=False
        )(train_unit)
        device = "cuda" if self.gpus_per_task > 0 else None
        pending = {task.remote(unit, self.workers, device, board): unit for unit in units}
        shown = {unit.key: 0 for unit in units}  # model-steps passed to advance, per unit
        reading = board.read.remote() if board is not None else None  # never waited for

        def show(key: str, done: int) -> None:
            if advance is not None and done > shown[key]:
                advance(done - shown[key])
                shown[key] = done

        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=len(pending), timeout=POLL_S)
                if board is not None and reading is not None and ray.wait([reading], timeout=0)[0]:
                    running = {unit.key for unit in pending.values()}
                    for key, done in _board_state(reading).items():
                        if key in running:
                            show(key, done)
                    reading = board.read.remote()
                for ref in ready:
                    unit = pending.pop(ref)
                    outcomes = self._outcomes(ref, unit)
                    show(unit.key, sum(int(o.metrics["steps"]) for o in outcomes))
                    yield unit, outcomes
        finally:
            for ref in pending:  # stopped early: nothing more is wanted from the tasks in flight
                ray.cancel(ref, force=True)

    def _outcomes(self, ref: Any, unit: WorkUnit) -> list[RunOutcome]:
        """A finished task's outcomes, with its errors as the driver should raise them."""
        import ray
        from ray.exceptions import RayError, RayTaskError

        from actlab._version import __version__

        try:
            version, outcomes = ray.get(ref)
        except RayTaskError as err:
            if isinstance(err.cause, ActlabError):  # a mistake in the request, found on the node: its own message
                raise err.cause from None
            if isinstance(err.cause, RayError):  # the task could not start there (e.g. actlab fails to import)
                raise ActlabError(
                    f"a Ray task could not run on its node ({first_line(err.cause)}); every node "
                    f"needs actlab {__version__}"
                ) from None
            raise
        except RayError as err:
            raise ActlabError(
                f"a Ray task training {len(unit.configs)} runs did not finish ({first_line(err)}; a task whose "
                f"worker dies is retried {self.max_retries} times); the units finished before it are stored: rerun "
                f"the same command to resume"
            ) from None
        if version != __version__:
            raise ActlabError(
                f"a Ray task ran actlab {version}, this driver actlab {__version__}; install "
                f"actlab {__version__} on every node"
            )
        return list(outcomes)


def _board_state(reading: Any) -> dict[str, int]:
    """What the progress board said; nothing if it failed (the bar then moves as units finish)."""
    import ray
    from ray.exceptions import RayError

    try:
        return dict(ray.get(reading))
    except RayError:
        return {}
