"""Checking a Ray cluster's nodes before training: each must import actlab, at the driver's version.

A node without actlab would fail every task sent to it, and one with another version would train runs
that the store files under this driver's version; both are refused up front, in one line, within
:data:`PROBE_TIMEOUT_S` (a node that never answers is named too, rather than waited for).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from actlab.errors import ActlabError

PROBE_TIMEOUT_S = 60.0  # a node must answer within this (a busy node starts a worker in seconds)


def make_probe() -> Callable[[], dict[str, Any]]:
    """A function that reports what a node would run: ``{"actlab": version}`` or ``{"error": why}``, with
    the node's Python version.

    It is built inside this function on purpose: Ray pickles a function it cannot find by name in an
    importable module *by value*, so the probe reaches a node that cannot import actlab, and says so
    instead of failing before it runs."""

    def probe() -> dict[str, Any]:
        import importlib
        import platform

        answer: dict[str, Any] = {"python": platform.python_version()}
        try:
            answer["actlab"] = importlib.import_module("actlab").__version__
        except Exception as error:  # any failure to import is the answer
            answer["error"] = f"{type(error).__name__}: {error}"
        return answer

    return probe


def node_problem(node: str, answer: dict[str, Any] | None, version: str) -> str | None:
    """What is wrong with ``node`` for a driver running actlab ``version``, from its probe's ``answer``
    (``None``: it did not answer in time); ``None`` when nothing is."""
    if answer is None:
        return f"node {node} did not answer a probe task in time (busy, unreachable, or failing to start workers)"
    if "error" in answer:
        return f"node {node} cannot import actlab ({answer['error']}; Python {answer['python']})"
    if answer["actlab"] != version:
        return f"node {node} runs actlab {answer['actlab']}, this driver actlab {version}"
    return None


def fits(resources: dict[str, float], cpus: float, gpus: float) -> bool:
    """Whether a node with ``resources`` (Ray's totals: ``{"CPU": 8, "GPU": 1, ...}``) can run a task that
    reserves ``cpus`` CPUs and ``gpus`` GPUs."""
    return resources.get("CPU", 0) >= cpus and resources.get("GPU", 0) >= gpus


def check_nodes(timeout: float = PROBE_TIMEOUT_S, cpus: float = 1, gpus: float = 0) -> None:
    """Run the probe on every live node with CPUs, waiting at most ``timeout`` seconds; raise one
    :class:`~actlab.errors.ActlabError` naming each node that cannot train for this driver, or when no
    node has the ``cpus`` and ``gpus`` one task reserves (Ray would wait for such a node for ever)."""
    import ray
    from ray.exceptions import RayError
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from actlab._version import __version__

    nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0]
    if not nodes:
        raise ActlabError("the Ray cluster has no live node with CPUs; add one with `ray start --address ...`")
    if not any(fits(n["Resources"], cpus, gpus) for n in nodes):
        most = max(n["Resources"].get("CPU", 0) for n in nodes)
        need = f"{cpus:g} CPUs" + (f" and {gpus:g} GPUs" if gpus else "")
        raise ActlabError(
            f"no node of the Ray cluster can take a task of {need} (the largest has {most:g} "
            f"CPUs); use --workers {int(most)} or less, or larger nodes"
        )
    probe = ray.remote(num_cpus=0, max_retries=0)(make_probe())
    refs = {
        probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(): n
        for n in nodes
    }
    ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=timeout)
    problems = []
    for ref, node in refs.items():
        answer: dict[str, Any] | None = None
        if ref in ready:
            try:
                answer = ray.get(ref)
            except RayError as err:
                answer = {"error": (str(err).strip() or type(err).__name__).splitlines()[0], "python": "?"}
        else:
            ray.cancel(ref, force=True)
        problem = node_problem(node["NodeManagerAddress"], answer, __version__)
        if problem:
            problems.append(problem)
    if problems:
        raise ActlabError(
            f"{'; '.join(problems)}; every node needs actlab {__version__} "
            f"(pip install 'actlab[ray]=={__version__}' in each node's Python)"
        )
