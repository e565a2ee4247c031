"""A user's own model, diagnosed safely: ``FILE.py:FACTORY`` imported and run in a child process.

:func:`diagnose_user_model` is what ``actlab diagnose --model FILE.py:FACTORY`` calls. The user's code (the
file's top level, the factory, the model's forward) may do anything, so it runs in a child process:

* **a time limit** (``timeout`` seconds of the user's code: loading the file, calling the factory, the
  passes over the inputs) that really stops it: the child is killed, whatever the code loops on;
* **one-line errors**: any exception of the user's code, ``KeyboardInterrupt``, ``SystemExit`` and other
  ``BaseException`` included, comes back as an :class:`~actlab.errors.ActlabError` naming where it
  happened (loading the file, the factory, the forward pass) with the exception's type and first line;
* **a clean stdout**: the child's standard output goes to standard error, so a model file that calls
  ``print()`` cannot break a JSON document the caller prints on stdout.

The child is forked where that is safe and quick (Linux without CUDA; :func:`start_method`), and then
runs PyTorch on one thread (an OpenMP thread pool copied by fork hangs at its first parallel region);
otherwise it is spawned. In a daemonic process, which may not have children, the model runs in this process without a
time limit. :func:`load_factory` and :func:`load_inputs` are the in-process pieces.
"""

from __future__ import annotations

import importlib.util
import math
import multiprocessing
import os
import pickle
import signal
import sys
import time
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from actlab.errors import ActlabError
from actlab.util.bounds import MAX_INPUTS, check_seed, check_values

if TYPE_CHECKING:
    from torch import nn

    from actlab.diagnostics.report import Report

DEFAULT_TIMEOUT = 60.0  # seconds of the user's code, ample for a model that runs at all (`diagnose --help` says 60)
MAX_TIMEOUT = 7 * 24 * 3600.0  # a week: any longer is a typo
STARTUP_LIMIT = 300.0  # seconds a spawned child may take to import PyTorch before the user's code starts
INPUTS_HOW = (
    "save the inputs with torch.save(x, 'inputs.pt'), or inputs and targets with torch.save((x, y), 'inputs.pt')"
)

Phase = Callable[[str], None]  # told what the user's code is about to do, for the time-limit message


@dataclass(frozen=True)
class Request:
    """What the child needs: plain, picklable values only."""

    spec: str  # FILE.py:FACTORY
    input_shape: tuple[int, ...] | None
    inputs: Path | None
    seed: int
    batch_size: int
    backward: bool
    lang: str
    device: str = "cpu"  # where the model runs (diagnose() moves each batch to the model's device)


def diagnose_user_model(
    spec: str,
    *,
    input_shape: Sequence[int] | None = None,
    inputs: str | os.PathLike[str] | None = None,
    seed: int = 0,
    batch_size: int = 256,
    backward: bool = True,
    lang: str = "en",
    timeout: float = DEFAULT_TIMEOUT,
    device: str = "cpu",
) -> Report:
    """:func:`actlab.diagnostics.diagnose` of the model that ``FACTORY()`` in ``FILE.py`` returns, over
    standard-normal inputs of ``input_shape`` (batch first; drawn from ``seed``) or the tensors saved in the
    file ``inputs`` (``torch.save(x)`` or ``torch.save((x, y))``), run in a child process stopped after
    ``timeout`` seconds (see the module's docstring). ``torch.manual_seed(seed)`` runs before the factory,
    so that a factory drawing random weights draws the same ones every time.

    Raises :class:`ActlabError` for bad arguments (checked before any user code runs), for anything the
    user's code raises, and when the time limit stops it.
    """
    from actlab.diagnostics.diagnose import check_batch_size
    from actlab.text import check_lang

    check_lang(lang)
    check_batch_size(batch_size, "--batch-size ")
    request = Request(
        spec,
        _checked_shape(input_shape, inputs),
        None if inputs is None else Path(inputs),
        check_seed(seed, "--seed "),
        batch_size,
        backward,
        lang,
        device,
    )
    _factory_parts(spec)  # the spec's form and the file's existence, before a process starts
    if request.inputs is not None and not request.inputs.is_file():
        raise ActlabError(f"--inputs: no file {request.inputs}")
    if not (isinstance(timeout, int | float) and 0 < timeout <= MAX_TIMEOUT):
        raise ActlabError(f"--timeout {timeout}: give seconds > 0 and at most {MAX_TIMEOUT:,.0f} (a week)")
    if multiprocessing.current_process().daemon:  # no children allowed: run here, without a time limit
        return _diagnose(request, lambda _: None)
    return _in_child(request, timeout)


def start_method() -> Literal["fork", "spawn"]:
    """``"fork"`` on Linux without CUDA: quick, and safe there (a forked child cannot use CUDA or autograd
    once the parent has started them on a GPU machine); ``"spawn"`` elsewhere."""
    import torch

    return "fork" if sys.platform.startswith("linux") and not torch.cuda.is_available() else "spawn"


def load_factory(spec: str) -> tuple[nn.Module, str]:
    """``FILE.py:FACTORY`` -> the module the factory returns, and the spec as a label, in this process
    (no time limit: :func:`diagnose_user_model` calls it in its child)."""
    return _load_factory(spec, lambda _: None)


def load_inputs(input_shape: Sequence[int] | None, inputs: str | os.PathLike[str] | None, seed: int) -> Any:
    """The data for a user's model: standard-normal inputs of ``input_shape`` drawn from ``seed``, or the
    tensor (or ``TensorDataset`` of inputs and targets) saved in the file ``inputs``."""
    import torch

    shape = _checked_shape(input_shape, inputs)
    if shape is not None:
        return torch.randn(shape, generator=torch.Generator().manual_seed(check_seed(seed, "--seed ")))
    path = Path(inputs)  # type: ignore[arg-type]
    if not path.is_file():
        raise ActlabError(f"--inputs: no file {path}")
    try:
        loaded = torch.load(path, weights_only=True, map_location="cpu")
    except (pickle.UnpicklingError, RuntimeError) as err:
        if not _is_torch_zip(path) or "Weights only load failed" not in str(err):
            raise ActlabError(f"--inputs: {path} is not a tensor file saved with torch.save: {INPUTS_HOW}") from err
        raise ActlabError(
            f"--inputs: {path} holds Python objects other than tensors, which are not loaded (they could run "
            f"code): {INPUTS_HOW}"
        ) from err
    except Exception as err:  # KeyError, EOFError, UnicodeDecodeError, ...: the bytes are no torch.save output
        raise ActlabError(f"--inputs: {path} is not a tensor file saved with torch.save: {INPUTS_HOW}") from err
    if isinstance(loaded, tuple | list) and loaded and all(isinstance(t, torch.Tensor) for t in loaded):
        lengths = [len(t) if t.dim() else None for t in loaded]
        if None in lengths or len(set(lengths)) > 1:
            raise ActlabError(
                f"--inputs: the tensors in {path} have shapes {', '.join(str(tuple(t.shape)) for t in loaded)}; "
                "inputs and targets need the same first dimension (one row per example)"
            )
        _check_rows(path, int(lengths[0] or 0))
        return torch.utils.data.TensorDataset(*loaded)
    if not isinstance(loaded, torch.Tensor):
        raise ActlabError(f"--inputs: {path} holds {type(loaded).__name__}; {INPUTS_HOW}")
    _check_rows(path, len(loaded) if loaded.dim() else 1)
    return loaded


# --- the child process ------------------------------------------------------------------------------------


def _in_child(request: Request, timeout: float) -> Report:
    """Run :func:`_diagnose` in a child; relay its phases; kill it at the time limit."""
    # one literal per call: the type checker then knows either context (not any BaseContext) has .Process
    fork = start_method() == "fork"
    context = multiprocessing.get_context("fork") if fork else multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    with warnings.catch_warnings():  # Python 3.12+ warns about forking a process that has threads
        warnings.simplefilter("ignore", DeprecationWarning)
        process = context.Process(target=_child_main, args=(request, send), daemon=True)
        process.start()
    send.close()
    phase, deadline = "starting", time.monotonic() + STARTUP_LIMIT
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 and phase == "starting":
                raise ActlabError(f"--model: the process for the model did not start within {STARTUP_LIMIT:g} s")
            if left <= 0:
                raise ActlabError(
                    f"--model: {phase} did not finish within the time limit of {timeout:g} s and was stopped; "
                    f"allow more with --timeout SECONDS"
                )
            if not receive.poll(min(left, 0.25)):
                continue
            try:
                kind, payload = receive.recv()
            except (EOFError, OSError):
                process.join(5)
                raise ActlabError(
                    f"--model: the process running {phase} ended without a result (exit code "
                    f"{process.exitcode}); the model's code may have crashed the interpreter or called os._exit"
                ) from None
            if kind == "phase":
                if phase == "starting":  # the user's code begins: its time limit starts now
                    deadline = time.monotonic() + timeout
                phase = payload
            elif kind == "error":
                raise ActlabError(payload)
            else:
                return payload
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receive.close()


def _child_main(request: Request, connection: Connection) -> None:
    import torch

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it kills this process
    if start_method() == "fork":
        torch.set_num_threads(1)  # a forked OpenMP thread pool hangs at its first parallel region
    os.dup2(2, 1)  # the user's prints (Python's and C's) go to stderr: stdout belongs to the caller's output
    sys.stdout = sys.stderr  # (not flushed first: a forked copy of the caller's unwritten output must not repeat)
    try:
        message: tuple[str, Any] = ("result", _diagnose(request, lambda what: connection.send(("phase", what))))
    except ActlabError as err:
        message = ("error", str(err))
    except BaseException as err:  # a bug of actlab's own would land here too, named by its type
        message = ("error", f"--model: {_one_line(err)}")
    try:
        connection.send(message)
    except Exception as err:  # the report would not pickle
        connection.send(("error", f"--model: the result could not be sent back ({_one_line(err)})"))
    connection.close()


def _diagnose(request: Request, phase: Phase) -> Report:
    """Load the model and its data and diagnose it, telling ``phase`` what the user's code does next."""
    import torch

    from actlab.diagnostics.diagnose import diagnose

    torch.manual_seed(request.seed)  # a factory that draws random weights draws the same ones on every run
    model, _ = _load_factory(request.spec, phase)
    model = model.to(request.device)
    data = load_inputs(request.input_shape, request.inputs, request.seed)
    phase(f"the passes of {type(model).__name__} over the inputs")
    try:
        return diagnose(
            model, data, batch_size=request.batch_size, lang=request.lang, backward=request.backward, seed=request.seed
        )
    except ActlabError:
        raise
    except BaseException as err:  # the model's forward (or its hooks): KeyError, a custom BaseException, ...
        raise ActlabError(f"--model: {type(model).__name__} failed on the inputs: {_one_line(err)}") from None


def _load_factory(spec: str, phase: Phase) -> tuple[nn.Module, str]:
    from torch import nn

    path, name = _factory_parts(spec)
    module_name = f"actlab_user_model_{abs(hash(path.resolve()))}"
    phase(f"loading {path}")
    try:
        loader_spec = importlib.util.spec_from_file_location(module_name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ImportError("not a Python file")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[module_name] = module
        loader_spec.loader.exec_module(module)
    except SystemExit as err:  # a script's sys.exit() must not end actlab silently
        raise ActlabError(
            f"--model: loading {path} called sys.exit({err.code!r}); a model file must define {name}() "
            "without exiting (guard script code with if __name__ == '__main__':)"
        ) from None
    except BaseException as err:  # the user's file may fail in any way; report it in one line
        raise ActlabError(f"--model: cannot load {path}: {_one_line(err)}") from None
    factory = getattr(module, name, None)
    if not callable(factory):
        found = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_"))
        raise ActlabError(f"--model: {path} has no function {name!r} (it defines: {', '.join(found) or 'nothing'})")
    phase(f"{name}()")
    try:
        net = factory()
    except SystemExit as err:
        raise ActlabError(
            f"--model: {name}() called sys.exit({err.code!r}) instead of returning a torch.nn.Module"
        ) from None
    except BaseException as err:
        raise ActlabError(f"--model: {name}() failed: {_one_line(err)}") from None
    if not isinstance(net, nn.Module):
        raise ActlabError(f"--model: {name}() returned {type(net).__name__}, not a torch.nn.Module")
    return net, spec


# --- checks -----------------------------------------------------------------------------------------------


def _factory_parts(spec: str) -> tuple[Path, str]:
    """``FILE.py:FACTORY`` -> (the file, which must exist; the factory's name)."""
    path_text, colon, name = spec.rpartition(":")
    if not colon or not path_text or not name:
        raise ActlabError(f"--model {spec!r}: write FILE.py:FACTORY, e.g. models.py:make_net")
    path = Path(path_text)
    if not path.is_file():
        raise ActlabError(f"--model: no file {path}")
    return path, name


def _checked_shape(input_shape: Sequence[int] | None, inputs: Any) -> tuple[int, ...] | None:
    """Exactly one of a shape and an inputs file; a shape of whole numbers >= 1 that fits the limits."""
    if (input_shape is None) == (inputs is None):
        raise ActlabError("with --model give either --input-shape (e.g. 64,3,32,32) or --inputs FILE.pt")
    if input_shape is None:
        return None
    shape = tuple(input_shape)
    text = ",".join(map(str, shape))
    if not shape or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in shape):
        raise ActlabError(f"--input-shape {text!r}: every number must be a whole number of at least 1")
    check_values(f"--input-shape {text}", math.prod(shape), "use a smaller shape")
    if shape[0] > MAX_INPUTS:
        raise ActlabError(
            f"--input-shape {text}: {shape[0]:,} inputs are more than the limit of {MAX_INPUTS:,}; "
            f"use fewer (the first number)"
        )
    return shape


def _check_rows(path: Path, rows: int) -> None:
    if rows > MAX_INPUTS:
        raise ActlabError(f"--inputs: {path} holds {rows:,} inputs, more than the limit of {MAX_INPUTS:,}; save fewer")


def _is_torch_zip(path: Path) -> bool:
    """The file is a torch.save archive: a zip with ``<name>/data.pkl`` inside."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(n.endswith("/data.pkl") for n in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _one_line(err: BaseException) -> str:
    """``KeyError: 'x'``: the exception's type and the first line of its message."""
    try:
        text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    except Exception:  # a user's exception whose __str__ fails
        text = ""
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
