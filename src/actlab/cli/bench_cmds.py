"""``actlab bench``: time per element and effective bandwidth of every activation, next to a memory copy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from actlab.cli import app
from actlab.cli._common import console, emit_json, err_console

if TYPE_CHECKING:
    from actlab.experiments.speed import SpeedRow


@app.command()
def bench(
    activations: Annotated[
        list[str] | None, typer.Argument(help="Catalog names to time (default: the whole catalog).")
    ] = None,
    size: Annotated[
        list[int] | None, typer.Option("--size", help="Elements per tensor; repeat for several (default 1e4..1e7).")
    ] = None,
    device: Annotated[
        list[str] | None, typer.Option("--device", help="cpu or cuda; repeat for both (default: all present).")
    ] = None,
    repeats: Annotated[int, typer.Option(help="Rounds of measurements at least; the median is kept.")] = 6,
    max_repeats: Annotated[
        int, typer.Option(help="Rounds at most, while a figure's median is not yet known to within 5 %.")
    ] = 20,
    threads: Annotated[
        int, typer.Option(help="CPU threads for the run (0: PyTorch's default; needs --wall-clock).")
    ] = 1,
    cpu_clock: Annotated[
        bool,
        typer.Option(
            "--cpu-clock/--wall-clock",
            help="Time the CPU by its thread's own CPU time (one thread; steady on a busy machine), or by wall "
            "time (any number of threads). A GPU is always timed by wall time.",
        ),
    ] = True,
    formula: Annotated[
        bool, typer.Option("--formula", help="Time the catalog's reference formulas instead of the modules.")
    ] = False,
    kernel: Annotated[
        bool,
        typer.Option("--kernel", help="Time PyTorch's kernels alone (e.g. F.gelu), without the modules' limit check."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Forward and forward+backward time per element and effective GB/s for catalog activations."""
    from rich.progress import Progress

    from actlab.experiments.speed import bench_request, bench_summary, measure

    names, config = bench_request(
        activations,
        sizes=size,
        devices=device,
        repeats=repeats,
        max_repeats=max_repeats,
        threads=threads,
        cpu_clock=cpu_clock,
        formula=formula,
        kernel=kernel,
    )
    total = len(names) * len(config.sizes) * len(config.devices)
    with Progress(console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task("timing", total=total)

        def tick(name: str, dev: str, n: int) -> None:
            bar.update(task, advance=1, description=f"{name} on {dev}, {n:,} elements")

        rows = measure(names, config, progress=tick)
    if as_json:
        emit_json(bench_summary(config, rows))
        return
    _render(rows, config.impl, config.clock, threads)


def _render(rows: list[SpeedRow], impl: str, clock: str, threads: int) -> None:
    from rich.table import Table

    timing = "one thread, its CPU time" if clock == "cpu" else f"wall time, {threads or 'default'} thread(s)"
    table = Table(title=f"actlab bench ({impl}; CPU: {timing}; ns per element, ± spread; GB/s effective)")
    for col in (
        "activation",
        "device",
        "elements",
        "fwd ns",
        "±",
        "fwd GB/s",
        "fwd+bwd ns",
        "±",
        "fwd+bwd GB/s",
        "copy GB/s",
        "fwd / copy",
    ):
        table.add_column(col, justify="right" if col not in ("activation", "device") else "left", overflow="fold")
    for r in rows:
        table.add_row(
            r.activation,
            r.device,
            f"{r.size:,}",
            f"{r.forward_ns:.3g}",
            f"{r.forward_spread:.0%}",
            _gbps(r.forward_gbps),
            f"{r.fwd_bwd_ns:.3g}",
            f"{r.fwd_bwd_spread:.0%}",
            _gbps(r.fwd_bwd_gbps),
            _gbps(r.copy_gbps),
            f"{r.forward_vs_copy:.2f}x",
        )
    console.print(table)
    console.print(
        "±: the width of a 95 % interval for the median of the rounds, over the median. fwd / copy: the forward "
        "pass's time in units of a plain memory copy of the same tensor (1.00x = at the memory limit). "
        "—: moves no memory (returns its input)."
    )
    worst = max(rows, key=lambda r: max(r.forward_spread, r.fwd_bwd_spread))
    if max(worst.forward_spread, worst.fwd_bwd_spread) > 0.05:
        console.print(
            f"note: some figures still spread by more than 5 % after {worst.rounds} rounds (e.g. {worst.activation} "
            f"at {worst.size:,} elements); compare them with care, or raise --max-repeats."
        )


def _gbps(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
