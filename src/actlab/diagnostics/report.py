"""The :class:`Report`: what a Monitor measured, as frozen values (:mod:`actlab.diagnostics.records`), verdicts,
and a plain JSON-able dict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from actlab.diagnostics.records import SEVERITIES, LayerReport, SiteReport, Thresholds, Verdict
from actlab.diagnostics.verdicts import judge
from actlab.errors import ActlabError
from actlab.util.plain import plain

if TYPE_CHECKING:
    from actlab.diagnostics.counters import OutputSpread, SiteStats
    from actlab.diagnostics.layers import LayerStats


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
