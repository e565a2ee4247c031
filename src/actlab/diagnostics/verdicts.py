"""Verdicts in plain language, each with its evidence, a suggestion and a severity, in English and Chinese.

The rules, with the default :class:`Thresholds`:

===================  ==========================================================================  ========
code                 fires when                                                                  severity
===================  ==========================================================================  ========
``collapsed``        the output is the same for every input (relative spread <= 1e-6)            critical
``nonfinite``        a site saw NaN or ±inf                                                      critical
``layer_dead``       every unit of a site is dead                                                critical
``dead``             dead units: > 50 % critical, > 10 % warning, any at all info                 see left
``saturated``        > 50 % (critical) or > 20 % (warning) of a site's inputs have |f'| < 0.01   see left
``sparse``           > 95 % of a site's outputs are exact zeros, though < 10 % of units are dead warning
``vanishing``        first layer's gradient norm < 1/100 of the last layer's                     warning
``exploding``        first layer's gradient norm > 100 × the last layer's                        warning
``fast_updates``     one step moves a layer's weights by > 10 % of their norm                    warning
``healthy``          none of the above                                                           info
===================  ==========================================================================  ========

A unit is *dead* when, on every input seen, its output was exactly 0 and its slope f'(z) was 0: it
passes neither signal nor gradient. Leaky ReLU units can therefore never die; saturating units whose
slope underflows to exactly 0 can.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from actlab.errors import ActlabError

if TYPE_CHECKING:
    from actlab.diagnostics.report import LayerReport, SiteReport

SEVERITIES = ("info", "warning", "critical")
LANGS = ("en", "zh")


@dataclass(frozen=True)
class Thresholds:
    """Every number a verdict depends on; the report carries them so that its reader can judge too."""

    saturation: float = 0.01  # an input is saturated where |f'(z)| is below this
    near_zero: float = 1e-3  # an output is near zero where |y| is at most this
    dead_warning: float = 0.10  # fraction of dead units at a site
    dead_critical: float = 0.50
    saturated_warning: float = 0.20  # fraction of a site's inputs that are saturated
    saturated_critical: float = 0.50
    sparse_warning: float = 0.95  # fraction of exact-zero outputs, with few dead units
    vanishing: float = 1e-2  # gradient norm, first layer / last layer
    exploding: float = 1e2
    fast_update: float = 0.1  # update-to-weight ratio of one step
    collapse: float = 1e-6  # largest relative spread of an output element over the inputs

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    severity: str  # "info", "warning" or "critical"
    code: str
    site: str | None  # the site or layer it is about; None for the whole network
    message: str
    suggestion: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        gap = "" if self.message.endswith("。") else " "  # Chinese sentences need no space between them
        return f"{self.message}{gap}{self.suggestion}".strip()

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text": self.text}


_TEXT: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "collapsed": (
            "The network's output is the same for all {inputs} inputs — collapsed (born dead, or died in training).",
            "Re-initialise with another seed, use leaky_relu or He init, or make the network wider or shallower.",
        ),
        "nonfinite": (
            "{site}: NaN or infinite values — the computation has diverged.",
            "Lower the learning rate, clip gradients, and check the inputs.",
        ),
        "layer_dead": (
            "{site}: all {units} {display} units never fired on {inputs} inputs — the layer is dead and "
            "passes no signal.",
            "Try leaky_relu, a lower learning rate, or He init.",
        ),
        "dead": (
            "{site}: {dead} of {units} {display} units ({pct}) never fired on {inputs} inputs — dead.",
            "Try leaky_relu, a lower learning rate, or He init.",
        ),
        "saturated": (
            "{site}: {pct} of {display} inputs are saturated (|f'(z)| < {threshold:g}) — gradients vanish there.",
            "Normalise the inputs, use smaller initial weights (Xavier init), or switch to relu or gelu.",
        ),
        "sparse": (
            "{site}: {pct} of {display} outputs are exactly zero — most units are silent most of the time.",
            "Check the input scale and the bias initialisation; leaky_relu keeps a small signal.",
        ),
        "vanishing": (
            "Gradient norm falls {factor:.3g}× from the last layer ({last}) to the first ({first}) — "
            "vanishing gradients.",
            "Use relu-family activations, residual connections, normalisation layers, or He/Xavier init.",
        ),
        "exploding": (
            "Gradient norm grows {factor:.3g}× from the last layer ({last}) to the first ({first}) — "
            "exploding gradients.",
            "Lower the learning rate, clip gradients, or use smaller initial weights.",
        ),
        "fast_updates": (
            "{site}: one step moves the weights by {ratio:.2g} of their norm — far above the usual 1e-3.",
            "Lower the learning rate.",
        ),
        "healthy": (
            "No problems found: no dead or saturated units, and gradients reach the first layer.",
            "",
        ),
    },
    "zh": {
        "collapsed": (
            "网络对全部 {inputs} 个输入给出同一个输出——已塌缩（初始化时即死亡，或在训练中死亡）。",
            "换一个随机种子重新初始化，改用 leaky_relu 或 He 初始化，或把网络加宽、减少层数。",
        ),
        "nonfinite": (
            "{site}：出现 NaN 或无穷大——计算已发散。",
            "降低学习率、裁剪梯度，并检查输入数据。",
        ),
        "layer_dead": (
            "{site}：全部 {units} 个 {display} 单元在 {inputs} 个输入上从未激活——整层已死亡，信号无法通过。",
            "可尝试 leaky_relu、更低的学习率或 He 初始化。",
        ),
        "dead": (
            "{site}：{units} 个 {display} 单元中有 {dead} 个（{pct}）在 {inputs} 个输入上从未激活——已死亡。",
            "可尝试 leaky_relu、更低的学习率或 He 初始化。",
        ),
        "saturated": (
            "{site}：{display} 的输入中有 {pct} 处于饱和区（|f'(z)| < {threshold:g}）——梯度在那里消失。",
            "对输入做归一化、使用更小的初始权重（Xavier 初始化），或改用 relu、gelu。",
        ),
        "sparse": (
            "{site}：{display} 的输出中有 {pct} 恰好为零——大多数单元在大多数时候都不工作。",
            "检查输入的尺度和偏置的初始化；leaky_relu 会保留一点信号。",
        ),
        "vanishing": (
            "梯度范数从最后一层（{last}）到第一层（{first}）缩小了 {factor:.3g} 倍——梯度消失。",
            "使用 ReLU 族激活函数、残差连接、归一化层，或 He/Xavier 初始化。",
        ),
        "exploding": (
            "梯度范数从最后一层（{last}）到第一层（{first}）放大了 {factor:.3g} 倍——梯度爆炸。",
            "降低学习率、裁剪梯度，或使用更小的初始权重。",
        ),
        "fast_updates": (
            "{site}：一步更新使权重变化了其范数的 {ratio:.2g}——远高于通常的 1e-3。",
            "降低学习率。",
        ),
        "healthy": (
            "未发现问题：没有死亡或饱和的单元，梯度能到达第一层。",
            "",
        ),
    },
}


_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "{what}: {sites} activation sites over {inputs} inputs",
        "site": "site",
        "kind": "kind",
        "units": "units",
        "dead": "dead",
        "sparsity": "sparsity",
        "near 0": "near 0",
        "saturated": "saturated",
        "post": "post μ ± σ",
        "grad": "‖∂L/∂y‖",
        "functional": " (fn)",
        "gradient chain": "gradient norm ‖∂L/∂W‖, input → output:  {chain}",
        "collapsed": "collapsed: {answer}",
        "yes": "yes",
        "no": "no",
        "plot": "plot: {path}",
        "info": "info",
        "warning": "warning",
        "critical": "critical",
    },
    "zh": {
        "title": "{what}：{inputs} 个输入上的 {sites} 个激活位点",
        "site": "位点",
        "kind": "类型",
        "units": "单元数",
        "dead": "死亡",
        "sparsity": "稀疏度",
        "near 0": "接近 0",
        "saturated": "饱和",
        "post": "输出 μ ± σ",
        "grad": "‖∂L/∂y‖",
        "functional": "（函数调用）",
        "gradient chain": "权重梯度范数 ‖∂L/∂W‖，从输入到输出：{chain}",
        "collapsed": "塌缩：{answer}",
        "yes": "是",
        "no": "否",
        "plot": "图表：{path}",
        "info": "提示",
        "warning": "警告",
        "critical": "严重",
    },
}


def labels(lang: str) -> dict[str, str]:
    """The words of the terminal report (column headers, labels, severities) in ``lang``; JSON keys and
    verdict codes stay English whatever the language."""
    return _LABELS[check_lang(lang)]


def pct(fraction: float) -> str:
    """``0.578 -> "58 %"``, ``0.004 -> "0.4 %"``: whole percent from 10 % on."""
    value = 100 * fraction
    return f"{value:.0f} %" if value >= 10 or value == 0 else f"{value:.1f} %"


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ActlabError(f"unknown language {lang!r}: choose en or zh")
    return lang


class _Writer:
    """Collects verdicts in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = check_lang(lang)
        self.verdicts: list[Verdict] = []

    def add(self, severity: str, code: str, site: str | None, **evidence: Any) -> None:
        message, suggestion = _TEXT[self.lang][code]
        words = {k: f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else v for k, v in evidence.items()}
        if "fraction" in evidence:
            words["pct"] = pct(evidence["fraction"])
        text = message.format(site=site, **words)
        self.verdicts.append(Verdict(severity, code, site, text, suggestion, evidence))


def judge(
    sites: list[SiteReport],
    layers: list[LayerReport],
    *,
    collapsed: bool,
    inputs: int,
    thresholds: Thresholds,
    lang: str = "en",
) -> list[Verdict]:
    """Every verdict the measurements support, the most severe first."""
    out = _Writer(lang)
    t = thresholds
    if collapsed:
        out.add("critical", "collapsed", None, inputs=inputs)
    for s in sites:
        _judge_site(out, s, inputs, t)
    _judge_gradients(out, sites, layers, t)
    for layer in layers:
        if layer.update_ratio is not None and layer.update_ratio > t.fast_update:
            out.add("warning", "fast_updates", layer.name, ratio=layer.update_ratio)
    if not out.verdicts or all(v.severity == "info" and v.code != "dead" for v in out.verdicts):
        out.add("info", "healthy", None)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(out.verdicts, key=lambda v: -order[v.severity])


def _judge_site(out: _Writer, s: SiteReport, inputs: int, t: Thresholds) -> None:
    common = {"units": s.units, "display": s.display, "inputs": inputs}
    values = (s.pre_mean, s.pre_std, s.post_mean, s.post_std, s.grad_norm)
    if any(v is not None and not math.isfinite(v) for v in values):
        out.add("critical", "nonfinite", s.name)
        return
    if s.samples and s.dead == s.units:
        out.add("critical", "layer_dead", s.name, dead=s.dead, **common)
    elif s.dead:
        fraction = s.dead / s.units
        severity = "critical" if fraction > t.dead_critical else "warning" if fraction > t.dead_warning else "info"
        out.add(severity, "dead", s.name, dead=s.dead, fraction=fraction, **common)
    if s.saturation is not None and s.saturation > t.saturated_warning:
        severity = "critical" if s.saturation > t.saturated_critical else "warning"
        out.add(severity, "saturated", s.name, fraction=s.saturation, threshold=t.saturation, display=s.display)
    if s.sparsity is not None and s.sparsity > t.sparse_warning and s.dead / s.units <= t.dead_warning:
        out.add("warning", "sparse", s.name, fraction=s.sparsity, display=s.display)


def _judge_gradients(out: _Writer, sites: list[SiteReport], layers: list[LayerReport], t: Thresholds) -> None:
    """Compare the first and the last weight layer (or activation site, for models without weights)."""
    chain: list[tuple[str, float]] = [(x.name, x.grad_norm) for x in layers if x.grad_norm is not None]
    if len(chain) < 2:
        chain = [(s.name, s.grad_norm) for s in sites if s.grad_norm is not None]
    if len(chain) < 2:
        return
    (first, g_first), (last, g_last) = chain[0], chain[-1]
    if not (math.isfinite(g_first) and math.isfinite(g_last)) or g_last == 0:
        return
    ratio = g_first / g_last
    evidence = {"first": first, "last": last, "first_norm": g_first, "last_norm": g_last}
    if ratio < t.vanishing:
        out.add("warning", "vanishing", None, factor=(1 / ratio if ratio > 0 else math.inf), **evidence)
    elif ratio > t.exploding:
        out.add("warning", "exploding", None, factor=ratio, **evidence)
