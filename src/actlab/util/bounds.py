"""Size limits: sizes a user types (input shapes, sample counts, network widths and depths) are checked
before anything is allocated or run, so that a typo refuses in one line instead of exhausting memory or
running for hours: against a memory limit (:func:`check_values`), a depth limit, and a limit on the work of
one request (:func:`check_work`).
"""

from __future__ import annotations

from actlab.errors import ActlabError

GiB = 1024**3
MEMORY_LIMIT = 2 * GiB  # the most one tensor or one network built from typed sizes may take
FLOAT_BYTES = 4  # float32, PyTorch's default dtype
MAX_SEEDS = 1_000_000  # born-dead networks per cell
MAX_SEED = 2**32 - 1  # any seed (NumPy's range); actlab adds offsets of about 10**6 to some, below 2**63
MAX_DEPTH = 1000  # hidden layers of one network: a deeper stack of modules takes minutes to build and run
MAX_LAYERS = 1_000_000  # layers one request builds in all (born-dead: seeds x depths): ~0.3 ms of CPU each
MAX_MULTIPLY_ADDS = 10**11  # multiply-adds of one request's forward passes: about a minute on one core
MAX_INPUTS = 100_000  # inputs one diagnose pass runs through a model: more sharpens no fraction it reports


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


def check_depth(what: str, depth: int) -> None:
    """Refuse a network of more than :data:`MAX_DEPTH` hidden layers."""
    if depth > MAX_DEPTH:
        raise ActlabError(f"{what}: {depth:,} hidden layers are more than the limit of {MAX_DEPTH:,}")


def check_work(what: str, layers: int, multiply_adds: int, hint: str) -> None:
    """Refuse a request that builds more than :data:`MAX_LAYERS` layers or runs more than
    :data:`MAX_MULTIPLY_ADDS` multiply-adds: it would take many minutes."""
    if layers > MAX_LAYERS:
        raise ActlabError(f"{what} builds {layers:,} layers, more than the limit of {MAX_LAYERS:,}: {hint}")
    if multiply_adds > MAX_MULTIPLY_ADDS:
        raise ActlabError(
            f"{what} takes {multiply_adds:.3g} multiply-adds, more than the limit of {MAX_MULTIPLY_ADDS:.0e}: {hint}"
        )


def check_seed(seed: int, name: str = "seed=") -> int:
    """A seed: a whole number from 0 to :data:`MAX_SEED`; ``name`` starts the message (``"--seed "``)."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ActlabError(f"{name}{seed!r} must be a whole number (a seed)")
    if not 0 <= seed <= MAX_SEED:
        raise ActlabError(f"{name}{seed} must be {'>= 0' if seed < 0 else f'at most {MAX_SEED:,}'} (a seed)")
    return seed
