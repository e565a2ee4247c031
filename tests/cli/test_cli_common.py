"""The command line's shared parsing: comma-separated option values."""

from __future__ import annotations

import pytest

from actlab.cli._common import comma_list
from actlab.errors import ActlabError


def _message(position: int, count: int, fixed: str) -> str:
    return f"item {position} of {count} is empty; try {fixed!r}"


@pytest.mark.parametrize(
    ("text", "items"),
    [("relu", ["relu"]), ("16,16", ["16", "16"]), (" a , b,c ", ["a", "b", "c"]), ("x:k=1", ["x:k=1"])],
)
def test_comma_list_splits_and_strips(text: str, items: list[str]) -> None:
    assert comma_list(text, _message) == items


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "item 1 of 1 is empty; try ''"),
        ("16,,16", "item 2 of 3 is empty; try '16,16'"),
        (",relu", "item 1 of 2 is empty; try 'relu'"),
        ("a, ,b,", "item 2 of 4 is empty; try 'a,b'"),
    ],
)
def test_comma_list_refuses_an_empty_item_with_the_callers_message(text: str, message: str) -> None:
    with pytest.raises(ActlabError) as caught:
        comma_list(text, _message)
    assert str(caught.value) == message
