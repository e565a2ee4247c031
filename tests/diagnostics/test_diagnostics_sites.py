"""Which sites the Monitor finds, how it names them, and that it leaves the model untouched."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import _get_current_function_mode_stack

import actlab
from actlab.diagnostics import Monitor
from actlab.diagnostics.sites import FUNCTIONS, module_kind


class FunctionalNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(4, 6), nn.Linear(6, 5), nn.Linear(5, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.fc1(x))
        h = torch.tanh(self.fc2(h)) + self.fc2(h).relu()  # a second relu, written as a method
        return self.fc3(F.gelu(h))


class InplaceNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(4, 8), nn.ReLU(inplace=True), nn.Linear(8, 8)
        self.out = nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.fc1(x))
        h = self.act(self.fc2(h))  # the same module called twice: sites "act" and "act#2"
        return self.out(F.relu(h - 0.5, inplace=True))


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.lin = nn.Linear(width, width)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.sigmoid(self.act(self.lin(x)))


class Stage(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([Block(3), Block(3)])
        self.head = nn.Sequential(nn.Linear(3, 3), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def nested_net() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 3), nn.Sequential(Stage()), nn.Linear(3, 1))


def sites_of(model: nn.Module, x: torch.Tensor) -> list[tuple[str, str, str, int, int]]:
    with Monitor(model) as mon:
        model(x)
    return [(s.name, s.kind, s.source, s.units, s.samples) for s in mon.report().sites]


def test_functional_calls_are_sites_named_by_call_order() -> None:
    assert sites_of(FunctionalNet(), torch.randn(7, 4)) == [
        ("relu#1", "relu", "functional", 6, 7),
        ("tanh#1", "tanh", "functional", 5, 7),
        ("relu#2", "relu", "functional", 5, 7),
        ("gelu#1", "gelu", "functional", 5, 7),
    ]


def test_inplace_relu_module_and_call_see_the_pre_activation() -> None:
    torch.manual_seed(0)
    net = InplaceNet()
    x = torch.randn(64, 4)
    with torch.no_grad():
        net.fc1.bias[:3] = -100.0
    with Monitor(net) as mon:
        net(x)
    report = mon.report()
    assert [(s.name, s.source, s.units) for s in report.sites] == [
        ("act", "module", 8),
        ("act#2", "module", 8),
        ("relu#1", "functional", 8),
    ]
    z1 = net.fc1(x).detach()
    assert report.site("act").pre_mean == pytest.approx(z1.mean().item(), rel=1e-5)  # not the overwritten value
    assert report.site("act").dead == 3
    second, last = report.site("act#2"), report.site("relu#1")
    assert last.pre_mean == pytest.approx(second.post_mean - 0.5, rel=1e-6)  # seen before being overwritten
    h = F.relu(net.fc2(F.relu(z1))).detach() - 0.5
    assert last.sparsity == (h <= 0).double().mean().item()


def test_deeply_nested_modules_are_named_by_path() -> None:
    assert sites_of(nested_net(), torch.randn(5, 2)) == [
        ("1.0.blocks.0.act", "silu", "module", 3, 5),
        ("1.0.blocks.0.sigmoid#1", "sigmoid", "functional", 3, 5),
        ("1.0.blocks.1.act", "silu", "module", 3, 5),
        ("1.0.blocks.1.sigmoid#1", "sigmoid", "functional", 3, 5),
        ("1.0.head.1", "tanh", "module", 3, 5),
    ]


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_transformer_encoder_layer_calls_its_activation_functionally(activation: str) -> None:
    layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0, activation=activation, batch_first=True)
    for grad in (True, False):  # without grad, in eval mode, PyTorch would take its fused fast path
        layer.train(grad)
        with torch.set_grad_enabled(grad):
            assert sites_of(layer, torch.randn(3, 5, 16)) == [(f"{activation}#1", activation, "functional", 32, 15)]


def test_encoder_stack_names_each_layer() -> None:
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, dropout=0.0)
    encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
    names = [name for name, *_ in sites_of(encoder, torch.randn(4, 3, 8))]
    assert names == ["layers.0.relu#1", "layers.1.relu#1"]


def test_catalog_modules_are_sites_with_their_own_derivative() -> None:
    net = nn.Sequential(
        nn.Linear(2, 4),
        actlab.get("sigmoid"),
        nn.Linear(4, 4),
        actlab.get("prelu"),
        nn.Linear(4, 4),
        actlab.get("hardtanh"),
    )
    got = sites_of(net, torch.randn(9, 2))
    assert [(n, k, src) for n, k, src, *_ in got] == [
        ("1", "sigmoid", "module"),
        ("3", "prelu", "module"),
        ("5", "hardtanh", "module"),
    ]


TORCH_MODULES: list[tuple[nn.Module, str]] = [
    (nn.ReLU(), "relu"),
    (nn.ReLU6(), "relu6"),
    (nn.LeakyReLU(), "leaky_relu"),
    (nn.PReLU(), "prelu"),
    (nn.ELU(), "elu"),
    (nn.SELU(), "selu"),
    (nn.CELU(), "celu"),
    (nn.GELU(), "gelu"),
    (nn.SiLU(), "silu"),
    (nn.Mish(), "mish"),
    (nn.Softplus(), "softplus"),
    (nn.Sigmoid(), "sigmoid"),
    (nn.Tanh(), "tanh"),
    (nn.Hardtanh(), "hardtanh"),
    (nn.Hardsigmoid(), "hardsigmoid"),
    (nn.Hardswish(), "hardswish"),
    (nn.Softsign(), "softsign"),
]


@pytest.mark.parametrize(("module", "name"), TORCH_MODULES, ids=[n for _, n in TORCH_MODULES])
def test_every_torch_activation_module_maps_to_its_catalog_entry(module: nn.Module, name: str) -> None:
    site_kind = module_kind(module)
    assert site_kind is not None and site_kind.name == name
    z = torch.linspace(-5, 5, 101, dtype=torch.float64)
    z.requires_grad_(True)
    module.double()(z).sum().backward()
    assert torch.allclose(site_kind.derivative(z.detach()), z.grad, atol=1e-12)  # the slope autograd uses


def test_non_activation_modules_are_not_sites() -> None:
    assert module_kind(nn.Linear(2, 2)) is None
    assert module_kind(nn.Identity()) is None
    assert module_kind(nn.Softmax(dim=-1)) is None


FUNCTIONAL_CALLS: list[tuple[Callable[[torch.Tensor], torch.Tensor], str]] = [
    (F.relu, "relu"),
    (torch.relu, "relu"),
    (lambda x: x.relu(), "relu"),
    (lambda x: x.clone().relu_(), "relu"),
    (lambda x: F.relu(x.clone(), inplace=True), "relu"),
    (F.relu6, "relu6"),
    (lambda x: F.leaky_relu(x, 0.2), "leaky_relu"),
    (F.elu, "elu"),
    (F.selu, "selu"),
    (F.celu, "celu"),
    (F.gelu, "gelu"),
    (lambda x: F.gelu(x, approximate="tanh"), "gelu"),
    (F.silu, "silu"),
    (F.mish, "mish"),
    (F.softplus, "softplus"),
    (torch.sigmoid, "sigmoid"),
    (lambda x: x.sigmoid(), "sigmoid"),
    (torch.tanh, "tanh"),
    (F.tanh, "tanh"),
    (F.hardtanh, "hardtanh"),
    (F.hardsigmoid, "hardsigmoid"),
    (F.hardswish, "hardswish"),
    (F.softsign, "softsign"),
    (lambda x: F.prelu(x, torch.tensor([0.1], dtype=x.dtype)), "prelu"),
]


@pytest.mark.parametrize("call", range(len(FUNCTIONAL_CALLS)))
def test_every_recognised_call_is_a_site(call: int) -> None:
    f, name = FUNCTIONAL_CALLS[call]

    class Net(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return f(x * 1.0)

    x = torch.linspace(-6, 6, 40).reshape(10, 4)
    with Monitor(Net()) as mon:
        out = mon.model(x)
    (site,) = mon.report().sites
    assert (site.name, site.kind, site.units, site.samples) == (f"{name}#1", name, 4, 10)
    assert site.post_mean == pytest.approx(out.mean().item(), rel=1e-5, abs=1e-7)
    assert site.pre_mean == pytest.approx(x.mean().item(), abs=1e-6)  # in-place calls: the input before


def test_function_table_covers_the_aliases_pytorch_exposes() -> None:
    assert F.relu_ in FUNCTIONS and F.sigmoid is not None
    assert all(spec.catalog_name in actlab.CATALOG for spec in FUNCTIONS.values())


# --- the model is left exactly as it was ---------------------------------------------------------------


def models() -> list[tuple[str, nn.Module, torch.Tensor]]:
    torch.manual_seed(0)
    transformer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=24, dropout=0.0, batch_first=True)
    return [
        ("functional", FunctionalNet(), torch.randn(12, 4)),
        ("inplace", InplaceNet(), torch.randn(12, 4)),
        ("nested", nested_net(), torch.randn(12, 2)),
        ("transformer", transformer, torch.randn(3, 6, 16)),
        ("catalog", actlab.MLP(2, [8, 8], 1, activation=["prelu", "sigmoid"]), torch.randn(12, 2)),
    ]


def run(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    model.zero_grad(set_to_none=True)
    xg = x.clone().requires_grad_(True)
    out = model(xg)
    (out.sin() * 3).sum().backward()
    return out.detach(), [xg.grad, *(p.grad for p in model.parameters())]


@pytest.mark.parametrize("index", range(5), ids=[m[0] for m in models()])
def test_outputs_and_gradients_are_bit_identical_with_and_without_the_monitor(index: int) -> None:
    _, model, x = models()[index]
    plain_out, plain_grads = run(model, x)
    with Monitor(model) as mon:
        watched_out, watched_grads = run(model, x)
    assert mon.sites and all(s.backward_calls == 1 for s in mon.sites)
    after_out, after_grads = run(model, x)
    assert torch.equal(plain_out, watched_out) and torch.equal(plain_out, after_out)
    for a, b, c in zip(plain_grads, watched_grads, after_grads, strict=True):
        assert torch.equal(a, b) and torch.equal(a, c)


HOOK_DICTS = (
    "_forward_hooks",
    "_forward_pre_hooks",
    "_backward_hooks",
    "_backward_pre_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_pre_hooks_with_kwargs",
    "_forward_hooks_always_called",
    "_state_dict_hooks",
    "_load_state_dict_pre_hooks",
)


def assert_no_hooks(model: nn.Module) -> None:
    for name, module in model.named_modules():
        for attr in HOOK_DICTS:
            assert not getattr(module, attr), f"{name or 'model'}.{attr} still holds a hook"
    for name, p in model.named_parameters():
        assert not getattr(p, "_post_accumulate_grad_hooks", None), f"{name} keeps a gradient hook"
        assert not p._backward_hooks, f"{name} keeps a backward hook"
    assert _get_current_function_mode_stack() == []


@pytest.mark.parametrize("index", range(5), ids=[m[0] for m in models()])
def test_no_hook_remains_after_the_context(index: int) -> None:
    _, model, x = models()[index]
    with Monitor(model):
        assert any(m._forward_hooks for m in model.modules())
        run(model, x)
    assert_no_hooks(model)


def test_no_hook_remains_after_an_error_inside_forward_or_the_context() -> None:
    net = FunctionalNet()
    with pytest.raises(RuntimeError), Monitor(net):
        net(torch.randn(3, 5))  # wrong width: fails inside forward, with the function mode pushed
    assert_no_hooks(net)
    with pytest.raises(KeyError), Monitor(net):
        net(torch.randn(3, 4))
        raise KeyError("user code failing inside the with-block")
    assert_no_hooks(net)


def test_a_monitor_can_be_entered_again_and_keeps_counting() -> None:
    net = FunctionalNet()
    mon = Monitor(net)
    for _ in range(2):
        with mon:
            net(torch.randn(5, 4))
    assert mon.inputs == 10 and mon.report().site("relu#1").samples == 10
    mon.reset()
    assert mon.inputs == 0 and mon.sites == []
