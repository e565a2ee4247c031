"""The catalog figure's x axis: refused before any drawing when it cannot be drawn."""

from __future__ import annotations

import math

import pytest
import torch

from actlab.errors import ActlabError
from actlab.plots.catalog import check_x_range


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [
        (-math.inf, 1.0, "must be finite numbers within ±1e6"),
        (-1.0, math.nan, "must be finite numbers within ±1e6"),
        (-2e6, 1.0, "must be finite numbers within ±1e6"),
        (1.0, 1.0, "must be below --high 1"),
        (1.0, 1.0 + 1e-7, "by at least 1e-6"),
    ],
)
def test_an_axis_that_cannot_be_drawn_is_refused(low: float, high: float, message: str) -> None:
    with pytest.raises(ActlabError, match=message):
        check_x_range(low, high)


def test_the_widest_and_the_narrowest_axes_pass() -> None:
    check_x_range(-1e6, 1e6)
    check_x_range(0.0, 1e-6)


def test_a_network_is_drawn_by_what_its_task_asks() -> None:
    from actlab import MLP
    from actlab.nets.tasks import get_task
    from actlab.plots.training import network_figure

    model = MLP(2, [4], 2, generator=torch.Generator().manual_seed(0))
    classifier = network_figure(model, get_task("xor"))
    regression = network_figure(MLP(2, [4], 1, generator=torch.Generator().manual_seed(0)), get_task("add"))
    # a decision map: filled class regions and the training points; a regression: prediction and truth lines
    assert classifier.axes[0].get_title() == "xor: predicted class" and len(classifier.axes[0].collections) == 2
    assert "predicted class" not in regression.axes[0].get_title() and len(regression.axes[0].lines) >= 2
