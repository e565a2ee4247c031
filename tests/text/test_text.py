"""actlab.text: both languages hold the same sentences with the same fields, and say() fills them as the tour
and the diagnostics report expect (a None field reads "n/a" in the language asked for)."""

from __future__ import annotations

import string
from collections.abc import Callable

import pytest

from actlab.errors import ActlabError
from actlab.text import EN, LANGS, MISSING, TABLES, ZH, check_lang, has, say, template


def fields(sentence: str) -> set[str]:
    """The names of a template's ``{fields}`` (format specs ignored)."""
    return {name for _, name, _, _ in string.Formatter().parse(sentence) if name is not None}


def test_both_languages_hold_the_same_keys() -> None:
    assert set(EN) == set(ZH)
    assert set(TABLES) == set(LANGS) == {"en", "zh"}


@pytest.mark.parametrize("key", sorted(EN))
def test_each_sentence_has_the_same_fields_in_both_languages(key: str) -> None:
    assert fields(EN[key]) == fields(ZH[key]), key


def test_keys_are_namespaced_by_who_says_them() -> None:
    """Two users of the tables cannot clash: every key but the shared "missing" belongs to one namespace."""
    assert {k.split(".", 1)[0] for k in EN if k != MISSING} == {"tour", "diagnose", "serve"}


def test_every_diagnostics_verdict_has_a_suggestion() -> None:
    codes = {k.split(".")[1] for k in EN if k.startswith("diagnose.") and not k.startswith("diagnose.label.")}
    assert codes == {
        "collapsed",
        "nonfinite",
        "layer_dead",
        "dead",
        "saturated",
        "sparse",
        "vanishing",
        "exploding",
        "fast_updates",
        "healthy",
    }
    assert all(f"diagnose.{code}.suggestion" in EN for code in codes)


def test_say_fills_the_fields() -> None:
    assert say("en", "tour.elapsed", seconds=12.345) == "Measured in 12.3 s."
    assert say("zh", "tour.elapsed", seconds=12.345) == "测量用时 12.3 秒。"
    assert say("en", "diagnose.label.collapsed", answer="yes") == "collapsed: yes"


def test_a_none_field_reads_n_a_whatever_its_format() -> None:
    assert say("en", "tour.ev.vanishing", relu=None, sigmoid=1e-5) == (
        "gradient at the first hidden layer / the last: relu n/a, sigmoid 1e-05"
    )
    assert say("zh", "tour.elapsed", seconds=None) == "测量用时 无数据 秒。"


def test_template_leaves_the_fields_open() -> None:
    assert template("en", "tour.elapsed") == "Measured in {seconds:.1f} s."
    assert has("tour.elapsed") and not has("elapsed")


@pytest.mark.parametrize("call", [lambda: check_lang("fr"), lambda: say("EN", "tour.title"), lambda: template("", "x")])
def test_an_unknown_language_is_a_user_error(call: Callable[[], object]) -> None:
    with pytest.raises(ActlabError, match=r"unknown language '.*': use one of en, zh"):
        call()


def test_check_lang_returns_the_language() -> None:
    assert check_lang("zh") == "zh"
