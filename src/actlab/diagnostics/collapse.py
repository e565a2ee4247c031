"""Collapse: a network whose output does not depend on its input, and the born-dead experiment.

A deep, narrow ReLU network can be dead before training starts: if at some layer every unit is negative
for every input, everything above it sees only the biases, and the output is one constant (Lu, Shin, Su &
Karniadakis, *Dying ReLU and Initialization*, 2019: with width fixed, the chance tends to 1 as depth
grows). :func:`born_dead_fraction` measures that chance with the Monitor's collapse detection.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from actlab.diagnostics.counters import OutputSpread, first_tensor
from actlab.diagnostics.records import Thresholds
from actlab.errors import ActlabError
from actlab.util.bounds import MAX_SEEDS, check_depth, check_values, check_work


def is_collapsed(model: nn.Module, inputs: Tensor, *, tol: float = Thresholds.collapse) -> bool:
    """True when ``model``'s output is the same for every row of ``inputs``: the Monitor's test (every
    output element's spread at most ``tol`` times its magnitude; by default the Monitor's own tolerance,
    :attr:`Thresholds.collapse`), without instrumenting the sites. ``tol=0`` asks for an exactly constant
    output."""
    if inputs.dim() == 0 or inputs.shape[0] < 2:
        raise ActlabError("collapse needs at least two inputs (rows of the input tensor)")
    with torch.no_grad():
        out = first_tensor(model(inputs))
    if out is None:
        raise ActlabError(f"{type(model).__name__} returned no tensor")
    spread = OutputSpread()
    spread.add(out)
    return spread.collapsed(tol)


@dataclass(frozen=True)
class BornDead:
    """One cell of the born-dead table: how many of ``networks`` freshly initialised ones were collapsed."""

    width: int
    depth: int
    activation: str
    init: str
    networks: int
    collapsed: int

    @property
    def fraction(self) -> float:
        return self.collapsed / self.networks

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "fraction": self.fraction}


def born_dead_fraction(
    width: int,
    depth: int,
    seeds: int | Iterable[int] = 100,
    *,
    activation: str = "relu",
    init: str = "he",
    in_features: int = 2,
    n_inputs: int = 256,
) -> BornDead:
    """Initialise one :class:`actlab.nets.mlp.MLP` per seed (``depth`` hidden layers of ``width`` units, one
    output) and count those born dead: output exactly constant over ``n_inputs`` standard-normal inputs.

    Exactly constant (``tol=0``), not merely nearly: with PyTorch's default initialisation a deep ReLU
    network also shrinks its input signal by about √6 per layer, and a 20-layer one varies its output by
    ~1e-8 only; that is a vanishing signal (the Monitor's relative tolerance of 1e-6 calls it collapsed),
    but not a dead network, and this experiment counts only the dead ones.

    ``seeds`` is a count (seeds ``0 .. n-1``) or the seeds themselves; seed ``s`` draws the weights from
    ``torch.Generator().manual_seed(s)`` and the inputs from seed ``10**6 + s``. ``init`` is a scheme of
    :mod:`actlab.nets.init`: ``he`` (Kaiming's normal weights, zero biases: the variance-preserving choice for
    ReLU, so that only dying is measured) or ``default`` (PyTorch's ``nn.Linear`` initialisation).
    """
    from actlab.nets.mlp import MLP

    seed_list = _seed_list(seeds)
    check_network(width, depth, in_features=in_features, n_inputs=n_inputs)
    check_born_dead_work([width], [depth], len(seed_list), in_features=in_features, n_inputs=n_inputs)
    collapsed = 0
    for seed in seed_list:
        net = MLP(in_features, [width] * depth, 1, activation, init=init, generator=torch.Generator().manual_seed(seed))
        x = torch.randn(n_inputs, in_features, generator=torch.Generator().manual_seed(10**6 + seed))
        collapsed += is_collapsed(net, x, tol=0.0)
    return BornDead(width, depth, activation, init, len(seed_list), collapsed)


def born_dead_table(
    widths: Sequence[int], depths: Sequence[int], seeds: int | Iterable[int] = 100, **options: Any
) -> list[BornDead]:
    """:func:`born_dead_fraction` for every width and depth, widths varying slowest.

    Every cell's sizes are checked before the first network is built, the biggest network first (the one a
    message should name), so a size that cannot fit is refused at once rather than after the cells before it.
    """
    seed_list = _seed_list(seeds)
    sizes = {k: options[k] for k in ("in_features", "n_inputs") if k in options}
    if widths and depths:
        check_network(max(widths), max(depths), **sizes)
    for w in widths:
        for d in depths:
            check_network(w, d, **sizes)
    check_born_dead_work(widths, depths, len(seed_list), **sizes)
    return [born_dead_fraction(w, d, seed_list, **options) for w in widths for d in depths]


def check_born_dead_work(
    widths: Sequence[int], depths: Sequence[int], seeds: int, *, in_features: int = 2, n_inputs: int = 256
) -> None:
    """Refuse a born-dead table that would take many minutes (:func:`~actlab.util.bounds.check_work`)."""
    layers = seeds * len(widths) * sum(depths)
    multiply_adds = seeds * n_inputs * sum(in_features * w + (d - 1) * w * w + w for w in widths for d in depths)
    check_work(
        f"a born-dead table of {seeds:,} seeds per cell",
        layers,
        multiply_adds,
        "use fewer seeds, or smaller widths and depths",
    )


def check_network(width: int, depth: int, *, in_features: int = 2, n_inputs: int = 256) -> None:
    """Refuse born-dead networks with sizes below 1 or too big for memory (see :mod:`actlab.util.bounds`)."""
    for name, value in (("width", width), ("depth", depth), ("in_features", in_features)):
        if value < 1:
            raise ActlabError(f"{name} must be at least 1, got {value}")
    if n_inputs < 2:
        raise ActlabError(f"n_inputs must be at least 2 to tell a constant output, got {n_inputs}")
    check_depth("a born-dead network", depth)
    weights = in_features * width + (depth - 1) * width * width + width  # Linear weights, input to output
    biases = depth * width + 1
    signals = 2 * n_inputs * max(width, in_features)  # one layer's input and output at a time (no_grad)
    check_values(
        f"a born-dead network of width {width:,} and depth {depth:,}",
        weights + biases + signals,
        "use a smaller width or depth",
    )


def check_seeds(seeds: int, name: str = "seeds=") -> None:
    """Refuse a number of networks per born-dead cell outside 1 .. :data:`~actlab.util.bounds.MAX_SEEDS`;
    ``name`` is how the message names it (``"--seeds "`` on the command line)."""
    if not 1 <= seeds <= MAX_SEEDS:
        raise ActlabError(f"{name}{seeds:,} must be between 1 and {MAX_SEEDS:,}")


def _seed_list(seeds: int | Iterable[int]) -> list[int]:
    if isinstance(seeds, int):
        check_seeds(seeds)
        return list(range(seeds))
    seed_list = list(seeds)
    if not seed_list:
        raise ActlabError("born_dead_fraction needs at least one seed")
    return seed_list
