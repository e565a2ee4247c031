"""PyTorch's intra-op thread count for the duration of a block: the one place that sets it and restores it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

MAX_THREADS = 1024  # torch.set_num_threads refuses what does not fit a C int; no machine has more cores here


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` intra-op threads (``torch.set_num_threads``), then restore the count it had
    before, also when the block raises. ``None`` leaves the count as it is.

    Why the trainers set it: a batch of 128 through 16-wide layers is far less work than waking a second
    thread; on 2 busy cores 1000 default steps took 0.8 s with one thread and 8.8 s with two (measured).
    """
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
