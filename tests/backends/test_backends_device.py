"""The Ray backend reserves a GPU for each task exactly when the runs train on the GPU (Ray hides the GPUs
from a task that reserved none, so a ``cuda`` run could not see its node's GPU otherwise)."""

from __future__ import annotations

from typing import Any

import pytest

from actlab import backends
from actlab.backends import ray_executor


class _Recorder:
    def __init__(self, address: str | None, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def __enter__(self) -> _Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize(("device", "gpus"), [("cpu", 0.0), ("cuda", 1.0)])
def test_ray_tasks_reserve_a_gpu_only_for_cuda_runs(monkeypatch: pytest.MonkeyPatch, device: str, gpus: float) -> None:
    monkeypatch.setattr(ray_executor, "RayExecutor", _Recorder)
    with backends.open_executor("ray", workers=2, device=device) as executor:
        assert isinstance(executor, _Recorder)
        assert executor.kwargs == {"workers": 2, "gpus_per_task": gpus}
