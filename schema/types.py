"""GraphQL object types, each built from its table row by ``from_row``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from analytics.metrics import METRIC_NAMES
from schema.attribution import (
    FromArg,
    HalfLifeArg,
    KindsArg,
    LookbackArg,
    ToArg,
    campaign_attributed_revenue,
)
from schema.attribution_types import AttributionModel, PositionWeightsInput
from schema.campaign_fields import (
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
from schema.metric_types import MetricsBreakdown, MetricValue
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

    @classmethod
    def from_row(cls, row: models.Campaign) -> Campaign:
        return cls(id=strawberry.ID(row.campaign_id), name=row.name,
                   subject_line=row.subject_line, sender_name=row.sender_name,
                   campaign_type=row.campaign_type, category=row.category,
                   template_id=row.template_id, send_at=row.send_at)

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


@strawberry.type
class Customer:
    id: strawberry.ID
    email: str
    first_name: str | None
    last_name: str | None
    signup_at: datetime | None
    country: str | None
    timezone: str | None
    email_domain: str

    @classmethod
    def from_row(cls, row: models.Customer) -> Customer:
        return cls(id=strawberry.ID(row.customer_id), email=row.email,
                   first_name=row.first_name, last_name=row.last_name,
                   signup_at=row.signup_at, country=row.country, timezone=row.timezone,
                   email_domain=row.email_domain)


@strawberry.type
class Segment:
    id: strawberry.ID
    name: str
    description: str | None

    @classmethod
    def from_row(cls, row: models.Segment) -> Segment:
        return cls(id=strawberry.ID(row.segment_id), name=row.name,
                   description=row.description)

    @strawberry.field
    async def member_count(self, info: Info[Context, Any]) -> int:
        return await info.context.loaders.member_counts.load(str(self.id))


@strawberry.enum
class JobState(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@strawberry.enum(description="Jobs a caller may start with runJob.")
class JobActor(Enum):
    REBUILD_ROLLUPS = "rebuild_rollups"
    REFRESH_REPORT_ROLLUPS = strawberry.enum_value(
        "refresh_report_rollups",
        description="Recompute the provider, send-hour and segment breakdowns that changed.")


@strawberry.type
class Job:
    id: strawberry.ID
    actor: str
    state: JobState
    progress: float = strawberry.field(description="0.0 to 1.0.")
    detail: str | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: models.JobRun) -> Job:
        return cls(id=strawberry.ID(str(row.id)), actor=row.actor, state=JobState(row.state),
                   progress=row.progress, detail=row.detail, error=row.error,
                   created_at=row.created_at, started_at=row.started_at,
                   finished_at=row.finished_at)


@strawberry.interface(description="A problem the caller can fix; message says how.")
class Error:
    message: str


@strawberry.type
class FieldError:
    row: int = strawberry.field(description="1-based position in the submitted list.")
    column: str
    value: str | None
    message: str


@strawberry.type(description="The input was refused; nothing was stored.")
class ValidationErrors(Error):
    errors: list[FieldError]


@strawberry.type
class NotFound(Error):
    id: strawberry.ID


@strawberry.type
class JobNotStarted(Error):
    pass


@strawberry.type(description="Rows accepted by recordEvents or recordOrders.")
class IngestSummary:
    received: int
    stored: int
