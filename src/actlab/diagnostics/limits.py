"""Size limits: sizes a user types (input shapes, sample counts, network widths) are checked against a
memory limit before anything is allocated, so that a typo refuses in one line instead of exhausting memory.
"""

from __future__ import annotations

from actlab.errors import ActlabError

GiB = 1024**3
MEMORY_LIMIT = 2 * GiB  # the most one tensor or one network built from typed sizes may take
FLOAT_BYTES = 4  # float32, PyTorch's default dtype
MAX_SEEDS = 1_000_000  # born-dead networks per cell


def human_bytes(n: float) -> str:
    """``3 * 1024**3 -> "3 GiB"``, ``1.5e12 -> "1.4 TiB"``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if n == int(n) and n < 1e6 else f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def check_values(what: str, values: int, hint: str, limit: int = MEMORY_LIMIT) -> None:
    """Refuse ``values`` float32 numbers for ``what`` when they would take more than ``limit`` bytes."""
    needed = values * FLOAT_BYTES
    if needed > limit:
        count = f"{values:,}" if values < 10**15 else f"{values:.3g}"
        raise ActlabError(
            f"{what} needs {count} float32 values ({human_bytes(needed)}), over the limit of "
            f"{human_bytes(limit)} ({limit // FLOAT_BYTES:,} values): {hint}"
        )
