"""Events and orders recorded through the API. Needs the ingest or admin role."""

from __future__ import annotations

import json
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from schema.context import Context, require
from schema.errors import ValidationErrors
from schema.ingest.inputs import EmailEventInput, OrderInput, OrderItemInput
from schema.ingest.records import ingest, input_values, record_of
from schema.ingest.types import IngestSummary

IngestResult = Annotated[IngestSummary | ValidationErrors, strawberry.union("IngestResult")]


def _items_json(items: list[OrderItemInput] | None) -> str | None:
    if items is None:
        return None
    return json.dumps([{"product_id": item.product_id, "quantity": item.quantity,
                        "price": str(item.price)} for item in items])


@strawberry.type
class IngestMutation:
    @strawberry.mutation(description="Needs the ingest or admin role.")
    async def record_events(self, info: Info[Context, Any],
                            events: list[EmailEventInput]) -> IngestResult:
        require(info, "ingest")
        records = [record_of("events", input_values(event)) for event in events]
        report, refusal = await ingest(info, "events", records)
        if refusal is not None:
            return refusal
        return IngestSummary(received=len(records), stored=report.stored)

    @strawberry.mutation(description="Needs the ingest or admin role.")
    async def record_orders(self, info: Info[Context, Any],
                            orders: list[OrderInput]) -> IngestResult:
        require(info, "ingest")
        records = []
        for order in orders:
            values = input_values(order)
            values["items"] = _items_json(order.items)
            records.append(record_of("orders", values))
        report, refusal = await ingest(info, "orders", records)
        if refusal is not None:
            return refusal
        return IngestSummary(received=len(records), stored=report.stored)
