"""The ``Dashboard`` type: each field computed on demand from one report object."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from datetime import date
from enum import Enum
from typing import TypeVar

import strawberry

from analytics.metrics import METRICS
from schema.dashboard.insights import InsightResult, RankedCampaign, RecommendationItem
from schema.metrics import Metric, MetricFormat, MetricsBreakdown, MetricsRow, optional_float
from server.runners.dashboard import DashboardReport

T = TypeVar("T")


MAX_RANKED = 50


# Trend series beside the rates: counters worth a chart of their own.
COUNTER_SERIES = (("sent", "Sent"), ("conversions", "Conversions"), ("revenue", "Revenue"))


@strawberry.enum
class Granularity(Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@strawberry.type(description="One value per period of the trend (null: no sends then).")
class TrendSeries:
    key: str = strawberry.field(description="A metric name, or sent/conversions/revenue.")
    metric: Metric | None
    label: str
    format: MetricFormat | None = strawberry.field(description="Null for counts.")
    target: float | None
    values: list[float | None]


@strawberry.type(description="The first and last send day with any sends (all data).")
class DayRange:
    first: date | None
    last: date | None


@strawberry.type
class Trend:
    periods: list[date] = strawberry.field(description="The first day of each period.")
    series: list[TrendSeries]


class _Work:
    """Builds a field's value once per shared report (see ``DashboardReport.view``): in a
    worker thread the first time, straight from the report's views afterwards."""

    def __init__(self, report: DashboardReport) -> None:
        self.report = report

    async def run(self, key: Hashable, build: Callable[[DashboardReport], T]) -> T:
        if key in self.report.views:
            return self.report.views[key]  # type: ignore[no-any-return]
        return await asyncio.to_thread(self.report.view, key, build)


def _trend(report: DashboardReport) -> Trend:
    frame = report.trend
    series = [TrendSeries(key=name, metric=None, label=label,
                          format=MetricFormat.CURRENCY if name == "revenue" else None,
                          target=None, values=[optional_float(v) for v in frame[name]])
              for name, label in COUNTER_SERIES]
    for definition in METRICS:
        series.append(TrendSeries(
            key=definition.name, metric=Metric(definition.name), label=definition.label,
            format=MetricFormat(definition.format.value),
            target=report.targets.target(definition.name),
            values=[optional_float(v) for v in frame[definition.name]]))
    return Trend(periods=frame["period"].to_list(), series=series)


@strawberry.type(description="Campaign performance for a period; see the README.")
class Dashboard:
    start: date | None = strawberry.field(name="from")
    end: date | None = strawberry.field(name="to")
    granularity: Granularity
    campaign_types: list[str]
    segment_ids: list[strawberry.ID]
    currency: str
    data_version: str = strawberry.field(
        description="Changes whenever any figure could; poll it to refresh cheaply.")
    work: strawberry.Private[_Work]

    @classmethod
    def from_report(cls, report: DashboardReport, currency: str) -> Dashboard:
        filters = report.filters
        return cls(start=filters.start, end=filters.end,
                   granularity=Granularity(filters.granularity.value),
                   campaign_types=list(filters.campaign_types),
                   segment_ids=[strawberry.ID(s) for s in filters.segment_ids],
                   currency=currency, data_version=report.snapshot.version,
                   work=_Work(report))

    @strawberry.field(description="Send days of all data, whatever the filters: the range "
                                  "a period picker offers.")
    def send_days(self) -> DayRange:
        days = self.work.report.snapshot.rollups["day"]
        return DayRange(first=days.min(), last=days.max())  # type: ignore[arg-type]

    @strawberry.field(description="Campaigns whose provider, segment and send-hour "
                                  "breakdowns a background job is recomputing; until it "
                                  "finishes they show their previous figures.")
    def pending_campaign_count(self) -> int:
        return len(self.work.report.snapshot.pending)

    @strawberry.field(description="Campaigns with sends in scope.")
    async def campaign_count(self) -> int:
        return await self.work.run("campaign_count", lambda report: len(report.campaign_ids))

    @strawberry.field
    async def summary(self) -> MetricsRow:
        def build(report: DashboardReport) -> MetricsRow:
            row = {**report.totals.row(0, named=True), "share_of_sent": None,
                   "average_customer_value": report.average_customer_value}
            return MetricsRow.from_row(row, key=None, label="All sends",
                                       targets=report.targets, currency=self.currency)

        return await self.work.run(("summary", self.currency), build)

    @strawberry.field(description="Every rate, sent, conversions and revenue per period.")
    async def trend(self) -> Trend:
        return await self.work.run("trend", _trend)

    @strawberry.field(description="Per segment (current members; overlapping segments "
                                  "count a send in each).")
    async def segments(self) -> MetricsBreakdown:
        def build(report: DashboardReport) -> MetricsBreakdown:
            result = report.segments
            rows = result.rows.with_columns(key=result.rows["segment_id"])
            return MetricsBreakdown.from_breakdown(
                type(result)(result.dimension, rows, result.totals), dimension="segment",
                targets=report.targets, currency=self.currency,
                total_value=report.average_customer_value)

        return await self.work.run(("segments", self.currency), build)

    @strawberry.field(description="Deliverability and engagement per recipient domain.")
    async def providers(self) -> MetricsBreakdown:
        def build(report: DashboardReport) -> MetricsBreakdown:
            result = report.providers
            key = result.rows["email_domain"]
            rows = result.rows.with_columns(key=key, label=key.fill_null("unknown domain"))
            return MetricsBreakdown.from_breakdown(
                type(result)(result.dimension, rows, result.totals),
                dimension="mailbox_provider", targets=report.targets, currency=self.currency,
                total_value=report.average_customer_value)

        return await self.work.run(("providers", self.currency), build)

    async def _ranked(self, metric_name: Metric, limit: int, min_delivered: int,
                      best: bool) -> list[RankedCampaign]:
        name = metric_name.value
        if not 1 <= limit <= MAX_RANKED:
            raise ValueError(f"limit: {limit} is out of range; ask for 1 to {MAX_RANKED}")
        if min_delivered < 0:
            raise ValueError(f"minDelivered: {min_delivered} must be 0 or more")

        def build(report: DashboardReport) -> list[RankedCampaign]:
            ranking = report.ranking(name, limit=limit, min_delivered=min_delivered)
            frame = ranking.best if best else ranking.worst
            return [RankedCampaign.from_row(row, name) for row in frame.iter_rows(named=True)]

        return await self.work.run(("ranked", name, limit, min_delivered, best), build)

    @strawberry.field(description="Campaigns with at least minDelivered delivered sends, "
                                  "best first on the metric (lowest first when lower is "
                                  "better).")
    async def best_campaigns(self, metric: Metric = Metric.CONVERSION_RATE, limit: int = 5,
                             min_delivered: int = 100) -> list[RankedCampaign]:
        return await self._ranked(metric, limit, min_delivered, best=True)

    @strawberry.field(description="As bestCampaigns, worst first.")
    async def worst_campaigns(self, metric: Metric = Metric.CONVERSION_RATE, limit: int = 5,
                              min_delivered: int = 100) -> list[RankedCampaign]:
        return await self._ranked(metric, limit, min_delivered, best=False)

    @strawberry.field(description="Best weekday and send hour (open rate, UTC), subject "
                                  "length band (open rate) and campaign type (converting "
                                  "sends per delivered send).")
    async def insights(self) -> list[InsightResult]:
        return await self.work.run("insights", lambda report: [
            InsightResult.from_insight(kind, insight) for kind, insight in report.insights])

    @strawberry.field(description="Changes to make, highest priority first.")
    async def recommendations(self) -> list[RecommendationItem]:
        return await self.work.run("recommendations", lambda report: [
            RecommendationItem.from_recommendation(item) for item in report.recommendations])
