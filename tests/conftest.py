"""Shared test fixtures. ``QUICK`` shrinks slow experiments (set in CI, or by ACTLAB_QUICK=1)."""

from __future__ import annotations

import os

import pytest

from actlab.cli import main

QUICK = os.environ.get("CI", "").lower() == "true" or os.environ.get("ACTLAB_QUICK") == "1"


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run ``actlab ARGS...`` in-process through the real entry point; returns code, stdout, stderr."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as done:
            code = int(done.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
