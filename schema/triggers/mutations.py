"""Trigger writes: create (from a definition or a template), pause and resume. Needs
analyst."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from schema.context import Context, require
from schema.errors import Error
from schema.triggers.types import Trigger
from server.runners import triggers as runner


@strawberry.input
class TriggerInput:
    name: str
    definition: str | None = strawberry.field(
        default=None, description="JSON; may be left out when a template is given.")
    template: str | None = strawberry.field(
        default=None, description="cart_abandonment, browse_abandonment or "
                                  "high_value_engagement.")
    webhook_url: str | None = None
    cooldown: str | None = strawberry.field(default=None, description="Such as 1d or 6h.")
    max_firings: int | None = None
    priority: int = 0
    enabled: bool = True


@strawberry.type(description="The trigger write was refused; nothing changed.")
class TriggerRefused(Error):
    field: str = strawberry.field(description="The input field at fault.")


@strawberry.type(description="A new trigger and the secret its webhooks are signed with: "
                             "shown only here, keep it in the receiving tool.")
class TriggerCreated:
    trigger: Trigger
    webhook_secret: str


CreateTriggerResult = Annotated[TriggerCreated | TriggerRefused,
                                strawberry.union("CreateTriggerResult")]
TriggerResult = Annotated[Trigger | TriggerRefused, strawberry.union("TriggerResult")]


@strawberry.type
class TriggerMutation:
    @strawberry.mutation(description="Create a trigger. Needs analyst.")
    async def create_trigger(self, info: Info[Context, Any],
                             input: TriggerInput) -> CreateTriggerResult:
        require(info, "analyst")
        try:
            created = await asyncio.to_thread(
                runner.create_trigger, info.context.engine, name=input.name,
                definition=input.definition, template=input.template,
                webhook_url=input.webhook_url, cooldown=input.cooldown,
                max_firings=input.max_firings, priority=input.priority,
                enabled=input.enabled)
        except runner.TriggerProblem as problem:
            return TriggerRefused(message=str(problem), field=problem.field)
        return TriggerCreated(trigger=Trigger.from_row(created.trigger),
                              webhook_secret=created.secret)

    @strawberry.mutation(description="Pause (enabled: false) or resume a trigger. A paused "
                                     "trigger fires nothing and logs each occasion as "
                                     "paused. Needs analyst.")
    async def set_trigger_enabled(self, info: Info[Context, Any], id: strawberry.ID,
                                  enabled: bool) -> TriggerResult:
        require(info, "analyst")
        try:
            trigger_id = int(str(id))
        except ValueError:
            trigger_id = 0
        row = await asyncio.to_thread(runner.set_enabled, info.context.engine, trigger_id,
                                      enabled)
        if row is None:
            return TriggerRefused(message=f"id: no trigger {id}; triggers {{ id }} lists them",
                                  field="id")
        return Trigger.from_row(row)
