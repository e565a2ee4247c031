"""A small CNN to try ``actlab diagnose --model examples/mynet.py:make`` on (README, "Diagnostics").

Two defects are built in: 5 of the conv layer's 16 channels are born dead (bias -100, so no input makes them
fire), and a head of six sigmoid layers, each of which passes back at most a quarter of the gradient.
"""

from __future__ import annotations

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool2d(4)  # (B, 16, 32, 32) -> (B, 16, 8, 8)
        layers: list[nn.Module] = []
        for width_in in (16 * 8 * 8, 64, 64, 64, 64, 64):
            layers += [nn.Linear(width_in, 64), nn.Sigmoid()]
        self.head = nn.Sequential(*layers)  # head.0 Linear, head.1 Sigmoid, ..., head.11 Sigmoid
        self.out = nn.Linear(64, 10)
        with torch.no_grad():
            self.conv.bias[:5] = -100.0  # channels 0-4: dead from birth

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, 3, 32, 32)
        return self.out(self.head(self.pool(self.act(self.conv(x))).flatten(1)))  # (B, 10)


def make() -> Net:
    """The factory ``--model examples/mynet.py:make`` calls: the same weights every time (seed 0), and the
    caller's random state left as it was."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return Net()
