"""Wilson score confidence intervals for proportions."""

from __future__ import annotations

import math

from scipy import stats


def z_score(confidence: float) -> float:
    """The two-sided standard-normal critical value for ``confidence`` (0.95 -> 1.96)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive); got {confidence!r}")
    return float(stats.norm.isf((1 - confidence) / 2))


def wilson_interval(
    successes: int, trials: int, *, confidence: float = 0.95
) -> tuple[float, float]:
    """The Wilson score interval ``(low, high)`` for ``successes`` out of ``trials``.

    Same formula and clipping to [0, 1] as statsmodels
    ``proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")``,
    except that the bound is exactly 0 (no successes) or 1 (all successes).
    ValueError when ``trials`` is not positive or ``successes`` is outside 0..trials.
    """
    if trials <= 0:
        raise ValueError(f"trials must be positive for a confidence interval; got {trials}")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials ({trials}); got {successes}")
    z = z_score(confidence)
    share = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    center = (share + z2 / (2 * trials)) / denominator
    half_width = z * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials**2)) / denominator
    # At 0 or all successes the exact bound is 0 or 1; rounding would leave 1e-23 or
    # 0.9999999999999998, an interval that misses its own estimate.
    low = 0.0 if successes == 0 else max(center - half_width, 0.0)
    high = 1.0 if successes == trials else min(center + half_width, 1.0)
    return low, high
