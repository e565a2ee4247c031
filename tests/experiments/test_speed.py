"""``actlab.experiments.speed``, ``actlab bench`` and the tour's speed verdict: figures from known times (fake
clocks), the rounds' stopping rule, spreads, and why plain ``actlab bench`` cannot print absurd figures. No real
timing is asserted."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator

import pytest
import torch

from actlab.catalog.entries import names as catalog_names
from actlab.errors import ActlabError
from actlab.experiments.speed import (
    CLOCKS,
    DEFAULT_SIZES,
    SpeedConfig,
    Timing,
    _callable,
    available_devices,
    bench_request,
    bench_summary,
    measure,
    measure_rounds,
    median_interval,
    relative_to,
    seconds_per_call,
    speed_row,
)
from actlab.tour import claim_verdicts as v
from actlab.tour.claim_verdicts import ClaimVerdict
from actlab.tour.words import tour_say


class FakeClock:
    """Time that moves only when told: each read advances it by ``tick`` (seconds), and ``sleep`` adds more."""

    def __init__(self, tick: float = 0.0) -> None:
        self.now, self.tick = 0.0, tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_seconds_per_call_repeats_until_min_seconds() -> None:
    reads = iter([0.0, 0.004, 0.008, 0.012, 0.016])
    calls = []
    assert seconds_per_call(lambda: calls.append(1), "cpu", 0.01, lambda: next(reads)) == 0.004  # 0.012 s / 3 calls
    assert len(calls) == 3


def test_median_interval_by_hand() -> None:
    """Order statistics: of 10 rounds, the 2nd smallest and the 2nd largest bound the median with 97.9 %
    confidence (the 3rd pair only with 89 %); below 6 rounds no pair reaches 95 %: the whole range."""
    assert median_interval([float(v) for v in range(10, 0, -1)]) == (2.0, 5.5, 9.0)
    assert median_interval([3.0, 1.0, 2.0, 5.0, 4.0]) == (1.0, 3.0, 5.0)
    assert median_interval([7.0]) == (7.0, 7.0, 7.0)
    assert median_interval([float(v) for v in range(1, 21)]) == (6.0, 10.5, 15.0)  # P(B(20, ½) <= 5) = 2.07 %
    t = Timing.of([5.0, 1.0, 4.0, 2.0, 3.0, 3.0])
    assert (t.low, t.median, t.high) == (1.0, 3.0, 5.0) and t.spread == pytest.approx(4.0 / 3.0)


def test_speed_row_by_hand() -> None:
    """1,000 float32 elements: forward 2 µs (8 kB in 2 µs = 4 GB/s), forward+backward 5 µs (20 kB: 4 GB/s),
    copy 1 µs (8 kB: 8 GB/s)."""
    fwd, both, copy = Timing.of([2e-6, 2e-6]), Timing.of([4e-6, 5e-6, 6e-6]), Timing.of([1e-6])
    row = speed_row("tanh", "cpu", 1000, "cpu", fwd, both, copy, moves_memory=True)
    assert (row.forward_ns, row.fwd_bwd_ns, row.copy_ns) == pytest.approx((2.0, 5.0, 1.0))
    assert (row.forward_gbps, row.fwd_bwd_gbps, row.copy_gbps) == pytest.approx((4.0, 4.0, 8.0))
    assert row.forward_vs_copy == pytest.approx(2.0)
    assert row.fwd_bwd_spread == pytest.approx(0.4)  # 3 rounds: the interval is their range, 4 to 6 µs
    assert row.fwd_bwd_rounds_ns == pytest.approx((4.0, 5.0, 6.0))
    assert row.as_dict()["forward_vs_copy"] == pytest.approx(2.0) and "fwd_bwd_rounds_ns" not in row.as_dict()


def test_a_function_that_returns_its_input_has_no_bandwidth() -> None:
    """Plain ``actlab bench`` printed the identity at 28,270 GB/s: it returned its input and moved no bytes."""
    row = speed_row("identity", "cpu", 10**7, "cpu", Timing.of([1e-7]), Timing.of([1e-6]), Timing.of([1e-3]), False)
    assert row.forward_gbps is None and row.fwd_bwd_gbps is None and row.copy_gbps == pytest.approx(80.0)


def test_measure_with_a_fake_clock_gives_the_figures_by_hand() -> None:
    """Every read of the clock advances it 1/1024 s, so every call takes 1/1024 s: 1,000 elements at
    976.5625 ns per element, 8,000 bytes in 1/1024 s = 0.008192 GB/s, the copy alike; no spread, so the rounds stop
    at ``repeats``."""
    config = SpeedConfig(sizes=(1000,), repeats=3, max_repeats=9, min_seconds=0.004, devices=("cpu",))
    rows = measure(["relu", "identity", "step"], config, clock=FakeClock(tick=2.0**-10))
    assert [r.activation for r in rows] == ["relu", "identity", "step"]
    relu, identity, step = rows
    assert relu.forward_ns == pytest.approx(976.5625) and relu.copy_ns == pytest.approx(976.5625)
    assert relu.forward_gbps == pytest.approx(0.008192) and relu.fwd_bwd_gbps == pytest.approx(0.02048)
    assert (relu.rounds, relu.forward_spread, relu.forward_vs_copy, relu.clock) == (3, 0.0, 1.0, "cpu")
    assert identity.forward_gbps is None and step.forward_gbps == pytest.approx(0.008192)


def _scripted(clock: FakeClock, seconds: Iterator[float]) -> Callable[[], None]:
    return lambda: clock.sleep(next(seconds))


def test_rounds_stop_once_the_spread_is_small() -> None:
    clock = FakeClock()
    calls = {"steady": _scripted(clock, iter([1.0] * 100)), "also": _scripted(clock, iter([2.0] * 100))}
    config = SpeedConfig(repeats=4, max_repeats=20, min_seconds=1e-9)
    timings = measure_rounds(calls, "cpu", config, clock)
    assert [len(t.rounds) for t in timings.values()] == [4, 4]  # warm-up call, then 4 rounds of equal times
    assert timings["also"].median == 2.0


def test_rounds_go_on_while_the_spread_is_large_and_stop_at_the_bound() -> None:
    clock = FakeClock()
    noisy = iter([1.0] + [1.0, 2.0] * 50)  # warm-up, then rounds alternating 1 and 2 s: spread over 60 %
    calls = {"steady": _scripted(clock, iter([1.0] * 100)), "noisy": _scripted(clock, noisy)}
    timings = measure_rounds(calls, "cpu", SpeedConfig(repeats=4, max_repeats=7, min_seconds=1e-9), clock)
    assert len(timings["noisy"].rounds) == 7 and timings["noisy"].spread == 1.0  # median 1, interval 1 to 2
    assert timings["noisy"].rounds == (1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0)


def test_the_default_clock_does_not_count_waits() -> None:
    """The root of the absurd figures: by wall time a descheduled thread's wait counts as work. The default
    clock is the thread's own CPU time, which a sleep (a wait, like being descheduled) does not advance."""
    config = SpeedConfig()
    assert (config.clock, config.threads) == ("cpu", 1)
    asleep = seconds_per_call(lambda: time.sleep(0.05), "cpu", 0.0, CLOCKS[config.clock])
    awake = seconds_per_call(lambda: time.sleep(0.05), "cpu", 0.0, CLOCKS["wall"])
    assert asleep < 0.01 <= 0.05 <= awake


def test_relative_to_gives_round_by_round_ratios_with_their_interval() -> None:
    def row(name: str, size: int, rounds: list[float]) -> object:
        t = Timing.of([r * 1e-9 * size for r in rounds])  # ns per element -> seconds per call
        return speed_row(name, "cpu", size, "cpu", t, t, t, True)

    rows = [
        row("relu", 10, [1.0, 1.0]),
        row("tanh", 10, [2.0, 3.0]),
        row("relu", 20, [2.0, 2.0]),
        row("tanh", 20, [8.0, 10.0]),
    ]
    ratios = relative_to(rows)  # type: ignore[arg-type]
    assert ratios["relu"].median == pytest.approx(1.0) and ratios["relu"].low == pytest.approx(1.0)
    # per-round ratios 2, 3 (size 10) and 4, 5 (size 20): median 3.5, interval their range (4 rounds)
    tanh = ratios["tanh"]
    assert (tanh.median, tanh.low, tanh.high) == pytest.approx((3.5, 2.0, 5.0))


@pytest.mark.parametrize(("impl", "at_minus_inf"), [("module", 0.0), ("formula", 0.0), ("kernel", None)])
def test_each_implementation_is_what_it_says(impl: str, at_minus_inf: float | None) -> None:
    """The module and the formula keep gelu's limit at -inf; PyTorch's bare kernel (what the tour times)
    gives NaN there, the check's absence."""
    f = _callable("gelu", impl, "cpu")
    y = f(torch.tensor([-math.inf, 1.0] * 8))
    assert math.isnan(y[0].item()) if at_minus_inf is None else y[0].item() == at_minus_inf
    assert y[1].item() == pytest.approx(0.8413447, rel=1e-6)  # Φ(1)


def test_cpu_clock_restores_the_thread_count() -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        measure(
            ["relu"],
            SpeedConfig(sizes=(1000,), repeats=1, min_seconds=0.001, devices=("cpu",)),
            clock=FakeClock(tick=1e-3),
        )
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"sizes": (0,)}, "sizes must be positive"),
        ({"impl": "fast"}, "impl='fast' is invalid"),
        ({"repeats": 0}, "repeats must be at least 1"),
        ({"clock": "sun"}, "clock='sun' is invalid"),
        ({"threads": 2}, "the CPU clock times one thread"),
        ({"repeats": 5, "max_repeats": 4}, "must be at least"),
        ({"target_spread": 0.0}, "positive fraction"),
        ({"threads": -1, "clock": "wall"}, "threads must be"),
    ],
)
def test_bad_settings(settings: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ActlabError, match=message):
        SpeedConfig(**settings)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        ({"sigmoid": 1.5, "tanh": 1.3}, {"sigmoid": 1.7, "tanh": 1.4}, ClaimVerdict.CONFIRMED),  # both ends over 1.10
        ({"sigmoid": 0.9, "tanh": 0.95}, {"sigmoid": 1.0, "tanh": 1.05}, ClaimVerdict.NOT_CONFIRMED),  # both under
        ({"sigmoid": 1.2, "tanh": 1.0}, {"sigmoid": 1.3, "tanh": 1.08}, ClaimVerdict.PARTLY),
        # the flip: sigmoid/relu 0.81, 0.95, 1.26 over three runs straddle the 10 % threshold
        ({"sigmoid": 0.81, "tanh": 1.2}, {"sigmoid": 1.26, "tanh": 1.3}, ClaimVerdict.INCONCLUSIVE),
        ({"sigmoid": 1.09, "tanh": 1.09}, {"sigmoid": 1.11, "tanh": 1.11}, ClaimVerdict.INCONCLUSIVE),
    ],
)
def test_speed_verdict_is_inconclusive_when_the_spread_straddles_a_threshold(
    low: dict[str, float], high: dict[str, float], expected: ClaimVerdict
) -> None:
    relu = {"relu": 1.0}
    assert v.relu_is_fast_within_spread(low={**relu, **low}, high={**relu, **high}) is expected


def test_the_inconclusive_verdict_reads_in_both_languages() -> None:
    assert tour_say("en", ClaimVerdict.INCONCLUSIVE.value) == "inconclusive on this machine"
    assert tour_say("zh", ClaimVerdict.INCONCLUSIVE.value) == "在本机上无法判定"
    pairs = "sigmoid 1.02 (0.81–1.26)"
    assert tour_say("en", "ev.fast", rounds=9, pairs=pairs).endswith(
        "9 rounds (95 % interval): sigmoid 1.02 (0.81–1.26)"
    )
    assert "9 轮" in tour_say("zh", "ev.fast", rounds=9, pairs=pairs)


def test_bench_cli_json_and_errors(cli) -> None:  # type: ignore[no-untyped-def]
    args = ("--size", "2000", "--repeats", "1", "--max-repeats", "1", "--device", "cpu")
    r = cli("bench", "relu", "swish", "identity", *args, "--json")
    assert r.code == 0
    data = json.loads(r.out)
    assert (data["impl"], data["clock"], data["threads"]) == ("module", "cpu", 1)
    assert [row["activation"] for row in data["rows"]] == ["relu", "silu", "identity"]
    assert all(row["rounds"] == 1 and row["forward_spread"] == 0.0 for row in data["rows"])
    assert set(data["rows"][0]) == {
        "activation",
        "device",
        "size",
        "clock",
        "rounds",
        "forward_ns",
        "forward_spread",
        "fwd_bwd_ns",
        "fwd_bwd_spread",
        "copy_ns",
        "copy_spread",
        "forward_gbps",
        "fwd_bwd_gbps",
        "copy_gbps",
        "forward_vs_copy",
    }
    assert data["rows"][2]["forward_gbps"] is None and isinstance(data["rows"][0]["forward_gbps"], float)
    r = cli("bench", "relu", *args, "--formula")
    assert r.code == 0 and "formula" in r.out
    r = cli("bench", "gelu", *args, "--kernel", "--json")
    assert r.code == 0 and json.loads(r.out)["impl"] == "kernel"
    r = cli("bench", "relu", *args, "--wall-clock", "--threads", "2", "--json")
    assert r.code == 0 and (json.loads(r.out)["clock"], json.loads(r.out)["threads"]) == ("wall", 2)
    for bad, message in [
        (("bench", "rleu"), "did you mean relu"),
        (("bench", "relu", "--device", "tpu"), "device 'tpu' is not available"),
        (("bench", "relu", "--repeats", "0"), "repeats must be at least 1"),
        (("bench", "relu", "--size", "-5"), "sizes must be positive"),
        (("bench", "relu", "--threads", "2"), "the CPU clock times one thread"),
        (("bench", "relu", "--size", "10000000000"), "is too large"),
        (("bench", "relu", "--kernel", "--formula"), "exclude each other"),
    ]:
        res = cli(*bad)
        assert res.code == 2 and message in res.err and res.err.count("\n") == 1, (bad, res.err)


def test_bench_request_defaults_and_choices() -> None:
    names, config = bench_request()
    assert names == catalog_names() and config.sizes == DEFAULT_SIZES
    assert config.devices == available_devices() and (config.impl, config.clock, config.threads) == ("module", "cpu", 1)
    names, config = bench_request(
        ["leaky_relu:negative_slope=0.2", "gelu"],
        sizes=[100],
        repeats=8,
        max_repeats=3,
        threads=2,
        cpu_clock=False,
        kernel=True,
    )
    assert names == ["leaky_relu", "gelu"] and config.sizes == (100,)
    assert (config.repeats, config.max_repeats) == (8, 8)  # max_repeats raised to repeats
    assert (config.impl, config.clock, config.threads) == ("kernel", "wall", 2)
    assert bench_request(["relu"], formula=True)[1].impl == "formula"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"formula": True, "kernel": True}, "--formula and --kernel exclude each other"),
        ({"devices": ["tpu"]}, "device 'tpu' is not available here: use one of cpu"),
        ({"threads": 2}, "the CPU clock times one thread, but threads=2"),
    ],
)
def test_bench_request_refuses(kwargs: dict, message: str) -> None:
    with pytest.raises(ActlabError, match=message):
        bench_request(["relu"], **kwargs)


def test_bench_summary_holds_the_config_and_rows() -> None:
    config = SpeedConfig(sizes=(10,), threads=0, clock="wall")
    summary = bench_summary(config, [])
    assert summary["threads"] is None and summary["clock"] == "wall" and summary["rows"] == []
    assert summary["rounds"] == {"min": 6, "max": 20, "target_spread": 0.05}
