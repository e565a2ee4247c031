"""Training speed and memory of ``actlab.train`` at the default config, next to a bare PyTorch loop.

The default config: task ``add``, two hidden layers of 16, ReLU, Adam, batch 128, 3000 steps, one thread.
The baseline is the same network and optimizer in a plain loop (``nn.Sequential`` of ``nn.Linear`` and
``nn.ReLU``, batches from ``torch.rand``), measured in the same run, so the ratio shows what actlab's
callbacks, loss checks and task sampling cost. Figures are the best of ``--repeats`` rounds (noise on a
shared machine only ever adds time); the two loops alternate so both see the same load. Peak memory is the
process's maximum resident set size (``ru_maxrss``), before and after.

    python benchmarks/bench_train.py             # 3 rounds of 3000 steps
    python benchmarks/bench_train.py --quick     # a smoke run
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import torch
from torch import nn

from actlab.training.config import TrainConfig
from actlab.training.loop import train


def bare_loop(steps: int, batch: int) -> float:
    """Seconds for ``steps`` Adam steps of a 2-16-16-1 ReLU network on a + b, with no actlab in the loop."""
    gen = torch.Generator().manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = time.perf_counter()
    for _ in range(steps):
        x = 20 * torch.rand((batch, 2), generator=gen) - 10
        y = x.sum(dim=1, keepdim=True)
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="300 steps, 1 round")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    config = TrainConfig(steps=300) if args.quick else TrainConfig()
    repeats = 1 if args.quick else args.repeats

    torch.set_num_threads(1)
    rss_before = peak_mib()
    actlab_s, bare_s, mae = [], [], []
    for _ in range(repeats):
        result = train(config)
        actlab_s.append(result.seconds)
        mae.append(result.metrics["interp_mae"])
        bare_s.append(bare_loop(config.steps, config.batch_size))
    figures = {
        "config": f"add, hidden {config.hidden}, relu, adam lr {config.lr:g}, batch {config.batch_size}",
        "steps": config.steps,
        "actlab_steps_per_s": config.steps / min(actlab_s),
        "bare_steps_per_s": config.steps / min(bare_s),
        "actlab_over_bare_time": min(actlab_s) / min(bare_s),
        "seconds_to_train": min(actlab_s),
        "interp_mae": mae[0],
        "peak_rss_mib_before": rss_before,
        "peak_rss_mib_after": peak_mib(),
        "torch": torch.__version__,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"default config: {figures['config']}, {config.steps} steps, best of {repeats}")
    print(
        f"  actlab.train      {figures['actlab_steps_per_s']:8.0f} steps/s   ({figures['seconds_to_train']:.2f} s, "
        f"interp MAE {figures['interp_mae']:.4f})"
    )
    print(f"  bare PyTorch loop {figures['bare_steps_per_s']:8.0f} steps/s")
    print(f"  actlab / bare time: {figures['actlab_over_bare_time']:.2f}x")
    before, after = figures["peak_rss_mib_before"], figures["peak_rss_mib_after"]
    print(f"  peak RSS: {before:.0f} MiB after imports, {after:.0f} MiB after training")


if __name__ == "__main__":
    main()
