"""``actlab.speed`` and ``actlab bench``: the figures are consistent with each other (no timing asserted)."""

from __future__ import annotations

import json

import pytest

from actlab.errors import ActlabError
from actlab.speed import COPY_BYTES, FORWARD_BYTES, FWD_BWD_BYTES, SpeedConfig, SpeedRow, measure, relative_to

TINY = SpeedConfig(sizes=(1000, 4000), repeats=2, min_seconds=0.0005, devices=("cpu",))


def test_rows_cover_every_activation_and_size_with_consistent_units() -> None:
    rows = measure(["relu", "sigmoid", "step"], TINY)
    assert [(r.activation, r.size) for r in rows] == [
        (a, s) for s in (1000, 4000) for a in ("relu", "sigmoid", "step")
    ]
    for r in rows:
        assert r.device == "cpu" and r.forward_ns > 0 and r.fwd_bwd_ns > 0 and r.copy_ns > 0
        # GB/s and ns per element describe the same time: bytes per element / ns per element
        assert r.forward_gbps == pytest.approx(FORWARD_BYTES / r.forward_ns)
        assert r.fwd_bwd_gbps == pytest.approx(FWD_BWD_BYTES / r.fwd_bwd_ns)
        assert r.copy_gbps == pytest.approx(COPY_BYTES / r.copy_ns)
        assert r.as_dict()["forward_vs_copy"] == pytest.approx(r.forward_ns / r.copy_ns)


def test_cpu_clock_restores_the_thread_count() -> None:
    import torch

    before = torch.get_num_threads()
    rows = measure(["relu"], SpeedConfig(sizes=(1000,), repeats=1, min_seconds=0.0005, threads=1, clock="cpu",
                                         devices=("cpu",)))  # fmt: skip
    assert rows[0].forward_ns > 0 and torch.get_num_threads() == before


def test_relative_to_divides_by_the_baseline_of_the_same_size() -> None:
    def row(name: str, size: int, ns: float) -> SpeedRow:
        return SpeedRow(name, "cpu", size, 1.0, ns, 1.0, 8.0, 20.0 / ns, 8.0)

    rows = [row("relu", 10, 2.0), row("tanh", 10, 6.0), row("relu", 20, 1.0), row("tanh", 20, 5.0)]
    assert relative_to(rows) == {"relu": 1.0, "tanh": 4.0}  # median of 3.0 and 5.0


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"sizes": (0,)}, "sizes must be positive"), ({"impl": "fast"}, "impl='fast' is invalid"),
     ({"repeats": 0}, "repeats must be at least 1"), ({"clock": "sun"}, "clock='sun' is invalid"),
     ({"clock": "cpu"}, "set threads=1"), ({"clock": "cpu", "threads": 1, "devices": ("cuda",)}, "set threads=1")],
)  # fmt: skip
def test_bad_settings(settings: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ActlabError, match=message):
        SpeedConfig(**settings)


def test_bench_cli_json_and_errors(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("bench", "relu", "swish", "--size", "2000", "--repeats", "1", "--device", "cpu", "--json")
    assert r.code == 0
    data = json.loads(r.out)
    assert data["impl"] == "module" and [row["activation"] for row in data["rows"]] == ["relu", "silu"]
    r = cli("bench", "relu", "--size", "2000", "--repeats", "1", "--device", "cpu", "--formula")
    assert r.code == 0 and "formula" in r.out
    r = cli("bench", "relu", "--size", "2000", "--repeats", "1", "--device", "cpu", "--threads", "1", "--cpu-clock",
            "--json")
    assert r.code == 0 and json.loads(r.out)["clock"] == "cpu"
    for args, message in [
        (("bench", "rleu"), "did you mean relu"),
        (("bench", "relu", "--device", "tpu"), "device 'tpu' is not available"),
        (("bench", "relu", "--repeats", "0"), "repeats must be at least 1"),
        (("bench", "relu", "--size", "-5"), "sizes must be positive"),
        (("bench", "relu", "--cpu-clock"), "set threads=1"),
        (("bench", "relu", "--size", "10000000000"), "is too large"),
    ]:
        bad = cli(*args)
        assert bad.code == 2 and message in bad.err and bad.err.count("\n") == 1, (args, bad.err)
