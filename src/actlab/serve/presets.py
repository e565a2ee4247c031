"""Presets: one click sets the page up to replay a section of the tour (``actlab tour``) live.

Each preset is a partial state (the keys it sets; the rest are the defaults) with a title and a note in
English and Chinese (:mod:`actlab.text`, keys ``serve.preset.<key>.title`` and ``.note``), and optionally a
question for the "ask it" box. The tests load every preset through
:func:`actlab.serve.state.parse_state` and train the dead-neuron one to check that it shows what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actlab.text import LANGS, template


@dataclass(frozen=True)
class Preset:
    key: str
    state: dict[str, Any]
    ask: str = ""  # a question to put in the "ask it" box
    play: bool = True  # start training at once

    @property
    def title(self) -> dict[str, str]:
        return self._words("title")

    @property
    def note(self) -> dict[str, str]:
        return self._words("note")

    def _words(self, what: str) -> dict[str, str]:
        """Every language's sentence ``serve.preset.<key>.<what>`` (:mod:`actlab.text`): {"en": ..., "zh": ...}."""
        return {lang: template(lang, f"serve.preset.{self.key}.{what}") for lang in LANGS}

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "note": self.note,
            "state": self.state,
            "ask": self.ask,
            "play": self.play,
        }


PRESETS: tuple[Preset, ...] = (
    Preset(
        "s1-nonlinearity",
        {
            "data": "xor",
            "feat": ["x1", "x2"],
            "layers": [8, 8],
            "act": ["identity", "identity"],
            "cmp": "relu",
            "lr": 0.03,
            "opt": "adam",
        },
    ),
    Preset(
        "s2-definition",
        {"data": "circle", "feat": ["x1", "x2"], "layers": [6], "act": ["relu"], "lr": 0.03},
    ),
    Preset(
        "s3-vanishing",
        {
            "data": "circle",
            "feat": ["x1", "x2"],
            "layers": [8, 8, 8, 8, 8, 8],
            "act": ["sigmoid"] * 6,
            "cmp": "relu",
            "lr": 0.003,
        },
    ),
    Preset(
        "s4-addition",
        {
            "data": "add",
            "feat": ["x1", "x2"],
            "layers": [8, 8],
            "act": ["relu", "relu"],
            "cmp": "identity",
            "lr": 0.01,
            "view": "extrap",
        },
        ask="5 + 3",
    ),
    Preset(
        "s5-dead",
        {
            "data": "add",
            "feat": ["x1", "x2"],
            "layers": [8, 8],
            "act": ["relu", "relu"],
            "cmp": "leaky_relu",
            "lr": 0.3,
            "opt": "adam",
        },
    ),
    Preset(
        "s6-worked",
        {"data": "add", "feat": ["x1", "x2"], "layers": [8, 8], "act": ["relu", "relu"], "lr": 0.01},
        ask="5 + 3",
    ),
    Preset(
        "spiral",
        {
            "data": "spiral",
            "feat": ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"],
            "layers": [8, 8, 8, 8, 8, 8],
            "act": ["tanh"] * 6,
            "lr": 0.01,
            "noise": 0,
        },
    ),
)


def presets_dict() -> list[dict[str, Any]]:
    return [p.as_dict() for p in PRESETS]
