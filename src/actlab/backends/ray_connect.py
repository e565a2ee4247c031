"""Starting Ray on this machine, or joining a running cluster, for :class:`~actlab.backends.ray_executor.
RayExecutor`: one line for every way it can fail, and never a wait of minutes for an address where nothing
listens (Ray itself retries such an address for several minutes).
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import Any

from actlab.errors import ActlabError
from actlab.fast.vectorized import CPU_MAX, cores_in_cpu_max

LOOPBACK = "127.0.0.1"  # a Ray instance started here listens on this address only
CONNECT_TIMEOUT_S = 10.0  # a cluster's address must accept a TCP connection within this
QUIET: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}  # the terminal is the bar's


def local_cpus() -> int:
    """The CPU cores this process may use (its affinity mask, and a container's CPU quota where cgroup v2
    gives one): what a Ray instance started on this machine offers to tasks."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+; else the affinity mask
    cores = counter() if counter else len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cores = cores or os.cpu_count() or 1
    try:
        quota = cores_in_cpu_max(Path(CPU_MAX).read_text())
    except OSError:
        quota = None
    return max(1, min(cores, quota or cores))


def start_or_join(address: str | None = None) -> None:
    """``ray.init``: join the cluster at ``address`` (or ``$RAY_ADDRESS``; ``"auto"``: the one ``ray start``
    started on this machine), or, with neither, start Ray here on the loopback interface with
    :func:`local_cpus` cores and no dashboard. Raises :class:`~actlab.errors.ActlabError` in one line."""
    import ray

    address = address or os.environ.get("RAY_ADDRESS") or None
    try:
        if address is None:
            ray.init(
                address="local", num_cpus=local_cpus(), include_dashboard=False, _node_ip_address=LOOPBACK, **QUIET
            )
            return
        # Ray Client addresses are Ray's to check; "auto" is joined by the address it stands for, as with an
        # explicit one (joined as "auto", a driver beside two nodes on one host had its actors cancelled)
        ray.init(address=address if address.startswith("ray://") else reachable(address), **QUIET)
    except (ConnectionError, ValueError, RuntimeError) as err:
        where = f"join the Ray cluster at {address}" if address else "start Ray on this machine"
        hint = (
            "; start one with `ray start --head`, or leave out --address (and $RAY_ADDRESS) to start Ray on "
            "this machine"
            if address
            else ""
        )
        raise ActlabError(f"cannot {where}: {first_line(err).rstrip('.')}{hint}") from None


def reachable(address: str) -> str:
    """The ``host:port`` Ray would use for ``address`` (``"auto"`` resolved as ``ray.init`` does), once it
    has accepted a TCP connection within :data:`CONNECT_TIMEOUT_S`; else ``ConnectionError``."""
    from ray._private.services import canonicalize_bootstrap_address

    resolved = canonicalize_bootstrap_address(address) or address
    host, _, port = resolved.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"{address!r} is not an address of the form host:port")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as err:
        reason = "timed out" if isinstance(err, TimeoutError) else err.strerror or str(err)
        raise ConnectionError(f"nothing answers at {resolved} ({reason})") from None
    return resolved


def first_line(err: BaseException) -> str:
    """An exception's message, first line only (Ray's carry tracebacks and hints)."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
