"""Helpers shared by the command modules: JSON output, consoles, and option checks."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from actlab.errors import ActlabError
from actlab.experiments.store import default_path
from actlab.util.outputs import prepare_output_file
from actlab.util.plain import plain

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")]

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
