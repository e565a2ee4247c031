"""Plain JSON values: what every ``--json`` output, run folder and report writes."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def plain(value: Any) -> Any:
    """``value`` as plain JSON types: dict keys as text, tuples as lists, paths as text, and non-finite
    floats as ``None`` (JSON has no inf or NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
