"""Helpers shared by the command modules: JSON output, consoles, and option checks."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from actlab.errors import ActlabError

console = Console()  # results
err_console = Console(stderr=True)  # progress bars and notes, so that --json keeps stdout clean


def jsonable(value: Any) -> Any:
    """Plain JSON types; non-finite floats become ``null`` (JSON has no inf or NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def emit_json(value: Any) -> None:
    """Print one JSON document on stdout and nothing else."""
    sys.stdout.write(json.dumps(jsonable(value), ensure_ascii=False, indent=2, allow_nan=False) + "\n")


def output_file(path: Path, suffixes: tuple[str, ...] = (".png", ".svg", ".pdf")) -> Path:
    """Check that a file can be written at ``path`` before any work is done."""
    if not path.parent.is_dir():
        raise ActlabError(f"cannot write {path}: folder {path.parent} does not exist (create it first)")
    if path.suffix.lower() not in suffixes:
        raise ActlabError(f"cannot write {path}: use a file name ending in {', '.join(suffixes)}")
    return path
