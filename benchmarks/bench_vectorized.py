"""The vectorized trainer against the one-by-one loop: the same 128 networks trained both ways in one run.

128 networks = 8 activations x 16 seeds, two hidden layers of 32, batch 256, task ``add``, Adam. Both ways
run the training loop of the same configs for the same number of steps (evaluation excluded, as in
``TrainResult.seconds``):

* one by one: ``actlab.train`` on each config in turn (a plain PyTorch loop: ``nn.Linear`` layers,
  ``torch.optim.Adam``, one batch per step);
* vectorized: ``actlab.train_many`` on all 128 at once.

It prints model-steps per second for each and their ratio, and the vectorized trainer's achieved GFLOP/s
as a fraction of this machine's large-matmul GFLOP/s (a 2048 x 2048 float32 matmul, measured in the same
run), at width 32 and at width 128. FLOPs counted per network and step, for ``B`` examples and a layer of
``n_in x n_out``: forward ``2·B·n_in·n_out``, weight gradient the same, input gradient the same except for
the first layer (whose input needs none); activations, loss and the optimizer are not counted.

Timing on a shared machine: each figure is the best of ``--repeats`` rounds (noise only ever adds time),
and the rounds of the two ways alternate so that both see the same load.

    python benchmarks/bench_vectorized.py            # the full run (about a minute on 2 idle cores)
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
from actlab.vectorized import train_many

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


def one_by_one(cfgs: list[TrainConfig]) -> float:
    """Training seconds of the plain loop, summed over the networks."""
    return sum(train(c).seconds for c in cfgs)


def vectorized(cfgs: list[TrainConfig], threads: int = 1) -> float:
    """Training seconds of the stacked run (each result holds its share)."""
    return sum(r.seconds for r in train_many(cfgs, threads=threads))


def alternatives(width: int, seeds: int, steps: int, compile_too: bool) -> dict[str, float]:
    """Model-steps/s of one training step (forward, backward, Adam) of 128 tanh networks, three ways:
    actlab's StackedMLP (baddbmm), torch.func (stack_module_state + vmap over functional_call) and
    torch.compile of StackedMLP's loss (compilation time reported apart). All single-threaded."""
    import copy

    from torch.func import functional_call, stack_module_state, vmap

    from actlab.training import build_model
    from actlab.vectorized import StackedAdam, StackedMLP, intra_op_threads

    cfgs = [TrainConfig(activation="tanh", hidden=[width, width], batch_size=256, seed=s) for s in range(8 * seeds)]
    models = [build_model(c) for c in cfgs]
    m = len(models)
    x = torch.rand(m, 256, 2) * 20 - 10
    y = x.sum(-1, keepdim=True)
    stacked = StackedMLP(models, [("tanh", "tanh")] * m)
    adam = StackedAdam(list(stacked.parameters()), [1e-3] * m)

    def stacked_step() -> None:
        stacked.zero_grad(set_to_none=True)
        (stacked(x) - y).square().mean((1, 2)).sum().backward()
        adam.step(None)

    params, buffers = stack_module_state(models)  # type: ignore[arg-type]
    leaves = {k: v.detach().requires_grad_() for k, v in params.items()}
    skeleton = copy.deepcopy(models[0]).to("meta")
    torch_adam = torch.optim.Adam(list(leaves.values()), 1e-3)

    def vmap_step() -> None:
        torch_adam.zero_grad(set_to_none=True)
        out = vmap(lambda p, b, xx: functional_call(skeleton, (p, b), (xx,)))(leaves, buffers, x)
        (out - y).square().mean((1, 2)).sum().backward()
        torch_adam.step()

    ways = {"stacked_baddbmm": stacked_step, "torch_func_vmap": vmap_step}
    figures: dict[str, float] = {}
    with intra_op_threads(1):
        if compile_too:
            loss = torch.compile(lambda xx, yy: (stacked(xx) - yy).square().mean((1, 2)).sum())

            def compiled_step() -> None:
                stacked.zero_grad(set_to_none=True)
                loss(x, y).backward()
                adam.step(None)

            figures["compile_seconds"] = _timed(compiled_step)
            ways["torch_compile"] = compiled_step
        for name, step in ways.items():
            step()
            best = min(_timed(lambda step=step: [step() for _ in range(steps)]) for _ in range(2))  # type: ignore[misc]
            figures[f"{name}_model_steps_per_s"] = m * steps / best
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="training steps per network")
    parser.add_argument("--seeds", type=int, default=16, help="seeds per activation (8 activations)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the best of each way is kept")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 seeds, 20 steps, 1 round")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads of the vectorized trainer")
    parser.add_argument("--activations", default=",".join(ACTIVATIONS), help="comma-separated, 8 by default")
    parser.add_argument("--alternatives", action="store_true",
                        help="also time torch.func vmap (and with --compile torch.compile) on 128 tanh networks")
    parser.add_argument("--compile", action="store_true", help="with --alternatives: include torch.compile")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.seeds, args.repeats = 20, 2, 1

    acts = tuple(a.strip() for a in args.activations.split(","))
    peak = matmul_gflops()
    cfgs = configs(32, args.steps, args.seeds, acts)
    wide = configs(128, args.steps, args.seeds, acts)
    train_many(cfgs[:: args.seeds][:2])  # warm-up: first calls pay one-off allocation and dispatch costs
    train(cfgs[0])
    alone, stacked, stacked_wide = [], [], []
    for _ in range(args.repeats):
        alone.append(one_by_one(cfgs))
        stacked.append(vectorized(cfgs, args.threads))
        stacked_wide.append(vectorized(wide, args.threads))
    model_steps = len(cfgs) * args.steps
    rate_alone, rate_stacked = model_steps / min(alone), model_steps / min(stacked)
    rate_wide = model_steps / min(stacked_wide)
    gflops = rate_stacked * flops_per_model_step(32) / 1e9
    gflops_wide = rate_wide * flops_per_model_step(128) / 1e9
    figures = {
        "networks": len(cfgs),
        "activations": list(acts),
        "vectorized_threads": args.threads,
        "steps": args.steps,
        "threads": torch.get_num_threads(),
        "matmul_gflops": peak,
        "one_by_one_model_steps_per_s": rate_alone,
        "vectorized_model_steps_per_s": rate_stacked,
        "speedup": rate_stacked / rate_alone,
        "vectorized_gflops_w32": gflops,
        "fraction_of_matmul_w32": gflops / peak,
        "vectorized_model_steps_per_s_w128": rate_wide,
        "vectorized_gflops_w128": gflops_wide,
        "fraction_of_matmul_w128": gflops_wide / peak,
    }
    if args.alternatives:
        figures.update(alternatives(32, args.seeds, args.steps, args.compile))
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        print()
        return
    print(f"{len(cfgs)} networks ({len(acts)} activations x {args.seeds} seeds: {', '.join(acts)}), 2 hidden layers, "
          f"batch 256, add, Adam, {args.steps} steps; threads: one by one {torch.get_num_threads()}, vectorized "
          f"{args.threads}; best of {args.repeats} rounds")
    print(f"large matmul (2048², float32)      {peak:8.1f} GFLOP/s")
    print(f"width 32, one by one (train)       {rate_alone:8.0f} model-steps/s")
    print(f"width 32, vectorized (train_many)  {rate_stacked:8.0f} model-steps/s   "
          f"{rate_stacked / rate_alone:5.1f}x   {gflops:6.1f} GFLOP/s = {gflops / peak:5.1%} of matmul")
    print(f"width 128, vectorized (train_many) {rate_wide:8.0f} model-steps/s            "
          f"{gflops_wide:6.1f} GFLOP/s = {gflops_wide / peak:5.1%} of matmul")
    for key, value in figures.items():
        if key.endswith("_model_steps_per_s") and key.startswith(("stacked_", "torch_")):
            print(f"{8 * args.seeds} tanh networks, width 32, 1 thread: {key.removesuffix('_model_steps_per_s'):16s} "
                  f"{value:8.0f} model-steps/s")
    if "compile_seconds" in figures:
        print(f"torch.compile: first step (compilation) {figures['compile_seconds']:.1f} s")


if __name__ == "__main__":
    main()
