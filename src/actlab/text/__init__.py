"""Every user-facing sentence of the package, in English (:mod:`~actlab.text.en`) and Chinese
(:mod:`~actlab.text.zh`): one table per language, key -> template with ``{named}`` fields.

Numbers never live here: sentences take them as fields, so both languages show the same measurements.
``say(lang, key, **fields)`` picks and fills one sentence; a field that is ``None`` (a measurement that does
not exist, such as the error of a network that diverged) reads "n/a", never 0. Text between backticks is code
(a command): the renderers set it in a code font. Keys are namespaced by who says them: ``tour.*`` (the tour
and its report), ``diagnose.*`` (the diagnostics report), ``serve.*`` (the presets of
``actlab serve``; the page's own words are in its JavaScript).
"""

from __future__ import annotations

import string
from typing import Any

from actlab.errors import ActlabError
from actlab.text.en import EN
from actlab.text.zh import ZH

LANGS = ("en", "zh")
TABLES: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}
MISSING = "missing"  # the one key outside a namespace: how a measurement that does not exist reads


class _Formatter(string.Formatter):
    """``str.format`` that writes a missing value (``None``) as the language's "n/a", whatever its format."""

    def __init__(self, missing: str) -> None:
        super().__init__()
        self.missing = missing

    def format_field(self, value: Any, format_spec: str) -> str:
        return self.missing if value is None else super().format_field(value, format_spec)


def check_lang(lang: str) -> str:
    """``lang`` itself, when it is one of :data:`LANGS`; otherwise an :class:`ActlabError` naming them."""
    if lang not in LANGS:
        raise ActlabError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    return lang


def has(key: str) -> bool:
    """Whether ``key`` names a sentence (both tables hold the same keys)."""
    return key in EN


def template(lang: str, key: str) -> str:
    """The sentence ``key`` in ``lang`` with its ``{fields}`` left open, for code that fills them itself."""
    return TABLES[check_lang(lang)][key]


def say(lang: str, key: str, **fields: object) -> str:
    """The sentence ``key`` in ``lang``, with ``fields`` filled in (``None`` reads "n/a")."""
    table = TABLES[check_lang(lang)]
    return _Formatter(table[MISSING]).format(table[key], **fields)


__all__ = ["EN", "LANGS", "MISSING", "TABLES", "ZH", "check_lang", "has", "say", "template"]
