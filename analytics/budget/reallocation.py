"""Reallocation suggestions: move money from critical categories to high performers,
budget-neutral and within safety limits.

A category is *critical* when its ROI is below ``critical_roi_percent`` and a *high
performer* when its marginal ROI (return of the next unit) is at least
``high_marginal_roi``. Cuts keep ``min_retained`` of each critical category's budget; no
category grows beyond ``max_increase_ratio`` times its budget; all moves together shift
at most ``max_share_moved`` of the total. Money cut is spread over the high performers
by their marginal ROI; what they cannot take is not cut, so the total never changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Safety:
    """Limits on how far one reallocation may go."""

    max_increase_ratio: float = 1.5
    min_retained: float = 0.5
    max_share_moved: float = 0.2
    critical_roi_percent: float = 0.0
    high_marginal_roi: float = 0.0

    def validate(self) -> None:
        """Raise ``ValueError`` naming the limit and the fix."""
        if self.max_increase_ratio < 1:
            raise ValueError(f"maxIncreaseRatio must be >= 1, got {self.max_increase_ratio}")
        if not 0 <= self.min_retained <= 1:
            raise ValueError(f"minRetained must be within 0-1, got {self.min_retained}")
        if not 0 <= self.max_share_moved <= 1:
            raise ValueError(f"maxShareMoved must be within 0-1, got {self.max_share_moved}")


@dataclass(frozen=True)
class Standing:
    """A category's budget and how it performs."""

    category: str
    budget: float
    roi_percent: float | None
    marginal_roi: float | None


@dataclass(frozen=True)
class Suggestion:
    """A category's budget before and after, and why."""

    category: str
    current: float
    suggested: float
    change: float
    reason: str


def suggest(standings: Sequence[Standing], safety: Safety) -> list[Suggestion]:
    """One suggestion per category (unchanged ones included), sorted by category."""
    safety.validate()
    rows = sorted(standings, key=lambda s: s.category)
    total = sum(s.budget for s in rows)
    critical = [s for s in rows if s.roi_percent is not None
                and s.roi_percent < safety.critical_roi_percent and s.budget > 0]
    high = [s for s in rows if s not in critical and s.marginal_roi is not None
            and s.marginal_roi >= safety.high_marginal_roi and s.budget > 0]
    cuttable = sum(s.budget * (1 - safety.min_retained) for s in critical)
    room = sum(s.budget * (safety.max_increase_ratio - 1) for s in high)
    moved = min(cuttable, room, total * safety.max_share_moved)
    changes = {s.category: 0.0 for s in rows}
    if moved > 0:
        for s in critical:
            changes[s.category] = -moved * s.budget * (1 - safety.min_retained) / cuttable
        # Water-fill by marginal ROI weight, respecting each performer's room.
        left, open_ = moved, list(high)
        while left > 1e-12 * max(total, 1.0) and open_:
            weight = sum(max(s.marginal_roi or 0.0, 1e-9) for s in open_)
            full = []
            given = 0.0
            for s in open_:
                share = left * max(s.marginal_roi or 0.0, 1e-9) / weight
                cap = s.budget * (safety.max_increase_ratio - 1) - changes[s.category]
                add = min(share, cap)
                changes[s.category] += add
                given += add
                if add >= cap - 1e-12:
                    full.append(s)
            left -= given
            open_ = [s for s in open_ if s not in full]
    out = []
    for s in rows:
        change = changes[s.category]
        if s in critical and change < 0:
            reason = (f"critical: ROI {s.roi_percent:.1f}% below "
                      f"{safety.critical_roi_percent:g}%; keeps {safety.min_retained:.0%}+")
        elif change > 0:
            reason = f"high performer: marginal ROI {(s.marginal_roi or 0) * 100:.0f}%"
        else:
            reason = "unchanged"
        out.append(Suggestion(s.category, s.budget, s.budget + change, change, reason))
    return out
