"""The tour's settings: quick (the default, under 90 s on 2 cores) or full (more seeds, tighter intervals)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class TourConfig:
    mode: str = "quick"  # "quick" or "full"; only the sizes below differ
    seeds: int = 5  # seeds per configuration: enough for a t-interval, few enough for 90 s
    steps: int = 1500  # training steps per arithmetic model (add/sub reach MAE ~0.01 by then)
    classify_steps: int = 600  # xor/circle/mul models: a few hundred steps separate linear from ReLU
    hidden: tuple[int, ...] = (16, 16)  # the arithmetic issue's default network
    speed_size: int = 1_000_000  # elements per tensor when timing activations (a few MB: cache-warm)
    speed_repeats: int = 7  # timing rounds (each at least 20 ms per function), median kept
    depth: int = 10  # layers of the deep network for the vanishing-gradient measurement
    deep_width: int = 32  # its width
    deep_seeds: int = 5  # initialisations averaged for the gradient ratio
    dead_lr: float = 0.1  # Adam's step far above a sane 3e-3: provokes dead ReLU units
    dead_steps: int = 300  # steps of the dead-neuron run
    dead_every: int = 10  # record the dead count every this many steps
    dead_hidden: tuple[int, ...] = (32, 32)  # width of the dead-neuron network
    adder_inputs: tuple[float, float] = (123456.0, 654321.0)  # far outside any training range
    activations: tuple[str, ...] = field(default=("relu", "leaky_relu", "sigmoid", "tanh", "gelu", "silu"))
    device: str = "cpu"  # where the many-network sections train ("cuda": a GPU); the others stay on the CPU

    @classmethod
    def quick(cls) -> TourConfig:
        return cls()

    @classmethod
    def full(cls) -> TourConfig:
        return cls(mode="full", seeds=20, steps=3000, classify_steps=1500, deep_seeds=20, speed_repeats=9)

    def to_dict(self) -> dict[str, Any]:
        """The fields; ``device`` only where it is not ``"cpu"`` (a CPU tour keeps its stored sections' keys)."""
        data = asdict(self)
        if data["device"] == "cpu":
            del data["device"]
        return data
