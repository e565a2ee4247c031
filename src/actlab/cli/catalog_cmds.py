"""``actlab list``, ``show``, ``plot`` and ``demo``: the catalog and the lesson's worked examples.

torch and matplotlib are imported inside the commands that need them: ``list`` needs neither, ``show`` needs
torch for its example, and only a plot needs matplotlib.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from actlab.catalog.entries import CATALOG, parse_spec
from actlab.cli import app
from actlab.cli._common import JsonOpt, console, emit_json, output_file

ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="A hyper-parameter as key=value, e.g. -p negative_slope=0.1."),
]


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def _fmt_float(values: list[float]) -> str:
    """Like Python prints floats: ``[6.6, 3.8, 1.3, 1.3, 0.0]``."""
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


@app.command("list")
def list_cmd(as_json: JsonOpt = False) -> None:
    """List every activation in the catalog: name, formula, output range, key properties."""
    from rich.table import Table

    if as_json:
        emit_json([e.as_dict(e.resolve()) for e in CATALOG.values()])
        return
    table = Table(title="actlab catalog", show_lines=False)
    for col in ("name", "aliases", "formula", "range", "properties", "year"):
        table.add_column(col, overflow="fold")
    for e in CATALOG.values():
        table.add_row(
            e.name, ", ".join(e.aliases), e.formula, str(e.range_for()), e.properties.short(), str(e.year or "")
        )
    console.print(table)
    console.print(
        "properties: mono = monotonic, zero-c = zero-centred, C¹ = smooth, sat = saturating, "
        "zeros = exact zeros for a whole interval. `actlab show NAME` for details."
    )


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="Catalog name or alias, e.g. relu, swish, lrelu.")],
    param: ParamOpt = None,
    out: Annotated[Path | None, typer.Option(help="Write a plot of f and f' to this PNG/SVG/PDF file.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one activation: formula, derivative, range, properties, reference, and the lesson's example."""
    from actlab.catalog.demo import example_values

    entry, params = parse_spec(name, param or ())
    if out is not None:
        output_file(out)
    example = example_values(entry, params)
    if out is not None:
        from actlab.plots.catalog import activation_figure
        from actlab.plots.style import save

        save(activation_figure([(entry, params)]), out)
    if as_json:
        emit_json({**entry.as_dict(params), "params": params, "example": example, "plot": str(out) if out else None})
        return
    console.print(f"[bold]{entry.name}[/bold]" + (f"  (aliases: {', '.join(entry.aliases)})" if entry.aliases else ""))
    console.print(f"  {entry.summary}")
    rows = [
        ("formula", entry.formula),
        ("derivative", entry.derivative),
        ("at kinks", entry.kinks),
        ("range", str(entry.output_range(params))),
        ("properties", ", ".join(k for k, v in entry.properties.as_dict().items() if v) or "none"),
        ("parameters", ", ".join(f"{k}={v}" for k, v in params.items()) or "none"),
        ("reference", f"{entry.reference}" + (f" ({entry.year})" if entry.year else "")),
        ("PyTorch", entry.torch_name or "none"),
    ]
    for key, value in rows:
        console.print(f"  {key:<11} {value}", highlight=False)
    console.print(f"  example     x = {_fmt(example['x'])} -> {entry.name}(x) = {_fmt(example['y'])}", highlight=False)
    console.print(f"              f'(x) = {_fmt(example['dy'])}", highlight=False)
    if out is not None:
        console.print(f"  plot        {out}")


@app.command()
def plot(
    names: Annotated[list[str], typer.Argument(help="Catalog names, optionally name:key=value,...")],
    out: Annotated[Path, typer.Option(help="PNG/SVG/PDF file to write.")],
    low: Annotated[float, typer.Option(help="Left end of the x axis.")] = -5.0,
    high: Annotated[float, typer.Option(help="Right end of the x axis.")] = 5.0,
    as_json: JsonOpt = False,
) -> None:
    """Plot several activations and their derivatives on one figure."""
    from actlab.plots.catalog import activation_figure, check_x_range
    from actlab.plots.style import save

    check_x_range(low, high)
    output_file(out)
    specs = [parse_spec(n) for n in names]

    save(activation_figure(specs, low, high), out)
    if as_json:
        emit_json({"plot": str(out), "activations": [e.name for e, _ in specs]})
    else:
        console.print(f"wrote {out}")


@app.command()
def demo(
    activation: Annotated[str, typer.Option(help="Catalog name for the layer's activation.")] = "relu",
    param: ParamOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the lesson's worked example: input [5, 3] through its 2x5 layer and an activation."""
    from actlab.catalog.demo import run_demo

    entry, _ = parse_spec(activation, param or ())
    spec = activation if not param else f"{entry.name}:{','.join(param)}"
    result = run_demo(spec)
    if as_json:
        emit_json(result.as_dict())
        return
    console.print("The lesson's layer: hidden = input @ W + b, then the activation.", highlight=False)
    console.print(f"  input = {_fmt(result.input)}", highlight=False)
    for j, step_text in enumerate(result.steps):
        console.print(f"  unit {j + 1}: {step_text}", highlight=False)
    console.print(f"  pre-activation = {_fmt_float(result.pre_activation)}", highlight=False)
    console.print(f"  {result.activation}(pre-activation) = {_fmt_float(result.output)}", highlight=False)
    console.print(f"  slope {result.activation}'(pre-activation) = {_fmt_float(result.derivative)}", highlight=False)
