"""The tour as files: ``report.html`` (self-contained: inline CSS and PNG, no external assets, readable on a
phone) and ``report.md`` (figures beside it in ``figures/``). Words come from :mod:`actlab.tour.text`."""

from __future__ import annotations

import base64
import html
import os
import tempfile
from pathlib import Path

from actlab.errors import ActlabError
from actlab.tour.model import Claim, Section, Table, TourResult
from actlab.tour.text import TEXT, say

SECTION_ORDER = ("s1", "s2", "s3", "s4", "s5", "s6", "s7")
VERDICT_COLOURS = {"confirmed": "#1a7f37", "partly": "#9a6700", "not confirmed": "#cf222e",
                   "inconclusive on this machine": "#59636e"}  # fmt: skip

CSS = """
body{font:16px/1.55 -apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif;
margin:0 auto;max-width:960px;padding:12px 16px;color:#1f2328}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.8em}
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
img{max-width:100%;height:auto}figure{margin:.8em 0}figcaption{font-size:.85em;color:#59636e}
pre{background:#f6f8fa;padding:8px;overflow-x:auto;font-size:.88em}
.verdict{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:.85em;white-space:nowrap}
.claim{margin:.4em 0}.evidence{color:#59636e;font-size:.9em}
"""


def words(lang: str, key: str) -> str:
    """A header, cell or caption: a text key when one exists, otherwise the literal label."""
    return TEXT[key][lang] if key in TEXT else key


def verdict_colour(lang: str, text: str, default: str) -> str:
    """The colour of a verdict shown as ``text`` in ``lang`` (``default`` for any other cell)."""
    return next((c for v, c in VERDICT_COLOURS.items() if say(lang, v) == text), default)


def _verdict(lang: str, claim: Claim) -> str:
    return say(lang, claim.verdict.value)


def _paragraphs(section: Section, lang: str) -> list[str]:
    return [say(lang, key, **fields) for key, fields in section.paragraphs]


def summary_table(result: TourResult, lang: str) -> Table:
    """Section 7's table: each claim, its evidence and its verdict, in the order the tour measured them."""
    rows = [[say(lang, c.key), c.evidence_text(lang), _verdict(lang, c)] for c in result.claims]
    return Table(columns=["col.claim", "col.evidence", "col.verdict"], rows=rows)


def _elapsed(result: TourResult, lang: str) -> str:
    text = say(lang, "elapsed", seconds=result.measured_seconds)
    return text + (" " + say(lang, "from_store") if result.cached else "")


def _ordered(result: TourResult) -> list[Section]:
    by_key = {s.key: s for s in result.sections}
    return [by_key[k] for k in SECTION_ORDER if k in by_key]


# --- HTML ------------------------------------------------------------------------------------------------


def _html_table(table: Table, lang: str, verdict_column: bool = False) -> str:
    head = "".join(f"<th>{html.escape(words(lang, c))}</th>" for c in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for i, cell in enumerate(row):
            text = html.escape(words(lang, str(cell)))
            if verdict_column and i == len(row) - 1:
                colour = verdict_colour(lang, str(cell), "#59636e")
                text = f'<span class="verdict" style="background:{colour}">{text}</span>'
            cells.append(f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _html_claim(claim: Claim, lang: str) -> str:
    colour = VERDICT_COLOURS[claim.verdict.value]
    return (
        f'<div class="claim" data-claim="{claim.key}" data-verdict="{claim.verdict.value}">'
        f'<span class="verdict" style="background:{colour}">{html.escape(_verdict(lang, claim))}</span> '
        f"<strong>{html.escape(say(lang, claim.key))}</strong><br>"
        f'<span class="evidence">{html.escape(say(lang, "evidence"))}: '
        f"{html.escape(claim.evidence_text(lang))}</span></div>"
    )


def render_html(result: TourResult, lang: str) -> str:
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(say(lang, 'title'))}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(say(lang, 'title'))}</h1>",
        f"<p>{html.escape(say(lang, 'intro', mode=result.mode, seeds=result.seeds))}</p>",
    ]
    for section in _ordered(result):
        parts.append(f'<section id="{section.key}"><h2>{html.escape(say(lang, section.key + ".title"))}</h2>')
        parts += [f"<p>{html.escape(p)}</p>" for p in _paragraphs(section, lang)]
        if section.code:
            parts.append("<pre>" + html.escape("\n".join(section.code)) + "</pre>")
        if section.key == "s7":
            parts.append(_html_table(summary_table(result, lang), lang, verdict_column=True))
        parts += [_html_table(t, lang) for t in section.tables]
        for fig in section.figures:
            data = base64.b64encode(fig.png).decode("ascii")
            caption = html.escape(say(lang, fig.caption))
            parts.append(
                f'<figure data-figure="{fig.name}"><img alt="{caption}" '
                f'src="data:image/png;base64,{data}"><figcaption>{caption}</figcaption></figure>'
            )
        parts += [_html_claim(c, lang) for c in section.claims]
        parts.append("</section>")
    parts.append(f"<p><small>{html.escape(_elapsed(result, lang))}</small></p>")
    parts.append("</body></html>")
    return "\n".join(parts)


# --- Markdown --------------------------------------------------------------------------------------------


def _md_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table, lang: str) -> str:
    lines = ["| " + " | ".join(_md_cell(words(lang, c)) for c in table.columns) + " |",
             "|" + "---|" * len(table.columns)]  # fmt: skip
    lines += ["| " + " | ".join(_md_cell(words(lang, str(c))) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def render_markdown(result: TourResult, lang: str, figure_dir: str = "figures") -> str:
    out = [f"# {say(lang, 'title')}", "", say(lang, "intro", mode=result.mode, seeds=result.seeds), ""]
    for section in _ordered(result):
        out += [f"## {say(lang, section.key + '.title')}", ""]
        for paragraph in _paragraphs(section, lang):
            out += [paragraph, ""]
        if section.code:
            out += ["```", *section.code, "```", ""]
        if section.key == "s7":
            out += [_md_table(summary_table(result, lang), lang), ""]
        for table in section.tables:
            out += [_md_table(table, lang), ""]
        for fig in section.figures:
            out += [f"![{say(lang, fig.caption)}]({figure_dir}/{fig.name}.png)", ""]
        for claim in section.claims:
            out += [f"- **{_verdict(lang, claim)}** — {say(lang, claim.key)} ({claim.evidence_text(lang)})"]
        if section.claims:
            out.append("")
    out.append(_elapsed(result, lang))
    return "\n".join(out) + "\n"


def _atomic_write(path: Path, data: bytes) -> None:
    """Write next to the target, then rename: an interrupted run never leaves half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_report(result: TourResult, out_dir: Path, lang: str) -> dict[str, Path]:
    """Write report.html, report.md and figures/*.png into ``out_dir`` (created if its parent exists)."""
    if not out_dir.parent.is_dir():
        raise ActlabError(f"cannot write the report to {out_dir}: folder {out_dir.parent} does not exist")
    if out_dir.exists() and not out_dir.is_dir():
        raise ActlabError(f"cannot write the report to {out_dir}: it is a file, not a folder")
    figures = out_dir / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    for section in result.sections:
        for fig in section.figures:
            _atomic_write(figures / f"{fig.name}.png", fig.png)
    paths = {"html": out_dir / "report.html", "markdown": out_dir / "report.md"}
    _atomic_write(paths["html"], render_html(result, lang).encode("utf-8"))
    _atomic_write(paths["markdown"], render_markdown(result, lang).encode("utf-8"))
    return paths
