"""The vectorized trainer against the one-by-one loop: the same 128 networks trained both ways in one run.

128 networks = 8 activations x 16 seeds, two hidden layers of 32, batch 256, task ``add``, Adam. Both ways
run the training loop of the same configs for the same number of steps (evaluation excluded, as in
``TrainResult.seconds``):

* one by one: ``actlab.train`` on each config in turn (a plain PyTorch loop: ``nn.Linear`` layers,
  ``torch.optim.Adam``, one batch per step), with 1 and with all of PyTorch's intra-op threads: the faster
  is the baseline;
* vectorized: ``actlab.train_many`` on all 128 at once, with 1 worker and with one worker process per core.

It prints model-steps per second for each and their ratios, and the vectorized trainer's achieved GFLOP/s
as a fraction of this machine's large-matmul GFLOP/s (a 2048 x 2048 float32 matmul on all cores, measured
in the same run), at width 32 and at width 128. FLOPs counted per network and step, for ``B`` examples and
a layer of ``n_in x n_out``: forward ``2·B·n_in·n_out``, weight gradient the same, input gradient the same
except for the first layer (whose input needs none); activations, loss and the optimizer are not counted.
``--per-activation`` adds, per activation, microseconds per network-step both ways (one thread each): what
each activation's own kernels cost when the framework overhead is gone.

Timing on a shared machine: each figure is the best of ``--repeats`` rounds (noise only ever adds time),
and the rounds of the ways alternate so that all see the same load.

    python benchmarks/bench_vectorized.py            # the full run (about two minutes on 2 idle cores)
    python benchmarks/bench_vectorized.py --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time

import torch

from actlab.training import TrainConfig, train
from actlab.vectorized import default_workers, intra_op_threads, train_many

ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "sigmoid", "identity")


def configs(width: int, steps: int, seeds: int, activations: tuple[str, ...] = ACTIVATIONS) -> list[TrainConfig]:
    return [
        TrainConfig(task="add", activation=act, hidden=[width, width], batch_size=256, steps=steps, seed=seed)
        for act in activations
        for seed in range(seeds)
    ]


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """The machine's large-matmul rate: best of ``repeats`` float32 ``n x n`` matmuls."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b  # warm-up
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def flops_per_model_step(width: int, batch: int = 256, depth: int = 2, n_in: int = 2, n_out: int = 1) -> int:
    sizes = [n_in, *([width] * depth), n_out]
    layers = list(itertools.pairwise(sizes))
    return sum((6 if k else 4) * batch * i * o for k, (i, o) in enumerate(layers))


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def one_by_one(cfgs: list[TrainConfig], threads: int) -> float:
    """Training seconds of the plain loop with ``threads`` intra-op threads, summed over the networks."""
    with intra_op_threads(threads):
        return sum(train(c).seconds for c in cfgs)


def vectorized(cfgs: list[TrainConfig], workers: int = 1) -> float:
    """Training seconds of the stacked run (each result holds its share)."""
    return sum(r.seconds for r in train_many(cfgs, workers=workers))


def alternatives(width: int, seeds: int, steps: int, compile_too: bool) -> dict[str, float]:
    """Model-steps/s of one training step (forward, backward, Adam) of ``8 · seeds`` tanh networks, one
    thread, three or four ways: actlab's hand-written :class:`~actlab.stacked.StackedStep`, autograd through
    the same stacked ``baddbmm`` layers, ``torch.func`` (``stack_module_state`` + ``vmap`` over
    ``functional_call``) and, with ``compile_too``, ``torch.compile`` of the autograd version's loss
    (compilation time reported apart)."""
    import copy

    from torch.func import functional_call, stack_module_state, vmap

    from actlab.stacked import StackedMLP, StackedStep
    from actlab.stacked_optim import StackedAdam
    from actlab.tasks import get_task
    from actlab.training import build_model

    cfgs = [TrainConfig(activation="tanh", hidden=[width, width], batch_size=256, seed=s) for s in range(8 * seeds)]
    models = [build_model(c) for c in cfgs]
    m = len(models)
    x = torch.rand(m, 256, 2) * 20 - 10
    y = x.sum(-1, keepdim=True)
    stacked = StackedMLP(models, [("tanh", "tanh")] * m, batch_size=256)
    adam = StackedAdam(list(stacked.parameters()), [1e-3] * m)
    step = StackedStep(stacked, get_task("add"))

    def stacked_step() -> None:
        step(x, y)
        adam.step()

    def autograd_loss(xx: torch.Tensor, yy: torch.Tensor) -> torch.Tensor:
        h = xx
        for w, b in zip(stacked.weights[:-1], stacked.biases[:-1], strict=True):
            h = torch.tanh(torch.baddbmm(b, h, w.mT))
        return (torch.baddbmm(stacked.biases[-1], h, stacked.weights[-1].mT) - yy).square().mean((1, 2)).sum()

    def autograd_step() -> None:
        stacked.zero_grad(set_to_none=True)
        autograd_loss(x, y).backward()
        adam.step()

    params, buffers = stack_module_state(models)  # type: ignore[arg-type]
    leaves = {k: v.detach().requires_grad_() for k, v in params.items()}
    skeleton = copy.deepcopy(models[0]).to("meta")
    torch_adam = torch.optim.Adam(list(leaves.values()), 1e-3)

    def vmap_step() -> None:
        torch_adam.zero_grad(set_to_none=True)
        out = vmap(lambda p, b, xx: functional_call(skeleton, (p, b), (xx,)))(leaves, buffers, x)
        (out - y).square().mean((1, 2)).sum().backward()
        torch_adam.step()

    ways = {"stacked_step": stacked_step, "autograd_baddbmm": autograd_step, "torch_func_vmap": vmap_step}
    figures: dict[str, float] = {}
    with intra_op_threads(1):
        if compile_too:
            loss = torch.compile(autograd_loss)

            def compiled_step() -> None:
                stacked.zero_grad(set_to_none=True)
                loss(x, y).backward()
                adam.step()

            figures["compile_seconds"] = _timed(compiled_step)
            ways["torch_compile"] = compiled_step
        for name, fn in ways.items():
            fn()
            best = min(_timed(lambda fn=fn: [fn() for _ in range(steps)]) for _ in range(2))  # type: ignore[misc]
            figures[f"{name}_model_steps_per_s"] = m * steps / best
    return figures


def per_activation(steps: int, seeds: int, acts: tuple[str, ...], repeats: int) -> dict[str, dict[str, float]]:
    """Per activation: microseconds per network-step one by one and vectorized, one thread each."""
    out = {}
    for act in acts:
        cfgs = configs(32, steps, seeds, (act,))
        sample = cfgs[:4]  # one by one costs the same for every seed
        alone = min(one_by_one(sample, 1) / len(sample) for _ in range(repeats))
        stacked = min(vectorized(cfgs, 1) / len(cfgs) for _ in range(repeats))
        out[act] = {"one_by_one_us": alone / steps * 1e6, "vectorized_us": stacked / steps * 1e6}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="training steps per network")
    parser.add_argument("--seeds", type=int, default=16, help="seeds per activation (8 activations)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the best of each way is kept")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 seeds, 20 steps, 1 round")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="worker processes of the second vectorized run (default: this machine's cores)")
    parser.add_argument("--activations", default=",".join(ACTIVATIONS), help="comma-separated, 8 by default")
    parser.add_argument("--per-activation", action="store_true",
                        help="also time each activation alone, both ways (one thread each)")
    parser.add_argument("--alternatives", action="store_true",
                        help="also time autograd, torch.func vmap (with --compile: torch.compile) on tanh networks")
    parser.add_argument("--compile", action="store_true", help="with --alternatives: include torch.compile")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.seeds, args.repeats = 20, 2, 1

    acts = tuple(a.strip() for a in args.activations.split(","))
    all_threads = torch.get_num_threads()
    peak = matmul_gflops()
    cfgs = configs(32, args.steps, args.seeds, acts)
    wide = configs(128, args.steps, args.seeds, acts)
    train_many(cfgs[:: args.seeds][:2])  # warm-up: first calls pay one-off allocation and dispatch costs
    train(cfgs[0])
    ways: dict[str, list[float]] = {}
    runs = {
        "one_by_one_1": lambda: one_by_one(cfgs, 1),
        f"one_by_one_{all_threads}": lambda: one_by_one(cfgs, all_threads),
        "vectorized_1": lambda: vectorized(cfgs, 1),
        f"vectorized_{args.workers}": lambda: vectorized(cfgs, args.workers),
        "wide_1": lambda: vectorized(wide, 1),
        f"wide_{args.workers}": lambda: vectorized(wide, args.workers),
    }
    for _ in range(args.repeats):
        for name, run in runs.items():
            ways.setdefault(name, []).append(run())
    model_steps = len(cfgs) * args.steps
    rate = {name: model_steps / min(times) for name, times in ways.items()}
    baseline = max(rate["one_by_one_1"], rate[f"one_by_one_{all_threads}"])
    flops = {"vectorized": flops_per_model_step(32), "wide": flops_per_model_step(128)}
    figures: dict[str, object] = {
        "networks": len(cfgs),
        "activations": list(acts),
        "steps": args.steps,
        "repeats": args.repeats,
        "workers": args.workers,
        "matmul_gflops": peak,
        "one_by_one_model_steps_per_s": baseline,
        **{f"{name}_model_steps_per_s": value for name, value in rate.items()},
    }
    for n in sorted({1, args.workers}):
        figures[f"speedup_{n}"] = rate[f"vectorized_{n}"] / baseline
        for kind in ("vectorized", "wide"):
            gflops = rate[f"{kind}_{n}"] * flops[kind] / 1e9
            figures[f"{kind}_gflops_{n}"] = gflops
            figures[f"{kind}_fraction_of_matmul_{n}"] = gflops / peak
    if args.per_activation:
        figures["per_activation"] = per_activation(args.steps, args.seeds, acts, args.repeats)
    if args.alternatives:
        figures.update(alternatives(32, args.seeds, args.steps, args.compile))
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        print()
        return
    _print(figures, rate, acts, args, all_threads)


def _print(
    figures: dict, rate: dict[str, float], acts: tuple[str, ...], args: argparse.Namespace, all_threads: int  # type: ignore[type-arg]
) -> None:
    print(f"{figures['networks']} networks ({len(acts)} activations x {args.seeds} seeds: {', '.join(acts)}), 2 hidden "
          f"layers, batch 256, add, Adam, {args.steps} steps; best of {args.repeats} rounds")
    print(f"large matmul (2048², float32, {all_threads} threads)      {figures['matmul_gflops']:8.1f} GFLOP/s")
    for n in sorted({1, all_threads}):
        mark = "  <- baseline" if rate[f"one_by_one_{n}"] == figures["one_by_one_model_steps_per_s"] else ""
        print(f"width 32, one by one (train), {n} thread(s)      {rate[f'one_by_one_{n}']:8.0f} model-steps/s{mark}")
    for n in sorted({1, args.workers}):
        print(f"width 32, vectorized (train_many), {n} worker(s) {rate[f'vectorized_{n}']:8.0f} model-steps/s  "
              f"{figures[f'speedup_{n}']:5.1f}x  {figures[f'vectorized_gflops_{n}']:6.1f} GFLOP/s = "
              f"{figures[f'vectorized_fraction_of_matmul_{n}']:5.1%} of matmul")
    for n in sorted({1, args.workers}):
        print(f"width 128, vectorized, {n} worker(s)             {rate[f'wide_{n}']:8.0f} model-steps/s         "
              f"{figures[f'wide_gflops_{n}']:6.1f} GFLOP/s = {figures[f'wide_fraction_of_matmul_{n}']:5.1%} of matmul")
    for act, us in figures.get("per_activation", {}).items():
        print(f"  {act:12s} one by one {us['one_by_one_us']:6.0f} us/step   vectorized {us['vectorized_us']:6.1f} "
              f"us/network-step   {us['one_by_one_us'] / us['vectorized_us']:5.1f}x (1 thread each)")
    for key, value in figures.items():
        if key.endswith("_model_steps_per_s") and key.startswith(("stacked_", "autograd_", "torch_")):
            print(f"{8 * args.seeds} tanh networks, width 32, 1 thread: {key.removesuffix('_model_steps_per_s'):16s} "
                  f"{value:8.0f} model-steps/s")
    if "compile_seconds" in figures:
        print(f"torch.compile: first step (compilation) {figures['compile_seconds']:.1f} s")


if __name__ == "__main__":
    main()
