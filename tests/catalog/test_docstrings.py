"""Every catalog module's docstring is generated from its entry, and its example runs against the module."""

from __future__ import annotations

import doctest
import math
import pydoc
import re

import pytest
import torch

import actlab
from actlab.catalog.docs import DECIMALS, EXAMPLE_INPUTS, MIN_ULPS_FROM_TIE
from actlab.catalog.entries import CATALOG, lookup, parse_spec
from actlab.catalog.modules import MODULES
from actlab.errors import ActlabError

NAMES = list(CATALOG)


def run_examples(obj: object, name: str) -> doctest.TestResults:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS, verbose=False)
    for test in doctest.DocTestFinder(recurse=False).find(obj, name, globs={}):
        runner.run(test, out=lambda _text: None)
    return runner.summarize(verbose=False)


@pytest.mark.parametrize("name", NAMES)
def test_the_example_in_each_docstring_runs_against_the_module(name: str) -> None:
    result = run_examples(MODULES[name], name)
    assert (result.attempted, result.failed) == (2, 0)


def test_an_example_with_a_wrong_output_fails() -> None:
    class Wrong:
        __doc__ = (MODULES["gelu"].__doc__ or "").replace("tensor([-0.0455,  0.0000,  1.9545])", "tensor([0., 0., 2.])")

    assert run_examples(Wrong, "Wrong").failed == 1


@pytest.mark.parametrize("name", NAMES)
def test_each_docstring_states_what_its_entry_says(name: str) -> None:
    entry, doc = CATALOG[name], MODULES[name].__doc__ or ""
    assert doc.startswith(f"{name}: {entry.summary}\n")
    for fact in (entry.formula, entry.derivative, f"At kinks: {entry.kinks}.", str(entry.range_for()), "(*)"):
        assert fact in doc
    for param in entry.params:
        assert f"{param.name} ({'str' if param.choices else 'float'}, default {param.default!r})" in doc
    assert f'>>> actlab.get("{name}")(torch.tensor([-2.0, 0.0, 2.0]))' in doc


def test_hand_checked_examples() -> None:
    assert (MODULES["relu"].__doc__ or "").endswith(
        '>>> actlab.get("relu")(torch.tensor([-2.0, 0.0, 2.0]))\n    tensor([0., 0., 2.])\n'
    )
    # 1/6 and 5/6 are not exact: rounded to 4 decimals
    assert 'hardsigmoid")(torch.tensor([-2.0, 0.0, 2.0])).round(decimals=4)\n    tensor([0.1667, 0.5000, 0.8333])' in (
        MODULES["hardsigmoid"].__doc__ or ""
    )
    # PReLU's output carries its learned slope's graph: the example detaches it
    assert 'prelu")(torch.tensor([-2.0, 0.0, 2.0])).detach()\n    tensor([-0.5000,  0.0000,  2.0000])' in (
        MODULES["prelu"].__doc__ or ""
    )


@pytest.mark.parametrize("name", NAMES)
def test_rounded_example_values_are_far_from_a_rounding_tie(name: str) -> None:
    """So that no CPU's kernel, a few float32 steps off the formula, prints another last digit."""
    entry = CATALOG[name]
    values = entry.fn(torch.tensor(EXAMPLE_INPUTS, dtype=torch.float64), **entry.resolve()).tolist()
    for value in values:
        scaled = value * 10**DECIMALS
        if scaled == round(scaled) and float(torch.tensor(value, dtype=torch.float32)) == value:
            continue  # exact: printed as it is
        distance = abs(scaled - math.floor(scaled) - 0.5) / 10**DECIMALS
        steps = distance / (torch.finfo(torch.float32).eps * max(abs(value), 1e-30))
        assert steps >= MIN_ULPS_FROM_TIE, (name, value, steps)


def test_help_shows_the_generated_docstring() -> None:
    text = pydoc.render_doc(actlab.get("gelu"), renderer=pydoc.plaintext)
    assert "f(x) = x·Φ(x), Φ the standard normal CDF" in text
    assert "approximate (str, default 'none')" in text
    assert re.search(r">>> actlab\.get\(\"gelu\"\).*\n.*tensor\(\[-0\.0455,  0\.0000,  1\.9545\]\)", text)


@pytest.mark.parametrize("name", NAMES)
def test_the_example_a_bad_spec_error_gives_is_accepted(name: str) -> None:
    with pytest.raises(ActlabError, match=r"e\.g\. ") as caught:
        parse_spec(f"{name}:oops")
    example = str(caught.value).rsplit("e.g. ", 1)[1]
    entry, params = parse_spec(example)
    assert entry is lookup(example.partition(":")[0])
    assert params
