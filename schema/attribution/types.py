"""Attribution object types and the enums of its arguments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import polars as pl
import strawberry

from analytics.attribution import (
    email_role,
    journey_length_distribution,
    journeys_to_paths,
    time_to_convert_distribution,
    top_paths,
)
from server.runners.attribution import PeriodJourneys

MONEY_PLACES = Decimal("0.0001")


MAX_TOP_PATHS = 100


def money(value: float) -> Decimal:
    amount = Decimal(repr(float(value))).quantize(MONEY_PLACES)
    # -0.0 from floating-point cancellation reads as a negative amount; it is zero
    return amount if amount != 0 else Decimal(0).quantize(MONEY_PLACES)


def optional_money(value: float | None) -> Decimal | None:
    return None if value is None else money(value)


@strawberry.enum(description="Attribution models; the README defines each.")
class AttributionModel(Enum):
    FIRST_TOUCH = "first_touch"
    LAST_TOUCH = "last_touch"
    LINEAR = "linear"
    TIME_DECAY = "time_decay"
    POSITION_BASED = "position_based"
    MARKOV = "markov"
    SHAPLEY = "shapley"


@strawberry.enum(description="What a journey's steps are: channels, or campaigns (touches "
                             "without a campaign keep their channel).")
class AttributionGroupBy(Enum):
    CHANNEL = "channel"
    CAMPAIGN = "campaign"


@strawberry.enum(description="Email events that count as touches: a send touches its "
                             "recipient at its first delivery, open or click.")
class EmailTouchKind(Enum):
    DELIVERED = "delivered"
    OPEN = "open"
    CLICK = "click"


@strawberry.type(description="One key's credit under one model. Revenue is rounded to 4 "
                             "places; bounds are 95% bootstrap intervals when asked for.")
class AttributionRow:
    model: AttributionModel
    key: str
    conversions: float
    revenue: Decimal
    share: float | None = strawberry.field(description="Of the credited conversions.")
    conversions_lower: float | None = None
    conversions_upper: float | None = None
    revenue_lower: Decimal | None = None
    revenue_upper: Decimal | None = None
    spend: Decimal | None = strawberry.field(
        default=None, description="Spend in the period: spend rows whose category names this "
                                  "channel, or whose campaign is this campaign.")
    roi: float | None = strawberry.field(
        default=None, description="(revenue - spend) / spend; null without spend.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AttributionRow:
        return cls(model=AttributionModel(row["model"]), key=row["key"],
                   conversions=row["conversions"], revenue=money(row["revenue"]),
                   share=row["share"], conversions_lower=row.get("conversions_lower"),
                   conversions_upper=row.get("conversions_upper"),
                   revenue_lower=optional_money(row.get("revenue_lower")),
                   revenue_upper=optional_money(row.get("revenue_upper")),
                   spend=optional_money(row.get("spend")), roi=row.get("roi"))


@strawberry.type(description="A key's credit from a path file or path list; value is in "
                             "whatever unit the paths' values are.")
class PathAttributionRow:
    model: AttributionModel
    key: str
    conversions: float
    value: float
    share: float | None
    conversions_lower: float | None = None
    conversions_upper: float | None = None
    value_lower: float | None = None
    value_upper: float | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PathAttributionRow:
        return cls(model=AttributionModel(row["model"]), key=row["key"],
                   conversions=row["conversions"], value=row["revenue"], share=row["share"],
                   conversions_lower=row.get("conversions_lower"),
                   conversions_upper=row.get("conversions_upper"),
                   value_lower=row.get("revenue_lower"), value_upper=row.get("revenue_upper"))


@strawberry.type
class JourneyLengthBucket:
    length: int = strawberry.field(description="Touches in the journey; 0: orders without any.")
    journeys: int
    conversions: int
    revenue: Decimal
    conversion_rate: float


@strawberry.type
class TimeToConvertBucket:
    label: str = strawberry.field(description="e.g. \"[1, 3) d\": days from first touch to "
                                              "order.")
    lower_days: float
    upper_days: float | None
    conversions: int
    revenue: Decimal
    share: float | None


@strawberry.type
class PathCount:
    path: str = strawberry.field(description="Steps joined by \" > \".")
    journeys: float
    conversions: float
    revenue: Decimal
    conversion_rate: float | None


@strawberry.type(description="Shares of converting journeys with a touch.")
class EmailRole:
    converting_journeys: float
    touched_share: float
    initiated_share: float = strawberry.field(description="Email was the first touch.")
    closed_share: float = strawberry.field(description="Email was the last touch.")
    assisted_share: float = strawberry.field(
        description="Email was in the journey, neither first nor last.")
    mean_email_touches: float


@strawberry.type(description="The period's journeys: orders with the touches before them, "
                             "and runs of touches that led to no order.")
class JourneyStats:
    period: strawberry.Private[PeriodJourneys]
    group_by: strawberry.Private[str]

    @strawberry.field
    def journeys(self) -> int:
        return self.period.journeys.height

    @strawberry.field(description="Orders in the period.")
    def converting(self) -> int:
        return self.period.orders

    @strawberry.field(description="Orders without any touch in their lookback window: no "
                                  "model can credit them.")
    def orders_without_touches(self) -> int:
        return self.period.orders - self.period.touched.height

    @strawberry.field
    def lengths(self) -> list[JourneyLengthBucket]:
        frame = journey_length_distribution(self.period.journeys)
        return [JourneyLengthBucket(**{**row, "revenue": money(row["revenue"])})
                for row in frame.iter_rows(named=True)]

    @strawberry.field
    def time_to_convert(self) -> list[TimeToConvertBucket]:
        frame = time_to_convert_distribution(self.period.journeys).rename({"bin": "label"})
        return [TimeToConvertBucket(**{**row, "revenue": money(row["revenue"])})
                for row in frame.iter_rows(named=True)]

    @strawberry.field(description="The most common paths, by the report's groupBy.")
    def top_paths(self, first: int = 10) -> list[PathCount]:
        if not 1 <= first <= MAX_TOP_PATHS:
            raise ValueError(f"topPaths.first must be between 1 and {MAX_TOP_PATHS}, "
                             f"got {first}")
        journeys = self.period.journeys
        if journeys.filter(pl.col("path").list.len() > 0).is_empty():
            return []
        frame = top_paths(journeys_to_paths(journeys, key=self.group_by), n=first)  # type: ignore[arg-type]
        return [PathCount(**{**row, "revenue": money(row["revenue"])})
                for row in frame.iter_rows(named=True)]

    @strawberry.field(description="Email's role across channels in converting journeys.")
    def email_role(self) -> EmailRole:
        touched = self.period.journeys.filter(pl.col("path").list.len() > 0)
        if touched.is_empty():
            return EmailRole(converting_journeys=0, touched_share=0, initiated_share=0,
                             closed_share=0, assisted_share=0, mean_email_touches=0)
        role = email_role(touched)
        return EmailRole(**vars(role))


@strawberry.type(description="Attribution of the orders placed in a period. Every model "
                             "distributes exactly attributedConversions and "
                             "attributedRevenue: the orders with at least one touch.")
class AttributionReport:
    models: list[AttributionModel]
    group_by: AttributionGroupBy
    from_: datetime | None = strawberry.field(name="from")
    to: datetime | None
    lookback_days: float
    email_kinds: list[EmailTouchKind]
    currency: str
    orders: int = strawberry.field(description="Orders placed in the period.")
    order_revenue: Decimal
    attributed_conversions: float
    attributed_revenue: Decimal
    rows: list[AttributionRow] = strawberry.field(
        description="One row per model and key: models in the order asked, keys sorted.")
    journeys: JourneyStats


@strawberry.type(description="Attribution of aggregated paths you supplied.")
class PathAttribution:
    models: list[AttributionModel]
    paths: int = strawberry.field(description="Distinct paths after merging repeats.")
    total_conversions: float
    total_value: float
    total_nulls: float
    rows: list[PathAttributionRow]
