"""Email's role across channels in converting journeys.

Over converting journeys with at least one touch (the conversions of aggregated paths): email
*initiated* a journey when its first step is email, *closed* it when its last step is
email, and only *assisted* when email is in the journey but neither first nor last. A
journey can be both initiated and closed by email; initiated, closed and assisted
together cover every journey email touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analytics.attribution.paths import as_paths
from analytics.attribution.schemas import validate_paths


@dataclass(frozen=True)
class EmailRole:
    """Shares are of ``converting_journeys``; all are 0 when there are none."""

    converting_journeys: float
    touched_share: float
    initiated_share: float
    closed_share: float
    assisted_share: float
    mean_email_touches: float


def email_role(data: pl.DataFrame, *, email_key: str = "email") -> EmailRole:
    """Email's role in converting journeys, from aggregated paths (``PATHS_SCHEMA``) or
    journeys; see the module docstring for the definitions. ``mean_email_touches`` is
    the mean number of email steps per converting journey."""
    paths = as_paths(data)
    validate_paths(paths)
    first = pl.col("path").list.first() == email_key
    last = pl.col("path").list.last() == email_key
    touches = pl.col("path").list.count_matches(email_key)
    weight = pl.col("conversions")
    sums = paths.select(
        journeys=weight.sum(),
        touched=(weight * (touches > 0)).sum(),
        initiated=(weight * first).sum(),
        closed=(weight * last).sum(),
        assisted=(weight * ((touches > 0) & ~first & ~last)).sum(),
        email_touches=(weight * touches).sum(),
    ).row(0, named=True)
    journeys = float(sums["journeys"])

    def share(name: str) -> float:
        return float(sums[name]) / journeys if journeys > 0 else 0.0

    return EmailRole(
        converting_journeys=journeys,
        touched_share=share("touched"),
        initiated_share=share("initiated"),
        closed_share=share("closed"),
        assisted_share=share("assisted"),
        mean_email_touches=share("email_touches"),
    )
