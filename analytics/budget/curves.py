"""Response curves: monthly revenue as a saturating function of monthly spend.

We fit a **Hill curve** ``R(s) = top * s^k / (s^k + half^k)`` rather than a logarithm:
it has a ceiling (``top``), so a category can be saturated and extra money shown to earn
nothing, where ``a * log(1 + s)`` grows without limit and would always ask for more;
with ``k > 1`` it also has the S-shape of media that needs a minimum weight before it
works; and it is the form marketing-mix models (and the demo data) use, so the fitted
parameters read the same way. ``k`` is bounded to [0.5, 3] to keep a short history from
producing a step function.

Spend carries over between months (adstock ``a_t = s_t + d * a_(t-1)``). The decay ``d``
is chosen on a grid by least squares, fitting revenue against each month's adstock
expressed as *steady* monthly spend (a budget held at ``s`` every month settles at
``a = s / (1 - d)``, so the month's adstock corresponds to ``s = a * (1 - d)``). The
curve is thus directly the one a monthly budget should be planned on.

Intervals come from a pairs bootstrap over months (fixed seed), refitting each resample.
A history shorter than ``MIN_MONTHS`` months, or spend that barely varies (coefficient of
variation under ``MIN_SPEND_CV``) cannot identify a curve: the fit then falls back to a
concave curve through the average month (``k = 1``, ``half`` = mean spend, ``top`` =
twice mean revenue, so its marginal ROI is half the average ROI) and says so in
``warnings``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

MIN_MONTHS = 6
MIN_SPEND_CV = 0.05
DECAYS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
SHAPE_BOUNDS = (0.5, 3.0)
CURRENT_MONTHS = 3
Floats = NDArray[np.float64]


@dataclass(frozen=True)
class HillCurve:
    """``R(s) = top * s^shape / (s^shape + half^shape)`` for steady monthly spend ``s``."""

    top: float
    half: float
    shape: float

    def revenue(self, spend: Floats | float) -> Floats:
        """Predicted monthly revenue at ``spend`` (vectorised)."""
        s = np.maximum(np.asarray(spend, dtype=np.float64), 0.0)
        x = np.power(s / self.half, self.shape)
        return np.asarray(self.top * x / (1.0 + x), dtype=np.float64)

    def marginal(self, spend: Floats | float) -> Floats:
        """dR/ds: revenue from the next unit of spend at ``spend`` (vectorised)."""
        s = np.maximum(np.asarray(spend, dtype=np.float64), 1e-12 * self.half)
        x = np.power(s / self.half, self.shape)
        return np.asarray(self.top * self.shape * x / (s * (1.0 + x) ** 2), dtype=np.float64)


@dataclass(frozen=True)
class CurveFit:
    """A category's fitted steady-state curve and its evidence."""

    category: str
    curve: HillCurve
    decay: float
    months: int
    current_spend: float
    current_revenue: float
    marginal_roi: float
    r_squared: float | None
    revenue_per_conversion: float | None
    max_spend: float = 0.0
    samples: tuple[HillCurve, ...] = field(default=(), repr=False)
    warnings: tuple[str, ...] = ()

    def interval(self, spend: float, level: float = 0.9) -> tuple[float, float]:
        """The bootstrap interval of predicted revenue at ``spend``."""
        if not self.samples:
            value = float(self.curve.revenue(spend))
            return value, value
        values = np.array([float(c.revenue(spend)) for c in self.samples])
        tail = (1 - level) / 2 * 100
        return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def steady_equivalent(spend: Floats, decay: float) -> Floats:
    """Each month's adstock expressed as the steady monthly spend that would hold it;
    the first month is taken as steady (no history before it)."""
    out = np.empty_like(spend)
    adstock = spend[0] / (1 - decay) if len(spend) else 0.0
    for i, s in enumerate(spend):
        adstock = s + decay * adstock if i else adstock
        out[i] = adstock * (1 - decay)
    return out


def _fit_hill(x: Floats, y: Floats, start: HillCurve | None) -> tuple[HillCurve, float]:
    scale_y = max(float(np.mean(y)), 1e-9)
    scale_x = max(float(np.mean(x)), 1e-9)
    xs, ys = x / scale_x, y / scale_y
    top_hi = max(float(ys.max()), 1e-6) * 50
    lower = [np.log(max(float(ys.max()), 1e-6) * 0.5), np.log(0.02), np.log(SHAPE_BOUNDS[0])]
    upper = [np.log(top_hi), np.log(50.0), np.log(SHAPE_BOUNDS[1])]
    if start is None:
        p0 = np.array([np.log(2 * max(float(ys.max()), 1e-6)), 0.0, 0.0])
    else:
        p0 = np.log([start.top / scale_y, start.half / scale_x, start.shape])
    p0 = np.clip(p0, np.array(lower) + 1e-9, np.array(upper) - 1e-9)

    def residuals(p: Floats) -> Floats:
        top, half, shape = np.exp(p)
        z = np.power(xs / half, shape)
        return np.asarray(top * z / (1 + z) - ys, dtype=np.float64)

    solved = least_squares(residuals, p0, bounds=(lower, upper), method="trf")
    top, half, shape = np.exp(solved.x)
    sse = float(np.sum(solved.fun ** 2)) * scale_y ** 2
    return HillCurve(top=float(top * scale_y), half=float(half * scale_x),
                     shape=float(shape)), sse


def _fallback(spend: Floats, revenue: Floats) -> HillCurve:
    mean_s = max(float(np.mean(spend)), 1e-9)
    return HillCurve(top=2 * max(float(np.mean(revenue)), 0.0), half=mean_s, shape=1.0)


def fit_curve(category: str, spend: Sequence[float], revenue: Sequence[float], *,
              conversions: Sequence[float] | None = None, resamples: int = 100,
              seed: int = 0, current_spend: float | None = None) -> CurveFit:
    """Fit ``category``'s curve to its monthly ``spend`` and ``revenue`` (chronological,
    one value per month, equal lengths). The current spend is ``current_spend`` when
    given, else the mean of the last ``CURRENT_MONTHS`` months."""
    s = np.asarray(spend, dtype=np.float64)
    r = np.asarray(revenue, dtype=np.float64)
    if s.shape != r.shape:
        raise ValueError(f"{category}: {len(s)} spend months but {len(r)} revenue months")
    if np.any(s < 0) or np.any(r < 0):
        raise ValueError(f"{category}: spend and revenue must be >= 0")
    conv_total = float(np.sum(conversions)) if conversions is not None else 0.0
    per_conversion = float(r.sum()) / conv_total if conv_total > 0 else None
    recent = slice(max(len(s) - CURRENT_MONTHS, 0), len(s))
    current = float(np.mean(s[recent])) if len(s) else 0.0
    if current_spend is not None:
        current = current_spend
    warnings: list[str] = []
    cv = float(np.std(s) / np.mean(s)) if len(s) and np.mean(s) > 0 else 0.0
    if len(s) < MIN_MONTHS:
        warnings.append(f"{category}: only {len(s)} months of history; a curve needs at "
                        f"least {MIN_MONTHS}, so an assumed concave curve through the "
                        "average month is used")
    elif cv < MIN_SPEND_CV:
        warnings.append(f"{category}: spend barely varies (CV {cv:.3f} < {MIN_SPEND_CV}); "
                        "the data cannot show how revenue responds, so an assumed concave "
                        "curve through the average month is used. Vary spend to learn it")
    elif float(r.sum()) <= 0:
        warnings.append(f"{category}: no attributed revenue in any month; the curve is flat "
                        "at zero")
    if warnings:
        curve = _fallback(s, r) if len(s) else HillCurve(0.0, 1.0, 1.0)
        return _result(category, curve, 0.0, s, r, current, None, per_conversion, (),
                       tuple(warnings))
    best: tuple[float, float, HillCurve] | None = None
    for decay in DECAYS:
        curve, sse = _fit_hill(steady_equivalent(s, decay), r, None)
        if best is None or sse < best[0] - 1e-12 * max(best[0], 1.0):
            best = (sse, decay, curve)
    assert best is not None
    sse, decay, steady = best
    total = float(np.sum((r - r.mean()) ** 2))
    r2 = 1 - sse / total if total > 0 else None
    x = steady_equivalent(s, decay)
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(resamples):
        pick = rng.integers(0, len(s), len(s))
        if np.ptp(x[pick]) <= 0:
            continue
        fitted, _ = _fit_hill(x[pick], r[pick], steady)
        samples.append(fitted)
    return _result(category, steady, decay, s, r, current, r2, per_conversion,
                   tuple(samples), ())


def _result(category: str, curve: HillCurve, decay: float, s: Floats, r: Floats,
            current: float, r2: float | None, per_conversion: float | None,
            samples: tuple[HillCurve, ...], warnings: tuple[str, ...]) -> CurveFit:
    return CurveFit(category=category, curve=curve, decay=decay, months=len(s),
                    current_spend=current, current_revenue=float(curve.revenue(current)),
                    marginal_roi=float(curve.marginal(current)) - 1.0 if current > 0
                    else float(curve.marginal(curve.half * 1e-6)) - 1.0,
                    r_squared=r2, revenue_per_conversion=per_conversion,
                    max_spend=float(s.max()) if len(s) else 0.0, samples=samples,
                    warnings=warnings)
