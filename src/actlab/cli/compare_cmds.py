"""``actlab compare``, ``sweep`` and ``runs``: many seeds, one vectorized run, a results store that resumes."""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from actlab.cli import app
from actlab.cli._common import JsonOpt, console, emit_json, err_console, fail_after_output, prepare_store
from actlab.cli._train_options import (
    HIDDEN_CONTEXT,
    BatchSizeOpt,
    BiasInitOpt,
    ExtrapRangeOpt,
    HiddenOpt,
    InitOpt,
    LrOpt,
    MomentumOpt,
    NoiseOpt,
    OptimizerOpt,
    RangeOpt,
    StepsOpt,
    TargetLossOpt,
    TaskOpt,
    config_from_options,
    hidden_widths,
)
from actlab.errors import ActlabError
from actlab.outputs import prepare_output_dir, prepare_output_file, write_or_explain
from actlab.plain import plain
from actlab.stats import Estimate
from actlab.store import DEFAULT_PATH, ENV_VAR, ResultStore, RunRecord, default_path, exists

if TYPE_CHECKING:  # the executor imports PyTorch: only the commands that train load it
    from actlab.executor import Plan

DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help=f"Results database (default ${ENV_VAR}, else ./{DEFAULT_PATH.as_posix()}); missing folders are created.",
    ),
]
FreshOpt = Annotated[bool, typer.Option("--fresh", help="Retrain runs the database already holds (and replace them).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
WorkersOpt = Annotated[
    int | None, typer.Option("--workers", "--threads", min=1, show_default=False,
                             help="Worker processes per training group, each training whole chunks of its "
                             "networks on one core (default: this machine's cores, at most 8; one on systems "
                             "other than Linux; see BENCHMARKS.md).")
]  # fmt: skip

runs_app = typer.Typer(help="The results database: list, show, export and clean up stored runs.",
                       no_args_is_help=True, rich_markup_mode=None)  # fmt: skip
app.add_typer(runs_app, name="runs")


@contextmanager
def model_step_bar(label: str, quiet: bool) -> Iterator[Any]:
    """A Rich bar on stderr over model-steps, with an ETA; yields ``update(done, total)``. The bar appears
    on the first update, so that an error found before any training prints alone on its line, and only
    when stderr is a terminal (in a pipe or a log file a live bar leaves only stray lines)."""
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("model-steps"),
        TextColumn("ETA"), TimeRemainingColumn(), console=err_console, transient=True,
    )  # fmt: skip
    bar = progress.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        if quiet or not err_console.is_terminal:
            return
        if not progress.live.is_started:
            progress.start()
        progress.update(bar, completed=done, total=total)

    try:
        yield update
    finally:
        if progress.live.is_started:
            progress.stop()


# --- compare ----------------------------------------------------------------------------------------------


@app.command(context_settings=HIDDEN_CONTEXT)
def compare(
    ctx: typer.Context,
    task: TaskOpt = None,
    activations: Annotated[
        str, typer.Option("--activations", "-a", help="Comma-separated catalog specs to compare.")
    ] = "relu,leaky_relu,sigmoid,tanh,gelu,identity",
    seeds: Annotated[int, typer.Option("--seeds", "-n", help="Seeds per activation (seeds 0..n-1).")] = 10,
    hidden: HiddenOpt = None,
    steps: StepsOpt = None,
    lr: LrOpt = None,
    batch_size: BatchSizeOpt = None,
    optimizer: OptimizerOpt = None,
    momentum: MomentumOpt = None,
    init: InitOpt = None,
    bias_init: BiasInitOpt = None,
    train_range: RangeOpt = None,
    extrap_range: ExtrapRangeOpt = None,
    noise: NoiseOpt = None,
    target_loss: TargetLossOpt = None,
    reach: Annotated[
        float | None,
        typer.Option(
            "--reach",
            help="Loss (> 0) for the 'reached' and 'steps to' columns (default 0.01 regression, 0.1 "
            "classification); training goes on past it (--target-loss stops it).",
        ),
    ] = None,
    db: DbOpt = None,
    fresh: FreshOpt = False,
    workers: WorkersOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write plots, results.csv/json and runs.csv to this folder.")
    ] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare activations over many seeds: mean and 95 % interval of errors, loss, speed, dead units."""
    from actlab.comparison import check_request
    from actlab.comparison import compare as run_compare
    from actlab.executor import LocalExecutor
    from actlab.vectorized import default_workers

    if seeds <= 0:
        raise ActlabError(f"--seeds must be at least 1, got {seeds}")
    names = activations.split(",")
    for position, name in enumerate(names, start=1):
        if not name.strip():
            raise ActlabError(f"--activations {activations!r}: item {position} of {len(names)} is empty; give "
                              f"comma-separated names without gaps, such as relu,tanh")  # fmt: skip
    if reach is not None and not (math.isfinite(reach) and reach > 0):
        raise ActlabError(f"--reach must be a number > 0 (a training loss such as 0.01), got {reach}")
    config = config_from_options(
        task=task, hidden=hidden_widths(hidden, ctx.args), steps=steps, lr=lr, batch_size=batch_size,
        optimizer=optimizer, momentum=momentum, init=init, bias_init=bias_init, range=train_range,
        extrap_range=extrap_range, noise=noise, target_loss=target_loss,
    )  # fmt: skip
    check_request(config.task, names, seeds, config, reach)  # before the database is created
    if out is not None:
        prepare_output_dir(out)
    prepare_store(db)
    with ResultStore(db) as store:
        before = store.count()
        try:
            with model_step_bar(f"compare {config.task}", quiet) as update:
                result = run_compare(config.task, names, seeds, config, target_loss=reach, store=store, fresh=fresh,
                                     executor=LocalExecutor(workers or default_workers()), progress=update,
                                     label=f"compare {config.task}")  # fmt: skip
        except KeyboardInterrupt:
            kept = max(0, store.count() - before)
            _interrupted(f"{_n(kept, 'new run')} stored in {store.path} before it")
        db_path = store.path
    written: list[Path] = []
    not_written = write_or_explain(lambda: _write_outputs(result, out, written), out) if out is not None else ""
    if as_json:
        emit_json({**result.to_dict(), "db": str(db_path), "files": [str(p) for p in written]})
        fail_after_output([not_written])
        return
    _print_table(_compare_table(result))
    console.print(f"Each cell: the mean over seeds, under it ± the half-width of its 95 % interval ({result.method});"
                  f" reached: runs whose loss got to the target; s/run: each run's share of its vectorized group's "
                  f"time. Trained {_n(result.trained, 'run')}, reused {result.reused} from {db_path}",
                  highlight=False)  # fmt: skip
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    for path in written:
        console.print(f"wrote {path}", highlight=False)
    fail_after_output([not_written])


def _n(count: int, noun: str) -> str:
    """``1 run``, ``2 runs``."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _interrupted(kept: str) -> None:
    """Ctrl-C: one line on stderr saying what was kept and how to go on, and exit code 130."""
    sys.stderr.write(f"actlab: error: interrupted; {kept}; rerun the same command to resume (stored runs "
                     f"are reused)\n")  # fmt: skip
    raise typer.Exit(130)


def _pm(e: Estimate, digits: int = 3, scale: float = 1.0) -> str:
    """The mean, and under it ``±half-width``; the mean alone when there is no interval (one seed) or it is
    0 (all equal). Two lines keep the columns narrow enough for 80 columns without cutting a number."""
    if e.n == 0:
        return "—"
    mean = _g(e.mean * scale, digits)
    return mean if math.isnan(e.ci95) or e.ci95 == 0 else f"{mean}\n±{_g(e.ci95 * scale, 2)}"


def _g(value: float, digits: int) -> str:
    """``digits`` significant digits, but whole numbers where that would need an exponent (``106``, not
    ``1.1e+02``)."""
    text = f"{value:.{digits}g}"
    return f"{value:.0f}" if "e" in text and 10 <= abs(value) < 1e6 else text


def _compare_table(result: Any) -> Table:
    metric = "MAE" if result.metric == "mae" else "accuracy"
    seeds = result.stats[0].seeds
    table = Table(title=f"{result.task}: {_n(len(result.stats), 'activation')}, {_n(seeds, 'seed')} each, "
                        f"hidden {' '.join(map(str, result.base_config.hidden))}, "
                        f"{_n(result.base_config.steps, 'step')}")  # fmt: skip
    target = f"≤{result.target_loss:g}"
    for column in ("activation", f"interp\n{metric}", f"extrap\n{metric}", "final\nloss", f"reached\n{target}",
                   f"steps to\n{target}", "dead\n%", "s/run"):  # fmt: skip
        # Headers are split by hand and nothing wraps, so that a column is as wide as its widest value. Fold,
        # never "…": should the table not fit a terminal after all, a value goes on in the next line.
        table.add_column(column, justify="left" if column == "activation" else "right", overflow="fold",
                         no_wrap=True)  # fmt: skip
    for s in result.stats:
        name = s.activation + (f" ({s.diverged} diverged)" if s.diverged else "")
        steps = _pm(s.steps_to_target, 4) if s.reached else "never"
        table.add_row(name, _pm(s.interp), _pm(s.extrap), _pm(s.final_loss), f"{s.reached}/{s.seeds}", steps,
                      _pm(s.dead_fraction, 2, 100), _pm(s.seconds, 2))  # fmt: skip
    return table


def _print_table(table: Table) -> None:
    """Print a table whole, never cutting a value. Into a pipe or file it is as wide as its widest cells,
    even wider than ``COLUMNS``. On a terminal too narrow for it, the widest cells (a long activation spec
    first) fold onto further lines rather than being cut or run past the edge."""
    from rich.measure import Measurement

    needed = Measurement.get(console, console.options.update_width(10_000), table).maximum
    if needed <= console.width:
        console.print(table)
    elif console.is_terminal:
        for column in table.columns:
            column.no_wrap = False  # Rich crops a no_wrap cell that does not fit; a wrapping one folds
        console.print(table)
    else:
        width = console.width
        console.width = needed  # print(width=...) cannot go beyond the console's width
        try:
            console.print(table)
        finally:
            console.width = width


def _write_outputs(result: Any, out: Path, written: list[Path]) -> None:
    """Write the plots and tables into ``out``, appending each file to ``written`` once it is complete."""
    from actlab.plots_compare import error_bars_figure, loss_curves_figure
    from actlab.plotting import save

    out.mkdir(parents=True, exist_ok=True)
    summary = result.to_dict()
    written.append(save(loss_curves_figure(result), out / "loss_curves.png"))
    written.append(save(error_bars_figure(result), out / "errors.png"))
    curves = {s.activation: s.curve.__dict__ for s in result.stats}
    (out / "results.json").write_text(json.dumps(plain({**summary, "curves": curves}), indent=2) + "\n")
    written.append(out / "results.json")
    written.append(_write_csv(out / "results.csv", summary["results"]))
    rows = [_run_row(r) for runs in result.runs.values() for r in runs]
    written.append(_write_csv(out / "runs.csv", rows))


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text(_csv_text(rows), encoding="utf-8")
    return path


def _csv_text(rows: list[dict[str, Any]]) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None or (isinstance(v, float) and math.isnan(v)) else v for k, v in row.items()})
    return buffer.getvalue()


def _run_row(record: RunRecord) -> dict[str, Any]:
    cfg = record.config
    hidden = cfg.get("hidden", [])
    return {**record.summary(), "hidden": " ".join(map(str, hidden)), "init": cfg.get("init"), "lr": cfg.get("lr"),
            "steps_config": cfg.get("steps")}  # fmt: skip


# --- sweep ------------------------------------------------------------------------------------------------


@app.command()
def sweep(
    file: Annotated[Path, typer.Argument(help="A sweep file (TOML): [grid] and [train] tables; see the docs.")],
    db: DbOpt = None,
    fresh: FreshOpt = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; train nothing.")] = False,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a grid of tasks x activations x depths x widths x inits x lrs x seeds, resuming what is stored."""
    from actlab.executor import LocalExecutor, plan_missing, run_missing
    from actlab.sweep import load
    from actlab.vectorized import default_workers

    spec = load(file)
    label = spec.label or file.stem
    if dry_run:  # count and plan; create nothing, not even the database
        path = db if db is not None else default_path()
        ResultStore.check_folder(db)
        if exists(path):
            with ResultStore(db, create=False) as store:
                plan = plan_missing(spec.configs(), store, fresh, label)
        else:
            plan = plan_missing(spec.configs(), None, fresh, label)
        _sweep_report(file, spec.size, plan, path, label, dry_run, as_json)
        return
    prepare_store(db)
    with ResultStore(db) as store:
        committed, reused = 0, 0
        try:
            plan = plan_missing(spec.configs(), store, fresh, label)
            reused = plan.reused
            if not as_json:
                err_console.print(f"{file}: {_n(spec.size, 'run')}, {plan.reused} already stored, "
                                  f"{plan.to_train} to train in {_n(len(plan.units), 'unit')}",
                                  highlight=False, soft_wrap=True)  # fmt: skip
            if plan.units:
                with model_step_bar(f"sweep {file.stem}", quiet) as update:
                    done = 0

                    def advance(steps: int) -> None:
                        nonlocal done
                        done += steps
                        update(done, plan.model_steps)

                    def on_unit(unit: Any, outcomes: list[Any]) -> None:
                        nonlocal committed
                        committed += len(outcomes)

                    update(0, plan.model_steps)
                    run_missing(plan, store, LocalExecutor(workers or default_workers()), advance, on_unit)
        except KeyboardInterrupt:
            stored = reused + committed
            _interrupted(f"{stored:,} of {_n(spec.size, 'run')} of {file} are stored in {store.path} "
                         f"({committed:,} trained just now)")  # fmt: skip
        path = store.path
    _sweep_report(file, spec.size, plan, path, label, dry_run, as_json)


def _sweep_report(file: Path, runs: int, plan: Plan, db: Path, label: str, dry_run: bool, as_json: bool) -> None:
    summary = {"file": str(file), "label": label, "runs": runs, "stored": plan.reused, "to_train": plan.to_train,
               "units": len(plan.units), "model_steps": plan.model_steps, "db": str(db),
               "trained": 0 if dry_run else plan.to_train}  # fmt: skip
    if as_json:
        emit_json(summary)
        return
    verb = "would train" if dry_run else "trained"
    console.print(f"{_n(runs, 'run')}: {summary['stored']} reused, {verb} {summary['to_train']} in "
                  f"{_n(summary['units'], 'unit')}; results in {db}  (actlab runs list --label '{label}')",
                  highlight=False, soft_wrap=True)  # fmt: skip


# --- runs -------------------------------------------------------------------------------------------------

TaskFilter = Annotated[str | None, typer.Option("--task", help="Only runs of this task.")]
ActivationFilter = Annotated[str | None, typer.Option("--activation", help="Only runs of this activation.")]
LabelFilter = Annotated[str | None, typer.Option("--label", help="Only runs of this sweep or comparison label.")]


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
    if as_json:
        emit_json([r.summary() for r in records])
        return
    table = Table(title=f"{_n(len(records), 'run')} in {path}")
    for column in ("id", "hash", "task", "activation", "hidden", "seed", "interp", "extrap", "label"):
        number = column in ("id", "seed", "interp", "extrap")
        table.add_column(column, justify="right" if number else "left", overflow="fold",
                         no_wrap=number or column == "hash")  # fmt: skip
    for r in records:
        interp = r.metrics.get("interp_mae", r.metrics.get("accuracy"))
        extrap = r.metrics.get("extrap_mae", r.metrics.get("extrap_accuracy"))
        table.add_row(str(r.id), r.config_hash[:10], r.task, r.activation,
                      " ".join(map(str, r.config.get("hidden", []))), str(r.seed), _num(interp), _num(extrap),
                      r.label or "")  # fmt: skip
    _print_table(table)


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
        table.add_row(key, _num(value) if isinstance(value, float) else str(value))
    console.print(table)
    if record.losses:
        first, last = record.losses[0], record.losses[-1]
        console.print(f"loss: {first:.4g} at step 1 -> {last:.4g} at step {len(record.losses)}", highlight=False)


@runs_app.command("export")
def runs_export(
    path: Annotated[Path, typer.Argument(help="Output file: .csv (one row per run) or .json (with loss curves).")],
    task: TaskFilter = None,
    activation: ActivationFilter = None,
    label: LabelFilter = None,
    db: DbOpt = None,
) -> None:
    """Write stored runs to CSV or JSON."""
    prepare_output_file(path, (".csv", ".json"))
    with ResultStore(db, create=False) as store:
        records = store.runs(task, activation, label)
    fail_after_output([write_or_explain(lambda: _export(records, path), path)])
    console.print(f"wrote {_n(len(records), 'run')} to {path}", highlight=False)


def _export(records: list[RunRecord], path: Path) -> None:
    if path.suffix.lower() == ".csv":
        _write_csv(path, [_run_row(r) for r in records])
    else:
        data = [{**r.summary(), "config": r.config, "losses": r.losses} for r in records]
        path.write_text(json.dumps(plain(data), indent=1) + "\n", encoding="utf-8")


@runs_app.command("gc")
def runs_gc(
    db: DbOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, delete nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete runs stored by other actlab versions (their keys can never match again) and compact the file."""
    with ResultStore(db, create=False) as store:
        removed = store.gc(dry_run=dry_run)
        left, path = store.count(), store.path
    if as_json:
        emit_json({"removed": 0 if dry_run else removed, "stale": removed, "kept": left, "db": str(path)})
        return
    verb = "would remove" if dry_run else "removed"
    console.print(f"{verb} {_n(removed, 'run')} from other versions; {_n(left, 'run')} in {path}", highlight=False)
