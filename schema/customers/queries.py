"""Customer and segment reads. Every read needs the viewer role."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, or_
from sqlmodel import col, select
from strawberry.types import Info

from analytics.customers.clusters import FEATURES
from schema.context import Context, in_session, require
from schema.customers.inputs import CustomerFilter
from schema.customers.types import (
    Customer,
    CustomerCluster,
    CustomerClusters,
    FeatureValue,
    RfmCell,
    RfmGrid,
    Segment,
    SegmentChange,
    SegmentPreview,
)
from schema.pagination import DEFAULT_PAGE, MAX_PAGE, Connection, connection, page_window
from server.db import models
from server.db.emails import stored_email
from server.db.repository.listing import contains, page_of
from server.runners import customers as runner
from server.settings import get_settings

MAX_CLUSTERS = 12


def customer_conditions(where: CustomerFilter | None) -> list[ColumnElement[bool]]:
    if where is None:
        return []
    conditions: list[ColumnElement[bool]] = []
    if where.search and where.search.strip():
        conditions.append(or_(_email_matches(where.search),
                              contains(models.Customer.first_name, where.search),
                              contains(models.Customer.last_name, where.search)))
    if where.country:
        conditions.append(col(models.Customer.country) == where.country.strip().upper())
    if where.email_domain:
        conditions.append(col(models.Customer.email_domain)
                          == where.email_domain.strip().lower())
    return conditions


def _email_matches(search: str) -> ColumnElement[bool]:
    """Text in the address; with addresses hashed at rest, the whole address (its hash
    is looked up: a part of an address cannot be)."""
    if not get_settings().email_hashing:
        return contains(models.Customer.email, search)
    return col(models.Customer.email) == stored_email(search.strip())


@strawberry.type
class CustomerQuery:
    @strawberry.field(description="Customers ordered by id.")
    async def customers(self, info: Info[Context, Any], first: int = DEFAULT_PAGE,
                        after: str | None = None, filter: CustomerFilter | None = None,
                        search: str | None = None) -> Connection[Customer]:
        require(info, "viewer")
        offset, limit = page_window(first, after)
        conditions = customer_conditions(filter)
        if search and search.strip():
            conditions += customer_conditions(CustomerFilter(search=search))
        order = [col(models.Customer.customer_id).asc()]
        rows, total = await in_session(
            info, lambda session: page_of(session=session, model=models.Customer,
                                            conditions=conditions, order=order,
                                            offset=offset, first=limit))
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

    @strawberry.field(description="One segment, or null.")
    async def segment(self, info: Info[Context, Any], id: strawberry.ID) -> Segment | None:
        require(info, "viewer")
        row = await in_session(info, lambda session: session.get(models.Segment, str(id)))
        return Segment.from_row(row) if row is not None else None

    @strawberry.field(description="How many customers a rule selects now (the segment "
                                  "builder's live count); errors name the column.")
    async def preview_segment(self, info: Info[Context, Any],
                              definition: str) -> SegmentPreview:
        require(info, "viewer")
        result = await asyncio.to_thread(runner.preview_segment, info.context.engine,
                                         definition)
        return SegmentPreview(definition=result.definition, count=result.count,
                              customers=result.customers,
                              sample=[strawberry.ID(s) for s in result.sample],
                              error=result.error, column=result.column)

    @strawberry.field(description="Who entered or left a segment since an instant, latest "
                                  "first.")
    async def segment_changes(self, info: Info[Context, Any], segment_id: strawberry.ID,
                              since: datetime, first: int = DEFAULT_PAGE
                              ) -> list[SegmentChange]:
        require(info, "viewer")
        page_window(first, None)
        stays = await asyncio.to_thread(runner.segment_changes, info.context.engine,
                                        str(segment_id), since, min(first, MAX_PAGE))
        return [SegmentChange(customer_id=strawberry.ID(stay.customer_id),
                              entered_at=stay.entered_at, left_at=stay.left_at)
                for stay in stays]

    @strawberry.field(description="Customers with an order by recency score and "
                                  "frequency-monetary score, each cell named.")
    async def rfm_grid(self, info: Info[Context, Any]) -> RfmGrid:
        require(info, "viewer")
        cells = await asyncio.to_thread(runner.rfm_cells, info.context.engine)
        return RfmGrid(cells=[RfmCell(**row) for row in cells.rows(named=True)],
                       customers=int(cells["customers"].sum()))

    @strawberry.field(description="Behavioural clusters of the customers with a profile: "
                                  "k-means on standardised engagement features.")
    async def customer_clusters(self, info: Info[Context, Any],
                                k: int | None = None) -> CustomerClusters:
        require(info, "viewer")
        if k is not None and not 1 <= k <= MAX_CLUSTERS:
            raise ValueError(f"k: {k} is out of range; ask for 1 to {MAX_CLUSTERS} clusters "
                             "or leave it out to choose by silhouette")
        result = await asyncio.to_thread(runner.clusters, info.context.engine, k)
        z_rows = result.z_centres.rows(named=True)
        clusters = []
        for row, z_row in zip(result.centres.rows(named=True), z_rows, strict=True):
            clusters.append(CustomerCluster(
                index=row["cluster"], name=row["name"], size=row["size"],
                centre=[FeatureValue(feature=f, value=row[f]) for f in FEATURES],
                z_centre=[FeatureValue(feature=f, value=z_row[f]) for f in FEATURES]))
        return CustomerClusters(k=result.k, silhouette=result.silhouette,
                                chosen_by=result.chosen_by, clusters=clusters)
