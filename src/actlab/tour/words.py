"""The tour's sentences, read from :mod:`actlab.text` under its ``tour.`` keys.

The tour's results name sentences by their short key (``"claim.fast"``, ``"s3.title"``): those keys are part of
the stored sections and of ``actlab tour --json``, so the namespace is added here, in one place.
"""

from __future__ import annotations

from actlab.text import MISSING, has, say, template

NAMESPACE = "tour."


def tour_say(lang: str, key: str, **fields: object) -> str:
    """The tour's sentence ``key`` in ``lang``, with ``fields`` filled in (``None`` reads "n/a")."""
    return say(lang, NAMESPACE + key, **fields)


def tour_template(lang: str, key: str) -> str:
    """The tour's sentence ``key`` in ``lang`` with its ``{fields}`` left open, for code that fills them itself."""
    return template(lang, NAMESPACE + key)


def label(lang: str, key: str) -> str:
    """A header, cell or caption: the tour's sentence when ``key`` names one (or "n/a" for ``"missing"``),
    otherwise the literal label."""
    if has(NAMESPACE + key):
        return tour_template(lang, key)
    return template(lang, MISSING) if key == MISSING else key
