"""The tour's figures show what they claim to, read from matplotlib's own artists: one colour per class in a
decision map, overlapping curves that stay visible, a legend that covers no bar, readable titles; and the
report around them: no stray backticks, CJK fonts named, an honest note when Chinese labels cannot be drawn."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgb
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox

from actlab.catalog.entries import lookup
from actlab.nets.mlp import MLP
from actlab.nets.tasks import get_task
from actlab.plots.catalog import activation_figure
from actlab.plots.fonts import CJK_FONTS
from actlab.plots.style import find_font, plt
from actlab.plots.training import decision_figure, extrapolation_figure, line_formula
from actlab.tour.addition import circle_figure
from actlab.tour.figures import error_bars, per_layer_lines, rendered
from actlab.tour.render import CSS, render_html, render_markdown
from actlab.tour.results import Figure as TourFigure
from actlab.tour.results import Section, TourResult

# class 1 (logit 1 > logit 0) exactly where a > 0: both classes in every map
SPLIT = MLP.from_weights([[[-1.0, 0.0], [1.0, 0.0]]], activation="identity")
NONE = MLP.from_weights([[[0.0, 0.0], [0.0, 0.0]]], activation="identity")  # class 0 everywhere (argmax of a tie)


def _rgb(colours: np.ndarray) -> set[tuple[float, ...]]:
    return {tuple(np.round(c[:3], 4)) for c in colours}


def _class_colours(ax: plt.Axes, y: torch.Tensor) -> tuple[list[set[tuple[float, ...]]], list[set[tuple[float, ...]]]]:
    """Per class: the colours of its predicted region (filled contour level k) and of its sample points."""
    regions = next(c for c in ax.collections if isinstance(c, ContourSet))
    assert list(regions.levels) == [-0.5, 0.5, 1.5]  # level k is class k
    points = next(c for c in ax.collections if not isinstance(c, ContourSet))
    faces = points.get_facecolors()
    fill = [_rgb(regions.get_facecolor()[k : k + 1]) for k in range(2)]
    dots = [_rgb(faces[(y == k).numpy()]) for k in range(2)]
    return fill, dots


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tour_circle_map_colours_a_class_alike_in_region_and_points_with_a_legend(lang: str) -> None:
    task = get_task("circle")
    _, y = task.sample(600, torch.Generator().manual_seed(1), "train")  # the figure's own samples
    fig = circle_figure({"identity": SPLIT, "relu": NONE}, lang)
    for ax in fig.axes:
        fill, dots = _class_colours(ax, y)
        assert fill[0] == dots[0] and fill[1] == dots[1]  # red dots sit in a red region when classified right
        assert fill[0] != fill[1]
    (legend,) = fig.legends
    handles = legend.legend_handles
    labels = [t.get_text() for t in legend.get_texts()]
    assert len(labels) == 4 and all(re.search(r"[01]", t) for t in labels)  # both classes, region and points
    region_colours = [tuple(np.round(to_rgb(h.get_facecolor()), 4)) for h in handles[:2]]
    point_colours = [tuple(np.round(to_rgb(h.get_color()), 4)) for h in handles[2:]]
    assert region_colours == point_colours == [next(iter(c)) for c in fill]
    plt.close(fig)


def test_decision_figure_of_train_uses_the_same_colours() -> None:
    task = get_task("gauss")
    x, y = task.sample(200, torch.Generator().manual_seed(0))
    fig = decision_figure(SPLIT, task, x, y, points=40)
    fill, dots = _class_colours(fig.axes[0], y)
    assert fill == dots and fill[0] != fill[1]
    assert fig.legends and len(fig.legends[0].get_texts()) == 5  # two regions, two kinds of points, the box
    plt.close(fig)


def _pixels(fig: Figure) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)


def visible_share(fig: Figure, line: Line2D) -> float:
    """Of the pixels ``line`` paints when drawn alone, the share that still shows its colour with everything
    else drawn (legends left out: their samples are not the curve)."""
    for ax in fig.axes:
        if ax.get_legend() is not None:
            ax.get_legend().set_visible(False)
    colour = np.array(to_rgb(line.get_color())) * 255
    near = 40.0  # RGB distance: the line's colour, allowing for anti-aliasing at its edges
    everything = np.linalg.norm(_pixels(fig) - colour, axis=2) < near
    others = [a for ax in fig.axes for a in (*ax.lines, *ax.collections, *ax.patches) if a is not line]
    shown = [a for a in others if a.get_visible()]
    for a in shown:
        a.set_visible(False)
    alone = np.linalg.norm(_pixels(fig) - colour, axis=2) < near
    for a in shown:
        a.set_visible(True)
    return float((alone & everything).sum() / alone.sum())


def _named_lines(fig: Figure) -> list[Line2D]:
    return [line for ax in fig.axes for line in ax.lines if not line.get_label().startswith("_")]


def test_relu_stays_visible_under_leaky_relu_in_the_definition_figure() -> None:
    """Section 2: relu and leaky_relu coincide for x > 0 (and nearly below): each curve keeps at least a fifth of
    its own pixels in view (before: relu 0 % in f and 13 % in f')."""
    fig = activation_figure([(lookup(n), lookup(n).resolve()) for n in ("relu", "leaky_relu", "sigmoid", "tanh")])
    lines = _named_lines(fig)
    assert len(lines) == 8
    for line in lines:
        assert visible_share(fig, line) >= 0.2, line.get_label()
    styles = {(str(line.get_linestyle()), line.get_linewidth()) for line in lines[:4]}
    assert len(styles) == 4  # and each curve has its own dash pattern or width
    plt.close(fig)


def test_coinciding_gradient_profiles_stay_visible() -> None:
    """Section 3: relu, leaky_relu and tanh keep nearly the same gradient at every layer."""
    same = [0.05, 0.055, 0.06, 0.065, 0.07]
    profiles = {
        "relu": same,
        "leaky_relu": same,
        "sigmoid": [1e-5, 1e-4, 1e-3, 1e-2, 0.07],
        "tanh": [v * 1.02 for v in same],
        "gelu": [0.04, 0.04, 0.05, 0.06, 0.07],
        "silu": [0.02, 0.025, 0.03, 0.04, 0.07],
    }
    fig = per_layer_lines(profiles, "layer", "gradient", "title")
    for line in _named_lines(fig):
        assert visible_share(fig, line) >= 0.2, line.get_label()
    assert len({line.get_marker() for line in _named_lines(fig)}) == 6
    plt.close(fig)


def test_error_bar_legend_covers_no_bar() -> None:
    """Section 4's bars (the numbers of a quick run): the legend's box overlaps no bar's box."""
    inside = {
        "relu": (0.029, 0.006),
        "leaky_relu": (0.028, 0.009),
        "sigmoid": (0.28, 0.06),
        "tanh": (0.076, 0.012),
        "identity": (2.9e-7, 6e-8),
    }
    outside = {
        "relu": (0.92, 0.4),
        "leaky_relu": (0.83, 0.5),
        "sigmoid": (53.6, 0.6),
        "tanh": (51.9, 0.6),
        "identity": (2.9e-6, 8e-7),
    }
    groups = {"add inside": inside, "add outside": outside, "sub inside": inside, "sub outside": outside}
    fig = error_bars(groups, "error", "title")
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    bars = [Bbox.intersection(p.get_window_extent(), ax.bbox) for p in ax.patches]
    assert len(bars) == 20 and all(b is not None for b in bars)
    assert not any(legend.overlaps(b) for b in bars if b is not None)
    plt.close(fig)


def test_extrapolation_figure_reads_in_plain_words() -> None:
    """Section 4's title was "add: prediction vs truth along a = t, b = 0 + (t − 0)/2"."""
    task = get_task("add")
    assert line_formula(task) == "a = t, b = t/2"
    assert line_formula(get_task("add", train_range=(0.0, 10.0))) == "a = t, b = (t + 5)/2"
    assert line_formula(get_task("add", train_range=(-20.0, 10.0))) == "a = t, b = (t − 5)/2"
    assert line_formula(get_task("sqrt")) == "x = t"
    fig = extrapolation_figure({"relu": NONE}, task)
    ax = fig.axes[0]
    assert ax.get_title() == "add: prediction and truth, inside and far outside the training range"
    assert ax.get_xlabel() == "t, where a = t, b = t/2"
    plt.close(fig)


def _result_with(*sections: Section) -> TourResult:
    return TourResult("quick", 2, list(sections), 1.0)


def _text_of(page: str) -> str:
    """The text a reader sees: tags, and the CSS and inline images inside them, removed."""
    body = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", body))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_shows_code_as_code_not_backticks(lang: str) -> None:
    page = render_html(_result_with(Section(key="s3", paragraphs=[("s3.speed_note", {})])), lang)
    assert "`" not in _text_of(page)
    assert "<code>actlab bench</code>" in page
    markdown = render_markdown(_result_with(Section(key="s3", paragraphs=[("s3.speed_note", {})])), lang)
    assert "`actlab bench`" in markdown  # Markdown's own code markup


def test_css_names_the_common_cjk_fonts_before_the_generic_family() -> None:
    body = re.search(r"body\{font:16px/1\.55 ([^;]+);", CSS)
    assert body is not None
    families = [f.strip().strip('"') for f in body[1].split(",")]
    wanted = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei"]
    assert [f for f in families if f in wanted] == wanted  # all of them, in this order
    assert families[-1] == "sans-serif"


def _blank(lang: str) -> Figure:
    fig, ax = plt.subplots()
    ax.set_title("训练" if lang == "zh" else "training")
    return fig


def test_without_a_cjk_font_the_chinese_report_says_so_once_and_shows_english_figures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from actlab.tour import figures

    monkeypatch.setattr(figures, "find_font", lambda families: None)
    pictures = rendered(_blank)
    assert set(pictures) == {"en"}
    result = _result_with(
        Section(key="s1", figures=[TourFigure("s1-circle", pictures, "fig.s1")]),
        Section(key="s4", figures=[TourFigure("s4-errors", pictures, "fig.s4_errors")]),
    )
    zh = render_html(result, "zh")
    assert zh.count("fonts-noto-cjk") == 1 and zh.count('class="notice"') == 1
    assert zh.count(base64.b64encode(pictures["en"]).decode("ascii")) == 2  # both figures, in English
    assert "fonts-noto-cjk" in render_markdown(result, "zh")
    assert 'class="notice"' not in render_html(result, "en")  # English figures are what English asks for


def test_with_a_cjk_font_every_figure_is_drawn_in_chinese() -> None:
    if find_font(CJK_FONTS) is None:
        pytest.skip("no CJK font on this machine (Debian: fonts-noto-cjk; .ci/run installs it)")
    pictures = rendered(_blank)
    assert set(pictures) == {"en", "zh"} and pictures["en"] != pictures["zh"]
    result = _result_with(Section(key="s1", figures=[TourFigure("s1-circle", pictures, "fig.s1")]))
    assert 'class="notice"' not in render_html(result, "zh")


def test_a_cjk_font_installed_after_matplotlib_cached_its_list_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """Matplotlib keeps its font list from its first run; a CJK font installed since must still be found."""
    import copy

    from matplotlib import font_manager

    from actlab.plots import style as plotting

    if find_font(CJK_FONTS) is None:
        pytest.skip("no CJK font on this machine (Debian: fonts-noto-cjk; .ci/run installs it)")
    listed = font_manager.fontManager.ttflist
    cjk_files = {f.fname for f in listed if f.name in CJK_FONTS}
    stale = copy.copy(font_manager.fontManager)
    stale.ttflist = [f for f in listed if f.fname not in cjk_files]  # as if installed after the list was made
    monkeypatch.setattr(font_manager, "fontManager", stale)
    assert plotting.find_font.__wrapped__(CJK_FONTS) in CJK_FONTS


def test_figures_come_back_from_the_store_in_both_languages(tmp_path: Path) -> None:
    pictures = {"en": b"\x89PNG en", "zh": b"\x89PNG zh"}
    section = Section(key="s1", figures=[TourFigure("s1-circle", pictures, "fig.s1")])
    again = Section.from_dict(section.to_dict())
    assert again.figures[0].png == pictures
    assert again.figures[0].png_for("zh") == b"\x89PNG zh" and again.figures[0].png_for("fr") == b"\x89PNG en"
