"""The ``actlab`` command line: parses options, calls the library, renders results. No logic lives here.

Each command group sits in its own module and registers itself on :data:`app` when imported below.
"""

from __future__ import annotations

import sys

import typer

from actlab.errors import ActlabError


def _usage_errors() -> tuple[type[Exception], ...]:
    """Click's usage-error base class wherever it lives: typer 0.2x raises its own vendored copy of click's
    exceptions, older typer raises click's, and both packages may be installed side by side."""
    found: list[type[Exception]] = []
    try:
        from typer._click.exceptions import ClickException as Vendored
    except ImportError:  # pragma: no cover - depends on the installed typer
        pass
    else:
        found.append(Vendored)
    try:
        from click import ClickException as Click
    except ImportError:  # pragma: no cover - depends on the installed typer
        pass
    else:
        found.append(Click)
    return tuple(found)


USAGE_ERRORS = _usage_errors()

app = typer.Typer(
    name="actlab",
    help="An activation-function laboratory: catalog, arithmetic networks, diagnostics, comparisons, "
    "and a guided tour that checks the ReLU lesson by measurement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Command modules register their commands on `app` when imported, in the order `actlab --help` lists them.
from actlab.cli import catalog_cmds, train_cmds, diagnose_cmds, compare_cmds, tour_cmds, bench_cmds  # noqa: E402, F401, I001


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit code 2, never a traceback."""
    try:
        code = app(args=argv, prog_name="actlab", standalone_mode=False)
    except ActlabError as err:
        _fail(str(err))
    except USAGE_ERRORS as err:
        if type(err).__name__ == "NoArgsIsHelpError":  # `actlab` or `actlab runs` alone: the help is the answer
            sys.stdout.write(err.format_message() + "\n")  # type: ignore[attr-defined]
            sys.exit(0)
        _fail(err.format_message())  # type: ignore[attr-defined]
    except MemoryError:
        _fail("not enough memory for this request: use smaller sizes (fewer elements, inputs or seeds)")
    except RuntimeError as err:
        if "allocate" not in str(err) and "out of memory" not in str(err):
            raise
        _fail("not enough memory for this request: use smaller sizes (fewer elements, inputs or seeds)")
    except OSError as err:  # the system refused a path the user gave (a name too long, no permission, ...)
        _fail(f"cannot use {err.filename}: {(err.strerror or str(err)).lower()}" if err.filename else str(err))
    except KeyboardInterrupt:
        _fail("interrupted; work already finished is kept", code=130)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int = 2) -> None:
    sys.stderr.write(f"actlab: error: {' '.join(message.split())}\n")
    sys.exit(code)
