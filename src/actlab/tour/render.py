"""The tour as files: ``report.html`` (self-contained: inline CSS and PNG, no external assets, readable on a
phone) and ``report.md`` (figures beside it in ``figures/``). Both render one :class:`~actlab.tour.document.
Document`, so they say the same things in the same order."""

from __future__ import annotations

import base64
import html
import os
import tempfile
from pathlib import Path

from actlab.plots.fonts import CJK_FONTS
from actlab.tour.document import (
    Block,
    ClaimBlock,
    Code,
    Document,
    FigureBlock,
    Paragraph,
    TableBlock,
    document,
    spans,
    verdict_colour,
)
from actlab.tour.results import TourResult
from actlab.util.outputs import prepare_output_dir


def _font_stack(latin: tuple[str, ...], generic: str) -> str:
    """A CSS font list: ``latin`` first (the browser takes each glyph from the first font that has it), then
    the common CJK fonts, so Chinese text finds a real font on Linux, macOS and Windows alike."""
    return ",".join([*(f'"{f}"' if " " in f else f for f in (*latin, *CJK_FONTS)), generic])


BODY_FONTS = _font_stack(("-apple-system", "Segoe UI", "Roboto", "Noto Sans"), "sans-serif")
CODE_FONTS = _font_stack(("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "DejaVu Sans Mono"), "monospace")

CSS = f"""
body{{font:16px/1.55 {BODY_FONTS};margin:0 auto;max-width:960px;padding:12px 16px;color:#1f2328}}
h1{{font-size:1.6em}}h2{{font-size:1.25em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.8em}}
.scroll{{overflow-x:auto}}table{{border-collapse:collapse;margin:.6em 0;font-size:.9em}}
th,td{{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}}th{{background:#f6f8fa}}
img{{max-width:100%;height:auto}}figure{{margin:.8em 0}}figcaption{{font-size:.85em;color:#59636e}}
pre,code{{font-family:{CODE_FONTS};font-size:.88em}}pre{{background:#f6f8fa;padding:8px;overflow-x:auto}}
code{{background:#f6f8fa;padding:0 .25em;border-radius:4px}}
.notice{{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:6px}}
.verdict{{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:.85em;white-space:nowrap}}
.claim{{margin:.4em 0}}.evidence{{color:#59636e;font-size:.9em}}
"""


# --- HTML ------------------------------------------------------------------------------------------------


def _html_text(text: str) -> str:
    """Escaped text, with code (between backticks) in ``<code>``."""
    return "".join(f"<code>{html.escape(p)}</code>" if code else html.escape(p) for p, code in spans(text))


def _html_verdict(verdict: str, text: str) -> str:
    return f'<span class="verdict" style="background:{verdict_colour(verdict)}">{html.escape(text)}</span>'


def _html_table(table: TableBlock) -> str:
    head = "".join(f"<th>{_html_text(c)}</th>" for c in table.columns)
    body = []
    for r, row in enumerate(table.rows):
        cells = [_html_text(c) for c in row]
        if table.verdicts is not None:
            cells[-1] = _html_verdict(table.verdicts[r], row[-1])
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _html_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{_html_text(block.text)}</p>"
    if isinstance(block, Code):
        return "<pre>" + html.escape("\n".join(block.lines)) + "</pre>"
    if isinstance(block, TableBlock):
        return _html_table(block)
    if isinstance(block, FigureBlock):
        data = base64.b64encode(block.png).decode("ascii")
        caption = html.escape(block.caption)
        return (
            f'<figure data-figure="{block.name}"><img alt="{caption}" '
            f'src="data:image/png;base64,{data}"><figcaption>{_html_text(block.caption)}</figcaption></figure>'
        )
    if isinstance(block, ClaimBlock):
        return (
            f'<div class="claim" data-claim="{block.key}" data-verdict="{block.verdict}">'
            f"{_html_verdict(block.verdict, block.verdict_text)} <strong>{_html_text(block.statement)}</strong><br>"
            f'<span class="evidence">{html.escape(block.evidence_label)}: {_html_text(block.evidence)}</span></div>'
        )
    raise TypeError(f"no HTML for {type(block).__name__}")


def html_page(doc: Document) -> str:
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if doc.lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(doc.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(doc.title)}</h1>",
        *(f'<p class="notice">{_html_text(n)}</p>' for n in doc.notices),
        f"<p>{_html_text(doc.intro)}</p>",
    ]
    for section in doc.sections:
        parts.append(f'<section id="{section.key}"><h2>{html.escape(section.title)}</h2>')
        parts += [_html_block(b) for b in section.blocks]
        parts.append("</section>")
    parts.append(f"<p><small>{html.escape(doc.footer)}</small></p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def render_html(result: TourResult, lang: str) -> str:
    return html_page(document(result, lang))


# --- Markdown --------------------------------------------------------------------------------------------


def _md_cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _md_block(block: Block, figure_dir: str) -> list[str]:
    if isinstance(block, Paragraph):
        return [block.text, ""]
    if isinstance(block, Code):
        return ["```", *block.lines, "```", ""]
    if isinstance(block, TableBlock):
        return [
            "| " + " | ".join(_md_cell(c) for c in block.columns) + " |",
            "|" + "---|" * len(block.columns),
            *("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows),
            "",
        ]
    if isinstance(block, FigureBlock):
        return [f"![{block.caption}]({figure_dir}/{block.name}.png)", ""]
    if isinstance(block, ClaimBlock):
        return [f"- **{block.verdict_text}** — {block.statement} ({block.evidence})"]
    raise TypeError(f"no Markdown for {type(block).__name__}")


def markdown_page(doc: Document, figure_dir: str = "figures") -> str:
    out = [f"# {doc.title}", ""]
    for notice in doc.notices:
        out += [f"> {notice}", ""]
    out += [doc.intro, ""]
    for section in doc.sections:
        out += [f"## {section.title}", ""]
        for block in section.blocks:
            out += _md_block(block, figure_dir)
        if out[-1]:  # claims are list items without a blank line between them: close the list
            out.append("")
    out.append(doc.footer)
    return "\n".join(out) + "\n"


def render_markdown(result: TourResult, lang: str, figure_dir: str = "figures") -> str:
    return markdown_page(document(result, lang), figure_dir)


# --- files -----------------------------------------------------------------------------------------------


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


def check_out_dir(out_dir: Path) -> None:
    """Raise :class:`ActlabError` unless a report can be written to ``out_dir`` (call it before any work);
    missing parent folders are created (:func:`actlab.util.outputs.prepare_output_dir`)."""
    prepare_output_dir(out_dir, what="the report")


def write_report(result: TourResult, out_dir: Path, lang: str) -> dict[str, Path]:
    """Write report.html, report.md and figures/*.png (the pictures in ``lang``) into ``out_dir`` (created if
    its parent exists)."""
    check_out_dir(out_dir)
    doc = document(result, lang)
    figures = out_dir / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    for block in (b for s in doc.sections for b in s.blocks if isinstance(b, FigureBlock)):
        _atomic_write(figures / f"{block.name}.png", block.png)
    paths = {"html": out_dir / "report.html", "markdown": out_dir / "report.md"}
    _atomic_write(paths["html"], html_page(doc).encode("utf-8"))
    _atomic_write(paths["markdown"], markdown_page(doc).encode("utf-8"))
    return paths
