"""``actlab tour``: the lesson, section by section, each claim checked by measurement."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.rule import Rule
from rich.table import Table as RichTable

from actlab.cli import app
from actlab.cli._common import console, emit_json, err_console, prepare_store
from actlab.errors import ActlabError
from actlab.outputs import prepare_output_dir
from actlab.store import ResultStore
from actlab.tour.config import TourConfig
from actlab.tour.model import Section, Table, TourResult
from actlab.tour.report import VERDICT_COLOURS, summary_table, verdict_colour, words, write_report
from actlab.tour.runner import SECTIONS, run_tour
from actlab.tour.text import LANGS, say


def _rich_table(table: Table, lang: str) -> RichTable:
    out = RichTable(show_lines=False)
    for column in table.columns:
        out.add_column(escape(words(lang, column)), overflow="fold")
    for row in table.rows:
        cells = [escape(words(lang, str(c))) for c in row]
        if table.columns and table.columns[-1] == "col.verdict":
            colour = verdict_colour(lang, str(row[-1]), "white")
            cells[-1] = f"[bold {colour}]{cells[-1]}[/]"
        out.add_row(*cells)
    return out


def _print_section(section: Section, result: TourResult, lang: str) -> None:
    console.print(Rule(f"[bold]{escape(say(lang, section.key + '.title'))}[/]", align="left"))
    for key, fields in section.paragraphs:
        console.print(escape(say(lang, key, **fields)), highlight=False)
    for line in section.code:
        console.print(f"  [cyan]{escape(line)}[/]", highlight=False)
    if section.key == "s7":
        console.print(_rich_table(summary_table(result, lang), lang))
    for table in section.tables:
        console.print(_rich_table(table, lang))
    for figure in section.figures:
        console.print(f"  [dim]{figure.name}.png: {escape(say(lang, figure.caption))}[/]", highlight=False)
    for claim in section.claims:
        colour = VERDICT_COLOURS[claim.verdict.value]
        console.print(
            f"  [bold {colour}]{escape(say(lang, claim.verdict.value))}[/] {escape(say(lang, claim.key))}  "
            f"[dim]({escape(claim.evidence_text(lang))})[/]",
            highlight=False,
        )
    console.print()


@app.command()
def tour(
    out: Annotated[
        Path | None, typer.Option(help="Write report.html, report.md and figures/ into this folder.")
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of every explanation: en or zh.")] = "en",
    full: Annotated[bool, typer.Option("--full", help="More seeds and steps: tighter intervals, slower.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Measure again instead of reusing stored results.")] = False,
    db: Annotated[
        Path | None, typer.Option(help="Results store (default: $ACTLAB_DB or ./actlab-runs/actlab.db).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the measurements and verdicts as one JSON document.")
    ] = False,
) -> None:
    """Walk through the ReLU lesson and check each of its claims by measurement (about a minute)."""
    if lang not in LANGS:
        raise ActlabError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    if out is not None:
        prepare_output_dir(out, what="the report")
    config = TourConfig.full() if full else TourConfig.quick()
    store_path = prepare_store(db)
    titles = {key: say(lang, key + ".title") for key, _ in SECTIONS}
    with ResultStore(store_path) as store, Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console, transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task("actlab tour", total=None)

        def progress(section: str, what: str) -> None:
            bar.update(task, description=f"{titles[section]}" + (f": {what}" if what else ""))

        result = run_tour(config, progress=progress, cache=store, fresh=fresh)
    paths = write_report(result, out, lang) if out is not None else {}
    if as_json:
        data = result.to_dict()
        for section in data["sections"]:
            for figure in section["figures"]:
                figure.pop("png")  # the pictures are in the report; JSON carries the numbers
        data["claims"] = [
            {"claim": c.key, "statement": say(lang, c.key), "verdict": c.verdict.value,
             "evidence": c.evidence_text(lang), "numbers": c.fields, "section": c.section}
            for c in result.claims
        ]  # fmt: skip
        data["report"] = {k: str(p) for k, p in paths.items()}
        data["cached"] = result.cached
        emit_json(json.loads(json.dumps(data, default=str)))
        return
    console.print(f"[bold]{escape(say(lang, 'title'))}[/]")
    console.print(escape(say(lang, "intro", mode=result.mode, seeds=result.seeds)), highlight=False)
    console.print()
    by_key = {s.key: s for s in result.sections}
    for key in ("s1", "s2", "s3", "s4", "s5", "s6", "s7"):
        _print_section(by_key[key], result, lang)
    if result.cached:
        console.print(f"[dim]{escape(say(lang, 'cached', path=store_path))}[/]")
    else:
        console.print(f"[dim]{escape(say(lang, 'elapsed', seconds=result.measured_seconds))}[/]")
    for kind, path in paths.items():
        console.print(f"{kind}: {path}")
