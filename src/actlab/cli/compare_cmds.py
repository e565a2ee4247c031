"""``actlab compare`` and ``sweep``: many seeds, one vectorized run, a results store that resumes (``runs``:
:mod:`actlab.cli.runs_cmds`)."""

from __future__ import annotations

import dataclasses
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
from actlab.cli._backend_options import DEFAULT_BACKEND, AddressOpt, BackendOpt
from actlab.cli._common import (
    DbOpt,
    JsonOpt,
    comma_list,
    console,
    counted,
    emit_json,
    err_console,
    fail_after_output,
    prepare_store,
    print_table,
)
from actlab.cli._train_options import (
    HIDDEN_CONTEXT,
    BatchSizeOpt,
    BiasInitOpt,
    DeviceOpt,
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
from actlab.experiments.stats import Estimate
from actlab.experiments.store import ResultStore
from actlab.util.outputs import prepare_output_dir, write_or_explain

if TYPE_CHECKING:  # the executor imports PyTorch: only the commands that train load it
    from actlab.experiments.executor import Plan

FreshOpt = Annotated[bool, typer.Option("--fresh", help="Retrain runs the database already holds (and replace them).")]
ReuseAnyDeviceOpt = Annotated[
    bool,
    typer.Option(
        "--reuse-any-device",
        help="Reuse a stored run trained on another device (cpu or cuda) for the "
        "same config; without it each device's runs are its own.",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "--threads",
        min=1,
        show_default=False,
        help="Worker processes per training group, each training whole chunks of its "
        "networks on one core (default: this machine's cores, at most 8; one on systems "
        "other than Linux; see BENCHMARKS.md); with --backend ray, per Ray task (default 1), "
        "each task reserving as many CPUs).",
    ),
]


@contextmanager
def model_step_bar(label: str, quiet: bool) -> Iterator[Any]:
    """A Rich bar on stderr over model-steps, with an ETA; yields ``update(done, total)``. The bar appears
    on the first update, so that an error found before any training prints alone on its line, and only
    when stderr is a terminal (in a pipe or a log file a live bar leaves only stray lines)."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("model-steps"),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
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
    backend: BackendOpt = DEFAULT_BACKEND,
    address: AddressOpt = None,
    device: DeviceOpt = "cpu",
    reuse_any_device: ReuseAnyDeviceOpt = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write plots, results.csv/json and runs.csv to this folder.")
    ] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare activations over many seeds: mean and 95 % interval of errors, loss, speed, dead units."""
    from actlab.backends import check_backend, open_executor
    from actlab.experiments.compare import check_request
    from actlab.experiments.compare import compare as run_compare
    from actlab.training.device import resolve_device

    check_backend(backend, address)
    names = comma_list(
        activations,
        lambda position, count, _: (
            f"--activations {activations!r}: item {position} of {count} is empty; give "
            "comma-separated names without gaps, such as relu,tanh"
        ),
    )
    config = config_from_options(
        task=task,
        hidden=hidden_widths(hidden, ctx.args),
        steps=steps,
        lr=lr,
        batch_size=batch_size,
        optimizer=optimizer,
        momentum=momentum,
        init=init,
        bias_init=bias_init,
        range=train_range,
        extrap_range=extrap_range,
        noise=noise,
        target_loss=target_loss,
        device=resolve_device(device),
    )
    # before the database is created:
    check_request(config.task, names, seeds, config, reach, seeds_name="--seeds", target_name="--reach")
    if out is not None:
        prepare_output_dir(out)
    prepare_store(db)
    with ResultStore(db) as store:
        store.reuse_any_device = reuse_any_device
        before = store.count()
        try:
            with (
                open_executor(backend, workers=workers, address=address, device=config.device) as executor,
                model_step_bar(f"compare {config.task}", quiet) as update,
            ):
                result = run_compare(
                    config.task,
                    names,
                    seeds,
                    config,
                    target_loss=reach,
                    store=store,
                    fresh=fresh,
                    executor=executor,
                    progress=update,
                    label=f"compare {config.task}",
                )
        except KeyboardInterrupt:
            kept = max(0, store.count() - before)
            _interrupted(f"{counted(kept, 'new run')} stored in {store.path} before it")
        db_path = store.path
    written: list[Path] = []
    not_written = write_or_explain(lambda: _write_outputs(result, out, written), out) if out is not None else ""
    if as_json:
        emit_json({**result.to_dict(), "db": str(db_path), "files": [str(p) for p in written]})
        fail_after_output([not_written])
        return
    print_table(_compare_table(result))
    console.print(
        f"Each cell: the mean over seeds, under it ± the half-width of its 95 % interval ({result.method});"
        f" reached: runs whose loss got to the target; s/run: each run's share of its vectorized group's "
        f"time. Trained {counted(result.trained, 'run')}, reused {result.reused} from {db_path}",
        highlight=False,
    )
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    for path in written:
        console.print(f"wrote {path}", highlight=False)
    fail_after_output([not_written])


def _interrupted(kept: str) -> None:
    """Ctrl-C: one line on stderr saying what was kept and how to go on, and exit code 130."""
    sys.stderr.write(f"actlab: error: interrupted; {kept}; rerun the same command to resume (stored runs are reused)\n")
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
    table = Table(
        title=f"{result.task}: {counted(len(result.stats), 'activation')}, {counted(seeds, 'seed')} each, "
        f"hidden {' '.join(map(str, result.base_config.hidden))}, "
        f"{counted(result.base_config.steps, 'step')}"
    )
    target = f"≤{result.target_loss:g}"
    for column in (
        "activation",
        f"interp\n{metric}",
        f"extrap\n{metric}",
        "final\nloss",
        f"reached\n{target}",
        f"steps to\n{target}",
        "dead\n%",
        "s/run",
    ):
        # Headers are split by hand and nothing wraps, so that a column is as wide as its widest value. Fold,
        # never "…": should the table not fit a terminal after all, a value goes on in the next line.
        table.add_column(column, justify="left" if column == "activation" else "right", overflow="fold", no_wrap=True)
    for s in result.stats:
        name = s.activation + (f" ({s.diverged} diverged)" if s.diverged else "")
        steps = _pm(s.steps_to_target, 4) if s.reached else "never"
        table.add_row(
            name,
            _pm(s.interp),
            _pm(s.extrap),
            _pm(s.final_loss),
            f"{s.reached}/{s.seeds}",
            steps,
            _pm(s.dead_fraction, 2, 100),
            _pm(s.seconds, 2),
        )
    return table


def _write_outputs(result: Any, out: Path, written: list[Path]) -> None:
    """Write the plots and tables into ``out``, appending each file to ``written`` once it is complete."""
    from actlab.experiments.export import write_comparison
    from actlab.plots.comparison import error_bars_figure, loss_curves_figure
    from actlab.plots.style import save

    out.mkdir(parents=True, exist_ok=True)
    written.append(save(loss_curves_figure(result), out / "loss_curves.png"))
    written.append(save(error_bars_figure(result), out / "errors.png"))
    write_comparison(result, out, written)


# --- sweep ------------------------------------------------------------------------------------------------


@app.command()
def sweep(
    file: Annotated[Path, typer.Argument(help="A sweep file (TOML): [grid] and [train] tables; see the docs.")],
    db: DbOpt = None,
    fresh: FreshOpt = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; train nothing.")] = False,
    workers: WorkersOpt = None,
    backend: BackendOpt = DEFAULT_BACKEND,
    address: AddressOpt = None,
    device: Annotated[
        str | None, typer.Option("--device", help="cpu, cuda or auto (default: the file's [train] device, else cpu).")
    ] = None,
    reuse_any_device: ReuseAnyDeviceOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a grid of tasks x activations x depths x widths x inits x lrs x seeds, resuming what is stored."""
    from actlab.backends import check_backend, open_executor
    from actlab.experiments.executor import plan_missing, plan_stored, run_missing, training_device
    from actlab.experiments.sweep import load
    from actlab.training.device import resolve_device

    check_backend(backend, address)
    spec = load(file)
    if device is not None:
        spec = dataclasses.replace(spec, train={**spec.train, "device": resolve_device(device)})
    label = spec.label or file.stem
    if dry_run:  # count and plan; create nothing, not even the database
        plan, path = plan_stored(spec.configs(), db, fresh, label, reuse_any_device)
        _sweep_report(file, spec.size, plan, path, label, dry_run, as_json)
        return
    prepare_store(db)
    with ResultStore(db) as store:
        store.reuse_any_device = reuse_any_device
        committed, reused = 0, 0
        try:
            plan = plan_missing(spec.configs(), store, fresh, label)
            reused = plan.reused
            if not as_json:
                err_console.print(
                    f"{file}: {counted(spec.size, 'run')}, {plan.reused} already stored, "
                    f"{plan.to_train} to train in {counted(len(plan.units), 'unit')}",
                    highlight=False,
                    soft_wrap=True,
                )
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
                    device_used = training_device(spec.configs())
                    with open_executor(backend, workers=workers, address=address, device=device_used) as executor:
                        run_missing(plan, store, executor, advance, on_unit)
        except KeyboardInterrupt:
            stored = reused + committed
            _interrupted(
                f"{stored:,} of {counted(spec.size, 'run')} of {file} are stored in {store.path} "
                f"({committed:,} trained just now)"
            )
        path = store.path
    _sweep_report(file, spec.size, plan, path, label, dry_run, as_json)


def _sweep_report(file: Path, runs: int, plan: Plan, db: Path, label: str, dry_run: bool, as_json: bool) -> None:
    summary: dict[str, Any] = {
        "file": str(file),
        "label": label,
        "runs": runs,
        "stored": plan.reused,
        "to_train": plan.to_train,
        "units": len(plan.units),
        "model_steps": plan.model_steps,
        "db": str(db),
        "trained": 0 if dry_run else plan.to_train,
    }
    if as_json:
        emit_json(summary)
        return
    verb = "would train" if dry_run else "trained"
    console.print(
        f"{counted(runs, 'run')}: {summary['stored']} reused, {verb} {summary['to_train']} in "
        f"{counted(summary['units'], 'unit')}; results in {db}  (actlab runs list --label '{label}')",
        highlight=False,
        soft_wrap=True,
    )
