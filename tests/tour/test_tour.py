"""``actlab tour`` end to end: both languages complete, the report has every section and plot, and it renders
in a real browser (Debian's Chromium). The English run measures; the Chinese run reuses the stored results."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import statistics
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from matplotlib.figure import Figure as MplFigure
from matplotlib.text import Text

from actlab.experiments.stats import Estimate
from actlab.plots.fonts import CJK_FONTS
from actlab.plots.style import find_font, plt
from actlab.tour import claim_verdicts as v
from actlab.tour import findings
from actlab.tour.config import TourConfig
from actlab.tour.render import render_html, render_markdown
from actlab.tour.results import TourResult
from actlab.tour.runner import SECTIONS, run_tour
from actlab.tour.words import tour_say

FIGURES = {"s1-circle", "s2-curves", "s3-gradients", "s4-errors", "s4-extrapolation", "s5-dead"}
CLAIMS = {
    "claim.nonlinearity",
    "claim.definition",
    "claim.fast",
    "claim.vanishing",
    "claim.sparse",
    "claim.addition",
    "claim.dead",
    "claim.leaky",
    "claim.example",
}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Drawn:
    """A figure as the tour saved it: its language (told by the font it was drawn with), its words (titles,
    axis labels, legends; tick labels are numbers), and the warnings matplotlib gave while drawing it."""

    lang: str
    texts: set[str]
    warnings: list[str]


def _words(fig: MplFigure) -> set[str]:
    axes = [axis for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)]
    ticks = {
        id(label)
        for axis in axes
        for tick in (*axis.get_major_ticks(), *axis.get_minor_ticks())
        for label in (tick.label1, tick.label2)
    }
    return {t.get_text() for t in fig.findobj(Text) if id(t) not in ticks and t.get_text().strip()}


@pytest.fixture(scope="module")
def tour_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Run the real CLI: English with --json (measuring, every figure it draws recorded), then Chinese (from
    the store)."""
    import contextlib
    import io

    from actlab.cli import main
    from actlab.tour import figures

    root = tmp_path_factory.mktemp("tour")
    db = root / "runs.db"
    outputs: dict[str, object] = {}
    drawn: list[Drawn] = []
    real_png = figures.png

    def recording_png(fig: MplFigure) -> bytes:
        lang = "zh" if plt.rcParams["font.sans-serif"][0] in CJK_FONTS else "en"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data = real_png(fig)  # draws the text: a glyph the font lacks is reported here
        drawn.append(Drawn(lang, _words(fig), [str(w.message) for w in caught]))
        return data

    for lang in ("en", "zh"):
        out = root / lang
        cmd = ["tour", "--lang", lang, "--out", str(out), "--db", str(db), "--json"]
        buffer = io.StringIO()  # in-process: stdout captured without a subprocess
        with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(buffer):
            patch.setattr(figures, "png", recording_png)
            with pytest.raises(SystemExit) as done:
                main(cmd)
        assert done.value.code == 0
        (root / f"{lang}.json").write_text(buffer.getvalue())
        outputs[lang] = {"dir": out, "json": json.loads(buffer.getvalue())}
    outputs["drawn"] = drawn
    return outputs


def test_tour_writes_both_reports_with_every_section_figure_and_claim(tour_runs: dict) -> None:  # type: ignore[type-arg]
    for lang in ("en", "zh"):
        out: Path = tour_runs[lang]["dir"]
        page = (out / "report.html").read_text(encoding="utf-8")
        assert set(re.findall(r'<section id="(s\d)">', page)) == {f"s{i}" for i in range(1, 8)}
        assert set(re.findall(r'data-figure="([\w-]+)"', page)) == FIGURES
        assert set(re.findall(r'data-claim="([\w.]+)"', page)) == CLAIMS
        assert "http://" not in page and "https://" not in page  # self-contained: no external assets
        assert 'name="viewport"' in page
        markdown = (out / "report.md").read_text(encoding="utf-8")
        for name in FIGURES:
            assert (out / "figures" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
            assert f"figures/{name}.png" in markdown
        assert tour_say(lang, "s4.title") in page and tour_say(lang, "s4.title") in markdown
        assert (out / "report.html").stat().st_mode & 0o044 == 0o044  # readable by others, like any output
    zh_markdown = (tour_runs["zh"]["dir"] / "report.md").read_text(encoding="utf-8")
    assert tour_say("zh", "from_store") in zh_markdown  # the report says its numbers came from the store
    assert "测量用时 0.0 秒" not in zh_markdown  # and gives the time the measurement took, not the lookup


def test_both_languages_show_the_same_numbers(tour_runs: dict) -> None:  # type: ignore[type-arg]
    en, zh = tour_runs["en"]["json"], tour_runs["zh"]["json"]
    assert zh["cached"] is True and en["cached"] is False
    assert [s["numbers"] for s in en["sections"]] == [s["numbers"] for s in zh["sections"]]
    assert [c["verdict"] for c in en["claims"]] == [c["verdict"] for c in zh["claims"]]
    assert {c["claim"] for c in en["claims"]} == CLAIMS
    zh_page = (tour_runs["zh"]["dir"] / "report.html").read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in zh_page and "用测量检验" in zh_page


def test_measured_facts_the_lesson_invites(tour_runs: dict) -> None:  # type: ignore[type-arg]
    sections = {s["key"]: s["numbers"] for s in tour_runs["en"]["json"]["sections"]}
    verdicts = {c["claim"]: c["verdict"] for c in tour_runs["en"]["json"]["claims"]}
    # the lesson's own numbers reproduce exactly
    assert sections["s6"]["relu"] == [6.6, 3.8, 1.3, 1.3, 0.0] and verdicts["claim.example"] == "confirmed"
    # the exact two-unit adder, far outside any training range
    assert sections["s4"]["adder"]["value"] == 777777.0
    # an identity network is (near) exact on addition: the lesson's claim can only be "partly" at best
    assert sections["s4"]["interp_mae"]["add/identity"]["mean"] < 1e-3
    assert verdicts["claim.addition"] != "confirmed"
    # ReLU's exact zeros are real, and about half the units at initialisation
    assert 0.3 < sections["s3"]["exact_zeros"]["relu"] < 0.7 and sections["s3"]["exact_zeros"]["sigmoid"] == 0.0


LESSON_RELU = [0.0, 0.0, 0.0, 1.0, 2.0]  # relu([-2, -1, 0, 1, 2]), by hand
LESSON_PRE = [6.6, 3.8, 1.3, 1.3, -0.3]  # [5, 3] @ W + b, the lesson's numbers
LESSON_OUT = [6.6, 3.8, 1.3, 1.3, 0.0]
ARITHMETIC = ("relu", "leaky_relu", "sigmoid", "tanh", "identity")
# Verdicts of a quick run with a wide margin on every machine: a linear network stays near chance (~46 %) where
# ReLU solves xor and circle (~98 %); sigmoid's gradient vanishes (~1e-5) and ReLU's does not (~0.8); about half
# of ReLU's outputs are exactly 0 and none of sigmoid's; the identity network beats ReLU on a+b, so ReLU only
# "partly" helps; Leaky ReLU has no dead units where ReLU loses ~30 %; the lesson's own numbers reproduce.
# ("fast" and "dead" sit near their thresholds: those are only recomputed.)
ROBUST = {
    "claim.nonlinearity": "confirmed",
    "claim.definition": "confirmed",
    "claim.vanishing": "confirmed",
    "claim.sparse": "confirmed",
    "claim.addition": "partly",
    "claim.leaky": "confirmed",
    "claim.example": "confirmed",
}


def _differences(got: list[float], want: list[float]) -> float:
    return max(abs(a - b) for a, b in zip(got, want, strict=True))


def test_every_verdict_follows_from_the_numbers_the_run_recorded(tour_runs: dict) -> None:  # type: ignore[type-arg]
    """All nine claims, end to end: each verdict is computed again here from the raw numbers the run stored
    (per-seed values and estimates, not the claim's own fields), with each input named. Any input wired to the
    wrong number (the two accuracies of the non-linearity claim swapped, say) changes a verdict and fails."""
    numbers = {s["key"]: s["numbers"] for s in tour_runs["en"]["json"]["sections"]}
    got = {c["claim"]: c["verdict"] for c in tour_runs["en"]["json"]["claims"]}
    accuracy, s3, s4, s5, s6 = numbers["s1"]["accuracy"], numbers["s3"], numbers["s4"], numbers["s5"], numbers["s6"]
    worst_accuracy = {
        a: min(accuracy[f"xor/{a}"]["mean"], accuracy[f"circle/{a}"]["mean"]) for a in ("identity", "relu")
    }
    worst_mae = {a: max(s4["interp_mae"][f"add/{a}"]["mean"], s4["interp_mae"][f"sub/{a}"]["mean"]) for a in ARITHMETIC}
    dead_end = {a: statistics.fmean(s5["per_seed"][a]["end"]) for a in ("relu", "leaky_relu")}
    relu_peak = statistics.fmean(s5["per_seed"]["relu"]["peak"])
    expected = {
        "claim.nonlinearity": v.nonlinearity_needed(
            identity_accuracy=worst_accuracy["identity"], relu_accuracy=worst_accuracy["relu"]
        ),
        "claim.definition": v.example_reproduces(max_abs_difference=_differences(numbers["s2"]["relu"], LESSON_RELU)),
        "claim.fast": v.relu_is_fast_within_spread(
            low={n: lo for n, (lo, _) in s3["time_vs_relu_interval"].items()},
            high={n: hi for n, (_, hi) in s3["time_vs_relu_interval"].items()},
        ),
        "claim.vanishing": v.less_vanishing_gradient(first_over_last=s3["gradient_first_over_last"]),
        "claim.sparse": v.relu_is_sparse(zero_fraction=s3["exact_zeros"]),
        "claim.addition": v.relu_helps_addition(interp_mae=worst_mae),
        "claim.dead": v.neurons_die(relu_dead_end=dead_end["relu"], relu_dead_peak=relu_peak),
        "claim.leaky": v.leaky_fixes_dead(relu_dead_end=dead_end["relu"], leaky_dead_end=dead_end["leaky_relu"]),
        "claim.example": v.example_reproduces(
            max_abs_difference=max(_differences(s6["pre_activation"], LESSON_PRE), _differences(s6["relu"], LESSON_OUT))
        ),
    }
    assert got == {claim: verdict.value for claim, verdict in expected.items()}
    # where a quick run leaves a wide margin on every machine, the verdict itself
    assert {k: got[k] for k in ROBUST} == ROBUST


def test_every_finding_sentence_follows_from_the_numbers_the_run_recorded(tour_runs: dict) -> None:  # type: ignore[type-arg]
    sections = {s["key"]: s for s in tour_runs["en"]["json"]["sections"]}
    said = {key for s in sections.values() for key, _ in s["paragraphs"]}
    s1, s4, s5 = (sections[k]["numbers"] for k in ("s1", "s4", "s5"))
    accuracy = s1["accuracy"]
    worst = {a: min(accuracy[f"xor/{a}"]["mean"], accuracy[f"circle/{a}"]["mean"]) for a in ("identity", "relu")}
    slope = s4["outside_slope"]
    expected = [
        findings.linear_accuracy(identity_accuracy=worst["identity"], relu_accuracy=worst["relu"]),
        findings.mul_error(identity=Estimate(**s1["mul_mae"]["identity"]), relu=Estimate(**s1["mul_mae"]["relu"])),
        findings.saturating_outside(sigmoid_slope=slope["sigmoid"], tanh_slope=slope["tanh"]),
        findings.relu_like_outside(relu_slope=slope["relu"], leaky_slope=slope["leaky_relu"]),
        findings.leaky_dead(relu_dead_end=s5["mean"]["relu"]["end"], leaky_dead_end=s5["mean"]["leaky_relu"]["end"]),
    ]
    assert {key for key, _ in expected} <= said
    choices = {k.rsplit(".", 1)[0] for k, _ in expected}  # each group of sentences: exactly one was said
    assert all(sum(k.startswith(group + ".") for k in said) == 1 for group in choices)


def test_figures_speak_the_report_language(tour_runs: dict) -> None:  # type: ignore[type-arg]
    """Every figure is drawn in Chinese too, with a CJK font and no missing glyph; every word on it differs
    from the English figure's except names and formulas (activation names, f(x), ...)."""
    if find_font(CJK_FONTS) is None:
        pytest.skip("no CJK font on this machine (Debian: fonts-noto-cjk; .ci/run installs it)")
    drawn = tour_runs["drawn"]
    english = [d for d in drawn if d.lang == "en"]
    chinese = [d for d in drawn if d.lang == "zh"]
    assert len(english) == len(chinese) == len(FIGURES)
    neutral = {"relu", "leaky_relu", "sigmoid", "tanh", "gelu", "silu", "identity", "f(x)", "f'(x)", "x"}
    for en, zh in zip(english, chinese, strict=True):
        assert not (zh.texts & en.texts) - neutral
        assert not [w for w in zh.warnings if "missing from" in w]
    assert (
        sum(any(re.search(r"[\u4e00-\u9fff]", t) for t in d.texts) for d in chinese) == len(FIGURES) - 1
    )  # s2: names only
    assert tour_runs["zh"]["json"]["notices"] == []


def test_readme_claim_table_is_a_real_run(tour_runs: dict) -> None:  # type: ignore[type-arg]
    """The README's table of claims lists this run's claims in its order, with the verdicts a quick run gives on
    any machine, and the evidence of the exactly reproducible ones word for word."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The tour: the lesson, verified") :]
    lines = section[section.index("| claim | evidence | verdict |") :].splitlines()[2:]
    table = itertools.takewhile(lambda line: line.startswith("| "), lines)
    rows = [[cell.strip() for cell in line.strip().strip("|").split(" | ")] for line in table]
    claims = tour_runs["en"]["json"]["claims"]
    assert [r[0] for r in rows] == [c["statement"] for c in claims]
    by_claim = dict(zip((c["claim"] for c in claims), rows, strict=True))
    for claim in claims:
        if claim["claim"] in ROBUST:
            assert by_claim[claim["claim"]][2] == claim["verdict"] == ROBUST[claim["claim"]]
        if claim["claim"] in ("claim.definition", "claim.example"):
            assert by_claim[claim["claim"]][1] == claim["evidence"]


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium_with_real_chinese_glyphs(tour_runs: dict) -> None:  # type: ignore[type-arg]
    """In a real browser: every section is in the DOM, every plot decodes, and the Chinese text is drawn by a
    CJK font that the page itself names (not a box per character, and not a fontconfig accident)."""
    from playwright.sync_api import sync_playwright

    if find_font(CJK_FONTS) is None:
        pytest.skip("no CJK font on this machine (Debian: fonts-noto-cjk; .ci/run installs it)")
    report = tour_runs["zh"]["dir"] / "report.html"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            loaded = page.evaluate("[...document.images].filter(i => i.complete && i.naturalWidth > 0).length")
            sections = page.evaluate("[...document.querySelectorAll('section')].map(s => s.id)")
            named = page.evaluate("getComputedStyle(document.body).fontFamily")
            # tofu boxes are all alike: two different characters must come out as different pictures
            glyphs = page.evaluate(
                """() => [...'测量'].map(ch => {
                    const c = document.createElement('canvas'); c.width = c.height = 48;
                    const g = c.getContext('2d'); g.font = getComputedStyle(document.body).font;
                    g.textBaseline = 'top'; g.fillText(ch, 8, 8);
                    return Array.from(g.getImageData(0, 0, 48, 48).data.filter((_, i) => i % 4 === 3)).join(',');
                })"""
            )
            cdp = page.context.new_cdp_session(page)
            cdp.send("DOM.enable")
            cdp.send("CSS.enable")
            root = cdp.send("DOM.getDocument")["root"]["nodeId"]
            used = {}
            for selector in ("h1", "section p", "th", ".claim strong"):
                node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
                used[selector] = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        finally:
            browser.close()
    assert loaded == len(FIGURES)
    assert sections == [f"s{i}" for i in range(1, 8)]
    page_fonts = [f.strip().strip('"') for f in named.split(",")]
    for selector, fonts in used.items():
        cjk = [f for f in fonts if f["familyName"] in CJK_FONTS]
        assert cjk and cjk[0]["familyName"] in page_fonts, (selector, fonts)
        assert sum(f["glyphCount"] for f in cjk) >= 2, (selector, fonts)
    first, second = glyphs
    assert set(first.split(",")) != {"0"} and first != second


def test_renderers_are_pure_and_language_complete() -> None:
    """Rendering a hand-made result needs no measurement (tests/text checks that every key has both languages)."""
    result = TourResult.from_dict({"mode": "quick", "seeds": 2, "seconds": 1.0, "sections": []})
    for lang in ("en", "zh"):
        assert tour_say(lang, "title") in render_html(result, lang)
        assert tour_say(lang, "title") in render_markdown(result, lang)


def test_interrupted_tour_keeps_finished_sections(tmp_path: Path) -> None:
    """A section that raises (as Ctrl-C would) leaves the sections before it in the store."""
    from actlab.experiments.store import ResultStore

    class StopTourError(Exception):
        pass

    def progress(section: str, what: str) -> None:
        if section == "s3":
            raise StopTourError

    config = TourConfig(seeds=2, classify_steps=50, steps=50)
    with ResultStore(tmp_path / "t.db") as store:
        with pytest.raises(StopTourError):
            run_tour(config, progress=progress, cache=store)
        from actlab.tour.runner import section_key

        assert store.get_cached(section_key(config, "s1")) is not None
        assert store.get_cached(section_key(config, "s2")) is not None
        assert store.get_cached(section_key(config, "s3")) is None
    assert [k for k, _ in SECTIONS][:3] == ["s1", "s2", "s3"]


def test_bad_arguments_fail_in_one_line_before_any_measurement(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from actlab.tour import api

    def no_measuring(*args: object, **kwargs: object) -> None:
        raise AssertionError("measured before checking the arguments")

    monkeypatch.setattr(api, "run_tour", no_measuring)
    db = str(tmp_path / "runs.db")
    for args, message in [
        (["--lang", "fr"], "actlab: error: unknown language 'fr': use one of en, zh\n"),
        (["--out", "/proc/nope/report"], "cannot create folder /proc/nope"),
        (["--out", __file__], "it is a file"),
    ]:
        result = cli("tour", "--db", db, *args)
        assert result.code == 2 and result.out == ""
        assert result.err.startswith("actlab: error: ") and message in result.err and result.err.count("\n") == 1


def test_the_report_folder_s_missing_parents_are_created_before_any_work(tmp_path: Path) -> None:
    from actlab.tour.render import check_out_dir

    check_out_dir(tmp_path / "new" / "deeper" / "report")
    assert (tmp_path / "new" / "deeper").is_dir() and not (tmp_path / "new" / "deeper" / "report").exists()
