"""Customer and segment object types."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.customers.journeys import Journey
from schema.customers.profiles import CustomerProfile, CustomerSegment
from schema.pagination import DEFAULT_PAGE, MAX_PAGE, Connection, connection, page_window
from schema.predictions.queries import customer_explanation, customer_scores
from schema.predictions.types import CustomerScore, Explanation, ModelKind
from schema.recommendations.queries import customer_recommendations
from schema.recommendations.types import ProductRecommendation
from schema.triggers.types import CustomerAttribute, TriggerFiring
from server.db import models
from server.runners import customers as runner
from server.runners import journeys as journeys_runner
from server.runners import triggers as triggers_runner


@strawberry.type
class Customer:
    id: strawberry.ID
    email: str = strawberry.field(description=(
        "The address; its keyed hash (h1:...) when addresses are hashed at rest "
        "(MAILSCOPE_EMAIL_HASHING), since the plain address is then not kept."))
    first_name: str | None
    last_name: str | None
    signup_at: datetime | None
    country: str | None
    timezone: str | None
    email_domain: str

    @classmethod
    def from_row(cls, row: models.Customer) -> Customer:
        return cls(id=strawberry.ID(row.customer_id), email=row.email,
                   first_name=row.first_name, last_name=row.last_name,
                   signup_at=row.signup_at, country=row.country, timezone=row.timezone,
                   email_domain=row.email_domain)

    @strawberry.field(description="Null until the customer's profile is first computed.")
    async def profile(self, info: Info[Context, Any]) -> CustomerProfile | None:
        row = await info.context.loaders.profile.load(str(self.id))
        if row is None:
            return None
        pending = await info.context.loaders.pending.load(None)
        return CustomerProfile.from_row({**row, "pending": pending})

    @strawberry.field(description="Segments the customer is in (with history: "
                                  "current: false), each with why.")
    async def segments(self, info: Info[Context, Any],
                       current: bool = True) -> list[CustomerSegment]:
        stays = await asyncio.to_thread(runner.memberships, info.context.engine,
                                        str(self.id), current_only=current)
        return [CustomerSegment.from_membership(stay) for stay in stays]

    @strawberry.field(description="Timeline, journey stage and predicted next action, as "
                                  "of asOf (now).")
    async def journey(self, info: Info[Context, Any], as_of: datetime | None = None,
                      first: int = DEFAULT_PAGE) -> Journey:
        result = await asyncio.to_thread(journeys_runner.journey, info.context.engine,
                                         str(self.id), as_of=as_of,
                                         limit=max(1, min(first, MAX_PAGE)))
        return Journey.from_result(result)

    @strawberry.field(description="Attributes set by triggers (set_attribute), by name.")
    async def attributes(self, info: Info[Context, Any]) -> list[CustomerAttribute]:
        rows = await asyncio.to_thread(triggers_runner.customer_attributes,
                                       info.context.engine, str(self.id))
        return [CustomerAttribute.from_row(row) for row in rows]

    @strawberry.field(description="The customer's trigger firing log, newest due first: "
                                  "fired or not, and why.")
    async def trigger_firings(self, info: Info[Context, Any],
                              first: int = DEFAULT_PAGE) -> list[TriggerFiring]:
        rows = await asyncio.to_thread(triggers_runner.firings, info.context.engine,
                                       customer_id=str(self.id),
                                       first=max(1, min(first, MAX_PAGE)))
        return [TriggerFiring.from_row(row) for row in rows]

    @strawberry.field(
        description="The customer's published model scores, one per kind.")
    async def scores(self, info: Info[Context, Any]) -> list[CustomerScore]:
        return await customer_scores(info, str(self.id))

    @strawberry.field(
        description="Why the active model of this kind scores the customer as it does "
                    "(SHAP contributions, computed on demand).")
    async def explain(self, info: Info[Context, Any], kind: ModelKind) -> Explanation | None:
        return await customer_explanation(info, str(self.id), kind)

    @strawberry.field(description="Up to limit (1-50) products for the customer, best "
                                  "first, each with its reason (as the recommendations "
                                  "query, in the same operation as the customer).")
    async def recommendations(self, info: Info[Context, Any],
                              limit: int = 10) -> list[ProductRecommendation]:
        return await customer_recommendations(info, str(self.id), limit)


@strawberry.type(description="A current member of a segment.")
class SegmentMember:
    customer_id: strawberry.ID
    entered_at: datetime


@strawberry.type(description="Someone who entered or left a segment.")
class SegmentChange:
    customer_id: strawberry.ID
    entered_at: datetime
    left_at: datetime | None


@strawberry.type(description="What a segment's current members are worth and how they "
                             "engage (means over their profiles).")
class SegmentPerformance:
    members: int
    open_rate_90d: float | None
    click_rate_90d: float | None
    lifetime_revenue: float
    average_engagement: float | None


@strawberry.type
class Segment:
    id: strawberry.ID
    name: str
    description: str | None
    kind: str = strawberry.field(
        description="rule, lifecycle, churn_risk, value_tier, rfm, cluster or static.")
    definition: str | None = strawberry.field(
        description="The rule (rule segments) or the RFM name (rfm segments).")
    computed_at: datetime | None = strawberry.field(
        description="When the membership was last computed; null: never.")
    refreshed_at: datetime | None = strawberry.field(
        description="When the membership last changed.")

    @classmethod
    def from_row(cls, row: models.Segment) -> Segment:
        return cls(id=strawberry.ID(row.segment_id), name=row.name,
                   description=row.description, kind=row.kind, definition=row.definition,
                   computed_at=row.computed_at, refreshed_at=row.refreshed_at)

    @strawberry.field(description="True while a refresh job is recomputing profiles and "
                                  "segments (after a large import): members may be "
                                  "behind the data until it finishes.")
    async def pending(self, info: Info[Context, Any]) -> bool:
        return (await info.context.loaders.segment_status.load(self.kind)).pending

    @strawberry.field(description="Why the members may not be what the name suggests (a "
                                  "churn-risk segment before any churn scores exist); null "
                                  "when there is nothing to say.")
    async def note(self, info: Info[Context, Any]) -> str | None:
        return (await info.context.loaders.segment_status.load(self.kind)).note

    @strawberry.field
    async def member_count(self, info: Info[Context, Any]) -> int:
        return await info.context.loaders.member_counts.load(str(self.id))

    @strawberry.field(description="Current members by customer id.")
    async def members(self, info: Info[Context, Any], first: int = DEFAULT_PAGE,
                      after: str | None = None) -> Connection[SegmentMember]:
        offset, limit = page_window(first, after)
        total = await info.context.loaders.member_counts.load(str(self.id))
        rows = await asyncio.to_thread(runner.segment_members, info.context.engine,
                                       str(self.id), offset, limit + 1)
        return connection(rows, offset=offset, first=limit, total=total,
                          to_node=lambda stay: SegmentMember(
                              customer_id=strawberry.ID(stay.customer_id),
                              entered_at=stay.entered_at))

    @strawberry.field
    async def performance(self, info: Info[Context, Any]) -> SegmentPerformance:
        result = await asyncio.to_thread(runner.segment_performance, info.context.engine,
                                         str(self.id))
        return SegmentPerformance(members=result.members, open_rate_90d=result.open_rate_90d,
                                  click_rate_90d=result.click_rate_90d,
                                  lifetime_revenue=result.lifetime_revenue,
                                  average_engagement=result.average_engagement)


@strawberry.type(description="A definition's live result, or the error that stops it.")
class SegmentPreview:
    definition: str = strawberry.field(description="The rule in canonical form.")
    count: int
    customers: int = strawberry.field(description="Customers with a profile.")
    sample: list[strawberry.ID]
    error: str | None
    column: int | None = strawberry.field(description="Where the error starts (from 1).")


@strawberry.type
class RfmCell:
    recency_score: int
    fm_score: int = strawberry.field(description="ceil((F + M) / 2).")
    customers: int
    name: str


@strawberry.type
class RfmGrid:
    cells: list[RfmCell]
    customers: int = strawberry.field(description="Customers with an order (scored).")


@strawberry.type
class FeatureValue:
    feature: str
    value: float | None


@strawberry.type(description="One behavioural cluster: its name (from its centre, see the "
                             "README), size, and centre as member means and z-scores.")
class CustomerCluster:
    index: int
    name: str
    size: int
    centre: list[FeatureValue]
    z_centre: list[FeatureValue]


@strawberry.type
class CustomerClusters:
    k: int
    silhouette: float | None
    chosen_by: str = strawberry.field(description="given, or silhouette (best of k = 2-6).")
    clusters: list[CustomerCluster]
