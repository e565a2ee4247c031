"""Quick start: ``actlab --help``, ``--version``, ``list`` and ``show`` import only what they need.

The mechanism is checked, not the time (``benchmarks/bench_startup.py`` measures that): each command runs in a
fresh interpreter, which then reports whether torch or matplotlib were imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

import actlab
from actlab.cli import COMMANDS, load_commands

REPORT = """
import json, sys
from actlab.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
print(json.dumps(sorted(m for m in ("torch", "matplotlib") if m in sys.modules)), file=sys.stderr)
"""


def _run(*args: str) -> tuple[str, list[str]]:
    """stdout of ``actlab ARGS`` in a fresh interpreter, and which of torch and matplotlib it imported."""
    done = subprocess.run([sys.executable, "-c", REPORT, *args], capture_output=True, text=True, check=True)
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("args", "imported"),
    [
        (("--help",), []),
        (("--version",), []),
        ((), []),
        (("list",), []),
        (("list", "--json"), []),
        (("show", "relu"), ["torch"]),
        (("show", "gelu", "--json"), ["torch"]),
        (("tasks",), ["torch"]),
    ],
)
def test_commands_import_only_what_they_need(args: tuple[str, ...], imported: list[str]) -> None:
    out, modules = _run(*args)
    assert out
    assert modules == imported


def test_version_and_help() -> None:
    out, _ = _run("--version")
    assert out == f"actlab {actlab.__version__}\n"
    out, _ = _run("--help")
    assert "--version" in out and all(f"  {name} " in out for name in COMMANDS)


def test_compare_json_draws_nothing(tmp_path: Path) -> None:
    args = [
        "compare",
        "--task",
        "add",
        "--activations",
        "relu,tanh",
        "--seeds",
        "2",
        "--steps",
        "5",
        "--workers",
        "1",
        "--db",
        str(tmp_path / "runs.db"),
        "--json",
    ]
    out, modules = _run(*args)
    assert json.loads(out)  # one JSON document, and no plotting library behind it
    assert modules == ["torch"]


def test_the_help_table_matches_the_commands() -> None:
    """``actlab --help`` lists :data:`COMMANDS` without importing a command; each entry must name the module
    that registers the command and repeat the first line of its help, in the order the modules list them."""
    group = typer.main.get_command(load_commands())
    registered = group.commands  # type: ignore[attr-defined]
    assert set(registered) == set(COMMANDS), "add the new command to actlab.cli.COMMANDS"
    for name, (module, summary) in COMMANDS.items():
        command = registered[name]
        help_text = (command.help or "").strip().splitlines()[0]
        assert help_text == summary, f"actlab.cli.COMMANDS[{name!r}]: the command's help now starts {help_text!r}"
        if command.callback is not None:  # a group (runs) has none of its own
            assert command.callback.__module__ == f"actlab.cli.{module}"


@pytest.mark.parametrize("columns", ["60", "80", "100", "120"])
def test_the_help_listing_never_cuts_a_summary_at_an_abbreviation(columns: str) -> None:
    """Click shortens a command's line in ``actlab --help`` at its first word ending in "." (eval's read
    "Re-evaluate a saved run, e.g."): no summary may hold such a word before its end."""
    done = subprocess.run(
        [sys.executable, "-m", "actlab", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": columns},
    )
    listed = [line.strip() for line in done.stdout.splitlines() if line.startswith("  ") and line.strip()[:1] != "-"]
    assert len(listed) >= len(COMMANDS)
    assert not [line for line in listed if line.endswith(("e.g.", "i.e.", "etc.", "vs."))]
