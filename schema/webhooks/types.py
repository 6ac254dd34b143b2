"""Webhook deliveries and kept events as the API shows them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from server.db import models


@strawberry.type(description="Deliveries received from one provider.")
class WebhookProviderInbox:
    provider: str
    received: int
    waiting: int = strawberry.field(description="Received but not folded in yet.")


@strawberry.type(description="One POST a provider made, as received.")
class WebhookDelivery:
    id: strawberry.ID
    provider: str
    received_at: datetime
    folded_at: datetime | None
    events: int
    quarantined: int
    error: str | None
    job_id: strawberry.ID | None

    @classmethod
    def from_row(cls, row: models.WebhookDelivery) -> WebhookDelivery:
        return cls(id=strawberry.ID(str(row.id)), provider=row.provider,
                   received_at=row.received_at, folded_at=row.folded_at, events=row.events,
                   quarantined=row.quarantined, error=row.error,
                   job_id=None if row.job_id is None else strawberry.ID(str(row.job_id)))


@strawberry.type(description="A provider event the mapping could not take, kept aside.")
class QuarantinedWebhookEvent:
    id: strawberry.ID
    provider: str
    event_type: str
    reason: str
    payload: str = strawberry.field(description="The provider's event, as JSON.")
    delivery_id: strawberry.ID | None
    quarantined_at: datetime
    resolved_at: datetime | None

    @classmethod
    def from_row(cls, row: models.WebhookQuarantine) -> QuarantinedWebhookEvent:
        return cls(id=strawberry.ID(str(row.id)), provider=row.provider,
                   event_type=row.event_type, reason=row.reason, payload=row.payload,
                   delivery_id=None if row.delivery_id is None
                   else strawberry.ID(str(row.delivery_id)),
                   quarantined_at=row.quarantined_at, resolved_at=row.resolved_at)


@strawberry.type
class WebhookOverview:
    providers: list[WebhookProviderInbox]
    deliveries: list[WebhookDelivery]
    quarantine: list[QuarantinedWebhookEvent]


@strawberry.type(description="What re-processing kept events did.")
class WebhookReprocessResult:
    events: int = strawberry.field(description="Events the mapping now takes.")
    stored: int = strawberry.field(description="Of those, events new to the ledger.")
    still_kept: int
