"""Backends: where the work units of a comparison or a sweep train.

* ``local`` (the default): this process, one unit after another, each split among ``workers`` worker
  processes on this machine (:class:`actlab.experiments.executor.LocalExecutor`).
* ``ray``: one Ray task per unit, on a Ray instance started on this machine or on a running cluster
  (:class:`actlab.backends.ray_executor.RayExecutor`; Ray is imported only when this backend is chosen).

Both are :class:`actlab.experiments.executor.Executor` s: they yield each unit with its outcomes as it finishes, and the
caller, the only writer of the :class:`~actlab.experiments.store.ResultStore`, commits it in its own transaction. So
the store's guarantees (a unit is stored whole or not at all, a rerun trains only what is missing) do not
depend on the backend, and neither do the results: a network's run is the same whichever process trains it
and whatever networks train beside it (:func:`actlab.train_many`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from actlab.errors import ActlabError, unknown

if TYPE_CHECKING:  # the executors import PyTorch
    from actlab.experiments.executor import Executor

BACKENDS = ("local", "ray")
DEFAULT_BACKEND = "local"
RAY_INSTALL = "pip install 'actlab[ray]'"


def check_backend(backend: str, address: str | None = None) -> None:
    """Refuse an unknown backend, an address for the local backend, or ``ray`` where Ray is not installed,
    before anything is opened or trained."""
    if backend not in BACKENDS:
        raise unknown("backend", backend, BACKENDS)
    if address is not None and backend != "ray":
        raise ActlabError(f"--address {address} is a Ray cluster's address: add --backend ray, or leave it out")
    if backend == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ActlabError(
                f"--backend ray needs Ray, which is not installed here; install it with: {RAY_INSTALL}"
            ) from None


@contextmanager
def open_executor(
    backend: str = DEFAULT_BACKEND, *, workers: int | None = None, address: str | None = None, device: str = "cpu"
) -> Iterator[Executor]:
    """The executor of ``backend``, closed on leaving (a Ray instance this process started is shut down).

    Args:
        backend: ``"local"`` or ``"ray"``.
        workers: worker processes per unit; default: this machine's cores (local, see
            :func:`actlab.fast.vectorized.default_workers`), or 1 per Ray task (each task reserves as many CPUs).
        address: ``ray`` only: a cluster to join (``"auto"``: the one ``ray start`` started on this machine);
            default ``$RAY_ADDRESS``, else a Ray instance started here with this machine's cores.
        device: where the runs train (their configs' ``device``); ``"cuda"`` with ``ray``: each task reserves
            one GPU of its node, so that Ray lets it see that GPU.
    """
    check_backend(backend, address)
    if backend == "local":
        from actlab.experiments import executor  # looked up now, so that tests may stand in for LocalExecutor
        from actlab.fast.vectorized import default_workers

        yield executor.LocalExecutor(workers or default_workers())
        return
    from actlab.backends.ray_executor import RayExecutor

    with RayExecutor(address, workers=workers or 1, gpus_per_task=1.0 if device == "cuda" else 0.0) as ray_executor:
        yield ray_executor
