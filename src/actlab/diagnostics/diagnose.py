""":func:`diagnose`: one pass of a model over some data under a :class:`Monitor`, and its report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from actlab.diagnostics.monitor import Monitor
from actlab.diagnostics.report import Report
from actlab.errors import ActlabError
from actlab.text import check_lang
from actlab.util.bounds import MAX_INPUTS, check_seed

Data = Tensor | Dataset[Any] | DataLoader[Any] | Iterable[Any]
Loss = Callable[..., Tensor]


def diagnose(
    model: nn.Module,
    data: Data,
    *,
    batch_size: int = 256,
    lang: str = "en",
    backward: bool = True,
    loss: Loss | None = None,
    max_inputs: int | None = None,
    seed: int = 0,
    saturation_threshold: float = 0.01,
    near_zero: float = 1e-3,
) -> Report:
    """Run ``model`` over ``data`` once under a :class:`Monitor` and return its report.

    ``data`` is a tensor of inputs (split into batches of ``batch_size`` along dimension 0), a
    ``Dataset`` or a ``DataLoader`` whose items are inputs or ``(input, target, ...)`` tuples, or any
    iterable of such batches. With ``backward=True`` each batch is also backpropagated, for the gradient
    picture: through ``loss(output, target)`` (or ``loss(output)`` without targets) when ``loss`` is given,
    otherwise through the label-free probe ``(output · v).sum() / batch`` with a fixed random ``v`` of
    the output's shape (seeded by ``seed``), which measures how the network carries a gradient from its
    output back to its input, independent of any task.

    The model is left as it was: it runs in eval mode (dropout off, batch-norm statistics frozen), and
    its training flags and parameters' ``.grad`` are restored afterwards.

    Raises :class:`ActlabError` for empty data, inputs the model rejects, a batch too big for memory, or a
    model without activations.
    """
    check_lang(lang)
    check_batch_size(batch_size)
    check_seed(seed)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    training = {m: m.training for m in model.modules()}
    grads = {p: p.grad for p in model.parameters()}
    probe = _Probe(seed)
    monitor = Monitor(model, saturation_threshold=saturation_threshold, near_zero=near_zero, gradients=backward)
    model.eval()
    try:
        with monitor:
            for x, target in _batches(data, batch_size, max_inputs):
                x = x.to(device)
                for p in grads:
                    p.grad = None
                with torch.set_grad_enabled(backward):
                    out = _forward(model, x)
                    if backward and out.requires_grad:
                        objective = probe(out) if loss is None else _apply(loss, out, target, device)
                        try:
                            objective.backward()
                        except (RuntimeError, MemoryError) as err:
                            if not is_out_of_memory(err):
                                raise
                            raise _too_big(model, x, "backpropagating") from err
    finally:
        for m, flag in training.items():
            m.train(flag)
        for p, g in grads.items():
            p.grad = g
    if monitor.inputs == 0:
        raise ActlabError("no inputs to diagnose: the data is empty")
    if not monitor.sites:
        raise ActlabError(
            f"{type(model).__name__} has no activation sites: no activation module (nn.ReLU, nn.GELU, ...) "
            "and no activation call (F.relu, torch.tanh, x.relu(), ...) ran in its forward"
        )
    return monitor.report(lang)


def check_batch_size(batch_size: int, name: str = "batch_size=") -> None:
    """Inputs per pass: at least 1, at most :data:`~actlab.util.bounds.MAX_INPUTS`."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_INPUTS:
        raise ActlabError(f"{name}{batch_size} must be between 1 and {MAX_INPUTS:,}")


def is_out_of_memory(err: BaseException) -> bool:
    """An allocation failure: ``MemoryError``, ``torch.OutOfMemoryError``, or a CPU allocator's error."""
    if isinstance(err, MemoryError | torch.cuda.OutOfMemoryError):
        return True
    text = str(err)
    return isinstance(err, RuntimeError) and any(
        words in text for words in ("can't allocate memory", "not enough memory", "out of memory", "CPUAllocator")
    )


def _too_big(model: nn.Module, x: Tensor, doing: str) -> ActlabError:
    return ActlabError(
        f"out of memory {doing} {type(model).__name__} on a batch of shape {tuple(x.shape)}: "
        "use fewer inputs per batch (batch_size; --batch-size on the command line)"
    )


def _forward(model: nn.Module, x: Tensor) -> Tensor:
    try:
        out = model(x)
    except SystemExit as err:  # the user's forward called sys.exit(); actlab reports it instead of ending
        raise ActlabError(
            f"{type(model).__name__}.forward called sys.exit({err.code!r}) on inputs of shape {tuple(x.shape)}"
        ) from None
    except MemoryError as err:
        raise _too_big(model, x, "running") from err
    except (RuntimeError, ValueError, IndexError, TypeError) as err:
        if is_out_of_memory(err):
            raise _too_big(model, x, "running") from err
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ActlabError(f"{type(model).__name__} rejected inputs of shape {tuple(x.shape)}: {first_line}") from err
    if isinstance(out, tuple | list) and out and isinstance(out[0], Tensor):
        out = out[0]
    if not isinstance(out, Tensor):
        raise ActlabError(f"{type(model).__name__} returned {type(out).__name__}; diagnose needs a tensor output")
    return out


def _apply(loss: Loss, out: Tensor, target: Any, device: torch.device) -> Tensor:
    if target is None:
        return loss(out)
    return loss(out, target.to(device) if isinstance(target, Tensor) else target)


class _Probe:
    """``(output · v).sum() / batch`` for one fixed standard-normal ``v`` per output shape."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.directions: dict[tuple[int, ...], Tensor] = {}

    def __call__(self, out: Tensor) -> Tensor:
        shape = tuple(out.shape[1:]) if out.dim() else ()
        if shape not in self.directions:
            gen = torch.Generator().manual_seed(self.seed)
            self.directions[shape] = torch.randn(shape, generator=gen, dtype=torch.float64)
        v = self.directions[shape].to(device=out.device, dtype=out.dtype)
        return (out * v).sum() / max(out.shape[0] if out.dim() else 1, 1)


def _batches(data: Data, batch_size: int, max_inputs: int | None) -> Iterator[tuple[Tensor, Any]]:
    if isinstance(data, Tensor):
        source: Iterable[Any] = data.split(batch_size) if data.dim() else [data.reshape(1)]
    elif isinstance(data, Dataset):  # map-style or iterable: items are single examples
        source = DataLoader(data, batch_size=batch_size, shuffle=False)
    elif isinstance(data, Iterable):
        source = data
    else:
        raise ActlabError(f"cannot diagnose over {type(data).__name__}: give a tensor, a Dataset or a DataLoader")
    seen = 0
    for batch in source:
        x, target = _split(batch)
        if max_inputs is not None:
            if seen >= max_inputs:
                return
            x = x[: max_inputs - seen]
            target = target[: max_inputs - seen] if isinstance(target, Tensor) else target
        seen += int(x.shape[0]) if x.dim() else 1
        yield x, target


def _split(batch: Any) -> tuple[Tensor, Any]:
    if isinstance(batch, Tensor):
        return batch, None
    if isinstance(batch, tuple | list) and batch and isinstance(batch[0], Tensor):
        return batch[0], batch[1] if len(batch) > 1 else None
    raise ActlabError(f"a batch must be a tensor or an (input, target) pair, not {type(batch).__name__}")
