"""Writes through ingestion: GraphQL inputs become the records a file import would carry,
so a GraphQL write can never store what an import would refuse. Refusals come back as
typed ``ValidationErrors``, not as GraphQL errors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import strawberry
from sqlmodel import Session, SQLModel
from strawberry.types import Info

from schema.context import Context, in_session, require
from schema.errors import FieldError, NotFound, ValidationErrors
from server.db.emails import is_hashed
from server.runners.ingest import derived_columns, record

RowT = TypeVar("RowT", bound=SQLModel)
NodeT = TypeVar("NodeT")

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


def record_of(kind: str, values: dict[str, Any]) -> dict[str, Any]:
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
    outcome = await asyncio.to_thread(record, info.context.engine, kind, records)
    if isinstance(outcome, list):
        return None, validation_errors(kind, outcome)
    return outcome, None


def input_values(data: object) -> dict[str, Any]:
    return {name: getattr(data, name) for name in data.__dataclass_fields__}  # type: ignore[attr-defined]


async def upsert(info: Info[Context, Any], kind: str, model: type[RowT], row_id: str,
                 values: dict[str, Any], to_node: Callable[[RowT], NodeT], *,
                 must_exist: bool) -> NodeT | ValidationErrors | NotFound:
    """Create (or, with ``must_exist``, update) the ``model`` row ``row_id`` through
    ingestion; the stored row as ``to_node`` makes it, or the refusal."""
    require(info, "admin")
    existing = await in_session(info, lambda session: session.get(model, row_id))
    if must_exist:
        if existing is None:
            return NotFound(id=strawberry.ID(row_id),
                            message=f"No {kind[:-1]} has id {row_id!r}; create it first.")
        base = existing.model_dump()
        if is_hashed(str(base.get("email", ""))) and record_of(kind, values).get(
                "email") is None:
            # The address is only a hash; ingestion needs it to check it and take its domain.
            message = ("addresses are stored hashed (MAILSCOPE_EMAIL_HASHING), so a change "
                       "needs the customer's address again: give email too")
            return ValidationErrors(message=f"Nothing was stored: row 1 email: {message}",
                                    errors=[FieldError(row=1, column="email", value=None,
                                                       message=message)])
        for name in derived_columns(kind):  # ingestion fills these itself
            base.pop(name, None)
        record = {**{k: _value(v) for k, v in base.items()}, **record_of(kind, values)}
    else:
        record = record_of(kind, values)
    _, refusal = await ingest(info, kind, [record])
    if refusal is not None:
        return refusal

    def reload(session: Session) -> RowT:
        row = session.get(model, row_id)
        if row is None:  # ingestion just stored it
            raise LookupError(f"{kind} row {row_id!r} is missing right after it was stored")
        return row

    return to_node(await in_session(info, reload))
