"""Trigger reads: the triggers, the templates and the firing log. Needs viewer."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.types import Info

from analytics.triggers.definitions import TEMPLATES
from schema.context import Context, require
from schema.pagination import MAX_PAGE
from schema.triggers.types import Trigger, TriggerFiring, TriggerTemplate
from server.runners import triggers as runner


def _id(value: strawberry.ID | None) -> int | None:
    if value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        raise ValueError(f"trigger id {value!r} is not a number: use the id from "
                         "triggers { id }") from None


@strawberry.type
class TriggerQuery:
    @strawberry.field(description="Every trigger, highest priority first.")
    async def triggers(self, info: Info[Context, Any]) -> list[Trigger]:
        require(info, "viewer")
        rows = await asyncio.to_thread(runner.list_triggers, info.context.engine)
        return [Trigger.from_row(row) for row in rows]

    @strawberry.field
    async def trigger(self, info: Info[Context, Any], id: strawberry.ID) -> Trigger | None:
        require(info, "viewer")
        row = await asyncio.to_thread(runner.get_trigger, info.context.engine, _id(id) or 0)
        return None if row is None else Trigger.from_row(row)

    @strawberry.field(description="The ready templates: cart abandonment, browse "
                                  "abandonment and high-value engagement.")
    def trigger_templates(self, info: Info[Context, Any]) -> list[TriggerTemplate]:
        require(info, "viewer")
        return [TriggerTemplate.from_entry(key, entry) for key, entry in TEMPLATES.items()]

    @strawberry.field(description="The firing log, newest due first: every decided "
                                  "occasion with its status and reason.")
    async def trigger_firings(self, info: Info[Context, Any],
                              trigger_id: strawberry.ID | None = None,
                              customer_id: strawberry.ID | None = None,
                              status: str | None = None,
                              first: int = 50) -> list[TriggerFiring]:
        require(info, "viewer")
        rows = await asyncio.to_thread(
            runner.firings, info.context.engine, trigger_id=_id(trigger_id),
            customer_id=None if customer_id is None else str(customer_id), status=status,
            first=max(1, min(first, MAX_PAGE)))
        return [TriggerFiring.from_row(row) for row in rows]
