"""Own data from a CSV file: one point per line, ``x1,x2,label``.

A first line without a single number is a header and skipped; blank lines and lines starting with ``#``
are skipped; fields may be separated by commas, semicolons, tabs or spaces. Labels are 0 and 1 (TF
Playground's -1 and 1 are read as 0 and 1). Every error names its line.
"""

from __future__ import annotations

import math
import re

from actlab.errors import ActlabError
from actlab.serve.limits import Limits

SEPARATORS = re.compile(r"[,;\t ]+")
LABELS = {-1.0: 0, 0.0: 0, 1.0: 1}


def parse_points(text: str, limits: Limits) -> tuple[tuple[float, float, int], ...]:
    """The points of a CSV text, checked against the square and the point limit."""
    low, high = limits.square
    points: list[tuple[float, float, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = SEPARATORS.split(line)
        values = _numbers(fields)
        if values is None:
            if not points and number == _first_content_line(text) and not any(map(_is_number, fields)):
                continue  # a header
            raise ActlabError(f"CSV line {number}: expected three finite numbers x1,x2,label, got {line[:60]!r}")
        x1, x2, label = values
        if not (low <= x1 <= high and low <= x2 <= high):
            raise ActlabError(
                f"CSV line {number}: the point ({x1:g}, {x2:g}) is outside the square [{low:g}, {high:g}]²"
            )
        if label not in LABELS:
            raise ActlabError(f"CSV line {number}: the label {label:g} is not 0 or 1 (or -1)")
        points.append((x1, x2, LABELS[label]))
        if len(points) > limits.max_points:
            raise ActlabError(f"CSV: more than {limits.max_points} points; keep at most {limits.max_points}")
    if not points:
        raise ActlabError("CSV: no points found; write one point per line as x1,x2,label (label 0 or 1)")
    return tuple(points)


def _numbers(fields: list[str]) -> tuple[float, float, float] | None:
    if len(fields) != 3:
        return None
    try:
        x1, x2, label = (float(f) for f in fields)
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (x1, x2, label)):
        return None
    return x1, x2, label


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _first_content_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.strip().startswith("#"):
            return number
    return 0
