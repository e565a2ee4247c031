"""``actlab diagnose`` and ``actlab born-dead``: dead, saturated and sparse units, gradients, collapse."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.cells import cell_len
from rich.markup import escape
from rich.table import Table

from actlab.cli import app
from actlab.cli._common import JsonOpt, comma_list, console, emit_json, fail_after_output, output_file
from actlab.cli._train_options import DeviceOpt
from actlab.errors import ActlabError
from actlab.util.outputs import write_or_explain

if TYPE_CHECKING:
    from actlab.diagnostics import Report

SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


@app.command()
def diagnose(
    run_dir: Annotated[
        Path | None, typer.Argument(help="A run folder written by `actlab train`; its training data is used.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="Your own model: FILE.py:FACTORY, a function that returns an nn.Module."),
    ] = None,
    input_shape: Annotated[
        str | None,
        typer.Option(help="With --model: standard-normal inputs of this shape, batch first, e.g. 64,3,32,32."),
    ] = None,
    inputs: Annotated[
        Path | None, typer.Option(help="With --model: a .pt file holding an input tensor or (inputs, targets).")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="With --model: seconds your code may run (loading, factory, passes) before it is stopped "
            "(default 60).",
            show_default=False,
        ),
    ] = None,
    samples: Annotated[int, typer.Option(help="For a run folder: inputs drawn from its training distribution.")] = 4096,
    batch_size: Annotated[int, typer.Option(help="Inputs per forward pass.")] = 256,
    seed: Annotated[int, typer.Option(help="Seed of the random inputs and of the gradient probe.")] = 0,
    backward: Annotated[
        bool, typer.Option("--backward/--no-backward", help="Also backpropagate, for the gradient picture.")
    ] = True,
    lang: Annotated[str, typer.Option(help="Language of the report: en or zh (JSON keys stay English).")] = "en",
    plot: Annotated[Path | None, typer.Option(help="Write per-layer bars to this PNG/SVG/PDF file.")] = None,
    tensorboard: Annotated[
        Path | None, typer.Option(help="Also write the report as TensorBoard scalars to this folder.")
    ] = None,
    device: DeviceOpt = "cpu",
    as_json: JsonOpt = False,
) -> None:
    """Diagnose a network: dead, saturated and sparse units, gradient norms from input to output, collapse.

    Either a run saved by `actlab train` (over its training distribution, with its own loss), or your own
    model with --model FILE.py:FACTORY and --input-shape or --inputs (gradients from a random probe); your
    model's code runs in a separate process, stopped after --timeout seconds, its printed output on stderr.
    """
    from actlab.diagnostics.verdicts import labels
    from actlab.training.diagnose_run import diagnose_target

    if plot is not None:
        output_file(plot)
    if tensorboard is not None:
        from actlab.diagnostics.tensorboard import check_log_dir

        check_log_dir(tensorboard)
    report, what = diagnose_target(
        run_dir,
        model,
        input_shape=_ints("--input-shape", input_shape) if input_shape is not None else None,
        inputs=inputs,
        timeout=timeout,
        samples=samples,
        batch_size=batch_size,
        seed=seed,
        backward=backward,
        lang=lang,
        device=device,
    )
    not_drawn = not_logged = ""
    if plot is not None:
        from actlab.plots.diagnostics import report_figure, save

        not_drawn = write_or_explain(lambda: save(report_figure(report, title=what), plot), plot)
    if tensorboard is not None:
        from actlab.diagnostics.tensorboard import write_report

        not_logged = write_or_explain(lambda: write_report(report, tensorboard), tensorboard)
    problems, drawn = [not_drawn, not_logged], plot is not None and not not_drawn
    if as_json:
        emit_json({"model": what, **report.to_dict(), "plot": str(plot) if drawn else None})
        fail_after_output(problems)
        return
    _render(report, what)
    if drawn:
        console.print(escape(labels(lang)["plot"].format(path=plot)), highlight=False)
    fail_after_output(problems)


@app.command("born-dead")
def born_dead(
    width: Annotated[str, typer.Option(help="Hidden widths, comma-separated.")] = "2,3,4,8",
    depth: Annotated[str, typer.Option(help="Numbers of hidden layers, comma-separated.")] = "5,10,20,50",
    seeds: Annotated[int, typer.Option(help="Networks initialised per cell (seeds 0 .. N-1).")] = 100,
    activation: Annotated[str, typer.Option(help="Catalog name of the hidden activation.")] = "relu",
    init: Annotated[str, typer.Option(help="Init scheme of actlab.nets.init: he, default, xavier, ...")] = "he",
    as_json: JsonOpt = False,
) -> None:
    """How often deep narrow networks are born dead: collapsed (constant output) at initialisation."""
    from actlab.diagnostics import born_dead_table
    from actlab.diagnostics.collapse import check_seeds

    check_seeds(seeds, "--seeds ")
    widths, depths = _ints("--width", width), _ints("--depth", depth)
    cells = born_dead_table(widths, depths, seeds, activation=activation, init=init)
    if as_json:
        emit_json([c.as_dict() for c in cells])
        return
    table = Table(title=f"born-dead {activation} networks ({init} init, {seeds} seeds per cell)")
    table.add_column("width \\ depth")
    for d in depths:
        table.add_column(str(d), justify="right")
    for w in widths:
        row = [c for c in cells if c.width == w]
        table.add_row(str(w), *(f"{100 * c.fraction:.0f} %" for c in row))
    console.print(table)


# --- parsing -----------------------------------------------------------------------------------------


EXAMPLES = {"--input-shape": "64,3,32,32", "--width": "2,3,4,8", "--depth": "5,10,20,50"}  # what an error suggests


def _ints(option: str, text: str) -> list[int]:
    """``"64,3,32,32"`` -> ``[64, 3, 32, 32]``: whole numbers of at least 1."""
    example = EXAMPLES[option]
    items = comma_list(
        text,
        lambda *_: (
            f"{option} {text!r}: an item is empty; write whole numbers separated by single commas, e.g. {example}"
        ),
    )
    try:
        values = [int(v) for v in items]
    except ValueError:
        raise ActlabError(f"{option} {text!r}: write whole numbers separated by commas, e.g. {example}") from None
    if any(v < 1 for v in values):
        raise ActlabError(f"{option} {text!r}: every number must be at least 1")
    return values


# --- rendering ---------------------------------------------------------------------------------------


def _fraction(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"


def _render(report: Report, what: str) -> None:
    from actlab.diagnostics.verdicts import labels

    words = labels(report.lang)
    title = words["title"].format(what=what, sites=len(report.sites), inputs=f"{report.inputs:,}")
    table = Table(title=escape(title))
    for col in ("site", "kind", "units", "dead", "sparsity", "near 0", "saturated", "post", "grad"):
        table.add_column(words[col], justify="left" if col in ("site", "kind") else "right")
    for s in report.sites:
        dead_style = "bold red" if s.dead == s.units else "yellow" if s.dead else ""
        table.add_row(
            escape(s.name),
            s.display + ("" if s.source == "module" else words["functional"]),
            str(s.units),
            f"[{dead_style}]{s.dead}[/]" if dead_style else str(s.dead),
            _fraction(s.sparsity),
            _fraction(s.near_zero),
            _fraction(s.saturation),
            f"{_number(s.post_mean)} ± {_number(s.post_std)}",
            _number(s.grad_norm),
        )
    console.print(table)
    if report.layers and any(x.grad_norm is not None for x in report.layers):
        chain = "  →  ".join(f"{x.name} {_number(x.grad_norm)}" for x in report.layers)
        console.print(escape(words["gradient chain"].format(chain=chain)), highlight=False)
    answer = words["yes"] if report.collapsed else words["no"]
    console.print(escape(words["collapsed"].format(answer=answer)), highlight=False)
    width = max(cell_len(words[s]) for s in SEVERITY_STYLE)
    for v in report.verdicts:
        severity = words[v.severity]
        padded = " " * (width - cell_len(severity)) + severity
        console.print(f"[{SEVERITY_STYLE[v.severity]}]{padded}[/] {escape(v.text)}", highlight=False)
