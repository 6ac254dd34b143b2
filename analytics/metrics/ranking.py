"""Best and worst campaigns by one rate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from analytics.metrics.counters import require_columns
from analytics.metrics.definitions import METRIC_NAMES, metric
from analytics.metrics.rates import compute_rates

DEFAULT_MIN_DELIVERED = 100


@dataclass(frozen=True)
class CampaignRanking:
    """The ``limit`` best and worst campaigns on ``metric``, each with a 1-based ``rank``
    (in ``worst``, rank 1 is the worst campaign).

    Only campaigns with at least ``min_delivered`` delivered sends and a non-null rate are
    ranked; ``excluded`` counts the rest. With fewer than ``2 * limit`` ranked campaigns the
    two lists share campaigns.
    """

    metric: str
    min_delivered: int
    ranked: int
    excluded: int
    best: pl.DataFrame
    worst: pl.DataFrame


def with_rates(frame: pl.DataFrame, names: Sequence[str] = METRIC_NAMES) -> pl.DataFrame:
    """``frame`` itself when it has the rate columns ``names``, else with rates computed."""
    if all(name in frame.columns for name in names):
        return frame
    return compute_rates(frame)


def rank_campaigns(
    per_campaign: pl.DataFrame,
    metric_name: str,
    *,
    min_delivered: int = DEFAULT_MIN_DELIVERED,
    limit: int = 10,
    id_column: str = "campaign_id",
) -> CampaignRanking:
    """Rank campaigns (one row each: counters, optionally rates) on ``metric_name``.

    "Best" follows the metric's direction: the lowest bounce rate is best. Ties go to the
    campaign with more delivered sends, then the smaller ``id_column``. Every input column
    is kept, after ``rank``.
    """
    definition = metric(metric_name)
    if limit < 1:
        raise ValueError(f"limit must be at least 1; got {limit}")
    require_columns(per_campaign, [id_column, "delivered"], what="per-campaign frame")
    frame = with_rates(per_campaign, [metric_name])
    eligible = frame.filter(
        (pl.col("delivered") >= min_delivered) & pl.col(metric_name).is_not_null()
    )

    def ordered(best_first: bool) -> pl.DataFrame:
        descending = definition.higher_is_better == best_first
        return (
            eligible.sort(
                [metric_name, "delivered", id_column],
                descending=[descending, True, False],
            )
            .head(limit)
            .with_row_index("rank", offset=1)
            .with_columns(pl.col("rank").cast(pl.Int64))
        )

    return CampaignRanking(
        metric=metric_name,
        min_delivered=min_delivered,
        ranked=eligible.height,
        excluded=frame.height - eligible.height,
        best=ordered(best_first=True),
        worst=ordered(best_first=False),
    )
