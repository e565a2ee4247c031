"""Optional TensorBoard scalars for reports and tracker histories (needs the ``tensorboard`` package).

Tags are ``site/<name>/<quantity>`` and ``layer/<name>/<quantity>``, plus ``loss`` and ``collapsed``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from actlab.diagnostics.report import Report
from actlab.errors import ActlabError


def available() -> bool:
    try:
        import torch.utils.tensorboard  # noqa: F401
    except ImportError:
        return False
    return True


def check_log_dir(log_dir: str | Path) -> Path:
    """Check, before any work, that TensorBoard can write to ``log_dir``: the package is installed and
    ``log_dir`` is a folder or can become one (:func:`actlab.util.outputs.prepare_output_dir`: missing parent
    folders are created, an existing file or an unwritable place is refused)."""
    if not available():
        raise ActlabError("TensorBoard output needs the tensorboard package: pip install tensorboard")
    from actlab.util.outputs import prepare_output_dir

    return prepare_output_dir(log_dir, what="TensorBoard logs")


def summary_writer(log_dir: str | Path) -> Any:
    """A ``torch.utils.tensorboard.SummaryWriter`` for ``log_dir``, or a clear error without tensorboard or
    where ``log_dir`` cannot be a folder."""
    path = check_log_dir(log_dir)
    from torch.utils.tensorboard import SummaryWriter

    try:
        return SummaryWriter(log_dir=str(path))
    except OSError as err:
        raise ActlabError(f"cannot write TensorBoard logs to {path}: {err.strerror or err}") from err


def write_record(writer: Any, record: dict[str, Any]) -> None:
    """One :meth:`TrainingTracker.history` entry as scalars at its step."""
    step = int(record["step"])
    for tag in ("loss", "collapsed"):
        if record.get(tag) is not None:
            writer.add_scalar(tag, float(record[tag]), step)
    for group in ("sites", "layers"):
        for name, values in record.get(group, {}).items():
            for key, value in values.items():
                if isinstance(value, int | float):
                    writer.add_scalar(f"{group[:-1]}/{name}/{key}", float(value), step)


def write_history(history: Iterable[dict[str, Any]], log_dir: str | Path) -> Path:
    writer = summary_writer(log_dir)
    for record in history:
        write_record(writer, record)
    writer.close()
    return Path(log_dir)


def write_report(report: Report, log_dir: str | Path, step: int = 0) -> Path:
    data = report.to_dict()
    record = {
        "step": step,
        "collapsed": data["collapsed"],
        "sites": {s["name"]: {k: v for k, v in s.items() if isinstance(v, int | float)} for s in data["sites"]},
        "layers": {x["name"]: {k: v for k, v in x.items() if isinstance(v, int | float)} for x in data["layers"]},
    }
    writer = summary_writer(log_dir)
    write_record(writer, record)
    writer.close()
    return Path(log_dir)
