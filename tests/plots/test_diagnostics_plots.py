"""Figures and TensorBoard output: they are written, show the right series, and fail clearly."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
import torch
from test_diagnostics_tracker import float32, scalars
from torch import nn

from actlab.diagnostics import TrainingTracker, diagnose
from actlab.errors import ActlabError
from actlab.plots.diagnostics import report_figure, save, training_figure


def report():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 6), nn.Sigmoid(), nn.Linear(6, 1))
    return diagnose(net, torch.randn(64, 2))


def test_report_figure_has_one_bar_group_per_site_and_one_gradient_bar_per_layer(tmp_path) -> None:
    r = report()
    fig = report_figure(r, title="t")
    units, grads = fig.axes
    assert [t.get_text() for t in units.get_xticklabels()] == ["1", "3"]
    assert len(units.patches) == 3 * 2  # dead, sparsity, saturated for each of 2 sites
    assert [t.get_text() for t in grads.get_xticklabels()] == ["0", "2", "4"]
    assert [p.get_height() for p in grads.patches] == pytest.approx([x.grad_norm for x in r.layers])
    path = save(fig, tmp_path / "bars.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_training_figure_draws_one_curve_per_site_and_layer(tmp_path) -> None:
    history = [
        {
            "step": s,
            "sites": {"a": {"dead_fraction": s / 10, "sparsity": 0.5}},
            "layers": {"l1": {"grad_norm": 1.0 / s}, "l2": {"grad_norm": None}},
        }
        for s in (1, 2, 3)
    ]
    fig = training_figure(history)
    dead, _, grads = fig.axes
    assert list(dead.lines[0].get_ydata()) == [0.1, 0.2, 0.3]
    assert len(grads.lines) == 2 and grads.get_yscale() == "log"
    width, height = fig.get_size_inches()
    svg = ElementTree.parse(save(fig, tmp_path / "curves.svg")).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"  # a whole SVG document, of the figure's size in points
    assert (svg.get("width"), svg.get("height")) == (f"{width * 72:g}pt", f"{height * 72:g}pt")


def test_training_figure_from_a_real_tracker(tmp_path) -> None:
    net = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    tracker = TrainingTracker(net, every=1)
    tracker.on_train_start(net, None)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for step in (1, 2):
        opt.zero_grad()
        net(torch.randn(8, 2)).pow(2).mean().backward()
        tracker.on_before_step(step, net)
        opt.step()
        tracker.on_step_end(step, 0.0, net)
    tracker.on_train_end(net, None)
    fig = training_figure(tracker.history())
    assert [line.get_label() for line in fig.axes[0].lines] == ["1"]


def test_tensorboard_report_scalars(tmp_path) -> None:
    pytest.importorskip("torch.utils.tensorboard")
    from actlab.diagnostics.tensorboard import write_report

    r = report()
    write_report(r, tmp_path, step=7)
    logged = scalars(tmp_path)
    assert logged["collapsed"] == [(7, 0.0)]
    assert logged["site/3/saturation"] == [(7, float32(r.site("3").saturation))]
    assert logged["layer/0/grad_norm"] == [(7, float32(r.layers[0].grad_norm))]


def test_tensorboard_report_without_the_package(tmp_path, monkeypatch) -> None:
    import sys

    from actlab.diagnostics.tensorboard import available, write_report

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    assert not available()
    with pytest.raises(ActlabError, match="pip install tensorboard"):
        write_report(report(), tmp_path)
