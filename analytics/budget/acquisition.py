"""CLV-based acquisition budget per segment: what a customer is worth against what one
costs to acquire, how long the cost takes to pay back, and which way to move the budget.

CAC = acquisition spend / new customers; CLV:CAC = CLV / CAC; payback months = CAC /
(CLV / lifetime months), the months of a customer's average value that repay their cost.
A segment at or above ``target_ratio`` can take more money (up to ``max_change``, more
the further above the target it is), one between 1 and the target is held, one below 1
loses money on every customer and is cut by ``max_change``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SegmentEconomics:
    """A segment's customer value and acquisition over the same period."""

    segment: str
    clv: float
    acquisition_spend: float
    new_customers: int


@dataclass(frozen=True)
class SegmentAcquisition:
    """A segment's acquisition verdict; ``change`` is a fraction of its spend."""

    segment: str
    cac: float | None
    clv_cac: float | None
    payback_months: float | None
    recommendation: str
    change: float
    suggested_spend: float
    reason: str


def acquisition_budget(rows: Sequence[SegmentEconomics], *, target_ratio: float = 3.0,
                       max_change: float = 0.3, lifetime_months: float = 24.0,
                       ) -> list[SegmentAcquisition]:
    """One verdict per segment, sorted by segment; raises ``ValueError`` naming a bad
    argument or row."""
    if not target_ratio > 1:
        raise ValueError(f"targetRatio must be > 1, got {target_ratio}; 3 is usual")
    if not 0 <= max_change <= 1:
        raise ValueError(f"maxChange must be within 0-1, got {max_change}")
    if not lifetime_months > 0:
        raise ValueError(f"lifetimeMonths must be > 0, got {lifetime_months}")
    out = []
    for i, row in enumerate(sorted(rows, key=lambda r: r.segment)):
        if row.clv < 0 or row.acquisition_spend < 0 or row.new_customers < 0:
            raise ValueError(f"segments[{i}] ({row.segment}): clv, acquisitionSpend and "
                             "newCustomers must be >= 0")
        if row.new_customers == 0 or row.acquisition_spend == 0:
            out.append(SegmentAcquisition(
                row.segment, None, None, None, "maintain", 0.0, row.acquisition_spend,
                "no acquisition cost to judge: record spend and new customers"))
            continue
        cac = row.acquisition_spend / row.new_customers
        ratio = row.clv / cac
        monthly = row.clv / lifetime_months
        payback = cac / monthly if monthly > 0 else None
        if ratio >= target_ratio:
            change = min(max_change, max_change * (ratio / target_ratio - 1))
            verdict = "increase"
            reason = f"CLV:CAC {ratio:.2f} at or above {target_ratio:g}: room to grow"
        elif ratio >= 1:
            change, verdict = 0.0, "maintain"
            reason = f"CLV:CAC {ratio:.2f} pays back but is below {target_ratio:g}"
        else:
            change, verdict = -max_change, "decrease"
            reason = f"CLV:CAC {ratio:.2f} below 1: each customer costs more than they bring"
        out.append(SegmentAcquisition(row.segment, cac, ratio, payback, verdict, change,
                                      row.acquisition_spend * (1 + change), reason))
    return out
