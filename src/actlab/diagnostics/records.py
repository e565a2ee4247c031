"""The records a diagnostics report is made of, shared by the verdict rules (:mod:`actlab.diagnostics.verdicts`)
and the report (:mod:`actlab.diagnostics.report`): one frozen value per activation site and per weight layer,
the thresholds every verdict depends on, and a verdict itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actlab.diagnostics.counters import SiteStats
    from actlab.diagnostics.layers import LayerStats

SEVERITIES = ("info", "warning", "critical")


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
