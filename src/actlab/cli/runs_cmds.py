"""``actlab runs``: list, show, export and clean up the runs in the results database.

Every command but ``gc`` only reads: the database is opened read-only, and nothing is written to it. A
stored row that cannot be read back (damaged) is skipped and reported: a warning on stderr, and a
``damaged`` entry in ``export --json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from actlab.cli import app
from actlab.cli._common import DbOpt, JsonOpt, console, counted, emit_json, err_console, print_table
from actlab.errors import ActlabError
from actlab.experiments.store import ResultStore

runs_app = typer.Typer(
    help="The results database: list, show, export, plot and clean up stored runs.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(runs_app, name="runs")

TaskFilter = Annotated[str | None, typer.Option("--task", help="Only runs of this task.")]
ActivationFilter = Annotated[str | None, typer.Option("--activation", help="Only runs of this activation.")]
LabelFilter = Annotated[str | None, typer.Option("--label", help="Only runs of this sweep or comparison label.")]


def _damaged(store: ResultStore) -> list[dict[str, Any]]:
    """The rows the store skipped, as ``[{"id", "problem"}]``, and a warning about them on stderr."""
    found = sorted(store.damaged.items())
    if found:
        ids = ", ".join(str(rid) for rid, _ in found[:10]) + (", ..." if len(found) > 10 else "")
        where = escape(str(store.path))
        err_console.print(
            f"[yellow]warning:[/yellow] skipped {counted(len(found), 'damaged run')} in {where} that cannot "
            f"be read (id {ids}; {escape(found[0][1])}); `actlab compare` or `sweep` trains a damaged "
            f"run again",
            highlight=False,
            soft_wrap=True,
        )
    return [{"id": rid, "problem": problem} for rid, problem in found]


@runs_app.command("list")
def runs_list(
    task: TaskFilter = None,
    activation: ActivationFilter = None,
    label: LabelFilter = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many runs.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Stored runs: id, hash, task, activation, seed, errors."""
    if limit is not None and limit < 1:
        raise ActlabError(f"--limit must be at least 1, got {limit}; leave it out to list every run")
    with ResultStore(db, create=False) as store:
        records = store.runs(task, activation, label, limit)
        path = store.path
        damaged = _damaged(store)
    if as_json:
        emit_json([r.summary() for r in records])
        return
    skipped = f" ({counted(len(damaged), 'damaged run')} skipped)" if damaged else ""
    table = Table(title=f"{counted(len(records), 'run')} in {escape(str(path))}{skipped}")
    for column in ("id", "hash", "task", "activation", "hidden", "seed", "device", "interp", "extrap", "label"):
        number = column in ("id", "seed", "interp", "extrap")
        table.add_column(
            column, justify="right" if number else "left", overflow="fold", no_wrap=number or column == "hash"
        )
    for r in records:
        interp = r.metrics.get("interp_mae", r.metrics.get("accuracy"))
        extrap = r.metrics.get("extrap_mae", r.metrics.get("extrap_accuracy"))
        hidden = r.config.get("hidden", [])
        table.add_row(
            str(r.id),
            r.config_hash[:10],
            escape(r.task),
            escape(r.activation),
            escape(" ".join(map(str, hidden)) if isinstance(hidden, list) else str(hidden)),
            str(r.seed),
            escape(r.device),
            _num(interp),
            _num(extrap),
            escape(r.label or ""),
        )
    print_table(table)


def _num(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) and not isinstance(value, bool) else "—"


@runs_app.command("show")
def runs_show(
    ref: Annotated[str, typer.Argument(help="A run id or a prefix of its config hash.")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One run in full: config, metrics and the loss curve's ends."""
    with ResultStore(db, create=False) as store:
        record = store.find(ref)
    data = {**record.summary(), "config": record.config, "losses": record.losses}
    if as_json:
        emit_json(data)
        return
    table = Table(title=f"run {record.id} · {record.config_hash}")
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for key, value in {**record.summary(), **{f"config.{k}": v for k, v in record.config.items()}}.items():
        table.add_row(escape(str(key)), _num(value) if isinstance(value, float) else escape(str(value)))
    console.print(table)
    if record.losses:
        first, last = record.losses[0], record.losses[-1]
        console.print(f"loss: {first:.4g} at step 1 -> {last:.4g} at step {len(record.losses)}", highlight=False)


@runs_app.command("export")
def runs_export(
    path: Annotated[
        Path, typer.Argument(help="Output file: .csv, .json (with loss curves) or .parquet; one row per run.")
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, json or parquet (default: from the file's suffix). Parquet needs "
            "pandas and pyarrow: pip install 'actlab[parquet]'.",
        ),
    ] = None,
    task: TaskFilter = None,
    activation: ActivationFilter = None,
    label: LabelFilter = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write stored runs as a table: one row per run, a column per config field and per metric."""
    from actlab.experiments.export import export_format, export_runs

    chosen = export_format(path, fmt)  # before the database is read
    with ResultStore(db, create=False) as store:
        records = store.runs(task, activation, label)
        db_path = store.path
        damaged = _damaged(store)
    try:
        columns = export_runs(records, path, chosen)
    except OSError as err:  # a read-only folder, a name too long, ...
        raise ActlabError(f"cannot write {path}: {err.strerror or type(err).__name__}") from None
    if as_json:
        emit_json(
            {
                "file": str(path),
                "format": chosen,
                "runs": len(records),
                "columns": columns,
                "damaged": damaged,
                "db": str(db_path),
            }
        )
        return
    console.print(f"wrote {counted(len(records), 'run')} to {escape(str(path))}", highlight=False)


@runs_app.command("gc")
def runs_gc(
    db: DbOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, delete nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete runs stored by other actlab versions (their keys can never match again) and compact the file."""
    with ResultStore(db, create=False, read_only=dry_run) as store:
        removed = store.gc(dry_run=dry_run)
        left, path = store.count(), store.path
    if as_json:
        emit_json({"removed": 0 if dry_run else removed, "stale": removed, "kept": left, "db": str(path)})
        return
    verb = "would remove" if dry_run else "removed"
    console.print(
        f"{verb} {counted(removed, 'run')} from other versions; {counted(left, 'run')} in {path}", highlight=False
    )


# `runs plot` lives in its own module; importing it registers the command on runs_app.
from actlab.cli import runs_plot_cmd  # noqa: E402, F401
