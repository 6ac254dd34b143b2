"""Re-processing kept webhook events. Needs the analyst role."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.types import Info

from schema.context import Context, require
from schema.webhooks.types import WebhookReprocessResult
from server.runners import webhooks as runner

REPROCESS = ("Map kept events again (after the mapping learned their type); those it "
             "takes are stored, the rest stay kept. Needs the analyst role.")


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description=REPROCESS)
    async def reprocess_webhook_events(self, info: Info[Context, Any],
                                       ids: list[strawberry.ID]) -> WebhookReprocessResult:
        require(info, "analyst")
        numbers = [int(value) for value in ids if str(value).isdigit()]
        done = await asyncio.to_thread(runner.reprocess, info.context.engine,
                                       info.context.settings, numbers)
        return WebhookReprocessResult(events=done.events, stored=done.stored,
                                      still_kept=done.quarantined)
