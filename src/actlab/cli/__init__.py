"""The ``actlab`` command line: parses options, calls the library, renders results. No logic lives here.

Each command group sits in its own module and registers itself on :data:`app` when imported below.
"""

from __future__ import annotations

import sys

import typer

try:  # typer up to 0.2x uses click; later versions carry their own copy of it
    from click import ClickException
except ImportError:  # pragma: no cover - depends on the installed typer
    from typer._click.exceptions import ClickException  # type: ignore[no-redef]

from actlab.errors import ActlabError

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
    except ClickException as err:
        _fail(err.format_message())
    except KeyboardInterrupt:
        _fail("interrupted; work already finished is kept", code=130)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int = 2) -> None:
    sys.stderr.write(f"actlab: error: {' '.join(message.split())}\n")
    sys.exit(code)
