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
damaged file is refused with :class:`ActlabError`; so is a file that is not a regular file (a FIFO would
block the reader forever), checked on the opened file itself.

:func:`save_run` takes a :class:`~actlab.training.config.TrainResult` (what ``actlab train --out`` writes) or any
:class:`~actlab.nets.mlp.MLP` built by hand with catalog activations, given the task it answers. The weights
keep their dtype: a float64 model is read back as a float64 model.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import stat
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import torch

from actlab._version import __version__
from actlab.catalog.modules import CatalogActivation, get
from actlab.errors import ActlabError
from actlab.nets.mlp import MLP
from actlab.nets.tasks import Task
from actlab.training.config import TrainConfig, TrainResult, make_task
from actlab.training.evaluate import evaluate, parse_inputs, predict
from actlab.training.loop import build_model, final_divergence
from actlab.util.plain import plain

FORMAT = "actlab-run"
VERSION = 1
MARKER, CONFIG, WEIGHTS, HISTORY, METRICS = (
    "actlab-run.json",
    "config.json",
    "weights.pt",
    "history.json",
    "metrics.json",
)


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

    def ask(self, inputs: Sequence[str | float]) -> dict[str, Any]:
        """The network's answer to ``inputs`` as a user writes them (``["5", "3"]``, ``["5+3"]``; see
        :func:`~actlab.training.evaluate.parse_inputs`), with the truth: what ``actlab predict`` prints."""
        task = self.task
        return predict(self.model, task, parse_inputs(inputs, task, run=str(self.path)))

    def evaluate(self, extrap_range: tuple[float, float] | None = None) -> tuple[Task, dict[str, float | None]]:
        """The metrics of :func:`~actlab.training.evaluate.evaluate` now, extrapolating on ``extrap_range``
        (the training box cut out) instead of the run's own where given; with the task they were taken on."""
        task = self.task if extrap_range is None else self.task.with_options(extrap_range=extrap_range)
        return task, evaluate(self.model, task)


def _json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def is_run(path: Path) -> bool:
    """Whether ``path`` holds a run folder's marker."""
    return (Path(path) / MARKER).is_file()


def save_run(
    run: TrainResult | MLP,
    path: Path | str,
    *,
    task: str | None = None,
    train_range: Sequence[float] | None = None,
    extrap_range: Sequence[float] | None = None,
    integer: bool = False,
) -> Path:
    """Write a run folder that ``actlab predict``, ``eval`` and ``diagnose`` accept, atomically: the files go
    to a temporary sibling folder that is renamed into place only when complete, so an interruption leaves no
    half-written run. Missing parent folders are created.

    Args:
        run: a trained result, or a hand-built :class:`MLP` whose activations come from the catalog (its
            metrics are measured here; its history is empty and ``metrics.json`` says ``"hand_built": true``).
        path: the folder. An existing run folder is replaced, an existing empty folder too; any other
            existing path is refused with :class:`ActlabError`.
        task, train_range, extrap_range, integer: for a hand-built model only: the task it answers (its
            inputs and outputs must fit the model) and the ranges ``actlab eval`` measures it on (default:
            the task's).

    The exact two-unit adder, saved in float64 (``actlab predict DIR 123456 654321`` then prints 777777)::

        adder = MLP.from_weights([[[1.0, 1.0], [-1.0, -1.0]], [[1.0, -1.0]]], activation="relu",
                                 dtype=torch.float64)
        save_run(adder, "out/adder", task="add")
    """
    target = Path(path)
    if isinstance(run, TrainResult):
        if task is not None or train_range is not None or extrap_range is not None or integer:
            raise ActlabError(
                "save_run: task and ranges are given for a hand-built model only; a trained "
                "result carries its own config"
            )
        config, model = run.config, run.model
        history, metrics = {"loss": run.history, "diagnostics": run.diagnostics}, run.to_dict()
    elif isinstance(run, MLP):
        config, model = _hand_built_config(run, task, train_range, extrap_range, integer), run
        history = {"loss": [], "diagnostics": []}
        metrics = {
            **evaluate(model, make_task(config)),
            "final_loss": None,
            "steps": 0,
            "seconds": 0.0,
            "steps_per_second": None,
            "stopped_early": False,
            "hand_built": True,
            "config": config.resolved(),
        }
    else:
        raise ActlabError(f"save_run takes a TrainResult or an actlab.MLP, not {type(run).__name__}")
    broken = final_divergence(model, metrics)
    if broken is not None:  # a diverged model is never saved as a result
        raise ActlabError(
            f"not saved to {target}: the model diverged ({broken}); train it again with a lower learning rate"
        )
    if target.exists() and not (target.is_dir() and (is_run(target) or not any(target.iterdir()))):
        raise ActlabError(f"{target} exists and is not an actlab run folder; choose another --out")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ActlabError(f"cannot create folder {target.parent}: {err.strerror or type(err).__name__}") from None
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name[:64]}.", suffix=".tmp", dir=target.parent))
    try:
        _json(
            tmp / MARKER,
            {
                "format": FORMAT,
                "version": VERSION,
                "actlab": __version__,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
        )
        _json(tmp / CONFIG, plain(config.resolved()))
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp / WEIGHTS)
        _json(tmp / HISTORY, plain(history))
        _json(tmp / METRICS, plain(metrics))
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


def _hand_built_config(
    model: MLP,
    task: str | None,
    train_range: Sequence[float] | None,
    extrap_range: Sequence[float] | None,
    integer: bool,
) -> TrainConfig:
    """The config that rebuilds ``model``'s shape: its widths and activation specs, and the given task."""
    if task is None:
        raise ActlabError("save_run: give the task a hand-built model answers, e.g. task='add'")
    specs = [_spec(act) for act in model.activations()]
    activation: str | list[str] = specs[0] if len(set(specs)) == 1 else specs or "relu"  # "relu": no layers
    config = TrainConfig(
        task=task,
        hidden=list(model.hidden),
        activation=activation,
        integer=integer,
        train_range=tuple(train_range) if train_range is not None else None,  # type: ignore[arg-type]
        extrap_range=tuple(extrap_range) if extrap_range is not None else None,  # type: ignore[arg-type]
    )
    shape = make_task(config)
    if (model.in_features, model.out_features) != (shape.in_features, shape.out_features):
        raise ActlabError(
            f"save_run: task {task!r} takes {shape.in_features} input(s) and gives {shape.out_features} "
            f"output(s), but the model has {model.in_features} and {model.out_features}"
        )
    return config


def _spec(module: torch.nn.Module) -> str:
    """The catalog spec that builds ``module`` again (``leaky_relu:negative_slope=0.1``)."""
    if not isinstance(module, CatalogActivation):
        raise ActlabError(
            f"save_run: activation {type(module).__name__} is not from actlab's catalog; build the "
            f"MLP with catalog names (actlab list) so that a run folder can rebuild it"
        )
    defaults = module.entry.resolve()
    changed = [f"{k}={v!r}" for k, v in module.params.items() if v != defaults.get(k)]
    spec = module.catalog_name + (":" + ",".join(changed) if changed else "")
    if get(spec).params != module.params:  # pragma: no cover - every catalog parameter prints as it parses
        raise ActlabError(f"save_run: cannot write the parameters of {module!r} as a catalog spec")
    return spec


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
    try:
        with _open_regular(folder, WEIGHTS) as handle, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch warns about pickles it then refuses: our message says it
            state = torch.load(handle, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ActlabError(f"{folder} is damaged: {WEIGHTS} is missing") from None
    except ActlabError:
        raise
    except pickle.UnpicklingError as err:  # safe loading refused it: a foreign object, or no pickle at all
        why = (
            "it holds objects other than tensors, which actlab never loads"
            if "global" in str(err).lower()
            else ("not a PyTorch weights file, or cut short")
        )
        raise _damaged(folder, WEIGHTS, why) from None
    except OSError as err:
        raise _damaged(folder, WEIGHTS, f"cannot read it: {err.strerror or type(err).__name__}") from None
    except Exception:  # a truncated or foreign file fails inside PyTorch's reader in many types
        raise _damaged(folder, WEIGHTS, "not a PyTorch weights file, or cut short") from None
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise _damaged(folder, WEIGHTS, "it does not hold a dict of named tensors")
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    extra = [k for k in state if k not in expected]
    misfit = f"it does not fit {CONFIG} (hidden {' '.join(map(str, config.hidden)) or 'none'})"
    if missing or extra:
        parts = ([f"missing {', '.join(missing[:3])}"] if missing else []) + (
            [f"unexpected {', '.join(extra[:3])}"] if extra else []
        )
        raise _damaged(folder, WEIGHTS, f"{misfit}: {'; '.join(parts)}")
    for key, tensor in expected.items():
        if state[key].shape != tensor.shape:
            raise _damaged(folder, WEIGHTS, f"{misfit}: {key} is {_shape(state[key])}, expected {_shape(tensor)}")
        if not state[key].is_floating_point():
            raise _damaged(folder, WEIGHTS, f"{key} holds {state[key].dtype}, not floating-point numbers")
    dtypes = sorted({str(tensor.dtype) for tensor in state.values()})
    if len(dtypes) > 1:
        raise _damaged(folder, WEIGHTS, f"its tensors mix {' and '.join(dtypes)}; a model has one dtype")
    try:
        model.to(next(iter(state.values())).dtype)  # keep the saved precision (float64 stays float64)
        model.load_state_dict(state)
    except Exception as err:  # not expected after the checks above; still one line, naming the file
        raise _damaged(folder, WEIGHTS, _one_line(str(err)) or type(err).__name__) from None


def _shape(tensor: torch.Tensor) -> str:
    return "x".join(map(str, tensor.shape)) or "scalar"


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _open_regular(folder: Path, name: str) -> IO[bytes]:
    """``folder/name`` opened for reading, if it is a regular file. Opened without blocking and checked on
    the open file, so that a FIFO (whose open or read would wait for a writer forever) or a device is
    refused, with no window for it to be swapped in between a check and the open."""
    fd = os.open(folder / name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _damaged(folder, name, "not a regular file: a FIFO, a device or a folder")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_json(folder: Path, name: str, missing: str) -> Any:
    try:
        with _open_regular(folder, name) as handle:
            return json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError:
        raise ActlabError(f"{folder}: {missing}") from None
    except json.JSONDecodeError as err:
        raise _damaged(folder, name, f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    except UnicodeDecodeError:
        raise _damaged(folder, name, "not valid JSON: not UTF-8 text") from None
    except RecursionError:
        raise _damaged(folder, name, "its JSON is nested too deeply") from None
    except OSError as err:
        raise ActlabError(f"cannot read {folder / name}: {err.strerror or type(err).__name__}") from None
