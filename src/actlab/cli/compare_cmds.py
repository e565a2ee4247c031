"""``actlab compare``, ``sweep`` and ``runs``: many seeds, one vectorized run, a results store that resumes."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from actlab.cli import app
from actlab.cli._common import JsonOpt, console, emit_json, err_console
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
from actlab.plain import plain
from actlab.stats import Estimate
from actlab.store import DEFAULT_PATH, ENV_VAR, ResultStore, RunRecord

DbOpt = Annotated[
    Path | None,
    typer.Option("--db", help=f"Results database (default ${ENV_VAR}, else ./{DEFAULT_PATH.as_posix()})."),
]
FreshOpt = Annotated[bool, typer.Option("--fresh", help="Retrain runs the database already holds (and replace them).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
ThreadsOpt = Annotated[
    int, typer.Option("--threads", min=1, help="PyTorch threads per training group (default 1: best on a busy "
                      "machine; 2 or more can be faster on an idle one, see BENCHMARKS.md).")
]  # fmt: skip

runs_app = typer.Typer(help="The results database: list, show, export and clean up stored runs.",
                       no_args_is_help=True, rich_markup_mode=None)  # fmt: skip
app.add_typer(runs_app, name="runs")


@contextmanager
def model_step_bar(label: str, quiet: bool) -> Iterator[Any]:
    """A Rich bar on stderr over model-steps, with an ETA; yields ``update(done, total)``. The bar appears
    on the first update, so that an error found before any training prints alone on its line."""
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("model-steps"),
        TextColumn("ETA"), TimeRemainingColumn(), console=err_console, transient=True,
    )  # fmt: skip
    bar = progress.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        if quiet:
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
        typer.Option("--reach", help="Loss for the 'steps to reach' column (default 0.01 regression, 0.1 "
                     "classification); training goes on past it (--target-loss stops it)."),
    ] = None,
    db: DbOpt = None,
    fresh: FreshOpt = False,
    threads: ThreadsOpt = 1,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write plots, results.csv/json and runs.csv to this folder.")
    ] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare activations over many seeds: mean and 95 % interval of errors, loss, speed, dead units."""
    from actlab.comparison import compare as run_compare
    from actlab.executor import LocalExecutor

    if seeds <= 0:
        raise ActlabError(f"--seeds must be at least 1, got {seeds}")
    config = config_from_options(
        task=task, hidden=hidden_widths(hidden, ctx.args), steps=steps, lr=lr, batch_size=batch_size,
        optimizer=optimizer, momentum=momentum, init=init, bias_init=bias_init, range=train_range,
        extrap_range=extrap_range, noise=noise, target_loss=target_loss,
    )  # fmt: skip
    if out is not None and out.exists() and not out.is_dir():
        raise ActlabError(f"--out {out} is a file; give a folder")
    with ResultStore(db) as store, model_step_bar(f"compare {config.task}", quiet) as update:
        result = run_compare(config.task, activations.split(","), seeds, config, target_loss=reach, store=store,
                             fresh=fresh, executor=LocalExecutor(threads), progress=update,
                             label=f"compare {config.task}")  # fmt: skip
        db_path = store.path
    written = _write_outputs(result, out) if out is not None else []
    if as_json:
        emit_json({**result.to_dict(), "db": str(db_path), "files": [str(p) for p in written]})
        return
    console.print(_compare_table(result))
    console.print(f"mean±half-width of the 95 % interval ({result.method}); s/run: each run's share of its "
                  f"vectorized group's time. Trained {result.trained} runs, reused {result.reused} from {db_path}",
                  highlight=False)  # fmt: skip
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    for path in written:
        console.print(f"wrote {path}", highlight=False)


def _pm(e: Estimate, digits: int = 3, scale: float = 1.0) -> str:
    """``mean±half-width``; the mean alone when there is no interval (one seed) or it is 0 (all equal)."""
    if e.n == 0:
        return "—"
    mean = _g(e.mean * scale, digits)
    return mean if math.isnan(e.ci95) or e.ci95 == 0 else f"{mean}±{_g(e.ci95 * scale, 2)}"


def _g(value: float, digits: int) -> str:
    """``digits`` significant digits, but whole numbers where that would need an exponent (``106``, not
    ``1.1e+02``)."""
    text = f"{value:.{digits}g}"
    return f"{value:.0f}" if "e" in text and 10 <= abs(value) < 1e6 else text


def _compare_table(result: Any) -> Table:
    metric = "MAE" if result.metric == "mae" else "accuracy"
    table = Table(title=f"{result.task}: {len(result.stats)} activations, {result.stats[0].seeds} seeds each, "
                        f"hidden {' '.join(map(str, result.base_config.hidden))}, {result.base_config.steps} steps")
    for column in ("activation", f"interp {metric}", f"extrap {metric}", "final loss",
                   f"steps to ≤{result.target_loss:g}", "dead %", "s/run"):  # fmt: skip
        table.add_column(column, justify="left" if column == "activation" else "right")
    for s in result.stats:
        steps = f"{_pm(s.steps_to_target, 4)} ({s.reached}/{s.seeds})" if s.reached else f"never (0/{s.seeds})"
        name = s.activation + (f" ({s.diverged} diverged)" if s.diverged else "")
        table.add_row(name, _pm(s.interp), _pm(s.extrap), _pm(s.final_loss), steps,
                      _pm(s.dead_fraction, 2, 100), _pm(s.seconds, 2))  # fmt: skip
    return table


def _write_outputs(result: Any, out: Path) -> list[Path]:
    from actlab.plots_compare import error_bars_figure, loss_curves_figure
    from actlab.plotting import save

    out.mkdir(parents=True, exist_ok=True)
    summary = result.to_dict()
    written = [save(loss_curves_figure(result), out / "loss_curves.png"),
               save(error_bars_figure(result), out / "errors.png")]  # fmt: skip
    curves = {s.activation: s.curve.__dict__ for s in result.stats}
    (out / "results.json").write_text(json.dumps(plain({**summary, "curves": curves}), indent=2) + "\n")
    written.append(out / "results.json")
    written.append(_write_csv(out / "results.csv", summary["results"]))
    rows = [_run_row(r) for runs in result.runs.values() for r in runs]
    written.append(_write_csv(out / "runs.csv", rows))
    return written


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
    threads: ThreadsOpt = 1,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a grid of tasks x activations x depths x widths x inits x lrs x seeds, resuming what is stored."""
    from actlab.executor import LocalExecutor, plan_missing, run_missing
    from actlab.sweep import load

    spec = load(file)
    configs = spec.expand()
    with ResultStore(db) as store:
        plan = plan_missing(configs, store, fresh, spec.label or file.stem)
        summary = {"file": str(file), "label": spec.label or file.stem, "runs": len(configs),
                   "stored": plan.reused, "to_train": sum(len(u.configs) for u in plan.units),
                   "units": len(plan.units), "model_steps": plan.model_steps, "db": str(store.path)}  # fmt: skip
        if not as_json and not dry_run:
            err_console.print(f"{file}: {len(configs)} runs, {plan.reused} already stored, "
                              f"{summary['to_train']} to train in {len(plan.units)} units", highlight=False)
        if not dry_run and plan.units:
            with model_step_bar(f"sweep {file.stem}", quiet) as update:
                done = 0

                def advance(steps: int) -> None:
                    nonlocal done
                    done += steps
                    update(done, plan.model_steps)

                update(0, plan.model_steps)
                run_missing(plan, store, LocalExecutor(threads), advance)
        summary["trained"] = 0 if dry_run else summary["to_train"]
    if as_json:
        emit_json(summary)
        return
    verb = "would train" if dry_run else "trained"
    console.print(f"{summary['runs']} runs: {summary['stored']} reused, {verb} {summary['to_train']} "
                  f"in {summary['units']} units; results in {summary['db']}  (actlab runs list --label "
                  f"'{summary['label']}')", highlight=False)  # fmt: skip


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
    with ResultStore(db) as store:
        records = store.runs(task, activation, label, limit)
        path = store.path
    if as_json:
        emit_json([r.summary() for r in records])
        return
    table = Table(title=f"{len(records)} runs in {path}")
    for column in ("id", "hash", "task", "activation", "hidden", "seed", "interp", "extrap", "label"):
        table.add_column(column, justify="right" if column in ("id", "seed", "interp", "extrap") else "left")
    for r in records:
        interp = r.metrics.get("interp_mae", r.metrics.get("accuracy"))
        extrap = r.metrics.get("extrap_mae", r.metrics.get("extrap_accuracy"))
        table.add_row(str(r.id), r.config_hash[:10], r.task, r.activation,
                      " ".join(map(str, r.config.get("hidden", []))), str(r.seed), _num(interp), _num(extrap),
                      r.label or "")  # fmt: skip
    console.print(table)


def _num(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) and not isinstance(value, bool) else "—"


@runs_app.command("show")
def runs_show(
    ref: Annotated[str, typer.Argument(help="A run id or a prefix of its config hash.")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One run in full: config, metrics and the loss curve's ends."""
    with ResultStore(db) as store:
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
    if path.suffix.lower() not in (".csv", ".json"):
        raise ActlabError(f"cannot export to {path}: use a file name ending in .csv or .json")
    if not path.parent.is_dir():
        raise ActlabError(f"cannot write {path}: folder {path.parent} does not exist (create it first)")
    with ResultStore(db) as store:
        records = store.runs(task, activation, label)
    if path.suffix.lower() == ".csv":
        _write_csv(path, [_run_row(r) for r in records])
    else:
        data = [{**r.summary(), "config": r.config, "losses": r.losses} for r in records]
        path.write_text(json.dumps(plain(data), indent=1) + "\n", encoding="utf-8")
    console.print(f"wrote {len(records)} runs to {path}", highlight=False)


@runs_app.command("gc")
def runs_gc(
    db: DbOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, delete nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete runs stored by other actlab versions (their keys can never match again) and compact the file."""
    with ResultStore(db) as store:
        removed = store.gc(dry_run=dry_run)
        left, path = store.count(), store.path
    if as_json:
        emit_json({"removed": 0 if dry_run else removed, "stale": removed, "kept": left, "db": str(path)})
        return
    verb = "would remove" if dry_run else "removed"
    console.print(f"{verb} {removed} runs from other versions; {left} runs in {path}", highlight=False)
