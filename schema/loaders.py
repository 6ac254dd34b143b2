"""DataLoaders for every N+1 path: one batched query per page, not one per row."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select
from strawberry.dataloader import DataLoader

from server.db.models import CampaignDailyRollup, CampaignVariant, SegmentMember
from server.runners.attribution import (
    JourneyQuery,
    PeriodJourneys,
    campaign_attribution,
    period_journeys,
)
from server.runners.customers import SegmentStatus, pendings, profiles, segment_statuses

# Counters the GraphQL metrics expose, summed over every day and variant of a campaign.
METRIC_COLUMNS = ("sent", "delivered", "bounced", "hard_bounced", "soft_bounced",
                  "unique_opens", "human_unique_opens", "total_opens", "unique_clicks",
                  "total_clicks", "unsubscribed", "complained", "conversions")
MONEY_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class MetricTotals:
    counts: dict[str, int]
    revenue: Decimal


EMPTY_TOTALS = MetricTotals(counts=dict.fromkeys(METRIC_COLUMNS, 0), revenue=Decimal("0.0000"))


def campaign_metrics(engine: Engine, campaign_ids: Sequence[str]) -> list[MetricTotals]:
    """Totals per campaign from ``rollup_campaign_day`` in one query, in key order."""
    sums = [func.coalesce(func.sum(getattr(CampaignDailyRollup, name)), 0)
            for name in METRIC_COLUMNS]
    # SQLAlchemy's select(): sqlmodel's is typed for at most four columns.
    query = (sql_select(col(CampaignDailyRollup.campaign_id), *sums,
                        func.sum(CampaignDailyRollup.revenue))
             .where(col(CampaignDailyRollup.campaign_id).in_(list(campaign_ids)))
             .group_by(CampaignDailyRollup.campaign_id))
    found: dict[str, MetricTotals] = {}
    with engine.connect() as connection:
        for row in connection.execute(query).all():
            revenue = Decimal(str(row[-1] if row[-1] is not None else 0))
            found[row[0]] = MetricTotals(
                counts={name: int(value) for name, value in zip(METRIC_COLUMNS, row[1:-1],
                                                               strict=True)},
                revenue=revenue.quantize(MONEY_PLACES))
    return [found.get(campaign_id, EMPTY_TOTALS) for campaign_id in campaign_ids]


def campaign_variants(engine: Engine,
                      campaign_ids: Sequence[str]) -> list[list[CampaignVariant]]:
    """The variants of each campaign (ordered by variant id), in key order."""
    by_campaign: dict[str, list[CampaignVariant]] = {key: [] for key in campaign_ids}
    with Session(engine) as session:
        rows = session.exec(select(CampaignVariant)
                            .where(col(CampaignVariant.campaign_id).in_(list(campaign_ids)))
                            .order_by(col(CampaignVariant.campaign_id),
                                      col(CampaignVariant.variant_id))).all()
    for row in rows:
        by_campaign[row.campaign_id].append(row)
    return [by_campaign[key] for key in campaign_ids]


def segment_member_counts(engine: Engine, segment_ids: Sequence[str]) -> list[int]:
    """The member count of each segment, in key order."""
    with Session(engine) as session:
        rows = session.exec(select(SegmentMember.segment_id, func.count())
                            .where(col(SegmentMember.segment_id).in_(list(segment_ids)))
                            .group_by(SegmentMember.segment_id)).all()
    counts = {segment_id: int(count) for segment_id, count in rows}
    return [counts.get(key, 0) for key in segment_ids]


async def _threaded(function: Any, engine: Engine, keys: list[Any]) -> Any:
    return await asyncio.to_thread(function, engine, keys)


@dataclass(frozen=True)
class Loaders:
    metrics: DataLoader[str, MetricTotals]
    variants: DataLoader[str, list[CampaignVariant]]
    member_counts: DataLoader[str, int]
    # pending and note of segments, by kind: one batch for a whole segments list
    segment_status: DataLoader[str, SegmentStatus]
    # customers' stored profiles by id, and whether a refresh is pending (one key: None)
    profile: DataLoader[str, dict[str, Any] | None]
    pending: DataLoader[None, bool]
    # attribution: journeys per period, and campaign credit per (campaign, model, ...)
    journeys: DataLoader[JourneyQuery, PeriodJourneys]
    campaign_attribution: DataLoader[tuple[Any, ...], tuple[float, float]]


def create_loaders(engine: Engine) -> Loaders:
    """Fresh loaders for one request (the module's batch functions are read at this call,
    so a test can replace one on the module and count its calls)."""
    return Loaders(
        metrics=DataLoader(load_fn=partial(_threaded, campaign_metrics, engine)),
        variants=DataLoader(load_fn=partial(_threaded, campaign_variants, engine)),
        member_counts=DataLoader(load_fn=partial(_threaded, segment_member_counts,
                                                 engine)),
        segment_status=DataLoader(load_fn=partial(_threaded, segment_statuses, engine)),
        profile=DataLoader(load_fn=partial(_threaded, profiles, engine)),
        pending=DataLoader(load_fn=partial(_threaded, pendings, engine)),
        journeys=DataLoader(load_fn=partial(_threaded, period_journeys, engine)),
        campaign_attribution=DataLoader(load_fn=partial(_threaded, campaign_attribution,
                                                        engine)),
    )
