"""The layers contract in pyproject.toml ([tool.importlinter]) holds, and it bites: a copy of the package with one
upward import planted (even a lazy one, inside a function) breaks it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` run on the package under ``root/src`` with ``root/pyproject.toml``'s contracts."""
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-c", code, "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def copy_project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_package_keeps_its_layers(tmp_path: Path) -> None:
    result = lint_imports(copy_project(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    entries = root / "src" / "actlab" / "catalog" / "entries.py"
    planted = "\n\ndef _planted() -> None:\n    from actlab.training import loop  # the catalog reaching up\n"
    entries.write_text(entries.read_text(encoding="utf-8") + planted, encoding="utf-8")
    result = lint_imports(root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "actlab.catalog is not allowed to import actlab.training" in result.stdout
    assert "actlab.catalog.entries -> actlab.training.loop" in result.stdout
