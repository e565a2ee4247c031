"""Checks shared by the command-line tests: a one-line error, and the number of runs a store holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def one_line_error(result: Any, fragment: str) -> None:
    """``result`` (a CLI run) failed with exit code 2 and exactly one ``actlab: error:`` line holding ``fragment``."""
    assert result.code == 2, (result.out, result.err)
    assert result.err.count("\n") == 1 and result.err.startswith("actlab: error: "), result.err
    assert fragment in result.err, result.err


def count_runs(db: Path) -> int:
    """Runs stored in ``db``, read without writing (0 while it does not exist or its schema is being made)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is being created
        return 0
