"""``take_tour``: what ``actlab tour`` does, as one library call: check the arguments before any work, run the
tour against the results store (each section stored as it finishes), write the report, and hand back what to
show (the :class:`~actlab.tour.document.Document`) and what to print as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actlab.experiments.store import ResultStore, default_path
from actlab.text import check_lang
from actlab.tour.config import TourConfig
from actlab.tour.document import Document, document
from actlab.tour.render import check_out_dir, write_report
from actlab.tour.results import TourResult
from actlab.tour.runner import SectionProgress, run_tour
from actlab.tour.words import tour_say
from actlab.util.outputs import prepare_output_file


@dataclass(frozen=True)
class TourOutput:
    result: TourResult
    document: Document  # the words, in the language asked for
    paths: dict[str, Path]  # "html" and "markdown", when a report was written
    store: Path  # the results store the sections were read from or written to

    @property
    def closing(self) -> str:
        """The last line for a terminal: where the results came from, or how long measuring them took."""
        lang = self.document.lang
        if self.result.cached:
            return tour_say(lang, "cached", path=self.store)
        return tour_say(lang, "elapsed", seconds=self.result.measured_seconds)

    def to_json(self) -> dict[str, Any]:
        """The measurements and verdicts as one JSON-able document (figures left out: they are in the report)."""
        lang = self.document.lang
        data = self.result.to_dict()
        for section in data["sections"]:
            for figure in section["figures"]:
                figure.pop("png")
        data["claims"] = [
            {
                "claim": c.key,
                "statement": tour_say(lang, c.key),
                "verdict": c.verdict.value,
                "evidence": c.evidence_text(lang),
                "numbers": c.fields,
                "section": c.section,
            }
            for c in self.result.claims
        ]
        data["notices"] = list(self.document.notices)
        data["report"] = {k: str(p) for k, p in self.paths.items()}
        data["cached"] = self.result.cached
        return json.loads(json.dumps(data, default=str))


def take_tour(
    config: TourConfig,
    lang: str = "en",
    out: Path | None = None,
    db: Path | None = None,
    fresh: bool = False,
    progress: SectionProgress = lambda section, what: None,
) -> TourOutput:
    """Run the tour in ``config``'s size and describe it in ``lang``; with ``out``, write the report there.

    ``db`` is the results store (default: :func:`actlab.experiments.store.default_path`); ``fresh`` measures again
    instead of reading stored sections; ``progress(section, what)`` is called as the work goes on.
    Raises :class:`~actlab.errors.ActlabError` for a bad language or report folder, before measuring.
    """
    check_lang(lang)
    if out is not None:
        check_out_dir(out)
    store_path = prepare_output_file(db or default_path(), what="the results database")
    with ResultStore(store_path) as store:
        result = run_tour(config, progress=progress, cache=store, fresh=fresh)
    paths = write_report(result, out, lang) if out is not None else {}
    return TourOutput(result, document(result, lang), paths, store_path)
