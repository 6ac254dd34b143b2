"""Monthly plans against actual spend: burn rate, projected overspend and alerts.

Burn rate = (share of the allocation spent) / (share of the month elapsed): 1 is on pace,
1.5 spends half again too fast. The projected spend extends the month's spend at its
pace so far: ``spent / elapsed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PlanStatus:
    """One category's month: allocated vs spent and where it is heading."""

    category: str
    allocated: float
    spent: float
    elapsed: float
    burn_rate: float | None
    projected: float
    projected_overspend: float
    remaining: float


@dataclass(frozen=True)
class Thresholds:
    """When an alert is raised (ROI in percent)."""

    low_roi_percent: float = 0.0
    high_burn_rate: float = 1.2
    high_cpa: float | None = None


@dataclass(frozen=True)
class AlertDraft:
    """An alert to raise: its kind, category, the value and the threshold it crossed."""

    kind: str
    category: str
    value: float
    threshold: float
    message: str


def plan_status(category: str, allocated: float, spent: float,
                elapsed: float) -> PlanStatus:
    """``category``'s month with ``elapsed`` (0-1] of it gone."""
    if not 0 < elapsed <= 1:
        raise ValueError(f"elapsed must be in (0, 1], got {elapsed}")
    projected = spent / elapsed
    burn = (spent / allocated) / elapsed if allocated > 0 else None
    return PlanStatus(category=category, allocated=allocated, spent=spent, elapsed=elapsed,
                      burn_rate=burn, projected=projected,
                      projected_overspend=max(projected - allocated, 0.0),
                      remaining=allocated - spent)


def alerts(statuses: Sequence[PlanStatus],
           performance: Sequence[tuple[str, float | None, float | None]],
           thresholds: Thresholds) -> list[AlertDraft]:
    """Alerts for high burn (from ``statuses``) and low ROI / high CPA (from
    ``performance`` rows ``(category, roi_percent, cpa)``), sorted by kind and category."""
    found: list[AlertDraft] = []
    for s in statuses:
        if s.burn_rate is not None and s.burn_rate > thresholds.high_burn_rate:
            found.append(AlertDraft(
                "high_burn_rate", s.category, s.burn_rate, thresholds.high_burn_rate,
                f"{s.category} has spent {s.spent:,.2f} of {s.allocated:,.2f} with "
                f"{s.elapsed:.0%} of the month gone (burn rate {s.burn_rate:.2f}); at this "
                f"pace it ends at {s.projected:,.2f}, {s.projected_overspend:,.2f} over"))
    for category, roi, cpa in performance:
        if roi is not None and roi < thresholds.low_roi_percent:
            found.append(AlertDraft(
                "low_roi", category, roi, thresholds.low_roi_percent,
                f"{category} returns ROI {roi:.1f}%, below {thresholds.low_roi_percent:g}%"))
        if thresholds.high_cpa is not None and cpa is not None and cpa > thresholds.high_cpa:
            found.append(AlertDraft(
                "high_cpa", category, cpa, thresholds.high_cpa,
                f"{category} pays {cpa:,.2f} per conversion, above {thresholds.high_cpa:,.2f}"))
    return sorted(found, key=lambda a: (a.kind, a.category))
