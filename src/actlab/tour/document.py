"""The tour in one language, as blocks of text, tables, figures and claims, in reading order.

Every renderer walks the same :class:`Document`: the HTML and Markdown report (:mod:`actlab.tour.render`) and
the terminal (``actlab tour``). Which words go where is decided here, once; a renderer only chooses markup.
Text between backticks is code: :func:`spans` splits it out for the renderers that can show it as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from actlab.text import check_lang
from actlab.tour.results import Section, Table, TourResult
from actlab.tour.words import label, tour_say

SECTION_ORDER = ("s1", "s2", "s3", "s4", "s5", "s6", "s7")
VERDICT_COLOURS = {
    "confirmed": "#1a7f37",
    "partly": "#9a6700",
    "not confirmed": "#cf222e",
    "inconclusive on this machine": "#59636e",
}
OTHER_VERDICT_COLOUR = "#59636e"  # a verdict without a colour of its own


def verdict_colour(verdict: str) -> str:
    return VERDICT_COLOURS.get(verdict, OTHER_VERDICT_COLOUR)


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Code:
    lines: list[str]


@dataclass(frozen=True)
class TableBlock:
    columns: list[str]
    rows: list[list[str]]
    verdicts: list[str] | None = None  # per row, the verdict its last cell shows (for its colour)


@dataclass(frozen=True)
class FigureBlock:
    name: str  # file stem
    png: bytes
    caption: str


@dataclass(frozen=True)
class ClaimBlock:
    key: str  # e.g. "claim.fast"
    verdict: str  # the verdict's value, e.g. "confirmed"
    verdict_text: str  # ... in the document's language
    statement: str
    evidence_label: str
    evidence: str


Block = Paragraph | Code | TableBlock | FigureBlock | ClaimBlock


@dataclass(frozen=True)
class SectionBlock:
    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Document:
    lang: str
    title: str
    intro: str
    notices: list[str]  # said once, at the top: e.g. that the figures could not be drawn in this language
    sections: list[SectionBlock]
    footer: str


def spans(text: str) -> list[tuple[str, bool]]:
    """``text`` cut at its backticks into ``(piece, is_code)``; an unpaired backtick stays a backtick."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an odd number of backticks: the last one opens nothing
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    return [(p, i % 2 == 1) for i, p in enumerate(parts) if p]


def _table(table: Table, lang: str) -> TableBlock:
    return TableBlock(
        columns=[label(lang, c) for c in table.columns], rows=[[label(lang, str(c)) for c in row] for row in table.rows]
    )


def summary(result: TourResult, lang: str) -> TableBlock:
    """Section 7's table: each claim, its evidence and its verdict, in the order the tour measured them."""
    claims = result.claims
    return TableBlock(
        columns=[label(lang, c) for c in ("col.claim", "col.evidence", "col.verdict")],
        rows=[[tour_say(lang, c.key), c.evidence_text(lang), tour_say(lang, c.verdict.value)] for c in claims],
        verdicts=[c.verdict.value for c in claims],
    )


def _section(section: Section, result: TourResult, lang: str) -> SectionBlock:
    blocks: list[Block] = [Paragraph(tour_say(lang, key, **fields)) for key, fields in section.paragraphs]
    if section.code:
        blocks.append(Code(list(section.code)))
    if section.key == "s7":
        blocks.append(summary(result, lang))
    blocks += [_table(t, lang) for t in section.tables]
    blocks += [FigureBlock(f.name, f.png_for(lang), tour_say(lang, f.caption)) for f in section.figures]
    blocks += [
        ClaimBlock(
            c.key,
            c.verdict.value,
            tour_say(lang, c.verdict.value),
            tour_say(lang, c.key),
            tour_say(lang, "evidence"),
            c.evidence_text(lang),
        )
        for c in section.claims
    ]
    return SectionBlock(section.key, tour_say(lang, section.key + ".title"), blocks)


def document(result: TourResult, lang: str) -> Document:
    """Everything the tour says, in ``lang``, in reading order."""
    check_lang(lang)
    by_key = {s.key: s for s in result.sections}
    sections = [by_key[k] for k in SECTION_ORDER if k in by_key]
    figures = [f for s in sections for f in s.figures]
    notices = [tour_say(lang, "notice.no_cjk_font")] if any(not f.has(lang) for f in figures) else []
    footer = tour_say(lang, "elapsed", seconds=result.measured_seconds)
    if result.cached:
        footer += " " + tour_say(lang, "from_store")
    return Document(
        lang=lang,
        title=tour_say(lang, "title"),
        intro=tour_say(lang, "intro", mode=result.mode, seeds=result.seeds),
        notices=notices,
        sections=[_section(s, result, lang) for s in sections],
        footer=footer,
    )
