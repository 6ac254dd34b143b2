"""GraphQL types for metrics: counters, a metric judged against its target, a row of a
breakdown. Built from the frames of ``analytics.metrics`` by ``from_row`` classmethods."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry

from analytics.metrics import METRICS, Breakdown, Targets

MONEY_PLACES = Decimal("0.0001")


@strawberry.enum(description="Every rate Mailscope reports (see the README for definitions).")
class Metric(Enum):
    DELIVERY_RATE = "delivery_rate"
    BOUNCE_RATE = "bounce_rate"
    HARD_BOUNCE_RATE = "hard_bounce_rate"
    SOFT_BOUNCE_RATE = "soft_bounce_rate"
    OPEN_RATE = "open_rate"
    HUMAN_OPEN_RATE = "human_open_rate"
    CLICK_RATE = "click_rate"
    CLICK_TO_OPEN_RATE = "click_to_open_rate"
    UNSUBSCRIBE_RATE = "unsubscribe_rate"
    COMPLAINT_RATE = "complaint_rate"
    CONVERSION_RATE = "conversion_rate"
    REVENUE_PER_EMAIL = "revenue_per_email"
    REVENUE_PER_RECIPIENT = "revenue_per_recipient"


@strawberry.enum
class TargetStatus(Enum):
    GOOD = "good"
    WARNING = "warning"
    BAD = "bad"
    NO_DATA = "no_data"
    NO_TARGET = "no_target"


@strawberry.enum(description="PERCENT: a share from 0 to 1; CURRENCY: an amount of money.")
class MetricFormat(Enum):
    PERCENT = "percent"
    CURRENCY = "currency"


def money(value: Any) -> Decimal:
    """A float amount as a decimal with four places (the database's money scale)."""
    number = float(value or 0.0)
    return Decimal(repr(number if math.isfinite(number) else 0.0)).quantize(MONEY_PLACES)


def optional_float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@strawberry.type(description="One metric: value, its target and how far it is from it.")
class MetricValue:
    metric: Metric
    label: str
    value: float | None = strawberry.field(description="Null when the denominator is 0.")
    target: float | None = strawberry.field(description="Null when the metric has none.")
    status: TargetStatus
    difference: float | None = strawberry.field(
        description="value - target (negative: below the target, whichever way is better).")
    higher_is_better: bool
    format: MetricFormat
    numerator: float
    denominator: int


def metric_values(row: Mapping[str, Any], targets: Targets) -> list[MetricValue]:
    """Every metric of a rates row (``compute_rates`` output with statuses), in
    metric-table order."""
    values = []
    for definition in METRICS:
        value = optional_float(row.get(definition.name))
        target = targets.target(definition.name)
        if target is None:
            status = TargetStatus.NO_TARGET
        else:
            status = TargetStatus(row.get(f"{definition.name}_status") or "no_data")
        values.append(MetricValue(
            metric=Metric(definition.name), label=definition.label, value=value,
            target=target, status=status,
            difference=None if value is None or target is None else value - target,
            higher_is_better=definition.higher_is_better,
            format=MetricFormat(definition.format.value),
            numerator=float(row.get(definition.numerator) or 0),
            denominator=int(row.get(definition.denominator) or 0)))
    return values


@strawberry.type(description="Unique and total counts; revenue is a decimal string.")
class MetricCounters:
    sent: int
    delivered: int
    bounced: int
    hard_bounced: int
    soft_bounced: int
    unique_opens: int
    human_unique_opens: int
    total_opens: int
    unique_clicks: int
    total_clicks: int
    unsubscribed: int
    complained: int
    conversions: int
    revenue: Decimal
    currency: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any], currency: str) -> MetricCounters:
        names = [name for name in cls.__annotations__ if name not in ("revenue", "currency")]
        return cls(**{name: int(row.get(name) or 0) for name in names},
                   revenue=money(row.get("revenue")), currency=currency)


@strawberry.type(description="The metrics of one group (a segment, a provider, ...).")
class MetricsRow:
    key: str | None = strawberry.field(description="The group's value; null: unknown.")
    label: str
    counters: MetricCounters
    share_of_sent: float | None
    average_customer_value: float | None = strawberry.field(
        description="Order value the recipients had before the send, per send.")
    values: strawberry.Private[list[MetricValue]]

    @strawberry.field(description="Every metric in metric-table order, or only those named.")
    def metrics(self, only: list[Metric] | None = None) -> list[MetricValue]:
        if only is None:
            return self.values
        return [value for value in self.values if value.metric in only]

    @classmethod
    def from_row(cls, row: Mapping[str, Any], *, key: str | None, label: str,
                 targets: Targets, currency: str) -> MetricsRow:
        return cls(key=key, label=label, counters=MetricCounters.from_row(row, currency),
                   share_of_sent=optional_float(row.get("share_of_sent")),
                   average_customer_value=optional_float(row.get("average_customer_value")),
                   values=metric_values(row, targets))


@strawberry.type
class MetricsBreakdown:
    dimension: str
    rows: list[MetricsRow]
    totals: MetricsRow

    @classmethod
    def from_breakdown(cls, result: Breakdown, *, dimension: str, targets: Targets,
                       currency: str, total_value: float | None = None) -> MetricsBreakdown:
        """``result.rows`` carry ``key`` and ``label`` columns."""
        rows = [MetricsRow.from_row(row, key=row["key"], label=row["label"], targets=targets,
                                    currency=currency)
                for row in result.rows.iter_rows(named=True)]
        total = {**result.totals.row(0, named=True), "average_customer_value": total_value}
        return cls(dimension=dimension, rows=rows,
                   totals=MetricsRow.from_row(total, key=None, label="All sends",
                                              targets=targets, currency=currency))
