"""The dashboard report: each piece computed on first use from one snapshot."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import polars as pl
from sqlalchemy import Engine

from analytics.metrics import (
    COUNTERS,
    Breakdown,
    CampaignRanking,
    Insight,
    Recommendation,
    Targets,
    breakdown,
    compute_rates,
    evaluate,
    rank_campaigns,
    recommend,
    share_of,
    sum_counters,
    trend,
    with_customer_value,
)
from server.db.repository import reports
from server.runners import insights
from server.runners.base import MEMO
from server.runners.filters import ReportFilters
from server.runners.snapshot import Snapshot

KEYS = ["campaign_id", "variant_id", "day"]
T = TypeVar("T")


def member_breakdowns(engine: Engine, snapshot: Snapshot,
                      segment_ids: tuple[str, ...]) -> pl.DataFrame:
    """Breakdown counters of the sends to members of any of ``segment_ids``, each send
    once (the segment rollups would count a member of two segments twice). Read from
    the message table, so cached until the data changes."""
    return MEMO.of(engine, ("members", segment_ids, snapshot.version),
                   lambda: reports.member_counters(engine=engine, segment_ids=segment_ids))


def dashboard_report(engine: Engine, snapshot: Snapshot, filters: ReportFilters,
                     targets: Targets) -> DashboardReport:
    """The report of ``filters``, shared by every request that asks for it while the data
    is unchanged (the snapshot's version is part of the key), so a page polled by many
    people computes each figure once per change."""
    return MEMO.of(engine, ("dashboard", snapshot.version, filters, targets),
                   lambda: DashboardReport(engine=engine, snapshot=snapshot, filters=filters,
                                           targets=targets))


@dataclass
class DashboardReport:
    """Every figure of the dashboard for ``filters``, judged against ``targets``."""

    engine: Engine
    snapshot: Snapshot
    filters: ReportFilters
    targets: Targets
    # The report is shared by requests for the same data and filters: the lock keeps two
    # of them from computing one piece twice, and ``views`` keeps what the API made of
    # each piece (its GraphQL objects), so a warm request only serialises.
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    views: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)

    def view(self, key: Hashable, build: Callable[[DashboardReport], T]) -> T:
        """``build(self)``, computed once per ``key`` for the life of the report."""
        with self.lock:
            if key not in self.views:
                self.views[key] = build(self)
            return self.views[key]  # type: ignore[no-any-return]

    @cached_property
    def campaign_ids(self) -> list[str]:
        """Campaigns of the chosen types with sends in the range."""
        allowed = set(self.filters.campaign_ids(self.snapshot.campaigns))
        in_range = self.snapshot.rollups.filter(self.filters.day_filter())["campaign_id"]
        return sorted(set(in_range.to_list()) & allowed)

    @cached_property
    def dimensions(self) -> pl.DataFrame:
        """Counters by campaign × variant × day × hour × recipient domain, in scope."""
        segments = self.filters.segment_filter
        if segments is None:
            frame = self.snapshot.breakdowns
        else:
            frame = member_breakdowns(self.engine, self.snapshot, segments)
        return frame.filter(self.filters.day_filter()
                            & pl.col("campaign_id").is_in(self.campaign_ids))

    @cached_property
    def base(self) -> pl.DataFrame:
        """Counters by campaign × variant × send day, in scope: the rollups themselves
        unless a segment filter forces the (cached) message-table aggregation."""
        if self.filters.segment_filter is not None:
            return sum_counters(self.dimensions, by=KEYS)
        return self.snapshot.rollups.filter(
            self.filters.day_filter() & pl.col("campaign_id").is_in(self.campaign_ids))

    @cached_property
    def totals(self) -> pl.DataFrame:
        """One row: every counter summed, with every rate and its status."""
        return compute_rates(sum_counters(self.base), self.targets)

    @cached_property
    def average_customer_value(self) -> float | None:
        sent = int(self.dimensions["sent"].sum())
        value = float(self.dimensions["recipient_value"].sum())
        return value / sent if sent else None

    @cached_property
    def trend(self) -> pl.DataFrame:
        """Counters and rates per period (every period of the range present)."""
        return trend(self.base, self.filters.granularity, start=self.filters.start,
                     end=self.filters.end)

    @cached_property
    def segments(self) -> Breakdown:
        """Counters and rates per segment; a member of two segments counts in both."""
        frame = self.snapshot.segment_rollups.filter(
            pl.col("campaign_id").is_in(self.campaign_ids))
        frame = frame.filter(self.filters.day_filter())
        if self.filters.segment_ids:
            frame = frame.filter(pl.col("segment_id").is_in(list(self.filters.segment_ids)))
        result = breakdown(frame.select("segment_id", *COUNTERS), "segment_id",
                           targets=self.targets)
        names = self.snapshot.segments.rename({"name": "label"})
        rows = with_customer_value(share_of(result.rows, self.totals), frame, ["segment_id"])
        rows = rows.join(names, on="segment_id", how="left")
        return Breakdown(result.dimension, rows, self.totals)

    @cached_property
    def providers(self) -> Breakdown:
        """Counters and rates per recipient domain (the mailbox provider)."""
        result = breakdown(self.dimensions.select("email_domain", *COUNTERS), "email_domain",
                           targets=self.targets)
        rows = with_customer_value(result.rows, self.dimensions, ["email_domain"])
        return Breakdown(result.dimension, rows.with_columns(
            pl.col("email_domain").replace("", None).alias("email_domain")), result.totals)

    @cached_property
    def per_campaign(self) -> pl.DataFrame:
        """One row per campaign in scope: its name, type, counters and rates."""
        counters = sum_counters(self.base, by=["campaign_id"])
        facts = self.snapshot.campaigns.select("campaign_id", "name", "campaign_type")
        return compute_rates(counters.join(facts, on="campaign_id", how="left"),
                             self.targets)

    def ranking(self, metric: str, *, limit: int, min_delivered: int) -> CampaignRanking:
        """The best and worst campaigns on ``metric``."""
        return rank_campaigns(self.per_campaign, metric, limit=limit,
                              min_delivered=min_delivered)

    @cached_property
    def insights(self) -> list[tuple[str, Insight]]:
        """(kind, insight) for weekday, send hour, subject length and campaign type."""
        return insights.dashboard_insights(self.base, self.dimensions, self.snapshot)

    @cached_property
    def recommendations(self) -> list[Recommendation]:
        return recommend(evaluate(sum_counters(self.base), self.targets))
