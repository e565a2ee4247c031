"""``actlab bench``: time per element and effective bandwidth of every activation, next to a memory copy."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from actlab.catalog import names as catalog_names
from actlab.catalog import parse_spec
from actlab.cli import app
from actlab.cli._common import console, emit_json, err_console
from actlab.errors import ActlabError
from actlab.speed import DEFAULT_SIZES, SpeedConfig, available_devices, measure


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
    repeats: Annotated[int, typer.Option(help="Measurements per figure; the median is kept.")] = 5,
    threads: Annotated[int, typer.Option(help="CPU threads for the run (0: PyTorch's default).")] = 0,
    cpu_clock: Annotated[
        bool,
        typer.Option("--cpu-clock", help="Time by the thread's own CPU clock (with --threads 1, CPU only): "
                     "steady on a busy shared machine."),
    ] = False,
    formula: Annotated[
        bool, typer.Option("--formula", help="Time the catalog's reference formulas instead of the modules.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Forward and forward+backward time per element and effective GB/s for catalog activations."""
    names = [parse_spec(a)[0].name for a in activations] if activations else catalog_names()
    devices = tuple(device or available_devices())
    for d in devices:
        if d not in available_devices():
            raise ActlabError(f"device {d!r} is not available here: use one of {', '.join(available_devices())}")
    config = SpeedConfig(
        sizes=tuple(size or DEFAULT_SIZES), repeats=repeats, devices=devices, impl="formula" if formula else "module",
        threads=threads, clock="cpu" if cpu_clock else "wall",
    )
    total = len(names) * len(config.sizes) * len(devices)
    with Progress(console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task("timing", total=total)

        def tick(name: str, dev: str, n: int) -> None:
            bar.update(task, advance=1, description=f"{name} on {dev}, {n:,} elements")

        rows = measure(names, config, progress=tick)
    if as_json:
        emit_json({
            "impl": config.impl, "clock": config.clock, "threads": threads or None,
            "byte_model": "forward 8 B/elem, fwd+bwd 20 B/elem, copy 8 B/elem",
            "rows": [r.as_dict() for r in rows],
        })  # fmt: skip
        return
    clock = "thread CPU time" if cpu_clock else "wall time"
    table = Table(title=f"actlab bench ({config.impl}, {clock}; ns per element; GB/s effective)")
    for col in ("activation", "device", "elements", "fwd ns", "fwd GB/s", "fwd+bwd ns", "fwd+bwd GB/s",
                "copy GB/s", "fwd / copy"):
        table.add_column(col, justify="right" if col not in ("activation", "device") else "left", overflow="fold")
    for r in rows:
        table.add_row(r.activation, r.device, f"{r.size:,}", f"{r.forward_ns:.3f}", f"{r.forward_gbps:.1f}",
                      f"{r.fwd_bwd_ns:.3f}", f"{r.fwd_bwd_gbps:.1f}", f"{r.copy_gbps:.1f}", f"{r.forward_vs_copy:.2f}x")
    console.print(table)
    console.print("fwd / copy: the forward pass's time in units of a plain memory copy of the same tensor "
                  "(1.00x = at the memory limit).")
