"""The one exception type for mistakes a user can make."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ActlabError(Exception):
    """A problem caused by user input: a bad name, a bad number, a missing file.

    The message says what was wrong and what would be right; the CLI prints it as one line and exits
    with code 2.
    """


def closest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The catalog names (or other choices) nearest to ``word``, best first."""
    options = sorted(set(choices))
    found = difflib.get_close_matches(word.lower(), options, n=n, cutoff=0.5)
    if not found:
        found = [c for c in options if c.startswith(word.lower()[:2])][:n]
    return found


def unknown(kind: str, word: str, choices: Iterable[str]) -> ActlabError:
    """An error for an unknown name, suggesting the closest valid ones."""
    options = sorted(set(choices))
    near = closest(word, options)
    hint = f"did you mean {', '.join(near)}?" if near else f"choose from {', '.join(options)}"
    return ActlabError(f"unknown {kind} {word!r}: {hint}")
