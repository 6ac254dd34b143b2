"""Trigger reads: the triggers, the templates and the firing log. Needs viewer."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from analytics.triggers.definitions import TEMPLATES
from schema.context import Context, require
from schema.pagination import DEFAULT_PAGE, Connection, connection, page_window
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
    @strawberry.field(description="The triggers in force, highest priority first "
                                  "(archived: true lists the archived ones too).")
    async def triggers(self, info: Info[Context, Any],
                       archived: bool = False) -> list[Trigger]:
        require(info, "viewer")
        rows = await asyncio.to_thread(runner.list_triggers, info.context.engine,
                                       archived=archived)
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

    @strawberry.field(description="The event types a definition may name: web behaviour, "
                                  "order, segment_entered and segment_left.")
    def trigger_event_types(self, info: Info[Context, Any]) -> list[str]:
        require(info, "viewer")
        return list(runner.EVENT_TYPES)

    @strawberry.field(description="The firing log, newest due first: every decided "
                                  "occasion with its status and reason; filter by trigger, "
                                  "customer, status and due time (since inclusive, until "
                                  "exclusive).")
    async def trigger_firings(self, info: Info[Context, Any],
                              trigger_id: strawberry.ID | None = None,
                              customer_id: strawberry.ID | None = None,
                              status: str | None = None, since: datetime | None = None,
                              until: datetime | None = None, first: int = DEFAULT_PAGE,
                              after: str | None = None) -> Connection[TriggerFiring]:
        require(info, "viewer")
        offset, limit = page_window(first, after)
        for name, moment in (("since", since), ("until", until)):
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name}: {moment.isoformat()} has no offset; write one "
                                 "such as 2026-03-01T00:00:00Z")
        log = runner.FiringFilter(
            trigger_id=_id(trigger_id), status=status, since=since, until=until,
            customer_id=None if customer_id is None else str(customer_id))
        try:
            rows, total = await asyncio.to_thread(runner.firing_page, info.context.engine, log,
                                                  first=limit + 1, offset=offset)
        except runner.TriggerProblem as problem:
            raise ValueError(str(problem)) from None
        return connection(rows, offset=offset, first=limit, total=total,
                          to_node=TriggerFiring.from_row)
