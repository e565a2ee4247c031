"""``actlab list``, ``show``, ``plot``, ``demo``: output, ``--json`` and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_list_table_and_json(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("list")
    assert r.code == 0 and "leaky_relu" in r.out and "max(0, x)" in r.out
    r = cli("list", "--json")
    rows = json.loads(r.out)
    assert r.code == 0 and len(rows) >= 20
    relu = next(row for row in rows if row["name"] == "relu")
    assert relu["formula"] == "f(x) = max(0, x)"
    assert relu["range"] == {"low": 0.0, "high": None, "text": "[0, ∞)"}
    assert relu["properties"]["exact_zeros"] is True and relu["properties"]["saturating"] is False
    assert next(row for row in rows if row["name"] == "identity")["aliases"] == ["linear", "none"]


def test_show_relu_has_the_lesson_example(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("show", "relu")
    assert r.code == 0
    assert "[-2, -1, 0, 1, 2] -> relu(x) = [0, 0, 0, 1, 2]" in r.out
    assert "f'(0) = 0" in r.out and "Nair & Hinton" in r.out
    data = json.loads(cli("show", "relu", "--json").out)
    assert data["example"] == {
        "x": [-2.0, -1.0, 0.0, 1.0, 2.0],
        "y": [0.0, 0.0, 0.0, 1.0, 2.0],
        "dy": [0.0, 0.0, 0.0, 1.0, 1.0],
    }
    assert data["name"] == "relu" and data["derivative"].startswith("f'(x)")


def test_show_with_parameters_and_alias(cli) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(cli("show", "lrelu", "-p", "negative_slope=0.5", "--json").out)
    assert data["name"] == "leaky_relu" and data["params"] == {"negative_slope": 0.5}
    assert data["example"]["y"] == [-1.0, -0.5, 0.0, 1.0, 2.0]


def test_show_and_plot_write_images(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "relu.png"
    assert cli("show", "relu", "--out", str(out)).code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    many = tmp_path / "many.svg"
    r = cli("plot", "relu", "sigmoid", "gelu:approximate=tanh", "--out", str(many), "--json")
    assert r.code == 0 and json.loads(r.out)["activations"] == ["relu", "sigmoid", "gelu"]
    assert "<svg" in many.read_text()


def test_demo_prints_the_lesson_layer(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("demo")
    assert r.code == 0
    assert "5*1.0 + 3*0.5 + 0.1 = 6.6" in r.out
    assert "[6.6, 3.8, 1.3, 1.3, -0.3]" in r.out and "[6.6, 3.8, 1.3, 1.3, 0.0]" in r.out
    data = json.loads(cli("demo", "--activation", "leaky_relu", "--json").out)
    assert data["input"] == [5.0, 3.0] and data["activation"] == "leaky_relu"
    assert data["pre_activation"] == [6.6, 3.8, 1.3, 1.3, -0.3]
    assert data["output"] == [6.6, 3.8, 1.3, 1.3, -0.003]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "rleu"], "unknown activation 'rleu': did you mean relu"),
        (["show", "leaky_relu", "-p", "negative_slope=abc"], "negative_slope='abc' is invalid"),
        (["show", "softplus", "-p", "beta=-1"], "beta must be a number > 0"),
        (["show", "relu", "--out", "/proc/no/such/folder/x.png"], "cannot create folder /proc/no/such/folder"),
        (["plot", "relu", "--out", "plot.txt"], "ending in .png"),
        (["plot", "relu", "--out", "a.png", "--low", "3", "--high", "1"], "--low 3 must be below --high 1"),
        (["demo", "--activation", "sigmoidd"], "did you mean sigmoid"),
        (["show", "relu", "--bogus"], "No such option"),
        (["plot", "relu", "--out", "a.png", "--low", "-inf"], "must be finite numbers within ±1e6"),
        (["plot", "relu", "--out", "a.png", "--low", "-1e308", "--high", "1e308"], "within ±1e6"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    r = cli(*args)
    assert r.code == 2
    assert r.err.count("\n") == 1 and r.err.startswith("actlab: error: ")
    assert message in r.err and "Traceback" not in r.err
    assert r.out == ""


def test_no_command_prints_the_help(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli()
    assert r.code == 0 and "Commands" in r.out and "tour" in r.out and r.err == ""
