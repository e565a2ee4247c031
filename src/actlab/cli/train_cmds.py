"""``actlab train``, ``predict``, ``eval`` and ``tasks``: networks that learn arithmetic, and their run folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from torch import nn

from actlab.cli import app
from actlab.cli._common import JsonOpt, console, emit_json, err_console, fail_after_output, output_file
from actlab.cli._train_options import (
    HIDDEN_CONTEXT,
    ActivationOpt,
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
    SeedOpt,
    StepsOpt,
    TargetLossOpt,
    TaskOpt,
    config_from_options,
    hidden_widths,
)
from actlab.nets.tasks import TASKS, Task
from actlab.training.callbacks import Callback
from actlab.util.outputs import prepare_output_dir, write_or_explain

PlotOpt = Annotated[
    Path | None, typer.Option("--plot", help="Write prediction vs truth (or the decision map) to this PNG/SVG/PDF.")
]
RunArg = Annotated[Path, typer.Argument(help="A run folder written by `actlab train --out`.")]

EXPRESSIONS = {  # how `predict` writes the question
    "add": "{} + {}",
    "sub": "{} − {}",
    "mul": "{} × {}",
    "div": "{} / {}",
    "max": "max({}, {})",
    "identity": "{}",
    "square": "{}²",
    "sqrt": "√{}",
}


class ProgressBar(Callback):
    """A Rich progress bar on stderr: step, loss and steps/s, redrawn a few hundred times per run at most."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.every = total, max(1, total // 300)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.3g}"),
            TextColumn("{task.fields[rate]:.0f} steps/s"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=not err_console.is_terminal,
        )
        self.bar = self.progress.add_task(label, total=total, loss=float("nan"), rate=0.0)

    def on_train_start(self, model: nn.Module, config: Any) -> None:
        self.progress.start()

    def on_step_end(self, step: int, loss: float, model: nn.Module) -> None:
        if step % self.every == 0 or step == self.total:
            elapsed = self.progress.tasks[0].elapsed or 0.0
            self.progress.update(self.bar, completed=step, loss=loss, rate=step / elapsed if elapsed else 0.0)

    def on_train_end(self, model: nn.Module, result: Any) -> None:
        self.progress.stop()


def _metrics_table(title: str, metrics: dict[str, Any]) -> Table:
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        if isinstance(value, float):
            text = f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"
        else:
            text = "—" if value is None else str(value)
        table.add_row(key, text)
    return table


@app.command(context_settings=HIDDEN_CONTEXT)
def train(
    ctx: typer.Context,
    task: TaskOpt = None,
    activation: ActivationOpt = None,
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
    integer: Annotated[bool, typer.Option("--integer", help="Train on whole-number inputs only.")] = False,
    seed: SeedOpt = None,
    target_loss: TargetLossOpt = None,
    track_every: Annotated[
        int, typer.Option("--track-every", help="Record diagnostics every N steps into the run (0: off).")
    ] = 0,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Save the run to this folder.")] = None,
    plot: PlotOpt = None,
    device: DeviceOpt = "cpu",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Train a network on a task and print its metrics; --out saves config, weights, history and metrics.

    A run that diverges (a loss, the final weights or predictions become NaN or infinite) is an error and
    saves nothing; one that ends far worse than it started gets a warning."""
    from actlab.training.device import resolve_device
    from actlab.training.loop import train as run_training
    from actlab.training.rundir import is_run, save_run

    config = config_from_options(
        task=task,
        activation=activation,
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
        integer=integer or None,
        seed=seed,
        target_loss=target_loss,
        track_every=track_every,
        device=resolve_device(device),
    )
    if out is not None:
        prepare_output_dir(out, replaceable=is_run, kind="an actlab run folder")
    if plot is not None:
        output_file(plot)
    bar = None if quiet else ProgressBar(config.steps, f"{config.task} {config.activation}")
    try:
        result = run_training(config, [bar] if bar else [])
    finally:
        if bar is not None:
            bar.progress.stop()
    not_saved = write_or_explain(lambda: save_run(result, out), out) if out else ""
    not_drawn = write_or_explain(lambda: _save_plot(plot, result.model, result.task), plot) if plot else ""
    saved, drawn = out is not None and not not_saved, plot is not None and not not_drawn
    summary = result.to_dict()
    if as_json:
        emit_json({**summary, "run": str(out) if saved else None, "plot": str(plot) if drawn else None})
        fail_after_output([not_saved, not_drawn])
        return
    shown = {
        **result.metrics,
        "final_loss": result.final_loss,
        "steps": result.steps,
        "seconds": result.seconds,
        "steps/s": summary["steps_per_second"],
    }
    hidden_text = " ".join(map(str, config.hidden)) or "none"
    console.print(
        _metrics_table(f"{config.task} · {config.activation} · hidden {hidden_text} · seed {config.seed}", shown)
    )
    if result.stopped_early:
        console.print(f"stopped early at step {result.steps}: loss <= {config.target_loss:g}")
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)
    if saved:
        console.print(f"saved run to {out}  (try: actlab predict {out} 5 3)", highlight=False)
    if drawn:
        console.print(f"wrote {plot}", highlight=False)
    fail_after_output([not_saved, not_drawn])


@app.command("predict", context_settings={"ignore_unknown_options": True})
def predict_cmd(
    run: RunArg,
    inputs: Annotated[
        list[str],
        typer.Argument(
            help='The inputs: 5 3, or an expression with the task\'s operator, "5+3" on an add run, '
            '"5-3" on a sub run (negative numbers work: 5 -3, "5 - -3"); one number for one-input tasks.'
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Ask a trained network: `actlab predict DIR 5 3` prints its answer to 5 + 3 (for an add run)."""
    from actlab.training.rundir import load_run

    if any(item.startswith("--") for item in inputs):
        raise typer.BadParameter(f"unknown option {next(i for i in inputs if i.startswith('--'))}")
    loaded = load_run(run)
    task = loaded.task
    answer = loaded.ask(inputs)
    if as_json:
        emit_json(answer)
        return
    args = [f"{v:g}" for v in answer["inputs"]]
    if task.kind == "classification":
        p = answer["probabilities"][answer["prediction"]]
        console.print(
            f"({', '.join(args)}) -> class {answer['prediction']} (p = {p:.3f}; the rule says {answer['truth']})",
            highlight=False,
        )
        return
    bare = task.name in ("identity", "max")  # no operator beside the number: nothing to misread
    question = EXPRESSIONS[task.name].format(*(a if bare or not a.startswith("-") else f"({a})" for a in args))
    console.print(
        f"{question} ≈ {answer['prediction']:.2f}   (exact: {answer['truth']:.12g}, "
        f"error {abs(answer['prediction'] - answer['truth']):.2g})",
        highlight=False,
    )


@app.command("eval")
def eval_cmd(
    run: RunArg,
    eval_range: Annotated[
        tuple[float, float] | None,
        typer.Option(
            "--range",
            metavar="LOW HIGH",
            help="Extrapolate on [LOW, HIGH] per input, the training box cut out (default: the run's).",
        ),
    ] = None,
    plot: PlotOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-evaluate a saved run, for instance far outside its training range: `actlab eval DIR --range -1000 1000`."""
    from actlab.training.rundir import load_run

    if plot is not None:
        output_file(plot)
    loaded = load_run(run)
    task, metrics = loaded.evaluate(eval_range)
    not_drawn = write_or_explain(lambda: _save_plot(plot, loaded.model, task), plot) if plot else ""
    drawn = plot is not None and not not_drawn
    if as_json:
        emit_json(
            {
                **metrics,
                "train_range": list(task.train_range),
                "extrap_range": list(task.extrap_range),
                "run": str(run),
                "plot": str(plot) if drawn else None,
            }
        )
        fail_after_output([not_drawn])
        return
    (low, high), (elow, ehigh) = task.train_range, task.extrap_range
    console.print(
        _metrics_table(f"{run}: trained on [{low:g}, {high:g}], extrapolating on [{elow:g}, {ehigh:g}]", metrics)
    )
    if drawn:
        console.print(f"wrote {plot}", highlight=False)
    fail_after_output([not_drawn])


@app.command("tasks")
def tasks_cmd(as_json: JsonOpt = False) -> None:
    """List the tasks with their kind, inputs and default training and extrapolation ranges."""
    rows = [t.describe() for t in TASKS.values()]
    if as_json:
        emit_json(rows)
        return
    table = Table(title="actlab tasks")
    for col in ("name", "kind", "inputs", "train range", "extrap range", "noise", "description"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["name"],
            r["kind"],
            str(r["in_features"]),
            _range_text(r["train_range"]),
            _range_text(r["extrap_range"]),
            f"{r['noise']:g}",
            r["description"],
        )
    console.print(table)


def _range_text(pair: list[float]) -> str:
    return f"[{pair[0]:g}, {pair[1]:g}]"


def _save_plot(path: Path, model: nn.Module, task: Task) -> None:
    from actlab.plots.style import save
    from actlab.plots.training import network_figure

    save(network_figure(model, task), path)
