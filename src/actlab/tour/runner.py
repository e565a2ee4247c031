"""Run the tour: each section's experiment in the lesson's order, each finished section cached at once.

A section's result is stored under a key made of the tour's config, the section and the package version,
so an interrupted tour resumes where it stopped, and a second run (in either language: results hold no
words) is near-instant. ``fresh=True`` measures everything again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any, Protocol

from actlab.tour.addition import addition, nonlinearity
from actlab.tour.basics import definition, worked_example
from actlab.tour.config import TourConfig
from actlab.tour.dead import dead_neurons
from actlab.tour.results import Section, TourResult
from actlab.tour.table import comparison_table

RESULT_FORMAT = 6  # bump when a Section's stored form changes, so old cache entries are not read
Tick = Callable[[str], None]
SectionProgress = Callable[[str, str], None]  # (section key, what is being measured now)

SECTIONS: tuple[tuple[str, Callable[[TourConfig, Tick], Section]], ...] = (
    ("s1", nonlinearity),
    ("s2", lambda config, tick: definition()),
    ("s3", comparison_table),
    ("s4", addition),
    ("s5", dead_neurons),
    ("s6", lambda config, tick: worked_example()),
)


class Cache(Protocol):
    def get_cached(self, key: str) -> dict[str, Any] | None: ...

    def put_cached(self, key: str, value: dict[str, Any]) -> None: ...


def section_key(config: TourConfig, section: str) -> str:
    from actlab._version import __version__

    text = json.dumps(
        {"tour": config.to_dict(), "section": section, "version": __version__, "format": RESULT_FORMAT}, sort_keys=True
    )
    return "tour:" + hashlib.sha256(text.encode()).hexdigest()[:24]


def run_tour(
    config: TourConfig,
    progress: SectionProgress = lambda section, what: None,
    cache: Cache | None = None,
    fresh: bool = False,
) -> TourResult:
    """Every section in order, then the summary (section 7, built from the claims when rendered)."""
    start = time.perf_counter()
    sections: list[Section] = []
    hits = 0
    for key, run in SECTIONS:
        cache_key = section_key(config, key)
        stored = None if (cache is None or fresh) else cache.get_cached(cache_key)
        if stored is not None:
            sections.append(Section.from_dict(stored))
            hits += 1
            continue
        progress(key, "")
        began = time.perf_counter()
        section = run(config, lambda what, key=key: progress(key, what))  # type: ignore[misc]
        section.seconds = time.perf_counter() - began
        sections.append(section)
        if cache is not None:
            cache.put_cached(cache_key, section.to_dict())
    sections.append(Section(key="s7", paragraphs=[("s7.explain", {})]))
    return TourResult(
        mode=config.mode,
        seeds=config.seeds,
        sections=sections,
        seconds=time.perf_counter() - start,
        cached=hits == len(SECTIONS),
    )
