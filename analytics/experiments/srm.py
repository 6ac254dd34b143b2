"""Sample ratio mismatch: did each variant get the share of recipients it was planned to?"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real

from scipy import stats

from analytics.experiments.validation import check_alpha

DEFAULT_SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class SrmResult:
    """Chi-square goodness-of-fit of observed counts against planned weights.

    ``mismatch`` is True when ``p_value < threshold``; a mismatch means assignment or
    delivery is broken and no metric of the experiment can be trusted.
    """

    names: tuple[str, ...]
    observed: tuple[int, ...]
    expected: tuple[float, ...]
    weights: tuple[float, ...]
    statistic: float
    df: int
    p_value: float
    threshold: float
    mismatch: bool


def sample_ratio_mismatch(counts: Sequence[int], weights: Sequence[float] | None = None, *,
                          names: Sequence[str] | None = None,
                          threshold: float = DEFAULT_SRM_THRESHOLD) -> SrmResult:
    """Test observed recipients per variant against the planned split.

    ``weights`` are relative (``[1, 1]`` and ``[0.5, 0.5]`` are the same plan); equal
    weights when None. Matches ``scipy.stats.chisquare(counts, expected)``. The default
    threshold 0.001 is strict on purpose: the check runs on every experiment at every
    look, and a false alarm blocks a verdict.
    """
    threshold = check_alpha(threshold, field="threshold")
    labels = tuple(names) if names is not None else tuple(f"variant {i}"
                                                          for i in range(len(counts)))
    if len(counts) < 2:
        raise ValueError(f"counts has {len(counts)} entries: give one count per variant, at "
                         "least two")
    if len(labels) != len(counts):
        raise ValueError(f"names has {len(labels)} entries but counts has {len(counts)}: give "
                         "one name per count")
    for i, count in enumerate(counts):
        if isinstance(count, bool) or not isinstance(count, Integral) or count < 0:
            raise ValueError(f"counts[{i}]={count!r} for variant '{labels[i]}' is not a "
                             "recipient count: use a whole number ≥ 0")
    plan = list(weights) if weights is not None else [1.0] * len(counts)
    if len(plan) != len(counts):
        raise ValueError(f"weights has {len(plan)} entries but there are {len(counts)} "
                         "variants: give one planned weight per variant")
    for i, weight in enumerate(plan):
        if (isinstance(weight, bool) or not isinstance(weight, Real)
                or not math.isfinite(weight) or weight <= 0):
            raise ValueError(f"weights[{i}]={weight!r} for variant '{labels[i]}' is not a "
                             "planned share: weights must be positive numbers")
    total = sum(counts)
    if total == 0:
        raise ValueError("counts are all 0: the mismatch check needs recipients in at least "
                         "one variant")
    weight_sum = float(sum(plan))
    shares = tuple(float(w) / weight_sum for w in plan)
    expected = tuple(total * share for share in shares)
    statistic = sum((o - e) ** 2 / e for o, e in zip(counts, expected, strict=True))
    df = len(counts) - 1
    p_value = float(stats.chi2.sf(statistic, df))
    return SrmResult(names=labels, observed=tuple(int(c) for c in counts), expected=expected,
                     weights=shares, statistic=float(statistic), df=df, p_value=p_value,
                     threshold=threshold, mismatch=p_value < threshold)
