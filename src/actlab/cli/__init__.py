"""The ``actlab`` command line: parses options, calls the library, renders results. No logic lives here.

Each command group sits in its own module and registers itself on :data:`app` when imported. Only the module
of the command being run is imported (:func:`main`), so that ``actlab --help``, ``--version`` and ``list``
start without torch or matplotlib; ``actlab --help`` lists the commands from :data:`COMMANDS`.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer

from actlab._version import __version__
from actlab.errors import ActlabError

# Every command, in the order `actlab --help` lists them: the module that defines it and the first line of its
# help (tests/cli/test_startup.py holds these equal to the commands' own docstrings).
COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("catalog_cmds", "List every activation in the catalog: name, formula, output range, key properties."),
    "show": (
        "catalog_cmds",
        "Show one activation: formula, derivative, range, properties, reference, and the lesson's example.",
    ),
    "plot": ("catalog_cmds", "Plot several activations and their derivatives on one figure."),
    "demo": ("catalog_cmds", "Run the lesson's worked example: input [5, 3] through its 2x5 layer and an activation."),
    "train": (
        "train_cmds",
        "Train a network on a task and print its metrics; --out saves config, weights, history and metrics.",
    ),
    "predict": (
        "train_cmds",
        "Ask a trained network: `actlab predict DIR 5 3` prints its answer to 5 + 3 (for an add run).",
    ),
    "eval": (
        "train_cmds",
        "Re-evaluate a saved run, for instance far outside its training range: `actlab eval DIR --range -1000 1000`.",
    ),
    "tasks": ("train_cmds", "List the tasks with their kind, inputs and default training and extrapolation ranges."),
    "diagnose": (
        "diagnose_cmds",
        "Diagnose a network: dead, saturated and sparse units, gradient norms from input to output, collapse.",
    ),
    "born-dead": (
        "diagnose_cmds",
        "How often deep narrow networks are born dead: collapsed (constant output) at initialisation.",
    ),
    "compare": (
        "compare_cmds",
        "Compare activations over many seeds: mean and 95 % interval of errors, loss, speed, dead units.",
    ),
    "sweep": (
        "compare_cmds",
        "Run a grid of tasks x activations x depths x widths x inits x lrs x seeds, resuming what is stored.",
    ),
    "tour": ("tour_cmds", "Walk through the ReLU lesson and check each of its claims by measurement (about a minute)."),
    "bench": (
        "bench_cmds",
        "Forward and forward+backward time per element and effective GB/s for catalog activations.",
    ),
    "serve": (
        "serve_cmds",
        "Start the playground: datasets, a network you shape, live heatmaps, diagnostics, in your browser.",
    ),
    "runs": ("runs_cmds", "The results database: list, show, export, plot and clean up stored runs."),
}


def _usage_error() -> type[Exception]:
    """Click's usage-error base class (``ClickException``) as the installed typer raises it: typer 0.2x
    raises its own vendored copy of click's exceptions, older typer raises click's. Either way it is a base
    class of the public ``typer.BadParameter``."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


USAGE_ERROR = _usage_error()

SETTINGS = {
    "name": "actlab",
    "help": "An activation-function laboratory: catalog, arithmetic networks, diagnostics, comparisons, "
    "and a guided tour that checks the ReLU lesson by measurement.",
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
}


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"actlab {__version__}\n")
        raise typer.Exit()


VersionOpt = Annotated[
    bool,
    typer.Option("--version", is_eager=True, callback=_print_version, help="Print actlab's version and exit."),
]


def _root(version: VersionOpt = False) -> None:
    """The options before a command (``--version``)."""


app = typer.Typer(**SETTINGS)  # type: ignore[arg-type]
app.callback()(_root)


def _listing() -> typer.Typer:
    """An app with every command of :data:`COMMANDS` as a stand-in, for ``actlab --help`` without imports."""
    listing = typer.Typer(**SETTINGS)  # type: ignore[arg-type]
    listing.callback()(_root)
    for name, (_module, summary) in COMMANDS.items():
        listing.command(name, help=summary)(_stand_in)
    return listing


def _stand_in() -> None:  # pragma: no cover - main() imports the real command before running one
    raise ActlabError("internal error: a command ran before its module was imported")


def load_commands(names: list[str] | None = None) -> typer.Typer:
    """:data:`app` with the commands ``names`` (default: all) registered, by importing their modules."""
    modules = {COMMANDS[n][0] for n in names} if names is not None else {m for m, _ in COMMANDS.values()}
    for module in sorted(modules):
        importlib.import_module(f"actlab.cli.{module}")
    return app


def _app_for(args: list[str]) -> typer.Typer:
    """The app that can run ``args``: with the named command's module imported, or the listing."""
    name = next((a for a in args if not a.startswith("-")), None)
    if name is None:
        return _listing()
    return load_commands([name] if name in COMMANDS else None)  # an unknown name: all, then click says so


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit code 2, never a traceback."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        code = _app_for(args)(args=args, prog_name="actlab", standalone_mode=False)
    except ActlabError as err:
        _fail(str(err))
    except USAGE_ERROR as err:
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
