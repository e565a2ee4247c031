"""The :class:`Report`: what a Monitor measured, as frozen values, verdicts, and a plain JSON-able dict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from actlab.diagnostics.verdicts import SEVERITIES, Thresholds, Verdict, judge
from actlab.errors import ActlabError
from actlab.util.plain import plain

if TYPE_CHECKING:
    from actlab.diagnostics.counters import OutputSpread, SiteStats
    from actlab.diagnostics.layers import LayerStats


@dataclass(frozen=True)
class SiteReport:
    """One activation site. Fractions are over all values seen (units × samples per unit);
    ``saturation`` is ``None`` for activations that do not saturate, gradients ``None`` without backward."""

    name: str
    kind: str  # catalog name: relu, gelu, sigmoid, ...
    display: str  # PyTorch's name: ReLU, GELU, Sigmoid, ...
    source: str  # "module" or "functional"
    units: int
    samples: int  # values seen per unit (inputs × positions)
    calls: int
    dead: int
    dead_fraction: float
    sparsity: float | None  # exact zeros
    near_zero: float | None  # |y| <= near_zero
    saturation: float | None  # |f'(z)| < saturation threshold
    pre_mean: float | None
    pre_std: float | None
    post_mean: float | None
    post_std: float | None
    grad_norm: float | None  # mean over backward passes of ‖dL/dy‖₂
    grad_std: float | None  # std of the entries of dL/dy

    @classmethod
    def of(cls, s: SiteStats) -> SiteReport:
        pre_mean, pre_std = s.pre.result()
        post_mean, post_std = s.post.result()
        _, grad_std = s.grad.result()
        return cls(
            name=s.name,
            kind=s.kind.name,
            display=s.kind.display,
            source=s.source,
            units=s.units,
            samples=s.samples,
            calls=s.calls,
            dead=s.dead,
            dead_fraction=s.dead / s.units,
            sparsity=s.fraction(s.zeros),
            near_zero=s.fraction(s.near_zero),
            saturation=s.fraction(s.saturated) if s.kind.measures_saturation else None,
            pre_mean=pre_mean,
            pre_std=pre_std,
            post_mean=post_mean,
            post_std=post_std,
            grad_norm=s.grad_norm,
            grad_std=grad_std,
        )


@dataclass(frozen=True)
class LayerReport:
    """One weight layer: ``grad_norm`` is the mean over backward passes of ‖∂L/∂W‖₂, ``update_ratio`` the
    mean over optimizer steps of ‖ΔW‖ / ‖W‖ (``None`` when no step was seen)."""

    name: str
    type: str
    weight_norm: float
    grad_norm: float | None
    update_ratio: float | None

    @classmethod
    def of(cls, layer: LayerStats) -> LayerReport:
        return cls(layer.name, layer.type, layer.weight_norm, layer.grad_norm, layer.update_ratio)


@dataclass(frozen=True)
class Report:
    sites: list[SiteReport]
    layers: list[LayerReport]
    inputs: int  # inputs seen (the first dimension of the model's input, summed over calls)
    collapsed: bool
    output_spread: float | None
    verdicts: list[Verdict]
    thresholds: Thresholds
    lang: str

    @classmethod
    def build(
        cls,
        sites: list[SiteStats],
        layers: list[LayerStats],
        output: OutputSpread,
        inputs: int,
        thresholds: Thresholds,
        lang: str = "en",
    ) -> Report:
        site_reports = [SiteReport.of(s) for s in sites]
        layer_reports = [LayerReport.of(layer) for layer in layers]
        collapsed = output.collapsed(thresholds.collapse)
        verdicts = judge(
            site_reports, layer_reports, collapsed=collapsed, inputs=inputs, thresholds=thresholds, lang=lang
        )
        return cls(site_reports, layer_reports, inputs, collapsed, output.spread(), verdicts, thresholds, lang)

    def site(self, name: str) -> SiteReport:
        for s in self.sites:
            if s.name == name:
                return s
        raise ActlabError(f"no activation site {name!r}; sites: {', '.join(s.name for s in self.sites)}")

    @property
    def severity(self) -> str:
        """The worst verdict's severity."""
        return max((v.severity for v in self.verdicts), key=SEVERITIES.index, default="info")

    def to_dict(self) -> dict[str, Any]:
        """Plain types only (non-finite numbers become ``None``), ready for ``json.dumps``."""
        return plain(
            {
                "inputs": self.inputs,
                "collapsed": self.collapsed,
                "output_spread": self.output_spread,
                "severity": self.severity,
                "sites": [dict(vars(s)) for s in self.sites],  # flat dataclasses: no deep copy needed
                "layers": [dict(vars(layer)) for layer in self.layers],
                "verdicts": [v.as_dict() for v in self.verdicts],
                "thresholds": self.thresholds.as_dict(),
                "lang": self.lang,
            }
        )
