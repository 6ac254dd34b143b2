"""Trigger, firing and template object types."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from analytics.triggers.policy import STATUSES
from schema.context import Context
from server.db import models
from server.runners import triggers as runner


@strawberry.type(description="One saved version of a trigger: what it was from savedAt "
                             "until the next version.")
class TriggerVersion:
    version: int
    name: str
    definition: str
    enabled: bool
    priority: int
    cooldown_seconds: int | None
    max_firings: int | None
    webhook_url: str | None
    saved_at: datetime

    @classmethod
    def from_row(cls, row: models.TriggerVersion) -> TriggerVersion:
        return cls(version=row.version, name=row.name, definition=row.definition,
                   enabled=row.enabled, priority=row.priority,
                   cooldown_seconds=row.cooldown_seconds, max_firings=row.max_firings,
                   webhook_url=row.webhook_url, saved_at=row.saved_at)


@strawberry.type(description="A trigger: a behaviour sequence (and optional profile rule), "
                             "its limits and the webhook its firings are posted to.")
class Trigger:
    id: strawberry.ID
    name: str
    definition: str = strawberry.field(description="Canonical JSON (see the README).")
    enabled: bool
    priority: int
    cooldown_seconds: int | None
    max_firings: int | None
    webhook_url: str | None
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(description="Bumped by every saved edit.")
    archived_at: datetime | None = strawberry.field(
        description="When the trigger was archived (it decides nothing more); null while "
                    "in force.")

    @classmethod
    def from_row(cls, row: models.TriggerDefinition) -> Trigger:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, definition=row.definition,
                   enabled=row.enabled, priority=row.priority,
                   cooldown_seconds=row.cooldown_seconds, max_firings=row.max_firings,
                   webhook_url=row.webhook_url, created_at=row.created_at,
                   updated_at=row.updated_at, version=row.version,
                   archived_at=row.archived_at)

    @strawberry.field(description="Every saved version, newest first; a firing's "
                                  "triggerVersion names the one that decided it.")
    async def versions(self, info: Info[Context, Any]) -> list[TriggerVersion]:
        rows = await asyncio.to_thread(runner.versions, info.context.engine, int(self.id))
        return [TriggerVersion.from_row(row) for row in rows]


@strawberry.type(description="One decided occasion of a trigger, fired or not, and why.")
class TriggerFiring:
    id: strawberry.ID
    trigger_id: strawberry.ID
    trigger_version: int = strawberry.field(description="The trigger's version that decided "
                                                        "this occasion.")
    customer_id: str
    occasion_key: str = strawberry.field(description="Such as cart_id:c1.")
    status: str = strawberry.field(description="One of " + ", ".join(STATUSES) + ".")
    reason: str
    due_at: datetime = strawberry.field(description="Event time the occasion fell due.")
    decided_at: datetime
    delivered_at: datetime | None
    delivery_status: int | None

    @classmethod
    def from_row(cls, row: models.TriggerFiring) -> TriggerFiring:
        return cls(id=strawberry.ID(str(row.id)), trigger_id=strawberry.ID(str(row.trigger_id)),
                   trigger_version=row.trigger_version, customer_id=row.customer_id,
                   occasion_key=row.occasion_key,
                   status=row.status, reason=row.reason, due_at=row.due_at,
                   decided_at=row.decided_at, delivered_at=row.delivered_at,
                   delivery_status=row.delivery_status)


@strawberry.type(description="A ready trigger to start from.")
class TriggerTemplate:
    id: str
    name: str
    description: str
    definition: str
    cooldown: str | None
    max_firings: int | None

    @classmethod
    def from_entry(cls, key: str, entry: dict[str, object]) -> TriggerTemplate:
        cooldown, maximum = entry["cooldown"], entry["max_firings"]
        return cls(id=key, name=str(entry["name"]), description=str(entry["description"]),
                   definition=json.dumps(entry["definition"], sort_keys=True),
                   cooldown=None if cooldown is None else str(cooldown),
                   max_firings=maximum if isinstance(maximum, int) else None)


@strawberry.type(description="A named value a trigger's set_attribute action put on the "
                             "customer.")
class CustomerAttribute:
    name: str
    value: str
    trigger_id: strawberry.ID | None
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.CustomerAttribute) -> CustomerAttribute:
        return cls(name=row.name, value=row.value, updated_at=row.updated_at,
                   trigger_id=None if row.trigger_id is None
                   else strawberry.ID(str(row.trigger_id)))
