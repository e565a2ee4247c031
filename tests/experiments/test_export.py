"""``actlab runs export``: one table of runs, the same in CSV, JSON and Parquet, read back by pandas."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pandas as pd
import pytest

from actlab.errors import ActlabError
from actlab.experiments.export import (
    comparison_run_row,
    export_format,
    export_runs,
    run_table,
    write_comparison,
    write_csv,
)
from actlab.experiments.store import ResultStore, RunRecord
from actlab.training.config import TrainConfig


@pytest.fixture(autouse=True)
def no_env_db(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACTLAB_DB", raising=False)


def _runs() -> list[tuple[TrainConfig, dict[str, object], list[float]]]:
    """Three runs whose configs and metrics cover every kind of cell: lists, text mixed with numbers,
    missing and non-finite numbers, booleans, and a metric named like a config field."""
    configs = [
        TrainConfig(activation="relu", hidden=[16, 16], seed=0),
        TrainConfig(activation="tanh", hidden=[8], seed=1, bias_init=0.1, lr=0.01),
        TrainConfig(task="sub", activation=["relu", "tanh"], hidden=[4, 4], seed=2, target_loss=0.5),
    ]
    metrics = [
        {"interp_mae": 0.25, "extrap_mae": 1.5, "interp_exact_rate": None, "steps": 3000, "stopped_early": False},
        {
            "interp_mae": math.nan,
            "extrap_mae": math.inf,
            "interp_exact_rate": 0.5,
            "steps": 12,
            "stopped_early": True,
            "diverged_step": 12,
        },
        {"interp_mae": 0.125, "extrap_mae": 2.0, "interp_exact_rate": 1.0, "steps": 400, "stopped_early": True},
    ]
    return [(c, m, [1.0, 0.5, 0.25][: i + 1]) for i, (c, m) in enumerate(zip(configs, metrics, strict=True))]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "runs.db"
    with ResultStore(path) as store:
        for config, metrics, losses in _runs():
            store.put(config, metrics, losses, label="export" if config.seed != 1 else None)
    return path


def _records(path: Path):  # type: ignore[no-untyped-def]
    with ResultStore(path, create=False) as store:
        return store.runs()


def test_the_table_has_one_row_per_run_and_a_column_per_field(store_path: Path) -> None:
    columns, rows = run_table(_records(store_path))
    config_fields = sorted(TrainConfig().resolved())  # stored as sorted JSON
    assert columns[:5] == ["id", "config_hash", "version", "label", "created_at"]
    assert columns[5 : 5 + len(config_fields)] == config_fields
    assert columns[5 + len(config_fields) :] == [
        "extrap_mae",
        "interp_exact_rate",
        "interp_mae",
        "metrics.steps",
        "stopped_early",
        "diverged_step",
    ]
    first, second, third = rows
    assert (first["hidden"], first["train_range"], third["activation"]) == (
        "[16, 16]",
        "[-10.0, 10.0]",
        '["relu", "tanh"]',
    )
    assert (first["steps"], first["metrics.steps"]) == (3000, 3000) and second["metrics.steps"] == 12
    assert [r["bias_init"] for r in rows] == ["auto", "0.1", "auto"]  # text and a number: text throughout
    assert (second["interp_mae"], second["extrap_mae"], first["interp_exact_rate"]) == (None, None, None)
    assert [r["label"] for r in rows] == ["export", None, "export"]
    assert [r["diverged_step"] for r in rows] == [None, 12, None]
    assert [r["target_loss"] for r in rows] == [None, None, 0.5]


def test_csv_and_parquet_read_back_by_pandas_give_the_table(store_path: Path, tmp_path: Path) -> None:
    records = _records(store_path)
    columns, rows = run_table(records)
    expected = pd.DataFrame.from_records(rows, columns=columns)
    export_runs(records, tmp_path / "runs.csv")
    export_runs(records, tmp_path / "runs.parquet")
    from_parquet = pd.read_parquet(tmp_path / "runs.parquet")
    pd.testing.assert_frame_equal(from_parquet, expected)  # every value and every dtype
    assert from_parquet["seed"].dtype == "int64" and from_parquet["interp_mae"].dtype == "float64"
    from_csv = pd.read_csv(tmp_path / "runs.csv")
    assert list(from_csv.columns) == columns
    for column in columns:  # CSV keeps no types: a column of missing values reads as float, "auto" as text
        assert [None if pd.isna(v) else v for v in from_csv[column]] == [row[column] for row in rows], column
    assert list(from_csv["lr"]) == [0.003, 0.01, 0.003] and json.loads(from_csv["hidden"][0]) == [16, 16]


def test_json_holds_the_same_rows_and_the_loss_curves(store_path: Path, tmp_path: Path) -> None:
    records = _records(store_path)
    columns, rows = run_table(records)
    export_runs(records, tmp_path / "runs.json")
    data = json.loads((tmp_path / "runs.json").read_text())
    assert [{k: v for k, v in item.items() if k != "losses"} for item in data] == rows
    assert [item["losses"] for item in data] == [[1.0], [1.0, 0.5], [1.0, 0.5, 0.25]]
    frame = pd.read_json(tmp_path / "runs.json", orient="records")
    assert list(frame.columns) == [*columns, "losses"] and list(frame["seed"]) == [0, 1, 2]


def test_the_format_comes_from_the_option_or_the_suffix(tmp_path: Path) -> None:
    assert export_format(tmp_path / "a.CSV") == "csv"
    assert export_format(tmp_path / "a.Parquet") == "parquet"
    assert export_format(tmp_path / "a.dat", "json") == "json"
    assert export_format(tmp_path / "a.csv", "parquet") == "parquet"
    with pytest.raises(ActlabError) as caught:
        export_format(tmp_path / "a.txt")
    assert str(caught.value) == (
        f"cannot export to {tmp_path / 'a.txt'}: the suffix of 'a.txt' is not one of csv, json, parquet; name the "
        f"file runs.csv, runs.json or runs.parquet, or pass --format"
    )
    with pytest.raises(ActlabError, match=r"--format xlsx is not one of csv, json, parquet"):
        export_format(tmp_path / "a.csv", "xlsx")


def test_parquet_without_pyarrow_is_one_line_saying_how_to_install(
    cli, store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    result = cli("runs", "export", str(tmp_path / "runs.parquet"), "--db", str(store_path))
    assert result.code == 2 and result.out == ""
    assert result.err == (
        "actlab: error: writing Parquet needs pyarrow: pip install 'actlab[parquet]' (pandas and pyarrow); or "
        "export to .csv or .json\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.db"]


def test_the_command_infers_the_format_creates_folders_and_reports_in_json(
    cli, store_path: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "new" / "folder" / "sweep.parquet"
    result = cli("runs", "export", str(target), "--label", "export", "--json", "--db", str(store_path))
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report == {
        "file": str(target),
        "format": "parquet",
        "runs": 2,
        "columns": report["columns"],
        "damaged": [],
        "db": str(store_path),
    }
    assert list(pd.read_parquet(target).columns) == report["columns"]
    assert list(pd.read_parquet(target)["seed"]) == [0, 2]
    plain = cli("runs", "export", str(tmp_path / "table.out"), "--format", "csv", "--db", str(store_path))
    assert plain.out.split() == ["wrote", "3", "runs", "to", str(tmp_path / "table.out")]
    assert len(pd.read_csv(tmp_path / "table.out")) == 3
    assert not [p for p in tmp_path.rglob("*.tmp")]  # written whole, through a temporary file


def test_write_csv_header_from_the_rows_and_empty_cells(tmp_path: Path) -> None:
    rows = [{"a": 1, "b": None}, {"b": math.nan, "c": "x,y"}, {"a": math.inf, "c": True}]
    path = write_csv(tmp_path / "t.csv", rows)
    assert path == tmp_path / "t.csv"
    assert path.read_bytes() == b'a,b,c\n1,,\n,,"x,y"\ninf,,True\n'
    write_csv(path, rows, ["c", "a", "b"])  # the given columns, in their order
    assert path.read_text(encoding="utf-8") == 'c,a,b\n,1,\n"x,y",,\nTrue,inf,\n'


def test_comparison_run_row_adds_the_config_fields_a_comparison_varies() -> None:
    record = RunRecord(
        7,
        "abc",
        "0.1.0",
        "add",
        "relu",
        3,
        {"hidden": [16, 8], "init": "he", "lr": 0.01, "steps": 50},
        {"interp_mae": 0.5},
        [1.0],
        "t",
    )
    assert comparison_run_row(record) == {
        **record.summary(),
        "hidden": "16 8",
        "init": "he",
        "lr": 0.01,
        "steps_config": 50,
    }
    assert list(comparison_run_row(record))[-4:] == ["hidden", "init", "lr", "steps_config"]


def test_write_comparison_writes_the_three_tables(tmp_path: Path) -> None:
    from actlab.experiments.compare import compare

    result = compare("add", ["relu", "tanh"], 2, TrainConfig(steps=5, hidden=[3]))
    written: list[Path] = []
    write_comparison(result, tmp_path / "out", written)
    assert written == [tmp_path / "out" / name for name in ("results.json", "results.csv", "runs.csv")]
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [r["activation"] for r in data["results"]] == ["relu", "tanh"]
    assert set(data["curves"]) == {"relu", "tanh"}
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(results["activation"]) == ["relu", "tanh"]
    runs = pd.read_csv(tmp_path / "out" / "runs.csv")
    assert sorted(zip(runs["activation"], runs["seed"], strict=True)) == [
        ("relu", 0),
        ("relu", 1),
        ("tanh", 0),
        ("tanh", 1),
    ]
    assert set(runs["hidden"]) == {3} and set(runs["steps_config"]) == {5}


def test_an_unwritable_place_is_refused_in_the_words_of_every_output(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    with pytest.raises(ActlabError, match=r"cannot write the export to .*notes.txt/x.csv: it lies under .*notes.txt"):
        export_runs([], a_file / "x.csv")
    with pytest.raises(ActlabError, match="it is a folder; give a file name such as"):
        export_runs([], tmp_path, "csv")
    assert a_file.read_text() == "keep me" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
