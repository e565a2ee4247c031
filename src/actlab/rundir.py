"""A training run on disk: a folder that :func:`save_run` writes whole or not at all, and :func:`load_run` reads.

Layout::

    DIR/
      actlab-run.json   marker: {"format": "actlab-run", "version": 1, "actlab": ..., "created": ...}
      config.json       the resolved TrainConfig (task defaults filled in)
      weights.pt        the model's state_dict, plain tensors (read with torch.load(weights_only=True))
      history.json      {"loss": [...], "diagnostics": [...]}
      metrics.json      metrics, final_loss, steps, seconds, ...

Nothing in a run folder is unpickled as arbitrary objects: ``weights_only=True`` accepts tensors and plain
containers only. A folder without the marker, with another format or version, or with a missing or
damaged file is refused with :class:`ActlabError`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from actlab.errors import ActlabError
from actlab.model import MLP
from actlab.plain import plain
from actlab.tasks import Task
from actlab.training import TrainConfig, TrainResult, build_model, make_task

FORMAT = "actlab-run"
VERSION = 1
MARKER, CONFIG, WEIGHTS, HISTORY, METRICS = (
    "actlab-run.json", "config.json", "weights.pt", "history.json", "metrics.json",
)  # fmt: skip


@dataclass
class Run:
    """A run read back from disk."""

    path: Path
    config: TrainConfig
    model: MLP
    history: list[float]
    metrics: dict[str, Any]

    @property
    def task(self) -> Task:
        return make_task(self.config)


def _json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def is_run(path: Path) -> bool:
    """Whether ``path`` holds a run folder's marker."""
    return (Path(path) / MARKER).is_file()


def save_run(result: TrainResult, path: Path | str) -> Path:
    """Write ``result`` to the folder ``path``, atomically: the files go to a temporary sibling folder that is
    renamed into place only when complete, so an interruption leaves no half-written run.

    An existing run folder at ``path`` is replaced; an existing empty folder too; any other existing path
    is refused with :class:`ActlabError`.
    """
    target = Path(path)
    if target.exists() and not (target.is_dir() and (is_run(target) or not any(target.iterdir()))):
        raise ActlabError(f"{target} exists and is not an actlab run folder; choose another --out")
    if not target.parent.is_dir():
        raise ActlabError(f"cannot write {target}: folder {target.parent} does not exist (create it first)")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        _json(tmp / MARKER, {"format": FORMAT, "version": VERSION, "actlab": _version(),
                             "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})  # fmt: skip
        _json(tmp / CONFIG, plain(result.config.resolved()))
        torch.save({k: v.detach().cpu() for k, v in result.model.state_dict().items()}, tmp / WEIGHTS)
        _json(tmp / HISTORY, plain({"loss": result.history, "diagnostics": result.diagnostics}))
        _json(tmp / METRICS, plain(result.to_dict()))
        if target.exists():
            old = target.with_name(f".{target.name}.old-{time.time_ns()}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_run(path: Path | str) -> Run:
    """Read a run folder back; raises :class:`ActlabError` if it is missing, foreign or damaged."""
    folder = Path(path)
    if not folder.is_dir():
        raise ActlabError(f"{folder} is not a folder; give the --out folder of `actlab train`")
    marker = _read_json(folder, MARKER, "it is not an actlab run folder (no actlab-run.json)")
    if not isinstance(marker, dict) or marker.get("format") != FORMAT:
        raise ActlabError(f"{folder} is not an actlab run folder ({MARKER} names another format)")
    if marker.get("version") != VERSION:
        raise ActlabError(f"{folder} is a run of format version {marker.get('version')!r}; this actlab reads {VERSION}")
    config = TrainConfig.from_dict(_read_json(folder, CONFIG, "its config is missing"))
    model = build_model(config)
    try:
        state = torch.load(folder / WEIGHTS, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except FileNotFoundError:
        raise ActlabError(f"{folder} is damaged: {WEIGHTS} is missing") from None
    except Exception as err:  # unpickling and shape errors come in many types
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ActlabError(f"{folder} is damaged: cannot load {WEIGHTS} for this config ({first[:200]})") from None
    history = _read_json(folder, HISTORY, "its history is missing")
    metrics = _read_json(folder, METRICS, "its metrics are missing")
    if not isinstance(history, dict) or not isinstance(metrics, dict):
        raise ActlabError(f"{folder} is damaged: {HISTORY} and {METRICS} must hold JSON objects")
    return Run(folder, config, model, list(history.get("loss", [])), metrics)


def _read_json(folder: Path, name: str, missing: str) -> Any:
    try:
        return json.loads((folder / name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ActlabError(f"{folder}: {missing}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ActlabError(f"{folder} is damaged: {name} is not valid JSON ({err})") from None


def _version() -> str:
    from actlab import __version__

    return __version__
