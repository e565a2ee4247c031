"""The Monitor on hand-built networks whose answers are known exactly."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import actlab
from actlab.diagnostics import Monitor, diagnose
from actlab.errors import ActlabError


def relu_layer(k_dead: list[int], width: int = 16, inputs: int = 4) -> nn.Sequential:
    """Linear -> ReLU with small weights; the units in ``k_dead`` get bias -100 and can never fire."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(inputs, width), nn.ReLU())
    with torch.no_grad():
        net[0].weight.uniform_(-0.5, 0.5)
        net[0].bias.zero_()
        net[0].bias[k_dead] = -100.0
    return net


@pytest.mark.parametrize("dead", [[], [3], [0, 5, 15], list(range(8))])
def test_bias_minus_100_kills_exactly_those_units(dead: list[int]) -> None:
    net = relu_layer(dead)
    with Monitor(net) as mon:
        net(torch.randn(2000, 4, generator=torch.Generator().manual_seed(1)))
    site = mon.sites[0]
    assert site.dead_units() == sorted(dead)
    report = mon.report()
    assert report.site("1").dead == len(dead)
    assert report.site("1").dead_fraction == len(dead) / 16


def test_sigmoid_fed_large_inputs_is_saturated_and_small_inputs_are_not() -> None:
    net = nn.Sequential(nn.Linear(1, 1, bias=False), nn.Sigmoid())
    with torch.no_grad():
        net[0].weight.fill_(1.0)
    big = torch.tensor([[-50.0], [-20.0], [-10.0], [10.0], [20.0], [50.0]])
    small = torch.tensor([[-1.0], [-0.5], [0.0], [0.5], [1.0], [2.0]])
    assert diagnose(net, big).site("1").saturation == 1.0
    assert diagnose(net, small).site("1").saturation == 0.0
    verdicts = diagnose(net, big, backward=False).verdicts
    assert [(v.code, v.severity) for v in verdicts] == [("saturated", "critical")]


def test_tanh_saturation_fraction_counts_each_input_against_the_threshold() -> None:
    # tanh'(z) = 1 - tanh(z)^2 < 0.01 exactly where |z| > 2.993
    z = torch.tensor([-5.0, -2.9, 0.0, 1.0, 3.1, 10.0]).reshape(6, 1)
    with Monitor(nn.Tanh()) as mon:
        nn.Tanh()(z)  # a module outside the monitored model: not seen
        mon.model(z)
    (site,) = mon.report().sites
    assert (site.name, site.kind, site.units, site.samples) == ("model", "tanh", 1, 6)
    assert site.saturation == 3 / 6


def test_sparsity_near_zero_and_moments_match_hand_values() -> None:
    z = torch.tensor([[-1.0, 2.0], [0.0005, -3.0], [4.0, 0.0]], dtype=torch.float64)
    with Monitor(nn.ReLU(), near_zero=1e-3) as mon:
        mon.model(z)
    s = mon.report().sites[0]
    assert (s.units, s.samples, s.dead) == (2, 3, 0)
    assert s.sparsity == 3 / 6  # -1, -3, 0 map to exact zeros
    assert s.near_zero == 4 / 6  # and 0.0005
    y = F.relu(z)
    assert s.pre_mean == pytest.approx(z.mean().item(), abs=1e-12)
    assert s.pre_std == pytest.approx(z.std(correction=0).item(), abs=1e-12)
    assert s.post_mean == pytest.approx(y.mean().item(), abs=1e-12)
    assert s.post_std == pytest.approx(y.std(correction=0).item(), abs=1e-12)


def test_leaky_relu_units_never_die_but_relu_units_do() -> None:
    z = -torch.rand(50, 3) - 1.0  # every input negative
    for act, dead in ((nn.ReLU(), 3), (nn.LeakyReLU(0.1), 0), (actlab.get("leaky_relu"), 0), (nn.ELU(), 0)):
        with Monitor(act) as mon:
            act(z)
        assert mon.report().sites[0].dead == dead, act


def test_conv_units_are_channels() -> None:
    net = nn.Sequential(nn.Conv2d(3, 5, 3), nn.ReLU())
    with torch.no_grad():
        net[0].bias[[1, 4]] = -1000.0
    report = diagnose(net, torch.randn(8, 3, 6, 6))
    s = report.site("1")
    assert (s.units, s.samples, s.dead) == (5, 8 * 4 * 4, 2)


def test_gradient_norm_of_a_site_is_the_norm_of_dL_dy() -> None:
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    x = torch.randn(10, 3)
    with Monitor(net) as mon:
        net(x).sum().backward()  # dL/dy = 1 for all 40 outputs
        net(x).mul(2.0).sum().backward()  # dL/dy = 2
    s = mon.report().site("1")
    assert s.grad_norm == pytest.approx((math.sqrt(40) + 2 * math.sqrt(40)) / 2)
    assert s.grad_std == pytest.approx(0.5)  # half the entries 1, half 2


def test_layer_gradient_norm_and_update_ratio_of_one_sgd_step() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x = torch.randn(32, 3)
    with Monitor(net) as mon:
        net(x).pow(2).mean().backward()
        grads = [net[0].weight.grad.clone(), net[2].weight.grad.clone()]
        weights = [net[0].weight.detach().clone(), net[2].weight.detach().clone()]
        opt.step()
        mon.count_updates()
    layers = mon.report().layers
    assert [x.name for x in layers] == ["0", "2"]
    for layer, g, w in zip(layers, grads, weights, strict=True):
        assert layer.grad_norm == pytest.approx(g.norm().item(), rel=1e-6)
        assert layer.update_ratio == pytest.approx(0.1 * g.norm().item() / w.norm().item(), rel=1e-5)


def gradient_norms(net: nn.Module, x: torch.Tensor, batch_size: int) -> list[float]:
    """Each weight layer's gradient norm of ``net(batch).sum()``, averaged over the batches, by autograd."""
    layers = [m for m in net.modules() if isinstance(m, nn.Linear)]
    norms = torch.zeros(len(layers), dtype=torch.float64)
    batches = x.split(batch_size)
    for batch in batches:
        net.zero_grad()
        net(batch).sum().backward()
        norms += torch.tensor([layer.weight.grad.norm().item() for layer in layers], dtype=torch.float64)
    net.zero_grad()
    return (norms / len(batches)).tolist()


def total(out: torch.Tensor) -> torch.Tensor:
    return out.sum()


def test_no_update_ratio_without_an_optimizer_step() -> None:
    net, x = relu_layer([]), torch.randn(64, 4)
    report = diagnose(net, x, batch_size=16, loss=total)
    assert report.layers[0].update_ratio is None
    assert [layer.grad_norm for layer in report.layers] == pytest.approx(gradient_norms(net, x, 16), rel=1e-6)


def test_collapsed_network_is_detected_and_live_one_is_not() -> None:
    dead = nn.Sequential(*relu_layer(list(range(16))), nn.Linear(16, 2))
    report = diagnose(dead, torch.randn(100, 4))
    assert report.collapsed and report.output_spread == 0.0
    assert report.verdicts[0].code == "collapsed"
    assert report.severity == "critical"
    live = nn.Sequential(*relu_layer([]), nn.Linear(16, 2))
    assert not diagnose(live, torch.randn(100, 4)).collapsed


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=6),
    st.integers(min_value=0, max_value=2**31 - 1),
)
def test_streaming_in_any_batches_equals_one_pass(sizes: list[int], seed: int) -> None:
    z = torch.randn(sum(sizes), 5, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) - 0.8
    whole = Monitor(nn.ReLU())
    with whole:
        whole.model(z)
    parts = Monitor(nn.ReLU())
    with parts:
        for chunk in z.split(sizes):
            parts.model(chunk)
    a, b = whole.sites[0], parts.sites[0]
    assert torch.equal(a.zeros, b.zeros) and torch.equal(a.active, b.active) and a.samples == b.samples
    assert b.pre.result()[0] == pytest.approx(z.mean().item(), abs=1e-9)
    assert b.pre.result()[1] == pytest.approx(z.std(correction=0).item(), rel=1e-6)
    assert parts.inputs == len(z)


def test_memory_does_not_grow_with_the_inputs() -> None:
    net = relu_layer([2])
    with Monitor(net) as mon:
        net(torch.randn(10, 4))
        sizes = [t.numel() for t in (mon.sites[0].zeros, mon.sites[0].active, mon.output.low)]
        for _ in range(20):
            net(torch.randn(500, 4))
    assert [t.numel() for t in (mon.sites[0].zeros, mon.sites[0].active, mon.output.low)] == sizes == [16, 16, 16]


@pytest.mark.parametrize("kwargs", [{"saturation_threshold": 0.0}, {"near_zero": -1.0}])
def test_bad_thresholds_are_user_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(ActlabError, match="must be a number"):
        Monitor(nn.ReLU(), **kwargs)


def test_monitor_needs_a_module() -> None:
    with pytest.raises(ActlabError, match=r"needs a torch\.nn\.Module"):
        Monitor(lambda x: x)  # type: ignore[arg-type]


def test_lazy_modules_get_their_layers_after_the_first_forward() -> None:
    net, x = nn.Sequential(nn.LazyLinear(5), nn.ReLU(), nn.LazyLinear(1)), torch.randn(40, 3)
    report = diagnose(net, x, batch_size=10, loss=total)
    assert [layer.name for layer in report.layers] == ["0", "2"]
    # every batch's gradient counted, the first one's included (taken before the weights existed)
    assert [layer.grad_norm for layer in report.layers] == pytest.approx(gradient_norms(net, x, 10), rel=1e-6)
    assert report.site("1").units == 5


class _Failing(nn.Module):
    """ReLU net whose forward fails the given way once the batch has more than ``limit`` rows."""

    def __init__(self, error: BaseException, limit: int = 0) -> None:
        super().__init__()
        self.fc, self.error, self.limit = nn.Linear(4, 3), error, limit

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] > self.limit:
            raise self.error
        return F.relu(self.fc(x))


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: 4 TB"),
        torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 80.00 GiB"),
        MemoryError(),
    ],
)
def test_a_batch_too_big_for_memory_says_to_lower_the_batch_size(error: BaseException) -> None:
    with pytest.raises(ActlabError) as err:
        diagnose(_Failing(error, limit=8), torch.randn(32, 4), batch_size=16)
    assert str(err.value) == (
        "out of memory running _Failing on a batch of shape (16, 4): "
        "use fewer inputs per batch (batch_size; --batch-size on the command line)"
    )
    assert diagnose(_Failing(error, limit=8), torch.randn(32, 4), batch_size=8).inputs == 32


def test_sys_exit_in_forward_is_a_user_error_not_an_exit() -> None:
    with pytest.raises(ActlabError, match=r"_Failing\.forward called sys\.exit\(3\) on inputs of shape \(4, 4\)"):
        diagnose(_Failing(SystemExit(3)), torch.randn(4, 4))


def test_negative_seed_is_refused() -> None:
    with pytest.raises(ActlabError, match="seed=-1 must be >= 0"):
        diagnose(relu_layer([]), torch.randn(4, 4), seed=-1)
