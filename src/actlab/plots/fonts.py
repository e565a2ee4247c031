"""Font names that hold the Chinese glyphs, without importing matplotlib: the tour's HTML report names them in
its CSS, and :func:`actlab.plots.style.find_font` looks them up for the figures."""

from __future__ import annotations

# Most common first (Linux, macOS, Windows, older Linux): named by the report's CSS before the generic family,
# and looked up through matplotlib's font manager for the figures.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Droid Sans Fallback",
)
