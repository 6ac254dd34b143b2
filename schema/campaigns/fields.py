"""Campaign fields of campaign analytics: rates, breakdowns and the recipients drill-down.

``schema.types.Campaign`` and ``CampaignMetrics`` delegate here so the analytics stay in
one place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import polars as pl
import strawberry
from sqlmodel import Session
from strawberry.types import Info

from analytics.metrics import COUNTER_SCHEMA, COUNTERS, Targets, compute_rates
from schema.context import Context, in_session
from schema.metrics import MetricsBreakdown, MetricValue, metric_values
from schema.pagination import Connection, connection, page_window
from server.db import models
from server.db.repository.recipients import recipient_page
from server.runners.campaigns import Dimension, campaign_breakdown
from server.runners.request import request_reports


@strawberry.enum
class BreakdownDimension(Enum):
    VARIANT = "variant"
    SEGMENT = "segment"
    MAILBOX_PROVIDER = "mailbox_provider"
    DEVICE = "device"
    DAY = "day"


@strawberry.enum
class RecipientStatus(Enum):
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    BOUNCED = "bounced"
    UNSUBSCRIBED = "unsubscribed"
    COMPLAINED = "complained"
    CONVERTED = "converted"


@strawberry.type(description="One send of a campaign and what its recipient did with it.")
class Recipient:
    message_id: strawberry.ID
    customer_id: str
    email: str | None
    email_domain: str | None
    variant_id: str
    sent_at: datetime
    delivered_at: datetime | None
    bounced_at: datetime | None
    bounce_type: str | None
    first_open_at: datetime | None
    open_count: int
    first_click_at: datetime | None
    click_count: int
    unsubscribed_at: datetime | None
    complained_at: datetime | None
    conversions: int
    revenue: Decimal

    @classmethod
    def from_row(cls, row: tuple[models.Message, models.Customer | None]) -> Recipient:
        message, customer = row
        return cls(message_id=strawberry.ID(message.message_id),
                   customer_id=message.customer_id,
                   email=customer.email if customer else None,
                   email_domain=customer.email_domain if customer else None,
                   variant_id=message.variant_id, sent_at=message.sent_at,
                   delivered_at=message.delivered_at, bounced_at=message.bounced_at,
                   bounce_type=message.bounce_type, first_open_at=message.first_open_at,
                   open_count=message.open_count, first_click_at=message.first_click_at,
                   click_count=message.click_count, unsubscribed_at=message.unsubscribed_at,
                   complained_at=message.complained_at, conversions=message.conversions,
                   revenue=Decimal(str(message.revenue)).quantize(Decimal("0.0001")))


def rates_row(counts: Mapping[str, Any], targets: Targets | None = None) -> dict[str, Any]:
    """Counters with every rate of the metric table (and statuses when ``targets``)."""
    frame = pl.DataFrame({name: [counts.get(name) or 0] for name in COUNTERS},
                         schema=COUNTER_SCHEMA)
    return compute_rates(frame, targets).row(0, named=True)


async def metric_evaluations(info: Info[Context, Any],
                             counts: Mapping[str, Any]) -> list[MetricValue]:
    """Every metric of ``counts`` judged against the targets in force."""
    targets = await request_reports(info.context).targets()
    return metric_values(rates_row(counts, targets), targets)


async def average_customer_value(info: Info[Context, Any], campaign_id: str) -> float | None:
    snapshot = await request_reports(info.context).snapshot()
    frame = snapshot.breakdowns.filter(pl.col("campaign_id") == campaign_id)
    sent = int(frame["sent"].sum())
    return float(frame["recipient_value"].sum()) / sent if sent else None


async def campaign_metrics_by(info: Info[Context, Any], campaign_id: str,
                              dimension: BreakdownDimension) -> MetricsBreakdown:
    state = request_reports(info.context)
    snapshot, targets = await state.snapshot(), await state.targets()
    result = await asyncio.to_thread(campaign_breakdown, info.context.engine, snapshot,
                                     campaign_id, Dimension(dimension.value), targets)
    total_value = await average_customer_value(info, campaign_id)
    return MetricsBreakdown.from_breakdown(result, dimension=dimension.value, targets=targets,
                                           currency=info.context.settings.currency,
                                           total_value=total_value)


async def campaign_recipients(info: Info[Context, Any], campaign_id: str,
                              status: RecipientStatus | None, first: int,
                              after: str | None) -> Connection[Recipient]:
    offset, limit = page_window(first, after)
    wanted = None if status is None else status.value

    def page(session: Session) -> tuple[Any, int]:
        return recipient_page(session=session, campaign_id=campaign_id, status=wanted,
                              offset=offset, limit=limit + 1)

    rows, total = await in_session(info, page)
    return connection(list(rows), offset=offset, first=limit, total=total,
                      to_node=Recipient.from_row)
