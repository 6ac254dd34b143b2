"""GraphQL types for descriptive statistics and correlations of rates across campaigns."""

from __future__ import annotations

from typing import Any

import strawberry

from analytics.metrics import CampaignStatistics
from schema.metrics import Metric, optional_float


@strawberry.type(description="One rate across the campaigns: count, mean, spread, quartiles.")
class RateSummary:
    metric: Metric
    count: int
    mean: float | None
    std: float | None = strawberry.field(description="Sample standard deviation.")
    min: float | None
    q25: float | None
    median: float | None
    q75: float | None
    max: float | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RateSummary:
        return cls(metric=Metric(row["metric"]), count=int(row["count"]),
                   **{name: optional_float(row[name])
                      for name in ("mean", "std", "min", "q25", "median", "q75", "max")})


@strawberry.type(description="Pearson correlation of two rates over the campaigns that "
                             "have both; r and pValue are null below 3 campaigns or when a "
                             "rate is constant.")
class RateCorrelation:
    x: Metric
    y: Metric
    n: int
    r: float | None
    p_value: float | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RateCorrelation:
        return cls(x=Metric(row["x"]), y=Metric(row["y"]), n=int(row["n"]),
                   r=optional_float(row["r"]), p_value=optional_float(row["p_value"]))


@strawberry.type
class CampaignStatisticsResult:
    campaign_ids: list[strawberry.ID] = strawberry.field(
        description="The campaigns described (those asked for that have sends).")
    missing_ids: list[strawberry.ID] = strawberry.field(
        description="Asked-for ids with no campaign or no sends.")
    summary: list[RateSummary]
    correlations: list[RateCorrelation]

    @classmethod
    def from_statistics(cls, statistics: CampaignStatistics, found: list[str],
                        missing: list[str]) -> CampaignStatisticsResult:
        return cls(campaign_ids=[strawberry.ID(i) for i in found],
                   missing_ids=[strawberry.ID(i) for i in missing],
                   summary=[RateSummary.from_row(row)
                            for row in statistics.summary.iter_rows(named=True)],
                   correlations=[RateCorrelation.from_row(row)
                                 for row in statistics.correlations.iter_rows(named=True)])
