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
from typing import Any

from actlab.diagnostics.records import SEVERITIES, LayerReport, SiteReport, Thresholds, Verdict
from actlab.text import check_lang, say, template

LABELS = (
    "title",
    "site",
    "kind",
    "units",
    "dead",
    "sparsity",
    "near 0",
    "saturated",
    "post",
    "grad",
    "functional",
    "gradient chain",
    "collapsed",
    "yes",
    "no",
    "plot",
    "info",
    "warning",
    "critical",
)


def labels(lang: str) -> dict[str, str]:
    """The words of the terminal report (column headers, labels, severities) in ``lang``, their ``{fields}``
    left open; JSON keys and verdict codes stay English whatever the language."""
    return {name: template(lang, f"diagnose.label.{name}") for name in LABELS}


def pct(fraction: float) -> str:
    """``0.578 -> "58 %"``, ``0.004 -> "0.4 %"``: whole percent from 10 % on."""
    value = 100 * fraction
    return f"{value:.0f} %" if value >= 10 or value == 0 else f"{value:.1f} %"


class _Writer:
    """Collects verdicts in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = check_lang(lang)
        self.verdicts: list[Verdict] = []

    def add(self, severity: str, code: str, site: str | None, **evidence: Any) -> None:
        words = {k: f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else v for k, v in evidence.items()}
        if "fraction" in evidence:
            words["pct"] = pct(evidence["fraction"])
        text = say(self.lang, f"diagnose.{code}", site=site, **words)
        suggestion = template(self.lang, f"diagnose.{code}.suggestion")
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
