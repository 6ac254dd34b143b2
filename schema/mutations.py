"""Mutations. Data changes go through the same validation path as file imports
(``server.ingest.ingest_records``), so a GraphQL write can never store what an import
would refuse. Refusals come back as typed ``ValidationErrors``, not as GraphQL errors.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from sqlmodel import Session
from strawberry.types import Info

from schema.context import Context, in_session, require
from schema.types import (
    Campaign,
    Customer,
    FieldError,
    IngestSummary,
    Job,
    JobActor,
    JobNotStarted,
    NotFound,
    ValidationErrors,
)
from server.db import models
from server.db.repository.jobs import get_job_run


@strawberry.input
class CampaignInput:
    id: strawberry.ID
    name: str
    subject_line: str | None = None
    sender_name: str | None = None
    campaign_type: str | None = None
    category: str | None = None
    template_id: str | None = None
    send_at: datetime | None = None


@strawberry.input(description="Fields to change; omitted fields keep their value.")
class CampaignPatch:
    name: str | None = strawberry.UNSET
    subject_line: str | None = strawberry.UNSET
    sender_name: str | None = strawberry.UNSET
    campaign_type: str | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    template_id: str | None = strawberry.UNSET
    send_at: datetime | None = strawberry.UNSET


@strawberry.input
class CustomerInput:
    id: strawberry.ID
    email: str
    first_name: str | None = None
    last_name: str | None = None
    signup_at: datetime | None = None
    country: str | None = None
    timezone: str | None = None


@strawberry.input(description="Fields to change; omitted fields keep their value.")
class CustomerPatch:
    email: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    signup_at: datetime | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET


@strawberry.input
class EmailEventInput:
    id: strawberry.ID = strawberry.field(description="Event id; a replayed id is ignored.")
    type: str = strawberry.field(description="delivered, open, click, bounce, unsubscribe, "
                                             "complaint, deferred or dropped.")
    occurred_at: datetime
    message_id: str
    campaign_id: str
    customer_id: str
    url: str | None = None
    user_agent: str | None = None
    machine_open: bool = False
    bounce_type: str | None = None


@strawberry.input
class OrderItemInput:
    product_id: str
    quantity: int
    price: Decimal


@strawberry.input
class OrderInput:
    id: strawberry.ID
    customer_id: str
    occurred_at: datetime
    amount: Decimal
    currency: str
    items: list[OrderItemInput] | None = None


CampaignResult = Annotated[Campaign | ValidationErrors | NotFound,
                           strawberry.union("CampaignResult")]
CustomerResult = Annotated[Customer | ValidationErrors | NotFound,
                           strawberry.union("CustomerResult")]
IngestResult = Annotated[IngestSummary | ValidationErrors, strawberry.union("IngestResult")]
RunJobResult = Annotated[Job | JobNotStarted, strawberry.union("RunJobResult")]

# Table column -> GraphQL input field, so errors name the field the caller actually sent.
_FIELD_NAMES = {"campaign_id": "id", "customer_id": "id", "event_id": "id", "order_id": "id"}
_OWN_ID = {"campaigns": "campaign_id", "customers": "customer_id", "events": "event_id",
           "orders": "order_id"}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _field_name(kind: str, column: str) -> str:
    if column == _OWN_ID.get(kind):
        return "id"
    return _camel(column)


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _record(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """An ingestion record: table column names, JSON-plain values (as a file would carry)."""
    record: dict[str, Any] = {}
    for name, value in values.items():
        if value is strawberry.UNSET:
            continue
        column = _OWN_ID[kind] if name == "id" else name
        record[column] = _value(value)
    return record


def validation_errors(kind: str, errors: list[Any]) -> ValidationErrors:
    fields = [FieldError(row=int(error.row), column=_field_name(kind, str(error.column)),
                         value=None if error.value is None else str(error.value),
                         message=str(error.message)) for error in errors]
    summary = "; ".join(f"row {error.row} {error.column}: {error.message}" for error in fields)
    return ValidationErrors(message=f"Nothing was stored: {summary}", errors=fields)


async def ingest(info: Info[Context, Any], kind: str,
                 records: list[dict[str, Any]]) -> tuple[Any, ValidationErrors | None]:
    """Run ``records`` through ingestion; (report, None) or (None, the refusal)."""
    from server.ingest import IngestError, ingest_records

    try:
        report = await asyncio.to_thread(ingest_records, kind, records,
                                         engine=info.context.engine)
    except IngestError as error:
        return None, validation_errors(kind, list(error.errors))
    return report, None


def _input_values(data: object) -> dict[str, Any]:
    return {name: getattr(data, name) for name in data.__dataclass_fields__}  # type: ignore[attr-defined]


def _items_json(items: list[OrderItemInput] | None) -> str | None:
    if items is None:
        return None
    return json.dumps([{"product_id": item.product_id, "quantity": item.quantity,
                        "price": str(item.price)} for item in items])


async def _upsert(info: Info[Context, Any], kind: str, model: Any, row_id: str,
                  values: dict[str, Any], to_type: Any, *, must_exist: bool) -> Any:
    require(info, "admin")
    existing = await in_session(info, lambda session: session.get(model, row_id))
    if must_exist and existing is None:
        return NotFound(id=strawberry.ID(row_id),
                        message=f"No {kind[:-1]} has id {row_id!r}; create it first.")
    if must_exist:
        base = existing.model_dump()
        base.pop("email_domain", None)
        record = {**{k: _value(v) for k, v in base.items()}, **_record(kind, values)}
    else:
        record = _record(kind, values)
    _, refusal = await ingest(info, kind, [record])
    if refusal is not None:
        return refusal

    def reload(session: Session) -> Any:
        return session.get(model, row_id)

    return to_type.from_row(await in_session(info, reload))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Needs admin.")
    async def create_campaign(self, info: Info[Context, Any],
                              input: CampaignInput) -> CampaignResult:
        return await _upsert(info, "campaigns", models.Campaign, str(input.id),
                             _input_values(input), Campaign, must_exist=False)

    @strawberry.mutation(description="Needs admin.")
    async def update_campaign(self, info: Info[Context, Any], id: strawberry.ID,
                              patch: CampaignPatch) -> CampaignResult:
        return await _upsert(info, "campaigns", models.Campaign, str(id),
                             _input_values(patch), Campaign, must_exist=True)

    @strawberry.mutation(description="Needs admin.")
    async def create_customer(self, info: Info[Context, Any],
                              input: CustomerInput) -> CustomerResult:
        return await _upsert(info, "customers", models.Customer, str(input.id),
                             _input_values(input), Customer, must_exist=False)

    @strawberry.mutation(description="Needs admin.")
    async def update_customer(self, info: Info[Context, Any], id: strawberry.ID,
                              patch: CustomerPatch) -> CustomerResult:
        return await _upsert(info, "customers", models.Customer, str(id),
                             _input_values(patch), Customer, must_exist=True)

    @strawberry.mutation(description="Needs the ingest or admin role.")
    async def record_events(self, info: Info[Context, Any],
                            events: list[EmailEventInput]) -> IngestResult:
        require(info, "ingest")
        records = [_record("events", _input_values(event)) for event in events]
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
            values = _input_values(order)
            values["items"] = _items_json(order.items)
            records.append(_record("orders", values))
        report, refusal = await ingest(info, "orders", records)
        if refusal is not None:
            return refusal
        return IngestSummary(received=len(records), stored=report.stored)

    @strawberry.mutation(description="Start a background job. Needs analyst.")
    async def run_job(self, info: Info[Context, Any], actor: JobActor) -> RunJobResult:
        require(info, "analyst")
        import jobs

        try:
            job_id = await asyncio.to_thread(jobs.send, actor.value)
        except Exception as error:  # the broker is down or refused the message
            return JobNotStarted(message=f"{actor.name} was not started: {error}. "
                                         "Check the worker/broker and try again.")
        row = await in_session(info, lambda session: get_job_run(session=session,
                                                                 job_id=job_id))
        if row is None:
            return JobNotStarted(message=f"job {job_id} was queued on another database; "
                                         "check MAILSCOPE_DATABASE_URL of server and workers")
        return Job.from_row(row)
