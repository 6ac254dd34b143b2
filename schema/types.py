"""GraphQL object types, each built from its table row by ``from_row``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.loaders import MetricTotals
from server.db import models


@strawberry.type(description="Delivery and engagement totals over all days and variants.")
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

    @classmethod
    def from_totals(cls, totals: MetricTotals, currency: str) -> CampaignMetrics:
        return cls(**totals.counts, revenue=totals.revenue, currency=currency)


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
        return CampaignMetrics.from_totals(totals, info.context.settings.currency)


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
