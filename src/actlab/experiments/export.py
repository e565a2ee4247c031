"""Stored runs as one table, the shape a DataFrame wants: what ``actlab runs export`` writes; and the
tables ``actlab compare --out`` writes (:func:`write_comparison`), with the same CSV writer.

One row per run. The columns, in order:

* the run's identity: ``id``, ``config_hash``, ``version``, ``label``, ``created_at``;
* each field of its resolved config under the field's name, in alphabetical order (``activation``,
  ``batch_size``, ``bias_init``, ..., ``task``, ...); a nested mapping becomes one column per key,
  ``name.key``; a list becomes one cell holding it as JSON text (``hidden`` = ``[16, 16]``,
  ``train_range`` = ``[-10.0, 10.0]``), so that every format holds the same table and ``json.loads``
  reads it back;
* each metric under its name (``interp_mae``, ``final_loss``, ...), or ``metrics.NAME`` where a config
  field already has that name (``metrics.steps``: the steps run, next to the config's ``steps``).

A column whose values mix text and numbers is text throughout (``bias_init`` = ``auto`` or ``0.1``). A
missing or non-finite number is an empty cell (CSV), ``null`` (JSON) or a null (Parquet). JSON adds each
run's loss curve (``losses``, a list per run); Parquet needs pandas and pyarrow (``actlab[parquet]``).
"""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from actlab.errors import ActlabError
from actlab.experiments.store import RunRecord
from actlab.util.outputs import prepare_output_file
from actlab.util.plain import plain

if TYPE_CHECKING:  # the comparison imports PyTorch: `runs export` does not need it
    from actlab.experiments.compare import ComparisonResult

FORMATS = ("csv", "json", "parquet")
IDENTITY = ("id", "config_hash", "version", "label", "created_at")
INSTALL_PARQUET = "pip install 'actlab[parquet]' (pandas and pyarrow)"


def export_format(path: Path, fmt: str | None = None) -> str:
    """The format to write ``path`` in: ``fmt`` if given, else the file's suffix. Raises
    :class:`ActlabError` for an unknown format, and for Parquet when pandas or pyarrow is missing, so that
    a caller can refuse before any work."""
    chosen = (fmt or path.suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        given = f"--format {fmt}" if fmt else f"the suffix of {path.name!r}"
        raise ActlabError(
            f"cannot export to {path}: {given} is not one of {', '.join(FORMATS)}; name the file "
            f"runs.csv, runs.json or runs.parquet, or pass --format"
        )
    if chosen == "parquet":
        try:
            import pandas  # noqa: F401
            import pyarrow  # noqa: F401
        except ImportError as err:
            raise ActlabError(
                f"writing Parquet needs {err.name or 'pandas and pyarrow'}: {INSTALL_PARQUET}; "
                f"or export to .csv or .json"
            ) from None
    return chosen


def run_row(record: RunRecord) -> dict[str, Any]:
    """One run as a flat row (see the module's docstring)."""
    row: dict[str, Any] = {key: getattr(record, key) for key in IDENTITY}
    config = _flatten(record.config)
    row.update(config)
    for key, value in _flatten(record.metrics).items():
        row[f"metrics.{key}" if key in row else key] = value
    return row


def run_table(records: Iterable[RunRecord]) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and the rows of :func:`run_row` for ``records``, each column of one kind: numbers (and
    missing values), booleans, or text."""
    rows = [run_row(r) for r in records]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    for column in columns:
        values = [row.get(column) for row in rows]
        if not (_all(values, _is_number) or _all(values, _is_bool) or _all(values, _is_text)):
            for row in rows:
                if row.get(column) is not None:
                    row[column] = str(row[column])
    return columns, [{column: row.get(column) for column in columns} for row in rows]


def export_runs(records: Sequence[RunRecord], path: Path, fmt: str | None = None) -> list[str]:
    """Write ``records`` to ``path`` as CSV, JSON or Parquet (default: by the suffix), whole or not at all
    (a temporary file renamed into place); creates missing parent folders. Returns the columns.

    Raises :class:`ActlabError` for a bad format or a folder at ``path``, and ``OSError`` when the file
    cannot be written."""
    chosen = export_format(path, fmt)
    if path.is_dir():
        raise ActlabError(f"cannot export to {path}: it is a folder; give a file name such as {path / 'runs.csv'}")
    prepare_output_file(path, what="the export")  # missing folders made, an unwritable place refused in one line
    columns, rows = run_table(records)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        if chosen == "csv":
            write_csv(tmp, rows, columns)
        elif chosen == "json":
            data = [{**row, "losses": r.losses} for row, r in zip(rows, records, strict=True)]
            tmp.write_text(json.dumps(plain(data), indent=1, allow_nan=False) + "\n", encoding="utf-8")
        else:
            _write_parquet(tmp, columns, rows)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return columns


def write_comparison(result: ComparisonResult, out: Path, written: list[Path]) -> None:
    """Write the tables of ``actlab compare --out`` into the folder ``out`` (created if missing), appending
    each file to ``written`` once it is complete: ``results.json`` (the summary, and each activation's loss
    curve under ``curves``), ``results.csv`` (one row per activation) and ``runs.csv`` (one row per run:
    :func:`comparison_run_row`)."""
    out.mkdir(parents=True, exist_ok=True)
    summary = result.to_dict()
    curves = {s.activation: s.curve.__dict__ for s in result.stats}
    (out / "results.json").write_text(json.dumps(plain({**summary, "curves": curves}), indent=2) + "\n")
    written.append(out / "results.json")
    written.append(write_csv(out / "results.csv", summary["results"]))
    rows = [comparison_run_row(r) for runs in result.runs.values() for r in runs]
    written.append(write_csv(out / "runs.csv", rows))


def comparison_run_row(record: RunRecord) -> dict[str, Any]:
    """One run of a comparison as a row of its ``runs.csv``: the run's summary, then the config fields
    that tell its runs apart (``hidden`` as widths separated by spaces, ``init``, ``lr``, ``steps_config``)."""
    cfg = record.config
    hidden = cfg.get("hidden", [])
    return {
        **record.summary(),
        "hidden": " ".join(map(str, hidden)),
        "init": cfg.get("init"),
        "lr": cfg.get("lr"),
        "steps_config": cfg.get("steps"),
    }


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list | tuple):
            flat[name] = json.dumps(plain(list(value)))
        elif isinstance(value, float) and not math.isfinite(value):
            flat[name] = None
        else:
            flat[name] = value
    return flat


def _all(values: Sequence[Any], kind: Any) -> bool:
    return all(v is None or kind(v) for v in values)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def write_csv(path: Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> Path:
    """Write ``rows`` to ``path`` as CSV (UTF-8, ``\\n`` line ends) under a header of ``columns`` (default:
    every key of the rows, in the order they first appear); a missing value, ``None`` or NaN is an empty
    cell. Returns ``path``."""
    header = list(columns) if columns is not None else list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            {k: "" if v is None or (isinstance(v, float) and math.isnan(v)) else v for k, v in row.items()}
            for row in rows
        )
    return path


def _write_parquet(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    import pandas as pd

    frame = pd.DataFrame.from_records(rows, columns=columns)
    frame.to_parquet(path, index=False)
