"""Summary statistics for seeds: means with Student-t confidence intervals, and whether seeds separate two
activations.

No scipy: the t quantile comes from the regularized incomplete beta function (a continued fraction, as in
Numerical Recipes §6.4) inverted by bisection. It matches published tables to 4 decimals
(``t_quantile(0.975, 9) = 2.2622``). Each quantile is computed once per ``(p, df)`` and remembered: a comparison
asks for the same few thousands of times (every interval of a loss curve has the same number of seeds).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

CI_METHOD = "Student t, 95 % two-sided, over seeds"


def _incomplete_beta_cf(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (modified Lentz), valid for x < (a + 1) / (a + b + 2)."""
    tiny, eps = 1e-300, 1e-15
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for num in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) for 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _incomplete_beta_cf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _incomplete_beta_cf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


@functools.lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (bisection on :func:`t_cdf`)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"t_quantile needs 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * max(1.0, high):
            break
    return 0.5 * (low + high)


@dataclass(frozen=True)
class Estimate:
    """The mean of ``n`` finite values and the half-width of its 95 % t interval (NaN when n < 2)."""

    mean: float
    ci95: float  # half-width: the interval is mean ± ci95
    std: float  # sample standard deviation (n - 1 in the denominator)
    n: int  # finite values used
    missing: int = 0  # values left out because they were NaN or infinite (diverged runs)

    @property
    def low(self) -> float:
        return self.mean - self.ci95

    @property
    def high(self) -> float:
        return self.mean + self.ci95


def estimate(values: Sequence[float]) -> Estimate:
    """Mean and 95 % Student-t confidence interval of the finite ``values``; non-finite ones are counted
    in ``missing``.

    >>> e = estimate([1.0, 2.0, 3.0])
    >>> round(e.mean, 6), round(e.ci95, 4)  # 2 ± t(0.975, 2) · 1 / sqrt(3)
    (2.0, 2.4841)
    """
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    n = len(finite)
    missing = len(values) - n
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, missing)
    mean = math.fsum(finite) / n
    if n == 1:
        return Estimate(mean, math.nan, math.nan, 1, missing)
    if min(finite) == max(finite):  # a constant: fsum / n can miss it by an ulp, which would leave a ±1e-17 interval
        return Estimate(finite[0], 0.0, 0.0, n, missing)
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in finite) / (n - 1))
    return Estimate(mean, t_quantile(0.975, n - 1) * std / math.sqrt(n), std, n, missing)


def welch_separated(a: Estimate, b: Estimate) -> bool:
    """Whether Welch's two-sided t-test at the 5 % level tells the two means apart."""
    if a.n < 2 or b.n < 2:
        return False
    va, vb = a.std**2 / a.n, b.std**2 / b.n
    if va + vb == 0.0:
        return a.mean != b.mean
    df = (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1)) if va * vb > 0 else a.n + b.n - 2
    return abs(a.mean - b.mean) / math.sqrt(va + vb) > t_quantile(0.975, df)


def seeds_needed(a: Estimate, b: Estimate, limit: int = 10_000) -> int | None:
    """Seeds per group for the 95 % intervals of ``a`` and ``b`` to stop overlapping, if their standard
    deviations and means stay as measured; ``None`` when the means are equal or not known."""
    diff = abs(a.mean - b.mean)
    if not (math.isfinite(diff) and diff > 0 and math.isfinite(a.std) and math.isfinite(b.std)):
        return None
    spread = a.std + b.std
    start = max(2, math.floor((1.959964 * spread / diff) ** 2))  # the normal approximation; t only adds
    for n in range(start, limit + 1):
        if t_quantile(0.975, n - 1) * spread / math.sqrt(n) < diff:
            return n
    return limit
