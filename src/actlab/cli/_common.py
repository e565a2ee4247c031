"""Helpers shared by the command modules: JSON output, consoles, and option checks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from actlab.errors import ActlabError
from actlab.plain import plain

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")]

console = Console()  # results
err_console = Console(stderr=True)  # progress bars and notes, so that --json keeps stdout clean


def emit_json(value: Any) -> None:
    """Print one JSON document on stdout and nothing else."""
    sys.stdout.write(json.dumps(plain(value), ensure_ascii=False, indent=2, allow_nan=False) + "\n")


def output_file(path: Path, suffixes: tuple[str, ...] = (".png", ".svg", ".pdf")) -> Path:
    """Check that a file can be written at ``path`` before any work is done."""
    if not path.parent.is_dir():
        raise ActlabError(f"cannot write {path}: folder {path.parent} does not exist (create it first)")
    if path.suffix.lower() not in suffixes:
        raise ActlabError(f"cannot write {path}: use a file name ending in {', '.join(suffixes)}")
    return path
