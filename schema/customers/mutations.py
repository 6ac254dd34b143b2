"""Customer writes, through ingestion (needs admin), and rule-segment writes (needs
analyst)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from schema.context import Context, require
from schema.customers.inputs import CustomerInput, CustomerPatch, SegmentInput, SegmentPatch
from schema.customers.types import Customer, Segment
from schema.errors import Error, NotFound, ValidationErrors
from schema.ingest.records import input_values, upsert
from server.db import models
from server.runners import customers as runner

CustomerResult = Annotated[Customer | ValidationErrors | NotFound,
                           strawberry.union("CustomerResult")]


@strawberry.type(description="The segment write was refused; nothing changed.")
class SegmentRefused(Error):
    field: str = strawberry.field(description="The input field at fault: id, name or "
                                              "definition.")


@strawberry.type
class SegmentDeleted:
    id: strawberry.ID


SegmentResult = Annotated[Segment | SegmentRefused, strawberry.union("SegmentResult")]
DeleteSegmentResult = Annotated[SegmentDeleted | SegmentRefused,
                                strawberry.union("DeleteSegmentResult")]


async def _segment_write(work: Any) -> Segment | SegmentRefused:
    try:
        row = await asyncio.to_thread(work)
    except runner.SegmentProblem as problem:
        return SegmentRefused(message=str(problem), field=problem.field)
    return Segment.from_row(row)


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(description="Needs admin.")
    async def create_customer(self, info: Info[Context, Any],
                              input: CustomerInput) -> CustomerResult:
        return await upsert(info, "customers", models.Customer, str(input.id),
                             input_values(input), Customer.from_row, must_exist=False)

    @strawberry.mutation(description="Needs admin.")
    async def update_customer(self, info: Info[Context, Any], id: strawberry.ID,
                              patch: CustomerPatch) -> CustomerResult:
        return await upsert(info, "customers", models.Customer, str(id),
                             input_values(patch), Customer.from_row, must_exist=True)

    @strawberry.mutation(description="Create a rule segment; its members are computed at "
                                     "once. Needs analyst.")
    async def create_segment(self, info: Info[Context, Any],
                             input: SegmentInput) -> SegmentResult:
        require(info, "analyst")
        engine = info.context.engine
        return await _segment_write(lambda: runner.create_rule_segment(
            engine, segment_id=str(input.id), name=input.name, definition=input.definition,
            description=input.description))

    @strawberry.mutation(description="Change a rule segment; a new definition recomputes "
                                     "its members. Needs analyst.")
    async def update_segment(self, info: Info[Context, Any], id: strawberry.ID,
                             patch: SegmentPatch) -> SegmentResult:
        require(info, "analyst")
        engine = info.context.engine
        return await _segment_write(lambda: runner.update_rule_segment(
            engine, segment_id=str(id), name=patch.name, definition=patch.definition,
            description=patch.description))

    @strawberry.mutation(description="Delete a rule segment with its membership history. "
                                     "Needs analyst.")
    async def delete_segment(self, info: Info[Context, Any],
                             id: strawberry.ID) -> DeleteSegmentResult:
        require(info, "analyst")
        try:
            await asyncio.to_thread(runner.delete_rule_segment, info.context.engine, str(id))
        except runner.SegmentProblem as problem:
            return SegmentRefused(message=str(problem), field=problem.field)
        return SegmentDeleted(id=id)
