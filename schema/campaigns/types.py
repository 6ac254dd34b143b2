"""Campaign object types, each built from its table row by ``from_row``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from analytics.metrics import METRIC_NAMES
from schema.attribution.inputs import PositionWeightsInput
from schema.attribution.queries import (
    FromArg,
    HalfLifeArg,
    KindsArg,
    LookbackArg,
    ToArg,
    campaign_attributed_revenue,
)
from schema.attribution.types import AttributionModel
from schema.campaigns.fields import (
    BreakdownDimension,
    Recipient,
    RecipientStatus,
    average_customer_value,
    campaign_metrics_by,
    campaign_recipients,
    metric_evaluations,
    rates_row,
)
from schema.context import Context
from schema.loaders import METRIC_COLUMNS, MetricTotals
from schema.metrics import MetricsBreakdown, MetricValue
from schema.pagination import DEFAULT_PAGE, Connection
from server.db import models


@strawberry.type(description="Delivery and engagement totals over all days and variants, "
                             "and every rate (null when its denominator is 0).")
class CampaignMetrics:
    sent: int
    delivered: int
    bounced: int
    unique_opens: int
    total_opens: int
    unique_clicks: int
    total_clicks: int
    unsubscribed: int
    complained: int
    conversions: int
    revenue: Decimal = strawberry.field(description="Attributed revenue, a decimal string.")
    currency: str = strawberry.field(description="ISO 4217 code of revenue.")
    hard_bounced: int
    soft_bounced: int
    human_unique_opens: int = strawberry.field(description="Opens by people (machine "
                                                           "opens of privacy proxies left out).")
    delivery_rate: float | None
    bounce_rate: float | None
    hard_bounce_rate: float | None
    soft_bounce_rate: float | None
    open_rate: float | None
    human_open_rate: float | None
    click_rate: float | None
    click_to_open_rate: float | None
    unsubscribe_rate: float | None
    complaint_rate: float | None
    conversion_rate: float | None
    revenue_per_email: float | None
    revenue_per_recipient: float | None
    campaign_id: strawberry.Private[str]

    @classmethod
    def from_totals(cls, totals: MetricTotals, currency: str,
                    campaign_id: str = "") -> CampaignMetrics:
        rates = rates_row({**totals.counts, "revenue": float(totals.revenue)})
        return cls(**totals.counts, revenue=totals.revenue, currency=currency,
                   campaign_id=campaign_id,
                   **{name: rates[name] for name in METRIC_NAMES})

    @strawberry.field(description="Order value the recipients had before the send, per send.")
    async def average_customer_value(self, info: Info[Context, Any]) -> float | None:
        return await average_customer_value(info, self.campaign_id)

    @strawberry.field(description="Every metric with its target, status and difference.")
    async def evaluations(self, info: Info[Context, Any]) -> list[MetricValue]:
        counts = {name: getattr(self, name) for name in METRIC_COLUMNS}
        return await metric_evaluations(info, {**counts, "revenue": float(self.revenue)})


@strawberry.type
class CampaignVariant:
    id: strawberry.ID
    subject_line: str | None
    weight: float

    @classmethod
    def from_row(cls, row: models.CampaignVariant) -> CampaignVariant:
        return cls(id=strawberry.ID(row.variant_id), subject_line=row.subject_line,
                   weight=row.weight)


@strawberry.type
class Campaign:
    id: strawberry.ID
    name: str
    subject_line: str | None
    sender_name: str | None
    campaign_type: str | None
    category: str | None
    template_id: str | None
    send_at: datetime | None
    template_type: str | None
    content_length: int | None = strawberry.field(
        description="Visible characters of the body (null: no body imported).")
    link_count: int | None
    image_count: int | None
    cta_count: int | None = strawberry.field(
        description="Calls to action in the body: buttons and links styled as buttons.")

    @classmethod
    def from_row(cls, row: models.Campaign) -> Campaign:
        return cls(id=strawberry.ID(row.campaign_id), name=row.name,
                   subject_line=row.subject_line, sender_name=row.sender_name,
                   campaign_type=row.campaign_type, category=row.category,
                   template_id=row.template_id, send_at=row.send_at,
                   template_type=row.template_type, content_length=row.content_length,
                   link_count=row.link_count, image_count=row.image_count,
                   cta_count=row.cta_count)

    @strawberry.field
    async def variants(self, info: Info[Context, Any]) -> list[CampaignVariant]:
        rows = await info.context.loaders.variants.load(str(self.id))
        return [CampaignVariant.from_row(row) for row in rows]

    @strawberry.field
    async def metrics(self, info: Info[Context, Any]) -> CampaignMetrics:
        totals = await info.context.loaders.metrics.load(str(self.id))
        return CampaignMetrics.from_totals(totals, info.context.settings.currency,
                                           str(self.id))

    @strawberry.field(description="The campaign's metrics per variant, segment, mailbox "
                                  "provider, device or send day.")
    async def metrics_by(self, info: Info[Context, Any],
                         dimension: BreakdownDimension) -> MetricsBreakdown:
        return await campaign_metrics_by(info, str(self.id), dimension)

    @strawberry.field(description="The campaign's sends, optionally only those with status; "
                                  "ordered by send time.")
    async def recipients(self, info: Info[Context, Any], status: RecipientStatus | None = None,
                         first: int = DEFAULT_PAGE,
                         after: str | None = None) -> Connection[Recipient]:
        return await campaign_recipients(info, str(self.id), status, first, after)

    @strawberry.field(description="Revenue the model credits to this campaign, with journeys "
                                  "grouped by campaign (see the attribution query); a page of "
                                  "campaigns shares one computation.")
    async def attributed_revenue(self, info: Info[Context, Any], model: AttributionModel,
                                 from_: FromArg = None, to: ToArg = None,
                                 lookback_days: LookbackArg = None,
                                 email_kinds: KindsArg = None, half_life_days: HalfLifeArg = 7.0,
                                 position_weights: PositionWeightsInput | None = None,
                                 ) -> Decimal:
        return await campaign_attributed_revenue(info, str(self.id), model, from_, to,
                                                 lookback_days, email_kinds, half_life_days,
                                                 position_weights)
