"""What every actlab figure shares (headless: the Agg backend, files only): a line style per series that
keeps overlapping curves visible, saving, and a CJK font for Chinese labels."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure

# Series i gets style i. Each later series is thinner, broken by gaps and drawn above the earlier ones, so a
# curve lying exactly on another (relu and leaky_relu for x > 0) still shows on both sides and in the gaps.
LINE_STYLES: tuple[tuple[Any, float], ...] = (
    ("-", 3.6),
    ((0, (4, 3)), 1.6),
    ((0, (1, 2)), 1.4),
    ((0, (7, 2, 1, 2)), 1.1),
    ((0, (2, 2)), 1.0),
    ("-", 0.8),
)


MARKERS = ("o", "s", "^", "D", "v", "P")  # one per series, for plots with a few points per line


def line_style(i: int, markers: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``ax.plot`` of the ``i``-th series: colour, dash pattern, width, drawing order and,
    with ``markers``, a marker whose size shrinks like the line width."""
    dashes, width = LINE_STYLES[i % len(LINE_STYLES)]
    style: dict[str, Any] = {"color": f"C{i % 10}", "ls": dashes, "lw": width, "zorder": 2 + i / 100}
    if markers:
        style |= {"marker": MARKERS[i % len(MARKERS)], "ms": 3 + 5 / (1 + i), "mew": 0}
    return style


def save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


@lru_cache(maxsize=8)
def find_font(families: tuple[str, ...]) -> str | None:
    """The first of ``families`` that matplotlib's font manager can use, or ``None``.

    Matplotlib caches its font list when it first runs; a font installed since is missing from it, so when
    none of ``families`` is listed, the system's font files not yet known are added once and looked up again.
    """
    manager = font_manager.fontManager
    found = _first_known(families)
    if found is None:
        known = {f.fname for f in manager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known:
                try:
                    manager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # a broken or unsupported font file: not ours to fix
                    continue
        found = _first_known(families)
    return found


def _first_known(families: tuple[str, ...]) -> str | None:
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in families if name in names), None)


@contextmanager
def text_font(family: str) -> Iterator[None]:
    """Within the block, figures write their text in ``family``, falling back glyph by glyph to matplotlib's
    own DejaVu Sans for what it lacks (mathematical signs, for instance). Text is laid out when a figure is
    saved: save inside the block."""
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": [family, "DejaVu Sans"]}):
        yield
