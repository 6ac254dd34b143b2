"""Webhook inbox reads. Needs the analyst role (kept payloads hold recipients)."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.types import Info

from schema.context import Context, require
from schema.webhooks.types import (
    QuarantinedWebhookEvent,
    WebhookDelivery,
    WebhookOverview,
    WebhookProviderInbox,
)
from server.runners import webhooks as runner

OVERVIEW = ("Deliveries per provider, the latest deliveries and the kept events. Needs "
            "the analyst role.")


@strawberry.type
class WebhookQuery:
    @strawberry.field(description=OVERVIEW)
    async def webhooks(self, info: Info[Context, Any], recent: int = 50,
                       include_resolved: bool = False) -> WebhookOverview:
        require(info, "analyst")
        found = await asyncio.to_thread(runner.overview, info.context.engine,
                                        recent=max(1, min(recent, 500)),
                                        include_resolved=include_resolved)
        return WebhookOverview(
            providers=[WebhookProviderInbox(provider=p.provider, received=p.received,
                                            waiting=p.waiting) for p in found.providers],
            deliveries=[WebhookDelivery.from_row(row) for row in found.deliveries],
            quarantine=[QuarantinedWebhookEvent.from_row(row) for row in found.quarantine])
