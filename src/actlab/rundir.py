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
import pickle
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
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name[:64]}.", suffix=".tmp", dir=target.parent))
    try:
        _json(tmp / MARKER, {"format": FORMAT, "version": VERSION, "actlab": _version(),
                             "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})  # fmt: skip
        _json(tmp / CONFIG, plain(result.config.resolved()))
        torch.save({k: v.detach().cpu() for k, v in result.model.state_dict().items()}, tmp / WEIGHTS)
        _json(tmp / HISTORY, plain({"loss": result.history, "diagnostics": result.diagnostics}))
        _json(tmp / METRICS, plain(result.to_dict()))
        if target.exists():
            old = target.with_name(f".{target.name[:64]}.old-{time.time_ns()}")  # [:64]: a long name stays legal
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
    """Read a run folder back; raises :class:`ActlabError` if it is missing, foreign or damaged.

    Every message names the folder or the file at fault (``RUN/weights.pt is damaged or not an actlab run's
    weights (...)``) and is one line.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise ActlabError(f"{folder} is not a folder; give the --out folder of `actlab train`")
    marker = _read_json(folder, MARKER, "it is not an actlab run folder (no actlab-run.json)")
    if not isinstance(marker, dict) or marker.get("format") != FORMAT:
        raise ActlabError(f"{folder} is not an actlab run folder ({MARKER} names another format)")
    if marker.get("version") != VERSION:
        raise ActlabError(f"{folder} is a run of format version {marker.get('version')!r}; this actlab reads {VERSION}")
    config = _read_config(folder)
    model = build_model(config)
    _load_weights(folder, model, config)
    history = _read_json(folder, HISTORY, "its history is missing")
    metrics = _read_json(folder, METRICS, "its metrics are missing")
    for name, data in ((HISTORY, history), (METRICS, metrics)):
        if not isinstance(data, dict):
            raise _damaged(folder, name, f"it holds a JSON {_json_kind(data)}, not an object")
    loss = history.get("loss", [])
    if not (isinstance(loss, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in loss)):
        raise _damaged(folder, HISTORY, '"loss" must be a list of numbers')
    return Run(folder, config, model, [float(v) for v in loss], metrics)


def _damaged(folder: Path, name: str, reason: str) -> ActlabError:
    what = {CONFIG: "config", WEIGHTS: "weights", HISTORY: "history", METRICS: "metrics"}.get(name, "file")
    return ActlabError(f"{folder / name} is damaged or not an actlab run's {what} ({reason})")


def _json_kind(data: Any) -> str:
    kinds = {list: "array", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return kinds.get(type(data), type(data).__name__)


def _read_config(folder: Path) -> TrainConfig:
    data = _read_json(folder, CONFIG, "its config is missing")
    if not isinstance(data, dict):
        raise _damaged(folder, CONFIG, f"it holds a JSON {_json_kind(data)}, not an object")
    try:
        return TrainConfig.from_dict(data)
    except ActlabError as err:
        raise _damaged(folder, CONFIG, _one_line(str(err))) from None
    except (TypeError, ValueError, KeyError, AttributeError) as err:  # a value of the wrong JSON type
        raise _damaged(folder, CONFIG, f"a value has the wrong type: {_one_line(str(err))}") from None


def _load_weights(folder: Path, model: MLP, config: TrainConfig) -> None:
    """Load ``weights.pt`` into ``model``, checking names and shapes first so the reason is ours, not
    PyTorch's (whose messages suggest turning safe loading off)."""
    file = folder / WEIGHTS
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ActlabError(f"{folder} is damaged: {WEIGHTS} is missing") from None
    except pickle.UnpicklingError as err:  # safe loading refused it: a foreign object, or no pickle at all
        why = "it holds objects other than tensors, which actlab never loads" if "global" in str(err).lower() else (
            "not a PyTorch weights file, or cut short")  # fmt: skip
        raise _damaged(folder, WEIGHTS, why) from None
    except OSError as err:
        raise _damaged(folder, WEIGHTS, f"cannot read it: {err.strerror or type(err).__name__}") from None
    except Exception:  # a truncated or foreign file fails inside PyTorch's reader in many types
        raise _damaged(folder, WEIGHTS, "not a PyTorch weights file, or cut short") from None
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):  # fmt: skip
        raise _damaged(folder, WEIGHTS, "it does not hold a dict of named tensors")
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    extra = [k for k in state if k not in expected]
    misfit = f"it does not fit {CONFIG} (hidden {' '.join(map(str, config.hidden)) or 'none'})"
    if missing or extra:
        parts = ([f"missing {', '.join(missing[:3])}"] if missing else []) + (
            [f"unexpected {', '.join(extra[:3])}"] if extra else [])  # fmt: skip
        raise _damaged(folder, WEIGHTS, f"{misfit}: {'; '.join(parts)}")
    for key, tensor in expected.items():
        if state[key].shape != tensor.shape:
            raise _damaged(folder, WEIGHTS, f"{misfit}: {key} is {_shape(state[key])}, expected {_shape(tensor)}")
        if not state[key].is_floating_point():
            raise _damaged(folder, WEIGHTS, f"{key} holds {state[key].dtype}, not floating-point numbers")
    try:
        model.load_state_dict(state)
    except Exception as err:  # not expected after the checks above; still one line, naming the file
        raise _damaged(folder, WEIGHTS, _one_line(str(err)) or type(err).__name__) from None


def _shape(tensor: torch.Tensor) -> str:
    return "x".join(map(str, tensor.shape)) or "scalar"


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _read_json(folder: Path, name: str, missing: str) -> Any:
    try:
        return json.loads((folder / name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ActlabError(f"{folder}: {missing}") from None
    except json.JSONDecodeError as err:
        raise _damaged(folder, name, f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    except UnicodeDecodeError:
        raise _damaged(folder, name, "not valid JSON: not UTF-8 text") from None
    except OSError as err:
        raise ActlabError(f"cannot read {folder / name}: {err.strerror or type(err).__name__}") from None


def _version() -> str:
    from actlab import __version__

    return __version__
