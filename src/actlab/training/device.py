"""Where training runs: the ``--device`` names, their validation, and whether a group fits in GPU memory.

A device is ``"cpu"`` (the default, and the only one CI has) or ``"cuda"`` (the first GPU PyTorch sees);
``"auto"`` means ``"cuda"`` where a GPU is present and ``"cpu"`` elsewhere. :func:`resolve_device` is the one
place that turns a name into one of the two, raising :class:`~actlab.errors.ActlabError` (one line, exit code
2 in the CLI) for an unknown name or for ``"cuda"`` without a GPU.

:func:`group_bytes` estimates the GPU memory a stacked group of networks needs (a pure function of its sizes)
and :func:`check_fits` compares it with the free memory before anything is put on the GPU, suggesting the
largest group that would fit.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch

from actlab.errors import ActlabError, unknown

DEVICES = ("cpu", "cuda", "auto")
DEVICE_DRAW_STEPS = 64  # on a GPU a network's batches are drawn this many steps per call (see actlab.training)
MEMORY_MARGIN = 0.8  # plan for this share of the free memory: PyTorch's allocator rounds and caches blocks
GIB = 2**30


def gpu_present() -> bool:
    """Whether PyTorch sees a CUDA GPU here."""
    return torch.cuda.is_available()


def device_name(name: str) -> str:
    """``"cpu"`` or ``"cuda"`` for a device name (``cpu``, ``cuda``, ``auto``; any case, spaces trimmed),
    without asking whether a GPU is present for ``cuda`` (a stored config names the device it ran on).

    Raises :class:`ActlabError` for another name.
    """
    key = str(name).strip().lower()
    if key not in DEVICES:
        raise unknown("device", str(name), DEVICES)
    if key == "auto":
        return "cuda" if gpu_present() else "cpu"
    return key


def resolve_device(name: str) -> str:
    """:func:`device_name`, and an :class:`ActlabError` for ``cuda`` where PyTorch sees no GPU: the check
    before anything trains."""
    key = device_name(name)
    if key == "cuda" and not gpu_present():
        raise ActlabError(
            "device cuda: PyTorch sees no GPU here (torch.cuda.is_available() is False); use --device cpu, or "
            "--device auto to use a GPU only where one is present"
        )
    return key


def group_bytes(
    networks: int,
    in_features: int,
    hidden: Sequence[int],
    out_features: int,
    batch_size: int,
    steps: int,
    itemsize: int = 4,
    optimizer: str = "adam",
    draw_steps: int = DEVICE_DRAW_STEPS,
) -> int:
    """Bytes of GPU memory a stacked group of ``networks`` networks needs while it trains (an estimate).

    Per network, with ``P`` parameters (``Σ (in + 1) · out`` over the layers), ``H = Σ hidden`` and
    ``W = max(hidden)`` (``out_features`` for a linear model), in items of ``itemsize`` bytes:

    * parameters and gradients (``2 · P``), the optimizer's state (Adam: ``m`` and ``v``, ``2 · P``; SGD: a
      momentum buffer, ``P``) and the update's temporaries (Adam: denominator, update and the update with
      stopped networks masked, ``3 · P``; SGD: update and masked update, ``2 · P``): ``7 · P`` or ``5 · P``;
    * one step's activations: each hidden layer's pre-activation and output (``2 · B · H``), the backward
      pass's two gradients of the widest layer (``2 · B · W``) and the output (``B · out``);
    * the drawn batches, ``draw_steps · B · (in + out)`` items a draw, three at once where one draw ends: the
      last one (its final step still in use) and the next, per network and stacked;
    * the loss history, kept on the GPU: ``steps`` items.
    """
    widths = [in_features, *hidden, out_features]
    params = sum((a + 1) * b for a, b in itertools.pairwise(widths))
    state = (7 if optimizer == "adam" else 5) * params
    widest = max(hidden, default=out_features)
    activations = batch_size * (2 * sum(hidden) + 2 * widest + out_features)
    data = 3 * draw_steps * batch_size * (in_features + out_features)
    return networks * (state + activations + data + steps) * itemsize


def check_fits(need: int, free: int, networks: int) -> None:
    """Raise :class:`ActlabError` when ``need`` bytes (:func:`group_bytes` of ``networks`` networks) exceed
    :data:`MEMORY_MARGIN` of ``free`` bytes, naming the largest group that would fit."""
    budget = int(free * MEMORY_MARGIN)
    if need <= budget:
        return
    fitting = budget * networks // need
    advice = (
        f"train at most {fitting:,} network{'s' if fitting > 1 else ''} at a time (fewer seeds or activations)"
        if fitting
        else "one network alone does not fit: use a smaller --batch-size, narrower --hidden or --device cpu"
    )
    raise ActlabError(
        f"a group of {networks:,} networks needs about {need / GIB:.2f} GiB of GPU memory, but "
        f"{free / GIB:.2f} GiB are free ({MEMORY_MARGIN:.0%} of it is planned for); {advice}"
    )


def free_gpu_bytes(device: str = "cuda") -> int:
    """Free memory on the GPU, in bytes (``torch.cuda.mem_get_info``)."""
    free, _total = torch.cuda.mem_get_info(torch.device(device))
    return int(free)
