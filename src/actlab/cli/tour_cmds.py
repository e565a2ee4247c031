"""``actlab tour``: the lesson, section by section, each claim checked by measurement.

Parses the options, calls :func:`actlab.tour.api.take_tour` and renders its document for the terminal (or its
JSON); the words and their order come from the library, as in the HTML and Markdown report.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.rule import Rule
from rich.table import Table as RichTable

from actlab.cli import app
from actlab.cli._common import console, emit_json, err_console
from actlab.cli._train_options import DeviceOpt

if TYPE_CHECKING:
    from actlab.tour.document import Block, Document


def _markup(text: str) -> str:
    """Rich markup for document text: escaped, with code (between backticks) in cyan."""
    from actlab.tour.document import spans

    return "".join(f"[cyan]{escape(p)}[/]" if code else escape(p) for p, code in spans(text))


def _print_block(block: Block) -> None:
    from actlab.tour.document import ClaimBlock, Code, FigureBlock, Paragraph, TableBlock, verdict_colour

    if isinstance(block, Paragraph):
        console.print(_markup(block.text), highlight=False)
    elif isinstance(block, Code):
        for line in block.lines:
            console.print(f"  [cyan]{escape(line)}[/]", highlight=False)
    elif isinstance(block, TableBlock):
        table = RichTable(show_lines=False)
        for column in block.columns:
            table.add_column(_markup(column), overflow="fold")
        for r, row in enumerate(block.rows):
            cells = [_markup(c) for c in row]
            if block.verdicts is not None:
                cells[-1] = f"[bold {verdict_colour(block.verdicts[r])}]{cells[-1]}[/]"
            table.add_row(*cells)
        console.print(table)
    elif isinstance(block, FigureBlock):
        console.print(f"  [dim]{block.name}.png: {_markup(block.caption)}[/]", highlight=False)
    elif isinstance(block, ClaimBlock):
        console.print(
            f"  [bold {verdict_colour(block.verdict)}]{escape(block.verdict_text)}[/] {_markup(block.statement)}  "
            f"[dim]({_markup(block.evidence)})[/]",
            highlight=False,
        )


def _print_document(doc: Document) -> None:
    console.print(f"[bold]{escape(doc.title)}[/]")
    for notice in doc.notices:
        console.print(f"[yellow]{_markup(notice)}[/]", highlight=False)
    console.print(_markup(doc.intro), highlight=False)
    console.print()
    for section in doc.sections:
        console.print(Rule(f"[bold]{escape(section.title)}[/]", align="left"))
        for block in section.blocks:
            _print_block(block)
        console.print()


@app.command()
def tour(
    out: Annotated[
        Path | None, typer.Option(help="Write report.html, report.md and figures/ into this folder.")
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of every explanation: en or zh.")] = "en",
    full: Annotated[bool, typer.Option("--full", help="More seeds and steps: tighter intervals, slower.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Measure again instead of reusing stored results.")] = False,
    db: Annotated[
        Path | None, typer.Option(help="Results store (default: $ACTLAB_DB or ./actlab-runs/actlab.db).")
    ] = None,
    device: DeviceOpt = "cpu",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the measurements and verdicts as one JSON document.")
    ] = False,
) -> None:
    """Walk through the ReLU lesson and check each of its claims by measurement (about a minute)."""
    from actlab.tour.api import take_tour
    from actlab.tour.config import TourConfig
    from actlab.tour.words import tour_say
    from actlab.training.device import resolve_device

    config = TourConfig.full() if full else TourConfig.quick()
    config = dataclasses.replace(config, device=resolve_device(device))

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task("actlab tour", total=None)

        def progress(section: str, what: str) -> None:  # called only once take_tour has checked lang
            title = tour_say(lang, section + ".title")
            bar.update(task, description=title + (f": {what}" if what else ""))

        output = take_tour(config, lang, out, db, fresh, progress)
    if as_json:
        emit_json(output.to_json())
        return
    _print_document(output.document)
    console.print(f"[dim]{escape(output.closing)}[/]")
    for kind, path in output.paths.items():
        console.print(f"{kind}: {path}")
