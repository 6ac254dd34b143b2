"""Campaign reads. Every read needs the viewer role."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import ColumnElement, or_
from sqlmodel import col
from strawberry.types import Info

from schema.campaigns.inputs import CampaignFilter, CampaignOrder, OrderDirection
from schema.campaigns.types import Campaign
from schema.context import Context, in_session, require
from schema.pagination import DEFAULT_PAGE, Connection, connection, page_window
from server.db import models
from server.db.repository.listing import contains, page_of


def campaign_conditions(where: CampaignFilter | None) -> list[ColumnElement[bool]]:
    if where is None:
        return []
    conditions: list[ColumnElement[bool]] = []
    if where.search and where.search.strip():
        conditions.append(or_(contains(models.Campaign.name, where.search),
                              contains(models.Campaign.subject_line, where.search)))
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
class CampaignQuery:
    @strawberry.field(description="Campaigns, newest send first unless orderBy says otherwise.")
    async def campaigns(self, info: Info[Context, Any], first: int = DEFAULT_PAGE,
                        after: str | None = None, filter: CampaignFilter | None = None,
                        order_by: CampaignOrder | None = None) -> Connection[Campaign]:
        require(info, "viewer")
        offset, limit = page_window(first, after)
        conditions = campaign_conditions(filter)
        order = campaign_order(order_by)
        rows, total = await in_session(
            info, lambda session: page_of(session=session, model=models.Campaign,
                                            conditions=conditions, order=order,
                                            offset=offset, first=limit))
        return connection(rows, offset=offset, first=limit, total=total,
                          to_node=Campaign.from_row)

    @strawberry.field
    async def campaign(self, info: Info[Context, Any], id: strawberry.ID) -> Campaign | None:
        require(info, "viewer")
        row = await in_session(info, lambda session: session.get(models.Campaign, str(id)))
        return Campaign.from_row(row) if row is not None else None
