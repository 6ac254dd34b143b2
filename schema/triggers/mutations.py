"""Trigger writes: create (from a definition or a template), edit (each save a new
version), pause and resume, archive. Needs analyst."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from schema.context import Context, require
from schema.errors import Error
from schema.triggers.types import Trigger
from server.db.models import TriggerDefinition
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


@strawberry.input(description="What to change; a field left out stays as it is. Null "
                              "clears webhookUrl, cooldown and maxFirings.")
class TriggerUpdateInput:
    name: str | None = strawberry.UNSET
    definition: str | None = strawberry.field(default=strawberry.UNSET,
                                              description="JSON (see the README).")
    webhook_url: str | None = strawberry.UNSET
    cooldown: str | None = strawberry.field(default=strawberry.UNSET,
                                            description="Such as 1d or 6h.")
    max_firings: int | None = strawberry.UNSET
    priority: int | None = strawberry.UNSET
    enabled: bool | None = strawberry.UNSET


@strawberry.type(description="The trigger write was refused; nothing changed.")
class TriggerRefused(Error):
    field: str = strawberry.field(description="The input field at fault.")
    path: str | None = strawberry.field(
        default=None, description="For a definition: the part at fault, such as "
                                  "sequence.within or profile.")


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
            return refused(problem)
        return TriggerCreated(trigger=Trigger.from_row(created.trigger),
                              webhook_secret=created.secret)

    @strawberry.mutation(description="Edit a trigger: the fields given change and the "
                                     "trigger gets a new version (its firings name the "
                                     "version that decided them). Occasions already "
                                     "decided are never decided again. Needs analyst.")
    async def update_trigger(self, info: Info[Context, Any], id: strawberry.ID,
                             input: TriggerUpdateInput) -> TriggerResult:
        require(info, "analyst")
        changes = {name: getattr(input, name) for name in runner.EDITABLE
                   if getattr(input, name) is not strawberry.UNSET}
        return await _write(info, id, runner.update_trigger, changes)

    @strawberry.mutation(description="Pause (enabled: false) or resume a trigger. A paused "
                                     "trigger fires nothing and logs each occasion as "
                                     "paused. Needs analyst.")
    async def set_trigger_enabled(self, info: Info[Context, Any], id: strawberry.ID,
                                  enabled: bool) -> TriggerResult:
        require(info, "analyst")
        return await _write(info, id, runner.set_enabled, enabled)

    @strawberry.mutation(description="Archive a trigger for good: it decides nothing more "
                                     "and leaves triggers (triggers(archived: true) still "
                                     "lists it); its firing log stays. Needs analyst.")
    async def archive_trigger(self, info: Info[Context, Any],
                              id: strawberry.ID) -> TriggerResult:
        require(info, "analyst")
        return await _write(info, id, runner.archive_trigger)


def refused(problem: runner.TriggerProblem) -> TriggerRefused:
    return TriggerRefused(message=str(problem), field=problem.field, path=problem.path)


async def _write(info: Info[Context, Any], id: strawberry.ID,
                 write: Callable[..., TriggerDefinition | None],
                 *args: Any) -> Trigger | TriggerRefused:
    try:
        trigger_id = int(str(id))
    except ValueError:
        trigger_id = 0
    try:
        row = await asyncio.to_thread(write, info.context.engine, trigger_id, *args)
    except runner.TriggerProblem as problem:
        return refused(problem)
    if row is None:
        return TriggerRefused(message=f"id: no trigger {id}; triggers {{ id }} lists them",
                              field="id")
    return Trigger.from_row(row)
