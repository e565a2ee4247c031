"""Verdicts: the exact sentences, their severities at the documented thresholds, both languages."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from actlab.diagnostics import Thresholds, diagnose
from actlab.diagnostics.records import LayerReport, SiteReport
from actlab.diagnostics.verdicts import LABELS, judge, labels, pct
from actlab.errors import ActlabError
from actlab.text import EN


def site(**changes: object) -> SiteReport:
    base = SiteReport(
        name="fc2",
        kind="relu",
        display="ReLU",
        source="module",
        units=64,
        samples=10_000,
        calls=40,
        dead=0,
        dead_fraction=0.0,
        sparsity=0.5,
        near_zero=0.5,
        saturation=None,
        pre_mean=0.0,
        pre_std=1.0,
        post_mean=0.4,
        post_std=0.6,
        grad_norm=None,
        grad_std=None,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def verdicts(sites: list[SiteReport], layers: list[LayerReport] = (), lang: str = "en", **kw: object):  # type: ignore[assignment]
    return judge(
        sites,
        list(layers),
        collapsed=bool(kw.get("collapsed", False)),
        inputs=10_000,
        thresholds=Thresholds(),
        lang=lang,
    )


def test_the_issue_example_sentence_in_english_and_chinese() -> None:
    (en,) = verdicts([site(dead=37, dead_fraction=37 / 64)])
    assert en.text == (
        "fc2: 37 of 64 ReLU units (58 %) never fired on 10,000 inputs — dead. "
        "Try leaky_relu, a lower learning rate, or He init."
    )
    assert (en.severity, en.code, en.site) == ("critical", "dead", "fc2")
    assert en.evidence == {"dead": 37, "fraction": 37 / 64, "units": 64, "display": "ReLU", "inputs": 10_000}
    (zh,) = verdicts([site(dead=37, dead_fraction=37 / 64)], lang="zh")
    assert zh.text == (
        "fc2：64 个 ReLU 单元中有 37 个（58 %）在 10,000 个输入上从未激活——已死亡。"
        "可尝试 leaky_relu、更低的学习率或 He 初始化。"
    )


@pytest.mark.parametrize(
    ("dead", "severity"),
    [(1, "info"), (6, "info"), (7, "warning"), (32, "warning"), (33, "critical"), (63, "critical")],
)
def test_dead_severity_follows_the_thresholds(dead: int, severity: str) -> None:
    found = [v for v in verdicts([site(dead=dead)]) if v.code == "dead"]
    assert [v.severity for v in found] == [severity]  # 10 % of 64 is 6.4, 50 % is 32


def test_a_layer_with_every_unit_dead_is_its_own_verdict() -> None:
    (v,) = verdicts([site(dead=64)])
    assert (v.code, v.severity) == ("layer_dead", "critical")
    assert v.message == "fc2: all 64 ReLU units never fired on 10,000 inputs — the layer is dead and passes no signal."


@pytest.mark.parametrize(
    ("fraction", "severity"), [(0.1, None), (0.2, None), (0.21, "warning"), (0.5, "warning"), (0.51, "critical")]
)
def test_saturation_severity(fraction: float, severity: str | None) -> None:
    found = [
        v.severity
        for v in verdicts([site(kind="sigmoid", display="Sigmoid", saturation=fraction)])
        if v.code == "saturated"
    ]
    assert found == ([severity] if severity else [])


def test_saturation_sentence() -> None:
    (v,) = verdicts([site(kind="tanh", display="Tanh", saturation=0.92)])
    assert v.message == "fc2: 92 % of Tanh inputs are saturated (|f'(z)| < 0.01) — gradients vanish there."


def test_sparse_only_when_few_units_are_dead() -> None:
    assert [v.code for v in verdicts([site(sparsity=0.97, dead=2)])] == ["sparse", "dead"]  # warning first
    assert [v.code for v in verdicts([site(sparsity=0.97, dead=40)])] == ["dead"]
    assert [v.code for v in verdicts([site(sparsity=0.9)])] == ["healthy"]


def layer(name: str, grad: float | None, ratio: float | None = None) -> LayerReport:
    return LayerReport(name, "Linear", 1.0, grad, ratio)


def test_vanishing_and_exploding_compare_the_first_and_last_layer() -> None:
    (v,) = verdicts([site()], [layer("in", 1e-4), layer("mid", 1e-2), layer("out", 1.0)])
    assert v.code == "vanishing"
    assert v.message == "Gradient norm falls 1e+04× from the last layer (out) to the first (in) — vanishing gradients."
    assert [x.code for x in verdicts([site()], [layer("in", 500.0), layer("out", 1.0)])] == ["exploding"]
    assert [x.code for x in verdicts([site()], [layer("in", 0.02), layer("out", 1.0)])] == ["healthy"]


def test_sites_stand_in_for_layers_in_a_model_without_weights() -> None:
    sites = [site(name="a", grad_norm=1e-5), site(name="b", grad_norm=1.0)]
    assert [v.code for v in verdicts(sites)] == ["vanishing"]


def test_fast_updates_and_collapse_and_nonfinite() -> None:
    assert [v.code for v in verdicts([site()], [layer("0", None, 0.3)])] == ["fast_updates"]
    found = verdicts([site(pre_mean=float("nan"))], collapsed=True)
    assert [(v.code, v.severity) for v in found] == [("collapsed", "critical"), ("nonfinite", "critical")]


def test_healthy_network_gets_one_info_verdict() -> None:
    (v,) = verdicts([site()])
    assert (v.code, v.severity, v.site) == ("healthy", "info", None)


def test_percent_formatting() -> None:
    assert [pct(x) for x in (0.0, 0.004, 0.05, 0.578, 1.0)] == ["0 %", "0.4 %", "5.0 %", "58 %", "100 %"]


def test_unknown_language_is_a_user_error() -> None:
    with pytest.raises(ActlabError, match="unknown language 'fr': use one of en, zh"):
        verdicts([site()], lang="fr")


def test_deep_sigmoid_network_shows_vanishing_gradients_and_relu_does_not() -> None:
    def deep(act: type[nn.Module]) -> nn.Sequential:
        torch.manual_seed(0)
        layers: list[nn.Module] = []
        for _ in range(12):
            layers += [nn.Linear(16, 16), act()]
        net = nn.Sequential(*layers, nn.Linear(16, 1))
        for m in net:
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        return net

    x = torch.randn(256, 16, generator=torch.Generator().manual_seed(0))
    sigmoid = diagnose(deep(nn.Sigmoid), x)
    relu = diagnose(deep(nn.ReLU), x)
    assert "vanishing" in [v.code for v in sigmoid.verdicts]
    assert "vanishing" not in [v.code for v in relu.verdicts]
    first, last = sigmoid.layers[0].grad_norm, sigmoid.layers[-1].grad_norm
    assert first is not None and last is not None and first / last < 1e-2


def test_report_dict_is_plain_json_with_the_contract_keys() -> None:
    import json

    report = diagnose(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)), torch.randn(20, 3), lang="zh")
    data = report.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert {
        "name",
        "kind",
        "units",
        "dead",
        "sparsity",
        "saturation",
        "near_zero",
        "pre_mean",
        "pre_std",
        "post_mean",
        "post_std",
        "grad_norm",
        "grad_std",
    } <= set(data["sites"][0])
    assert data["collapsed"] is False and data["lang"] == "zh" and data["inputs"] == 20
    assert data["thresholds"]["saturation"] == 0.01
    assert data["verdicts"][0]["text"].startswith("未发现问题")


def test_every_label_and_verdict_exists_in_every_language() -> None:
    """tests/text checks that both languages hold the same keys; here, that labels() reads every label there is."""
    assert {k for k in EN if k.startswith("diagnose.label.")} == {f"diagnose.label.{name}" for name in LABELS}
    assert labels("zh")["collapsed"].format(answer=labels("zh")["no"]) == "塌缩：否"
    assert labels("en")["collapsed"].format(answer=labels("en")["yes"]) == "collapsed: yes"
    assert [labels("zh")[s] for s in ("info", "warning", "critical")] == ["提示", "警告", "严重"]
    with pytest.raises(ActlabError, match="unknown language 'fr': use one of en, zh"):
        labels("fr")
