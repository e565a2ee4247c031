"""``actlab tour`` end to end: both languages complete, the report has every section and plot, and it renders
in a real browser (Debian's Chromium). The English run measures; the Chinese run reuses the stored results."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from actlab.tour.config import TourConfig
from actlab.tour.model import TourResult
from actlab.tour.report import render_html, render_markdown
from actlab.tour.runner import SECTIONS, run_tour
from actlab.tour.text import TEXT

FIGURES = {"s1-circle", "s2-curves", "s3-gradients", "s4-errors", "s4-extrapolation", "s5-dead"}
CLAIMS = {"claim.nonlinearity", "claim.definition", "claim.fast", "claim.vanishing", "claim.sparse",
          "claim.addition", "claim.dead", "claim.leaky", "claim.example"}  # fmt: skip
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def tour_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Run the real CLI: English with --json (measuring), then Chinese (from the store)."""
    from actlab.cli import main

    root = tmp_path_factory.mktemp("tour")
    db = root / "runs.db"
    outputs = {}
    for lang in ("en", "zh"):
        out = root / lang
        stdout = root / f"{lang}.json"
        cmd = ["tour", "--lang", lang, "--out", str(out), "--db", str(db), "--json"]
        # in-process, stdout captured to a file through a subprocess-free redirect
        import contextlib
        import io

        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), pytest.raises(SystemExit) as done:
            main(cmd)
        assert done.value.code == 0
        stdout.write_text(buffer.getvalue())
        outputs[lang] = {"dir": out, "json": json.loads(buffer.getvalue())}
    return outputs


def test_tour_writes_both_reports_with_every_section_figure_and_claim(tour_runs: dict) -> None:  # type: ignore[type-arg]
    for lang, run in tour_runs.items():
        out: Path = run["dir"]
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
        assert TEXT["s4.title"][lang] in page and TEXT["s4.title"][lang] in markdown
        assert (out / "report.html").stat().st_mode & 0o044 == 0o044  # readable by others, like any output
    zh_markdown = (tour_runs["zh"]["dir"] / "report.md").read_text(encoding="utf-8")
    assert TEXT["from_store"]["zh"] in zh_markdown  # the report says its numbers came from the store
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


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(tour_runs: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    """Every section is in the rendered DOM and every plot decodes (naturalWidth > 0) in a real browser."""
    page = (tour_runs["zh"]["dir"] / "report.html").read_text(encoding="utf-8")
    probe = (
        "<script>window.addEventListener('load',()=>{const imgs=[...document.images];"
        "const ok=imgs.filter(i=>i.complete&&i.naturalWidth>0).length;"
        "const secs=[...document.querySelectorAll('section')].map(s=>s.id).join(',');"
        "document.body.setAttribute('data-probe',ok+'/'+imgs.length+'|'+secs);});</script>"
    )
    harness = tmp_path / "probe.html"
    harness.write_text(page.replace("</body>", probe + "</body>"), encoding="utf-8")
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom", harness.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    match = re.search(r'data-probe="(\d+)/(\d+)\|([\w,]+)"', result.stdout)
    assert match, result.stderr[-2000:]
    loaded, total, sections = int(match[1]), int(match[2]), match[3].split(",")
    assert total == len(FIGURES) and loaded == total
    assert sections == [f"s{i}" for i in range(1, 8)]


def test_renderers_are_pure_and_language_complete() -> None:
    """Every text key has both languages, and rendering a hand-made result needs no measurement."""
    assert all(set(v) == {"en", "zh"} for v in TEXT.values())
    result = TourResult.from_dict({"mode": "quick", "seeds": 2, "seconds": 1.0, "sections": []})
    for lang in ("en", "zh"):
        assert TEXT["title"][lang] in render_html(result, lang)
        assert TEXT["title"][lang] in render_markdown(result, lang)


def test_interrupted_tour_keeps_finished_sections(tmp_path: Path) -> None:
    """A section that raises (as Ctrl-C would) leaves the sections before it in the store."""
    from actlab.store import ResultStore

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
