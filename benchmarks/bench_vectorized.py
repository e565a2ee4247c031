"""The vectorized trainer against the one-by-one loop: the same 128 networks trained both ways in one run.

128 networks = 8 activations x 16 seeds, two hidden layers of 32, batch 256, task ``add``, Adam, the same
configs and steps both ways. Every figure is the **wall-clock time of whole calls**, what a user waits: model
building, training and evaluation on both sides, and for ``train_many`` also the grouping, the cost
calibration, the workers' start and the transfer of their results:

* one by one: ``actlab.train`` on each config in turn (a plain PyTorch loop: ``nn.Linear`` layers,
  ``torch.optim.Adam``, one batch per step), once with ``TrainConfig.threads=1`` (its default) and once with
  ``threads`` = all of PyTorch's intra-op threads (``train`` sets the count for its run); the faster of the two
  is the baseline, and the printout says which;
* vectorized: one ``actlab.train_many`` call on all 128, with 1 worker and with one worker process per core,
  the worker factory already running (as for every call after a process's first);
* cold: the same ``train_many`` call as the first thing a fresh process does (``--cold``): its worker
  factory starts during the call, as on a user's first ``actlab compare``; and the factory's start alone (a
  fresh process, to the first worker's answer).

It prints seconds and the ratios to the baseline, and the vectorized trainer's achieved GFLOP/s (from the
wall-clock time) as a fraction of this machine's large-matmul GFLOP/s (a 2048 x 2048 float32 matmul on all
cores, measured in the same run), at width 32 and at width 128. FLOPs counted per network and step, for
``B`` examples and a layer of ``n_in x n_out``: forward ``2·B·n_in·n_out``, weight gradient the same, input
gradient the same except for the first layer (whose input needs none); activations, loss, the optimizer and
evaluation are not counted. ``--per-activation`` adds, per activation, microseconds per network-step of the
training loop alone both ways (``TrainResult.seconds``, one thread each): what each activation's own kernels
cost when the framework overhead is gone.

Timing on a shared machine: each figure is the best of ``--repeats`` rounds (noise only ever adds time),
and the rounds of the ways alternate so that all see the same load.

    python benchmarks/bench_vectorized.py            # the full run (several minutes on 2 cores)
    python benchmarks/bench_vectorized.py --quick    # a smoke run
    python benchmarks/bench_vectorized.py --device cuda   # on a GPU (issue 14), see gpu_main

``--device cuda`` measures instead, on a GPU, model-steps/s of ``train_many`` at N = 128, 1,024 and 8,192
networks of width 32 (2-32-32-1, the 8 activations, batch 256, Adam), counting the training loop alone
(``TrainResult.seconds``; the whole call, with the models built on the CPU and evaluated on the GPU, beside
it), with the ratio to the one-by-one CPU loop (``actlab.train`` per config, one thread, its loop alone too)
timed in the same run; then the wall-clock time of ``actlab compare`` of the 8 activations x 1,000 seeds on the
GPU, a fresh process and a fresh database (``--compare-seeds 0``: skipped). ``--sizes`` picks other N;
``--variants eager,graphs,compile`` adds the training step alone at the largest N run eagerly (as
``train_many`` does), replayed as one CUDA graph, and under ``torch.compile`` (compilation timed apart), each
guarded: a variant that fails is printed as failed and the rest still run. Without a GPU it says so in one
line and exits with code 2; ``--dry-run`` runs the same code on the CPU with tiny sizes instead (what
``benchmarks/gpu_check.sh --cpu-dry-run`` does, to know the GPU run will not stop on an error).
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import torch

from actlab.fast.vectorized import default_workers, train_many
from actlab.fast.workers import run_side_by_side
from actlab.training.config import TrainConfig
from actlab.training.loop import train
from actlab.util.threads import torch_threads

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
    """Wall-clock seconds of ``actlab.train`` on each config in turn (model building and evaluation
    included), with ``threads`` intra-op threads: ``TrainConfig.threads``, which ``train`` sets for its run."""
    with_threads = [replace(c, threads=threads) for c in cfgs]
    return _timed(lambda: [train(c) for c in with_threads])


def vectorized(cfgs: list[TrainConfig], workers: int) -> float:
    """Wall-clock seconds of one ``train_many`` call (everything it does, evaluation included)."""
    return _timed(lambda: train_many(cfgs, workers=workers))


def loop_seconds(cfgs: list[TrainConfig], workers: int | None = None) -> float:
    """Seconds of the training loops alone (``TrainResult.seconds``, summed; evaluation and set-up left
    out): one by one with ``workers=None``, else ``train_many`` with that many workers."""
    results = [train(c) for c in cfgs] if workers is None else train_many(cfgs, workers=workers)
    return sum(r.seconds for r in results)


COLD = """
import sys, time
sys.path.insert(0, {here!r})
from bench_vectorized import configs, noop
from actlab.fast.vectorized import train_many
from actlab.fast.workers import run_side_by_side
width, steps, seeds, workers, acts = {args!r}
start = time.perf_counter()
if workers:
    train_many(configs(width, steps, seeds, acts), workers=workers)
else:  # the worker factory's start: to the first worker's answer
    run_side_by_side([noop, noop])
print(time.perf_counter() - start)
"""


def noop(report: object, stop: object) -> None:
    """A job that does nothing (it times the worker factory's start)."""


def cold(width: int, steps: int, seeds: int, workers: int, acts: tuple[str, ...]) -> float:
    """Seconds of the first ``train_many`` call of a fresh process (``workers=0``: of the worker factory's
    start alone), measured in that process; its interpreter start and imports are not counted."""
    code = COLD.format(here=str(Path(__file__).parent), args=(width, steps, seeds, workers, acts))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return float(out.split()[-1])


def alternatives(width: int, seeds: int, steps: int, compile_too: bool) -> dict[str, float]:
    """Model-steps/s of one training step (forward, backward, Adam) of ``8 · seeds`` tanh networks, one
    thread, three or four ways: actlab's hand-written :class:`~actlab.fast.stacked.StackedStep`, autograd through
    the same stacked ``baddbmm`` layers, ``torch.func`` (``stack_module_state`` + ``vmap`` over
    ``functional_call``) and, with ``compile_too``, ``torch.compile`` of the autograd version's loss
    (compilation time reported apart)."""
    import copy

    from torch.func import functional_call, stack_module_state, vmap

    from actlab.fast.optim import StackedAdam
    from actlab.fast.stacked import StackedMLP, StackedStep
    from actlab.nets.tasks import get_task
    from actlab.training.loop import build_model

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
    with torch_threads(1):
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
    """Per activation: microseconds per network-step of the training loop alone, one by one and vectorized
    (one worker), one thread each."""
    out = {}
    for act in acts:
        cfgs = configs(32, steps, seeds, (act,))
        sample = cfgs[:4]  # one by one costs the same for every seed
        alone = min(loop_seconds(sample) / len(sample) for _ in range(repeats))
        stacked = min(loop_seconds(cfgs, 1) / len(cfgs) for _ in range(repeats))
        out[act] = {"one_by_one_us": alone / steps * 1e6, "vectorized_us": stacked / steps * 1e6}
    return out


GPU_SIZES = (128, 1024, 8192)  # networks per group on the GPU (8 activations x N/8 seeds)


def gpu_main(
    steps: int,
    sizes: tuple[int, ...],
    compare_seeds: int,
    as_json: bool,
    device: str = "cuda",
    variants: tuple[str, ...] = (),
) -> None:
    """The ``--device cuda`` figures (see the module docstring); ``device="cpu"`` is ``--dry-run``: the same
    code on the CPU, to know it runs before a GPU is lent."""
    import os
    import tempfile

    cpu = configs(32, steps, 2)  # one by one costs the same for every seed: 2 per activation suffice
    train(cpu[0])  # warm-up
    cpu_rate = len(cpu) * steps / sum(train(c).seconds for c in cpu)  # TrainConfig.threads: 1
    train_many(configs(32, 10, 1), device=device)  # warm-up: CUDA context, cuBLAS handles, kernels
    name = torch.cuda.get_device_name() if device == "cuda" else "CPU (dry run)"
    figures: dict[str, object] = {"gpu": name, "steps": steps, "cpu_one_by_one": cpu_rate}
    for n in sizes:
        _sync(device)
        start = time.perf_counter()
        results = train_many(configs(32, steps, n // len(ACTIVATIONS)), device=device)
        whole = time.perf_counter() - start
        loop = sum(r.seconds for r in results)  # each network's share of its group's loop: the group's loop
        rate = sum(r.steps for r in results) / loop
        figures[f"n{n}"] = {"model_steps_per_s": rate, "ratio": rate / cpu_rate, "loop_s": loop, "call_s": whole}
    for variant in variants:  # each guarded: one that fails is reported and the others still run
        try:
            found = step_variant(max(sizes), steps, device, variant)
            figures[f"step_{variant}"] = {**found, "ratio": found["model_steps_per_s"] / cpu_rate}
        except Exception as err:  # any failure of a variant is a figure to report, not the end of the run
            figures[f"step_{variant}"] = {"error": f"{type(err).__name__}: {err}".splitlines()[0][:300]}
    if compare_seeds:
        with tempfile.TemporaryDirectory() as folder:
            command = [
                sys.executable,
                "-m",
                "actlab",
                "compare",
                "--activations",
                ",".join(ACTIVATIONS),
                "--seeds",
                str(compare_seeds),
                "--device",
                device,
                "--db",
                os.path.join(folder, "r.db"),
                "--quiet",
                "--json",
            ]
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            figures["compare_seconds"] = time.perf_counter() - start
            figures["compare_seeds"] = compare_seeds
    if as_json:
        json.dump(figures, sys.stdout, indent=2)
        print()
        return
    print(
        f"{figures['gpu']}: 2-32-32-1, {len(ACTIVATIONS)} activations, batch 256, add, Adam, {steps} steps; "
        "model-steps/s of the training loop"
    )
    print(f"{'one by one on the CPU (train(), 1 thread)':44s} {cpu_rate:12,.0f} model-steps/s")
    for n in sizes:
        f = figures[f"n{n}"]
        assert isinstance(f, dict)
        print(
            f"{f'train_many on {device}, N = {n:,}':44s} {f['model_steps_per_s']:12,.0f} model-steps/s "
            f"{f['ratio']:8.0f}x   (whole call {f['call_s']:.1f} s)"
        )
    for variant in variants:
        f = figures[f"step_{variant}"]
        assert isinstance(f, dict)
        label = f"step alone, {variant}, N = {max(sizes):,}"
        if "error" in f:
            print(f"{label:44s} failed: {f['error']}")
            continue
        compiled = f" (compiling {f['compile_s']:.1f} s)" if "compile_s" in f else ""
        print(f"{label:44s} {f['model_steps_per_s']:12,.0f} model-steps/s {f['ratio']:8.0f}x{compiled}")
    if compare_seeds:
        print(
            f"actlab compare, {len(ACTIVATIONS)} activations x {compare_seeds:,} seeds, --device {device}: "
            f"{figures['compare_seconds']:.1f} s (a fresh process and database)"
        )


VARIANTS = ("eager", "graphs", "compile")  # how step_variant runs the stacked training step


def step_variant(n: int, steps: int, device: str, variant: str) -> dict[str, float]:
    """Model-steps/s of the stacked training step alone (forward, backward, Adam; fixed batches, no data
    drawing, no stop checks) of ``n`` networks on ``device``, run ``variant``-wise: ``eager`` (what
    ``train_many`` does), ``graphs`` (one CUDA graph of the step, replayed: timing only, since the
    optimizer's step count is captured as a constant) or ``compile`` (``torch.compile`` of the step; its
    compilation timed apart)."""
    from actlab.fast.optim import StackedAdam
    from actlab.fast.stacked import StackedMLP, StackedStep
    from actlab.fast.vectorized import layer_specs
    from actlab.training.config import make_task
    from actlab.training.loop import build_model

    cfgs = configs(32, steps, max(1, n // len(ACTIVATIONS)))
    task = make_task(cfgs[0])
    models = [build_model(c, task) for c in cfgs]
    stacked = StackedMLP(models, [layer_specs(c) for c in cfgs], 256, per_chunk=len(cfgs)).to(device)
    for chunk in stacked.chunks:
        for module in chunk.modules:
            module.to(device)
    step = StackedStep(stacked, task)
    adam = StackedAdam([*stacked.weights, *stacked.biases], [c.lr for c in cfgs])
    x = torch.rand(len(cfgs), 256, 2, device=device) * 20 - 10
    y = x.sum(-1, keepdim=True)

    def one() -> None:
        step(x, y)
        adam.step(None)

    run: Callable[[], object] = one
    figures: dict[str, float] = {}
    if variant == "compile":
        run = torch.compile(one)
        figures["compile_s"] = _timed(lambda: (run(), _sync(device)))
    elif variant == "graphs":
        side = torch.cuda.Stream()  # raises on a machine without CUDA: the variant is reported as failed
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                one()
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            one()
        run = graph.replay
    elif variant != "eager":
        raise ValueError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
    run()
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        run()
    _sync(device)
    figures["model_steps_per_s"] = len(cfgs) * steps / (time.perf_counter() - start)
    return figures


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="training steps per network")
    parser.add_argument("--seeds", type=int, default=16, help="seeds per activation (8 activations)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the best of each way is kept")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 seeds, 20 steps, 1 round, --cold")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="worker processes of the second vectorized run (default: this machine's cores)",
    )
    parser.add_argument("--activations", default=",".join(ACTIVATIONS), help="comma-separated, 8 by default")
    parser.add_argument(
        "--per-activation", action="store_true", help="also time each activation alone, both ways (one thread each)"
    )
    parser.add_argument(
        "--alternatives",
        action="store_true",
        help="also time autograd, torch.func vmap (with --compile: torch.compile) on tanh networks",
    )
    parser.add_argument("--compile", action="store_true", help="with --alternatives: include torch.compile")
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="cuda: the GPU figures instead (see the module docstring)",
    )
    parser.add_argument(
        "--compare-seeds",
        type=int,
        default=1000,
        help="with --device cuda: seeds per activation of the timed actlab compare (0: skip it)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="run the --device cuda code on the CPU with tiny sizes (to check it runs where no GPU is)",
    )
    parser.add_argument(
        "--variants",
        default="",
        help=f"with --device cuda: also time the step alone at the largest N, comma-separated of {','.join(VARIANTS)}",
    )
    parser.add_argument(
        "--sizes", default=",".join(map(str, GPU_SIZES)), help="with --device cuda: networks per group, comma-separated"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="also time train_many as a fresh process's first call, and the worker factory's start",
    )
    args = parser.parse_args()
    variants = tuple(v.strip() for v in args.variants.split(",") if v.strip())
    if args.dry_run:
        gpu_main(5, (16, 32), 2 if args.compare_seeds else 0, args.json, "cpu", variants)
        return
    if args.device == "cuda":
        if not torch.cuda.is_available():
            print(
                "bench_vectorized: --device cuda: no GPU is present here (torch.cuda.is_available() is False)",
                file=sys.stderr,
            )
            sys.exit(2)
        quick = args.quick
        sizes = (128,) if quick else tuple(int(n) for n in args.sizes.split(","))
        gpu_main(20 if quick else args.steps, sizes, 16 if quick else args.compare_seeds, args.json, "cuda", variants)
        return
    if args.quick:
        args.steps, args.seeds, args.repeats, args.cold = 20, 2, 1, True

    acts = tuple(a.strip() for a in args.activations.split(","))
    all_threads = torch.get_num_threads()
    peak = matmul_gflops()
    cfgs = configs(32, args.steps, args.seeds, acts)
    wide = configs(128, args.steps, args.seeds, acts)
    train_many(cfgs[:: args.seeds][:2], workers=args.workers)  # first calls pay one-off costs
    train(cfgs[0])
    import bench_vectorized  # this script as a module, whose functions a worker can import by name

    run_side_by_side([noop, bench_vectorized.noop])  # a worker has answered: the worker factory is running
    n = args.workers
    runs: dict[str, Callable[[], float]] = {
        "one_by_one_threads_1": lambda: one_by_one(cfgs, 1),
        f"one_by_one_threads_{all_threads}": lambda: one_by_one(cfgs, all_threads),
        "train_many_workers_1": lambda: vectorized(cfgs, 1),
        f"train_many_workers_{n}": lambda: vectorized(cfgs, n),
        "wide_workers_1": lambda: vectorized(wide, 1),
        f"wide_workers_{n}": lambda: vectorized(wide, n),
    }
    if args.cold:
        runs |= {
            "cold_train_many_workers_1": lambda: cold(32, args.steps, args.seeds, 1, acts),
            f"cold_train_many_workers_{n}": lambda: cold(32, args.steps, args.seeds, n, acts),
            "cold_worker_factory": lambda: cold(32, args.steps, args.seeds, 0, acts),
        }
    times: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        for name, run in runs.items():
            times.setdefault(name, []).append(run())
    seconds = {name: min(values) for name, values in times.items()}
    baseline_name = min(("one_by_one_threads_1", f"one_by_one_threads_{all_threads}"), key=seconds.__getitem__)
    baseline = seconds[baseline_name]
    model_steps = len(cfgs) * args.steps
    flops = {"train_many": flops_per_model_step(32), "wide": flops_per_model_step(128)}
    figures: dict[str, object] = {
        "networks": len(cfgs),
        "activations": list(acts),
        "steps": args.steps,
        "repeats": args.repeats,
        "workers": n,
        "threads": all_threads,
        "matmul_gflops": peak,
        "baseline": baseline_name,
        **{f"{name}_s": value for name, value in seconds.items()},
    }
    for k in sorted({1, n}):
        for prefix in ("", "cold_"):
            if f"{prefix}train_many_workers_{k}" in seconds:
                figures[f"{prefix}speedup_{k}"] = baseline / seconds[f"{prefix}train_many_workers_{k}"]
        for kind in ("train_many", "wide"):
            gflops = model_steps * flops[kind] / seconds[f"{kind}_workers_{k}"] / 1e9
            figures[f"{kind}_gflops_{k}"] = gflops
            figures[f"{kind}_fraction_of_matmul_{k}"] = gflops / peak
    if args.per_activation:
        figures["per_activation"] = per_activation(args.steps, args.seeds, acts, args.repeats)
    if args.alternatives:
        figures.update(alternatives(32, args.seeds, args.steps, args.compile))
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        print()
        return
    _print(figures, acts, args)


def _print(figures: dict, acts: tuple[str, ...], args: argparse.Namespace) -> None:  # type: ignore[type-arg]
    n, threads = figures["workers"], figures["threads"]
    print(
        f"{figures['networks']} networks ({len(acts)} activations x {args.seeds} seeds: {', '.join(acts)}), "
        f"2 hidden layers, batch 256, add, Adam, {args.steps} steps; wall-clock seconds of whole calls "
        f"(model building and evaluation included), best of {args.repeats} rounds"
    )
    print(f"{f'large matmul (2048², float32, {threads} threads)':62s} {figures['matmul_gflops']:8.1f} GFLOP/s")

    def gflops(kind: str, k: int) -> str:
        return (
            f"{figures[f'{kind}_gflops_{k}']:6.1f} GFLOP/s = {figures[f'{kind}_fraction_of_matmul_{k}']:5.1%} of matmul"
        )

    for k in sorted({1, threads}):
        key = f"one_by_one_threads_{k}"
        mark = "   <- baseline" if key == figures["baseline"] else ""
        print(f"{f'width 32, one by one: train() per config, threads={k}':62s} {figures[f'{key}_s']:8.2f} s{mark}")
    for prefix, where in (("", "factory running"), ("cold_", "fresh process")):
        for k in sorted({1, n}):
            if f"{prefix}train_many_workers_{k}_s" in figures:
                label = f"width 32, train_many, {k} worker(s), {where}"
                rate = "" if prefix else gflops("train_many", k)
                speedup = figures[f"{prefix}speedup_{k}"]
                print(f"{label:62s} {figures[f'{prefix}train_many_workers_{k}_s']:8.2f} s  {speedup:5.1f}x  {rate}")
    if "cold_worker_factory_s" in figures:
        label = "worker factory start (fresh process, to the first answer)"
        print(f"{label:62s} {figures['cold_worker_factory_s']:8.2f} s")
    for k in sorted({1, n}):
        label = f"width 128, train_many, {k} worker(s), factory running"
        print(f"{label:62s} {figures[f'wide_workers_{k}_s']:8.2f} s         {gflops('wide', k)}")
    for act, us in figures.get("per_activation", {}).items():
        print(
            f"  {act:12s} training loop only: one by one {us['one_by_one_us']:6.0f} us/step   vectorized "
            f"{us['vectorized_us']:6.1f} us/network-step   {us['one_by_one_us'] / us['vectorized_us']:5.1f}x "
            "(1 thread each)"
        )
    for key, value in figures.items():
        if key.endswith("_model_steps_per_s") and key.startswith(("stacked_", "autograd_", "torch_")):
            name = key.removesuffix("_model_steps_per_s")
            print(f"{8 * args.seeds} tanh networks, width 32, 1 thread: {name:16s} {value:8.0f} model-steps/s")
    if "compile_seconds" in figures:
        print(f"torch.compile: first step (compilation) {figures['compile_seconds']:.1f} s")


if __name__ == "__main__":
    main()
