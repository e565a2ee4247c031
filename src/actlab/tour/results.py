"""What a tour produces, language-neutral: numbers, tables, figures and claims. Renderers add the words.

Everything here round-trips through plain JSON (figures as base64 PNG, one per language), so that a finished
tour can be cached in the results store and rendered again in another language without measuring anything
twice.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from typing import Any

from actlab.tour.claim_verdicts import ClaimVerdict
from actlab.tour.words import tour_say


@dataclass
class Table:
    columns: list[str]  # header labels: a text key (translated when rendered) or a literal label
    rows: list[list[str]]  # cells already formatted: numbers are the same in every language
    caption: str = ""  # a text key, or empty


@dataclass
class Figure:
    name: str  # file stem, e.g. "s3-gradients"
    png: dict[str, bytes]  # the picture per language (its words differ); "en" always, "zh" where a CJK font was
    caption: str  # text key of the caption

    def has(self, lang: str) -> bool:
        return lang in self.png

    def png_for(self, lang: str) -> bytes:
        """The picture in ``lang``, or the English one where that language could not be drawn."""
        return self.png.get(lang, self.png["en"])

    def to_dict(self) -> dict[str, Any]:
        pictures = {lang: base64.b64encode(data).decode("ascii") for lang, data in self.png.items()}
        return {"name": self.name, "png": pictures, "caption": self.caption}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Figure:
        return cls(data["name"], {k: base64.b64decode(v) for k, v in data["png"].items()}, data["caption"])


@dataclass
class Claim:
    key: str  # text key of the lesson's claim, e.g. "claim.fast"
    verdict: ClaimVerdict
    evidence: str  # text key of the sentence giving the numbers behind the verdict, e.g. "ev.fast"
    section: str  # the section that measured it
    fields: dict[str, Any] = field(default_factory=dict)  # the numbers, filled into the evidence sentence

    def evidence_text(self, lang: str) -> str:
        return tour_say(lang, self.evidence, **self.fields)


@dataclass
class Section:
    key: str  # "s1" ... "s7"
    paragraphs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (text key, fields)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    code: list[str] = field(default_factory=list)  # verbatim lines (the worked example's sums)
    numbers: dict[str, Any] = field(default_factory=dict)  # raw measurements, for --json and the tests
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["figures"] = [f.to_dict() for f in self.figures]
        data["claims"] = [{**asdict(c), "verdict": c.verdict.value} for c in self.claims]
        data["paragraphs"] = [[k, v] for k, v in self.paragraphs]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Section:
        return cls(
            key=data["key"],
            paragraphs=[(k, v) for k, v in data["paragraphs"]],
            tables=[Table(**t) for t in data["tables"]],
            figures=[Figure.from_dict(f) for f in data["figures"]],
            claims=[Claim(**{**c, "verdict": ClaimVerdict(c["verdict"])}) for c in data["claims"]],
            code=list(data["code"]),
            numbers=data["numbers"],
            seconds=data["seconds"],
        )


@dataclass
class TourResult:
    mode: str  # "quick" or "full"
    seeds: int
    sections: list[Section]
    seconds: float
    cached: bool = False

    @property
    def measured_seconds(self) -> float:
        """How long the measurements took when they were made (also when they now come from the store)."""
        return sum(s.seconds for s in self.sections)

    @property
    def claims(self) -> list[Claim]:
        return [c for s in self.sections for c in s.claims]

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "seeds": self.seeds,
            "seconds": self.seconds,
            "sections": [s.to_dict() for s in self.sections],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TourResult:
        return cls(data["mode"], data["seeds"], [Section.from_dict(s) for s in data["sections"]], data["seconds"])
