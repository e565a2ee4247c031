"""Helpers shared by the command modules: JSON output, consoles, tables, and option parsing and checks."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from actlab.errors import ActlabError
from actlab.experiments.store import DEFAULT_PATH, ENV_VAR, default_path
from actlab.util.outputs import prepare_output_file
from actlab.util.plain import plain

if TYPE_CHECKING:
    from rich.table import Table

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")]
DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help=f"Results database (default ${ENV_VAR}, else ./{DEFAULT_PATH.as_posix()}); missing folders are created.",
    ),
]

console = Console()  # results
err_console = Console(stderr=True)  # progress bars and notes, so that --json keeps stdout clean


def emit_json(value: Any) -> None:
    """Print one JSON document on stdout and nothing else."""
    sys.stdout.write(json.dumps(plain(value), ensure_ascii=False, indent=2, allow_nan=False) + "\n")


PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def output_file(path: Path, suffixes: tuple[str, ...] = PLOT_SUFFIXES) -> Path:
    """Check that a file (a plot, by default) can be written at ``path`` before any work is done; missing
    folders are created (see :mod:`actlab.util.outputs`)."""
    return prepare_output_file(path, suffixes)


def fail_after_output(problems: list[str]) -> None:
    """After the results were shown: report the outputs that could not be written (one line, exit 2)."""
    problems = [p for p in problems if p]
    if problems:
        raise ActlabError("; ".join(problems) + " (the work itself is done: its results are above)")


def counted(count: int, noun: str) -> str:
    """``1 run``, ``2 runs``."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def print_table(table: Table) -> None:
    """Print a table whole, never cutting a value. Into a pipe or file it is as wide as its widest cells,
    even wider than ``COLUMNS``. On a terminal too narrow for it, the widest cells (a long activation spec
    first) fold onto further lines rather than being cut or run past the edge."""
    from rich.measure import Measurement

    needed = Measurement.get(console, console.options.update_width(10_000), table).maximum
    if needed <= console.width:
        console.print(table)
    elif console.is_terminal:
        for column in table.columns:
            column.no_wrap = False  # Rich crops a no_wrap cell that does not fit; a wrapping one folds
        console.print(table)
    else:
        width = console.width
        console.width = needed  # print(width=...) cannot go beyond the console's width
        try:
            console.print(table)
        finally:
            console.width = width


def comma_list(text: str, empty: Callable[[int, int, str], str]) -> list[str]:
    """The items of a comma-separated option value, each stripped of spaces: ``"16, 16"`` -> ``["16", "16"]``.

    An empty item (two commas in a row, one at an end, or no text at all) raises :class:`ActlabError` with
    the message ``empty(position, count, fixed)``: the first empty item's place (1-based), the number of
    items, and the value without its empty items (``16,16`` for ``16,,16``)."""
    items = [item.strip() for item in text.split(",")]
    if "" in items:
        raise ActlabError(empty(items.index("") + 1, len(items), ",".join(item for item in items if item)))
    return items


def prepare_store(db: Path | None) -> Path:
    """The results database a writing command will use (``--db``, else ``$ACTLAB_DB``, else the default),
    checked and its missing folders created before any work (see :mod:`actlab.util.outputs`)."""
    path = db if db is not None else default_path()
    return path if str(path) == ":memory:" else prepare_output_file(path, what="the results database")
