"""What ``actlab diagnose`` runs: a saved run over its training distribution, or a user's own model.

:func:`diagnose_target` takes the command's arguments as they are, checks them and diagnoses either a run
folder written by ``actlab train`` (:func:`diagnose_run`: its model, inputs drawn from its task's training
distribution, its own loss) or a model ``FILE.py:FACTORY`` run in a child process
(:func:`actlab.diagnostics.user_model.diagnose_user_model`). It lives in ``training/``, not ``diagnostics/``,
because a run folder needs the trainer's loader, tasks and loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from actlab.errors import ActlabError

if TYPE_CHECKING:
    from torch import nn

    from actlab.diagnostics.report import Report

DEFAULT_SAMPLES = 4096  # inputs drawn from a run's training distribution: enough to tell a unit that never fires


def diagnose_target(
    run_dir: Path | None = None,
    model: str | None = None,
    *,
    input_shape: Sequence[int] | None = None,
    inputs: Path | None = None,
    timeout: float | None = None,
    samples: int = DEFAULT_SAMPLES,
    batch_size: int = 256,
    seed: int = 0,
    backward: bool = True,
    lang: str = "en",
    device: str = "cpu",
) -> tuple[Report, str]:
    """The report on a run folder ``run_dir`` or on a user's ``model`` (``FILE.py:FACTORY``, over inputs of
    ``input_shape`` or from the file ``inputs``, stopped after ``timeout`` seconds), and what it is about:
    the folder or the spec, as the report's title names it. ``device`` (``cpu``, ``cuda`` or ``auto``) is
    where a user's model runs. Raises :class:`ActlabError` for bad arguments, before any work."""
    from actlab.diagnostics.diagnose import check_batch_size
    from actlab.diagnostics.user_model import diagnose_user_model
    from actlab.text import check_lang
    from actlab.training.device import resolve_device
    from actlab.util.bounds import check_seed

    check_lang(lang)
    target = resolve_device(device)
    if run_dir is None and model is None:
        raise ActlabError("nothing to diagnose: give a run folder (actlab diagnose DIR) or --model FILE.py:FACTORY")
    if run_dir is not None and model is not None:
        raise ActlabError("give either a run folder (actlab diagnose DIR) or --model FILE.py:FACTORY, not both")
    check_seed(seed, "--seed ")
    check_batch_size(batch_size, "--batch-size ")
    if run_dir is not None:
        if input_shape or inputs:
            raise ActlabError("--input-shape and --inputs go with --model; a run folder brings its own data")
        report = diagnose_run(run_dir, samples=samples, batch_size=batch_size, seed=seed, backward=backward, lang=lang)
        return report, str(run_dir)
    assert model is not None
    limit = {} if timeout is None else {"timeout": timeout}
    report = diagnose_user_model(
        model,
        input_shape=input_shape,
        inputs=inputs,
        seed=seed,
        batch_size=batch_size,
        backward=backward,
        lang=lang,
        device=target,
        **limit,
    )
    return report, model


def diagnose_run(
    run_dir: Path,
    *,
    samples: int = DEFAULT_SAMPLES,
    batch_size: int = 256,
    seed: int = 0,
    backward: bool = True,
    lang: str = "en",
) -> Report:
    """:func:`actlab.diagnostics.diagnose` of a saved run's model over :func:`run_data`, with the run's loss."""
    from actlab.diagnostics.diagnose import diagnose

    net, data, loss = run_data(run_dir, samples, seed)
    return diagnose(net, data, batch_size=batch_size, lang=lang, backward=backward, loss=loss, seed=seed)


def run_data(run_dir: Path, samples: int, seed: int) -> tuple[nn.Module, Any, Any]:
    """The trained model of a run folder, ``samples`` inputs (and targets) of its training distribution drawn
    from ``seed`` as a ``TensorDataset`` in the model's dtype, and its task's loss."""
    import torch

    from actlab.training.loop import loss_fn
    from actlab.training.rundir import load_run
    from actlab.util.bounds import MAX_INPUTS, check_values

    if samples < 2:
        raise ActlabError(f"--samples {samples} must be at least 2")
    run = load_run(run_dir)
    task = run.task
    x, y = task.sample(2, torch.Generator().manual_seed(seed), "train")  # the size of one example
    per_example = (x[0].numel() + y[0].numel()) if x.dim() and y.dim() else 2
    check_values(f"--samples {samples:,}", samples * per_example, "use fewer samples")
    if samples > MAX_INPUTS:
        raise ActlabError(f"--samples {samples:,} is more than the limit of {MAX_INPUTS:,} inputs")
    x, y = task.sample(samples, torch.Generator().manual_seed(seed), "train")
    dtype = next(run.model.parameters()).dtype  # a float64 run (a hand-built model) takes float64 inputs
    x, y = x.to(dtype), y.to(dtype) if y.is_floating_point() else y
    return run.model, torch.utils.data.TensorDataset(x, y), loss_fn(task)
