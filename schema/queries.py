"""Read queries: campaigns, customers, segments and jobs. Every read needs the viewer role."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select
from strawberry.types import Info

from schema.context import Context, in_session, require
from schema.pagination import DEFAULT_PAGE, Connection, connection, page_window
from schema.types import Campaign, Customer, Job, JobState, Segment
from server.db import models
from server.db.repository.jobs import get_job_run


@strawberry.enum
class CampaignOrderField(Enum):
    SEND_AT = "send_at"
    NAME = "name"
    ID = "campaign_id"


@strawberry.enum
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input
class CampaignOrder:
    field: CampaignOrderField = CampaignOrderField.SEND_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input
class CampaignFilter:
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive text in the name or subject line.")
    campaign_type: str | None = None
    category: str | None = None
    sent_from: datetime | None = strawberry.field(
        default=None, description="Sent at or after this instant.")
    sent_to: datetime | None = strawberry.field(
        default=None, description="Sent before this instant.")


@strawberry.input
class CustomerFilter:
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive text in the email or name.")
    country: str | None = None
    email_domain: str | None = None


def _like(text: str) -> str:
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    return func.lower(column).like(_like(text), escape="\\")


def campaign_conditions(where: CampaignFilter | None) -> list[ColumnElement[bool]]:
    if where is None:
        return []
    conditions: list[ColumnElement[bool]] = []
    if where.search and where.search.strip():
        conditions.append(or_(_contains(models.Campaign.name, where.search),
                              _contains(models.Campaign.subject_line, where.search)))
    if where.campaign_type:
        conditions.append(col(models.Campaign.campaign_type) == where.campaign_type)
    if where.category:
        conditions.append(col(models.Campaign.category) == where.category)
    for name, value in (("sentFrom", where.sent_from), ("sentTo", where.sent_to)):
        if value is not None and value.tzinfo is None:
            raise ValueError(f"filter.{name}: {value.isoformat()} has no timezone; "
                             "add one, e.g. 2026-03-01T00:00:00Z")
    if where.sent_from is not None:
        conditions.append(col(models.Campaign.send_at) >= where.sent_from)
    if where.sent_to is not None:
        conditions.append(col(models.Campaign.send_at) < where.sent_to)
    return conditions


def customer_conditions(where: CustomerFilter | None) -> list[ColumnElement[bool]]:
    if where is None:
        return []
    conditions: list[ColumnElement[bool]] = []
    if where.search and where.search.strip():
        conditions.append(or_(_contains(models.Customer.email, where.search),
                              _contains(models.Customer.first_name, where.search),
                              _contains(models.Customer.last_name, where.search)))
    if where.country:
        conditions.append(col(models.Customer.country) == where.country.strip().upper())
    if where.email_domain:
        conditions.append(col(models.Customer.email_domain)
                          == where.email_domain.strip().lower())
    return conditions


def _page(session: Session, model: Any, conditions: list[ColumnElement[bool]],
          order: list[Any], offset: int, first: int) -> tuple[list[Any], int]:
    rows = session.exec(select(model).where(*conditions).order_by(*order)
                        .offset(offset).limit(first + 1)).all()
    total = session.exec(select(func.count()).select_from(model).where(*conditions)).one()
    return list(rows), int(total)


def campaign_order(order: CampaignOrder | None) -> list[Any]:
    order = order or CampaignOrder()
    column = col(getattr(models.Campaign, order.field.value))
    tiebreak = col(models.Campaign.campaign_id)
    if order.direction is OrderDirection.ASC:
        # NULLS LAST in both directions: unscheduled campaigns go to the end on both
        # databases (SQLite and PostgreSQL disagree on the default).
        return [column.asc().nulls_last(), tiebreak.asc()]
    return [column.desc().nulls_last(), tiebreak.desc()]


@strawberry.type
class Query:
    @strawberry.field(description="Campaigns, newest send first unless orderBy says otherwise.")
    async def campaigns(self, info: Info[Context, Any], first: int = DEFAULT_PAGE,
                        after: str | None = None, filter: CampaignFilter | None = None,
                        order_by: CampaignOrder | None = None) -> Connection[Campaign]:
        require(info, "viewer")
        offset, limit = page_window(first, after)
        conditions = campaign_conditions(filter)
        order = campaign_order(order_by)
        rows, total = await in_session(
            info, lambda session: _page(session, models.Campaign, conditions, order,
                                        offset, limit))
        return connection(rows, offset=offset, first=limit, total=total,
                          to_node=Campaign.from_row)

    @strawberry.field
    async def campaign(self, info: Info[Context, Any], id: strawberry.ID) -> Campaign | None:
        require(info, "viewer")
        row = await in_session(info, lambda session: session.get(models.Campaign, str(id)))
        return Campaign.from_row(row) if row is not None else None

    @strawberry.field(description="Customers ordered by id.")
    async def customers(self, info: Info[Context, Any], first: int = DEFAULT_PAGE,
                        after: str | None = None,
                        filter: CustomerFilter | None = None) -> Connection[Customer]:
        require(info, "viewer")
        offset, limit = page_window(first, after)
        conditions = customer_conditions(filter)
        order = [col(models.Customer.customer_id).asc()]
        rows, total = await in_session(
            info, lambda session: _page(session, models.Customer, conditions, order,
                                        offset, limit))
        return connection(rows, offset=offset, first=limit, total=total,
                          to_node=Customer.from_row)

    @strawberry.field
    async def customer(self, info: Info[Context, Any], id: strawberry.ID) -> Customer | None:
        require(info, "viewer")
        row = await in_session(info, lambda session: session.get(models.Customer, str(id)))
        return Customer.from_row(row) if row is not None else None

    @strawberry.field(description="Every segment, by name.")
    async def segments(self, info: Info[Context, Any]) -> list[Segment]:
        require(info, "viewer")
        rows = await in_session(info, lambda session: session.exec(
            select(models.Segment).order_by(col(models.Segment.name),
                                            col(models.Segment.segment_id))).all())
        return [Segment.from_row(row) for row in rows]

    @strawberry.field(description="Job runs, newest first.")
    async def jobs(self, info: Info[Context, Any], first: int = DEFAULT_PAGE,
                   after: str | None = None, state: JobState | None = None) -> Connection[Job]:
        require(info, "viewer")
        offset, limit = page_window(first, after)
        conditions = [] if state is None else [col(models.JobRun.state) == state.value]
        order = [col(models.JobRun.id).desc()]
        rows, total = await in_session(
            info, lambda session: _page(session, models.JobRun, conditions, order,
                                        offset, limit))
        return connection(rows, offset=offset, first=limit, total=total, to_node=Job.from_row)

    @strawberry.field
    async def job(self, info: Info[Context, Any], id: strawberry.ID) -> Job | None:
        require(info, "viewer")
        try:
            job_id = int(id)
        except ValueError:
            return None
        row = await in_session(info, lambda session: get_job_run(session=session,
                                                                 job_id=job_id))
        return Job.from_row(row) if row is not None else None
