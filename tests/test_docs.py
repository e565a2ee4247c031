"""Docs that cannot drift: every ``>>>`` example in the package runs, and every Sphinx-style cross-reference in a
docstring or comment (``:mod:``, ``:func:``, ``:class:``, ``:meth:``, ``:attr:``, ``:data:``) names something
that exists."""

from __future__ import annotations

import ast
import doctest
import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "actlab"
REFERENCE = re.compile(r":(mod|func|class|meth|attr|data):`~?\.?([A-Za-z_][\w.]*)`")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


SOURCES = sorted(PACKAGE.rglob("*.py"))


def bound_names(tree: ast.Module) -> set[str]:
    """Names a module binds by import anywhere, also under ``TYPE_CHECKING`` or inside a function, and the
    attributes its classes set (``self.name = ...``, annotated fields, methods)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names.add(item.target.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            names.add(node.attr)
    return names


def imported_from(tree: ast.Module, name: str, package: str) -> str | None:
    """The module ``name`` is imported from in this module (``from x import name``), if any."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            return base
    return None


def resolves(dotted: str, module: ModuleType, tree: ast.Module) -> bool:
    """``dotted`` is an importable module or attribute path, absolute, or relative to ``module`` (or its
    package), or of the public API (``actlab.ActlabError``), or a name the module imports or one of its classes
    defines."""
    package = module.__name__ if module.__file__ and module.__file__.endswith("__init__.py") else module.__package__
    candidates = [dotted, f"{module.__name__}.{dotted}", f"{package}.{dotted}", f"actlab.{dotted}"]
    source = imported_from(tree, dotted.split(".")[0], package or "")
    if source:
        candidates.append(f"{source}.{dotted}")
    for candidate in candidates:
        parts = candidate.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                target: object = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            try:
                for attr in parts[cut:]:
                    target = getattr(target, attr)
            except AttributeError:
                break
            return True
    # a method or attribute of one of this module's classes (``:meth:`to_dict```, ``:attr:`damaged```)
    return dotted.split(".")[-1] in bound_names(tree)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_every_cross_reference_names_something_that_exists(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    references = [m.group(2) for m in REFERENCE.finditer(text)]
    if not references:
        return
    module = importlib.import_module(module_name(path))
    tree = ast.parse(text)
    missing = sorted({ref for ref in references if not resolves(ref, module, tree)})
    assert not missing, f"{path.relative_to(SRC)} refers to what does not exist: {missing}"


def test_the_reference_check_can_fail() -> None:
    module = importlib.import_module("actlab.catalog.entries")
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    assert resolves("actlab.catalog.functional.relu", module, tree)
    assert resolves("Deferred", module, tree)
    assert not resolves("actlab.catalog.functional.no_such_function", module, tree)
    assert not resolves("actlab.catalog.arithmetic", module, tree)


PROJECT_PATH = re.compile(r"\b(?:tests|benchmarks|docs|examples|src)/[\w/.-]*\w\.[a-z]+\b")


def test_every_project_file_the_package_names_exists() -> None:
    """``see benchmarks/bench_vectorized.py`` in a docstring or comment: that file is in the repository."""
    root = SRC.parent
    named = {(path.relative_to(SRC), ref) for path in SOURCES for ref in PROJECT_PATH.findall(path.read_text("utf-8"))}
    assert named, "the check found no path to check"
    missing = sorted(f"{source}: {ref}" for source, ref in named if not (root / ref).exists())
    assert not missing, missing


EXAMPLE = re.compile(r"^\s*>>> ", re.MULTILINE)  # a line of a docstring's example, not ">>> " in a string
EXAMPLES = [path for path in SOURCES if EXAMPLE.search(path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: module_name(p))
def test_every_example_in_the_package_runs(path: Path) -> None:
    module = importlib.import_module(module_name(path))
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {module.__name__} failed"


DOTTED = re.compile(r"`(actlab(?:\.[A-Za-z_]\w*)+)`")  # a module or attribute named in backticks, ``actlab.x.y``
DOCUMENTS = sorted(SRC.parent.glob("*.md"))


def importable(dotted: str) -> bool:
    """``dotted`` is a module, or an attribute path under the longest importable module in it."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(target, attr):
                return False
            target = getattr(target, attr)
        return True
    return False


def test_the_document_check_can_fail() -> None:
    assert importable("actlab.training.evaluate.evaluate") and importable("actlab.ActlabError")
    assert not importable("actlab.evaluate") and not importable("actlab.catalog.arithmetic")


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_every_module_a_document_names_exists(path: Path) -> None:
    """README.md and BENCHMARKS.md name modules in prose (``actlab.training.evaluate``): each one exists."""
    named = set(DOTTED.findall(path.read_text(encoding="utf-8")))
    missing = sorted(ref for ref in named if not importable(ref))
    assert not missing, f"{path.name} names what does not exist: {missing}"
