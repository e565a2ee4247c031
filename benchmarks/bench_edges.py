"""What keeping the limits at ±inf costs on ordinary inputs: each repaired module against PyTorch's bare kernel.

``actlab.get("gelu")`` (and silu, mish, hardswish, softsign) runs PyTorch's fused kernel, then sums its output
to see whether a NaN or an infinity needs repair (see ``actlab.catalog.modules``). On ordinary inputs the sum is the
whole extra cost. Three ways are timed in the same run, one CPU thread by its own CPU clock, in interleaved
rounds (``actlab.experiments.speed``): PyTorch's bare kernel (``F.gelu(x)``), the module with its check switched
off (what the module did before: the kernel behind ``nn.Module``'s call) and the module. Figures are medians of the
per-round ratios with their 95 % intervals: the module over the module without the check (the price of the
limits) and over the bare kernel. Inputs: standard normal x 3, at 8,192 elements (a hidden layer of 32 units
for a batch of 256, as ``actlab.train`` runs it), 131,072 (a chunk of 16 such networks in ``train_many``) and
1,000,000.

Then the same check where it runs in practice: ``actlab.train`` (one GELU network, the default 16-16 config)
and ``actlab.train_many`` (16 GELU and 16 SiLU networks on one worker), each with and without the check,
alternating, timed by the thread's CPU clock; the median of the rounds' ratios.

    python benchmarks/bench_edges.py            # forward and forward+backward, three sizes, then training
    python benchmarks/bench_edges.py --quick    # one size, fewer rounds, short training
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Callable, Iterator

import torch

import actlab
from actlab.catalog.entries import lookup, resolved
from actlab.catalog.modules import CatalogActivation
from actlab.experiments.speed import CLOCKS, Ratio, SpeedConfig, Timing, measure_rounds
from actlab.training.config import TrainConfig

REPAIRED = [name for name in ("gelu", "silu", "mish", "hardswish", "softsign") if lookup(name).repair_edges]


def _calls(name: str, x: torch.Tensor) -> dict[str, Callable[[], object]]:
    module, unchecked = actlab.get(name), actlab.get(name)
    unchecked._repair = False  # the module as it was before it kept the limits
    entry = lookup(name)
    assert entry.torch_fn is not None
    kernel = resolved(entry.torch_fn)
    xg = x.clone().requires_grad_(True)
    grad = torch.ones_like(x)

    def both(f: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[], object]:
        return lambda: torch.autograd.grad(f(xg), xg, grad)

    return {
        "module fwd": lambda: module(x),
        "unchecked fwd": lambda: unchecked(x),
        "kernel fwd": lambda: kernel(x),
        "module fwd+bwd": both(module),
        "unchecked fwd+bwd": both(unchecked),
        "kernel fwd+bwd": both(kernel),
    }


def _ratio(timings: dict[str, Timing], mine: str, theirs: str) -> Ratio:
    pairs = zip(timings[mine].rounds, timings[theirs].rounds, strict=True)
    return Ratio.of([a / b for a, b in pairs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8,192 elements only, 3 to 6 rounds")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    sizes = (8192,) if args.quick else (8192, 131_072, 1_000_000)
    config = SpeedConfig(repeats=3 if args.quick else 9, max_repeats=6 if args.quick else 25, min_seconds=0.01)
    torch.set_num_threads(1)
    report: dict[str, dict[str, dict[str, float]]] = {}
    if not args.json:
        print("one thread, CPU clock; median of per-round ratios (95 % interval)")
        print(f"  {'elements':>9}  {'':9s} {'':8s} {'module / unchecked':>24s} {'module / kernel':>24s}   kernel alone")
    for size in sizes:
        x = torch.randn(size, generator=torch.Generator().manual_seed(size)) * 3
        calls = {f"{name} {kind}": call for name in REPAIRED for kind, call in _calls(name, x).items()}
        timings = measure_rounds(calls, "cpu", config, CLOCKS["cpu"])
        for name in REPAIRED:
            for part in ("fwd", "fwd+bwd"):
                check = _ratio(timings, f"{name} module {part}", f"{name} unchecked {part}")
                bare = _ratio(timings, f"{name} module {part}", f"{name} kernel {part}")
                kernel_us = timings[f"{name} kernel {part}"].median * 1e6
                report.setdefault(str(size), {})[f"{name} {part}"] = {
                    "module_over_unchecked": check.median,
                    "unchecked_interval": [check.low, check.high],
                    "module_over_kernel": bare.median,
                    "kernel_interval": [bare.low, bare.high],
                    "kernel_us": kernel_us,
                    "rounds": len(timings[f"{name} kernel {part}"].rounds),
                }
                if not args.json:
                    print(
                        f"  {size:>9,}  {name:9s} {part:8s} {_text(check):>24s} {_text(bare):>24s}   "
                        f"{kernel_us:9.1f} us"
                    )
    steps, rounds = (200, 3) if args.quick else (1500, 7)
    trained = training_ratios(steps, rounds)
    report["training"] = {k: {"ratio": r.median, "low": r.low, "high": r.high} for k, r in trained.items()}  # type: ignore[assignment]
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"training, {steps} steps, CPU time with the check / without, median of {rounds} rounds (95 % interval)")
        for label, ratio in trained.items():
            print(f"  {label:40s} {_text(ratio)}")


@contextlib.contextmanager
def _unchecked() -> Iterator[None]:
    """Every catalog module without the check, as before it kept the limits."""
    forward = CatalogActivation.forward
    CatalogActivation.forward = lambda self, x: self._kernel(x, **self.params)  # type: ignore[method-assign]
    try:
        yield
    finally:
        CatalogActivation.forward = forward  # type: ignore[method-assign]


def training_ratios(steps: int, rounds: int) -> dict[str, Ratio]:
    """CPU time of this thread (training runs in it, on one thread) with the check over without, alternating,
    for one network and for a stack of 32."""
    one = TrainConfig(activation="gelu", steps=steps)
    many = [TrainConfig(activation=a, steps=steps, seed=s) for a in ("gelu", "silu") for s in range(16)]
    runs: dict[str, Callable[[], object]] = {
        "actlab.train, 1 gelu network": lambda: actlab.train(one),
        "actlab.train_many, 16 gelu + 16 silu": lambda: actlab.train_many(many, workers=1),
    }
    ratios = {}
    for label, run in runs.items():
        run()  # warm up
        samples = []
        for _ in range(rounds):
            began = time.thread_time()
            run()
            checked = time.thread_time() - began
            with _unchecked():
                began = time.thread_time()
                run()
                unchecked = time.thread_time() - began
            samples.append(checked / unchecked)
        ratios[label] = Ratio.of(samples)
    return ratios


def _text(ratio: Ratio) -> str:
    return f"{ratio.median:.3f}x ({ratio.low:.3f}-{ratio.high:.3f})"


if __name__ == "__main__":
    main()
