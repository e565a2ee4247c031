"""``actlab runs plot``: a parallel-coordinates figure of stored runs (a sweep), from the results database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from actlab.cli._common import DbOpt, JsonOpt, console, emit_json, output_file
from actlab.cli.runs_cmds import LabelFilter, runs_app
from actlab.errors import ActlabError
from actlab.experiments.store import ResultStore

MetricOpt = Annotated[
    str | None,
    typer.Option(
        "--metric",
        help="The metric on the last axis and in the colours (default interp_mae, or "
        "accuracy for classification; any metric the runs hold, e.g. extrap_mae, final_loss).",
    ),
]


@runs_app.command("plot")
def runs_plot(
    out: Annotated[Path, typer.Option("--out", "-o", help="The figure's file: .png, .svg or .pdf.")],
    label: LabelFilter = None,
    metric: MetricOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A parallel-coordinates figure: one axis per config field that differs between the runs, one for the
    metric; each run a line, coloured by its metric."""
    from actlab.plots.style import save
    from actlab.plots.sweep import default_metric, parallel_coordinates_figure

    output_file(out)
    with ResultStore(db, create=False) as store:
        records = store.runs(label=label)
        path = store.path
    if not records:
        which = f"with label {label!r} " if label is not None else ""
        raise ActlabError(f"no runs {which}in {path}; `actlab runs list` shows the stored runs and their labels")
    metric = metric or default_metric(records)
    save(parallel_coordinates_figure(records, metric, label), out)
    if as_json:
        emit_json({"file": str(out), "runs": len(records), "metric": metric, "label": label, "db": str(path)})
        return
    runs = f"{len(records):,} run{'s' * (len(records) != 1)}"
    console.print(f"wrote {out}: {runs}, coloured by {metric}", highlight=False, soft_wrap=True)
