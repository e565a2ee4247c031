"""``actlab runs plot``: the parallel-coordinates figure's axes and lines, and the command around it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm

from actlab.errors import ActlabError
from actlab.experiments.store import ResultStore, RunRecord
from actlab.plots.sweep import (
    category_axis,
    metric_axis,
    parallel_coordinates_figure,
    run_fields,
    varying_fields,
)
from actlab.training.config import TrainConfig


def record(metrics: dict[str, float | None], **config: object) -> RunRecord:
    resolved = TrainConfig(**config).resolved()  # type: ignore[arg-type]
    return RunRecord(
        0,
        "",
        "",
        str(resolved["task"]),
        str(resolved["activation"]),
        int(resolved["seed"]),
        resolved,
        dict(metrics),
        [],
        "",
    )


def test_hidden_becomes_depth_and_width() -> None:
    assert run_fields(record({}, hidden=[8, 8]))["depth"] == 2
    assert run_fields(record({}, hidden=[8, 8]))["width"] == 8
    assert run_fields(record({}, hidden=[16, 8]))["width"] == "16-8"
    assert "seed" not in run_fields(record({}, seed=3)) and "hidden" not in run_fields(record({}))


def test_axes_are_the_fields_that_vary_grid_first_seeds_never() -> None:
    runs = [
        record({}, activation=a, hidden=[w], lr=lr, steps=steps, seed=s)
        for a in ("relu", "tanh")
        for w in (4, 8)
        for lr, steps in ((0.01, 10), (0.001, 20))
        for s in (0, 1)
    ]
    assert varying_fields(runs) == ["activation", "width", "lr", "steps"]
    assert varying_fields(runs[:1]) == ["task", "activation"]  # nothing varies: still something to start from


def test_a_category_axis_spreads_sorted_values_evenly() -> None:
    axis = category_axis("lr", [0.01, 0.001, 0.01, 0.1])
    assert axis.positions == [0.5, 0.0, 0.5, 1.0]
    assert axis.ticks == [(0.0, "0.001"), (0.5, "0.01"), (1.0, "0.1")]
    assert category_axis("width", [8, "16-8", 4]).positions == [0.5, 1.0, 0.0]  # numbers before text
    assert category_axis("task", ["add", "add"]).positions == [0.5, 0.5]


def test_a_metric_axis_is_logarithmic_over_two_decades_and_skips_missing_values() -> None:
    axis, norm = metric_axis("interp_mae", [0.01, 1.0, 10.0, None, math.nan])
    assert axis.positions[:3] == pytest.approx([0.0, 2 / 3, 1.0], abs=1e-12)  # log10: -2, 0, 1 over [-2, 1]
    assert math.isnan(axis.positions[3]) and math.isnan(axis.positions[4])
    assert isinstance(norm, LogNorm) and norm(1.0) == pytest.approx(2 / 3)  # the colours follow the axis
    assert [label for _, label in axis.ticks] == ["0.01", "0.0562", "0.316", "1.78", "10"]
    linear, _ = metric_axis("accuracy", [0.5, 0.75, 1.0])
    assert linear.positions == [0.0, 0.5, 1.0]
    assert metric_axis("accuracy", [0.9, 0.9])[0].positions == pytest.approx([0.5, 0.5])


def test_each_run_is_a_line_through_its_values_coloured_by_its_metric() -> None:
    runs = [
        record({"interp_mae": 0.1}, activation="relu", hidden=[4]),
        record({"interp_mae": 0.3}, activation="tanh", hidden=[8]),
        record({"interp_mae": None}, activation="tanh", hidden=[4]),
    ]
    fig = parallel_coordinates_figure(runs, title="demo")
    try:
        ax = fig.axes[0]
        grey, coloured = (c for c in ax.collections if isinstance(c, LineCollection))
        assert [list(map(tuple, p.vertices)) for p in coloured.get_paths()] == [
            [(0, 1.0), (1, 1.0), (2, 1.0)],  # tanh, width 8
            [(0, 0.0), (1, 0.0), (2, 0.0)],  # relu, width 4: the lowest error, drawn last, on top
        ]
        viridis = plt.get_cmap("viridis")
        colours = [c for rgba in coloured.get_colors() for c in rgba]  # the highest error yellow, the lowest dark
        assert colours == pytest.approx([*viridis(1.0)[:3], 0.7, *viridis(0.0)[:3], 0.7])
        assert [list(map(tuple, p.vertices)) for p in grey.get_paths()] == [[(0, 1.0), (1, 0.0)]]  # no metric axis
        assert [t.get_text() for t in ax.get_xticklabels()] == ["activation", "width", "interp_mae"]
        assert ax.get_title() == "demo: 3 runs, coloured by interp_mae; 1 without a value (grey, dashed)"
    finally:
        plt.close(fig)
    with pytest.raises(ActlabError, match="no run has a value for metric 'accuracy'; choose one of interp_mae"):
        parallel_coordinates_figure(runs, "accuracy")


def test_the_best_runs_are_drawn_on_top() -> None:
    runs = [
        record({"accuracy": a, "interp_mae": e}, seed=s)
        for s, (a, e) in enumerate(((0.9, 0.1), (0.5, 0.5), (0.7, 0.3)))
    ]
    for metric, tops in (("accuracy", [0.0, 0.5, 1.0]), ("interp_mae", [1.0, 0.5, 0.0])):  # the best last
        fig = parallel_coordinates_figure(runs, metric)
        try:
            _, coloured = (c for c in fig.axes[0].collections if isinstance(c, LineCollection))
            assert [p.vertices[-1][1] for p in coloured.get_paths()] == pytest.approx(tops)
        finally:
            plt.close(fig)


def test_runs_plot_writes_the_figure_of_a_label(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "runs.db"
    with ResultStore(db) as store:
        for act, mae in (("relu", 0.1), ("tanh", 0.2)):
            store.put(TrainConfig(activation=act), {"interp_mae": mae, "extrap_mae": 10 * mae}, [1.0], "mine")
        store.put(TrainConfig(activation="gelu"), {"interp_mae": 0.5}, [1.0], "other")
    out = tmp_path / "sweep.png"
    done = cli("runs", "plot", "--db", str(db), "--label", "mine", "--out", str(out), "--metric", "extrap_mae")
    assert (done.code, done.out) == (0, f"wrote {out}: 2 runs, coloured by extrap_mae\n")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads(cli("runs", "plot", "--db", str(db), "--out", str(out), "--json").out)
    assert summary == {"file": str(out), "runs": 3, "metric": "interp_mae", "label": None, "db": str(db)}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--label", "nope", "--out", "{tmp}/a.png"),
            "no runs with label 'nope' in {tmp}/runs.db; `actlab runs list` shows the stored runs and their labels",
        ),
        (
            ("--metric", "speed", "--out", "{tmp}/a.png"),
            "no run has a value for metric 'speed'; choose one of interp_mae",
        ),
        (("--out", "{tmp}/a.txt"), "cannot write to {tmp}/a.txt: use a file name ending in .png, .svg or .pdf"),
        (("--out", "/proc/nope/a.png"), "cannot write to /proc/nope/a.png: cannot create folder /proc/nope"),
    ],
)
def test_runs_plot_bad_requests_are_one_line(cli, tmp_path: Path, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    with ResultStore(tmp_path / "runs.db") as store:
        store.put(TrainConfig(), {"interp_mae": 0.1}, [1.0], "mine")
    done = cli("runs", "plot", "--db", str(tmp_path / "runs.db"), *(a.format(tmp=tmp_path) for a in args))
    assert done.code == 2 and done.err.startswith("actlab: error: " + message.format(tmp=tmp_path))
    assert done.err.count("\n") == 1 and not list(tmp_path.glob("a.*"))


def test_runs_plot_creates_missing_folders(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with ResultStore(tmp_path / "runs.db") as store:
        for seed in range(2):
            store.put(TrainConfig(seed=seed), {"interp_mae": 0.1 * (seed + 1)}, [1.0], "mine")
    out = tmp_path / "new" / "deeper" / "a.png"
    done = cli("runs", "plot", "--db", str(tmp_path / "runs.db"), "--out", str(out))
    assert done.code == 0, done.err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
