"""A customer's profile and the "why" of each segment they are in."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import strawberry

from analytics.customers.rules import Explanation
from server.runners.customers import Membership


@strawberry.type(description="A customer's derived measures as of computedAt; see the README "
                             "(Customers and segments) for each definition.")
class CustomerProfile:
    purchases: int
    lifetime_revenue: float
    average_order_value: float | None
    purchase_frequency: float = strawberry.field(description="Orders per 30 days since the "
                                                             "first order.")
    last_purchase_at: datetime | None
    days_since_last_purchase: float | None
    sends: int
    open_rate_30d: float | None
    open_rate_90d: float | None
    click_rate_30d: float | None
    click_rate_90d: float | None
    sessions: int
    pages_per_session: float | None
    session_duration: float | None = strawberry.field(description="Mean seconds per web "
                                                                  "session.")
    preferred_categories: list[str]
    device_preference: str | None
    preferred_send_hour: int | None = strawberry.field(description="UTC hour of most opens.")
    engagement_score: float
    engagement_level: str
    lifecycle_stage: str
    last_activity_at: datetime | None
    opted_out: bool
    churn_probability: float | None = strawberry.field(
        description="From the published churn scores; null while the customer has none.")
    churn_risk: str | None = strawberry.field(
        description="low, medium, high or critical (of churnProbability); null without a "
                    "score.")
    computed_at: datetime
    pending: bool = strawberry.field(
        description="True while a refresh job is recomputing profiles (after a large "
                    "import): the values may be behind the data until it finishes.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CustomerProfile:
        names = {field.name for field in dataclasses.fields(cls)}
        values = {name: row[name] for name in names if name != "preferred_categories"}
        categories = row["preferred_categories"]
        return cls(preferred_categories=categories.split(", ") if categories else [],
                   **values)


@strawberry.type(description="One value a condition read.")
class ConditionValue:
    field: str
    value: str | None = strawberry.field(description="The value as text; null when missing.")


@strawberry.type(description="One condition of a segment's rule for one customer.")
class SegmentReason:
    condition: str
    held: bool
    values: list[ConditionValue]


@strawberry.type(description="Why a customer is (or is not) in a segment.")
class SegmentWhy:
    matches: bool
    reasons: list[SegmentReason]

    @classmethod
    def from_explanation(cls, explanation: Explanation) -> SegmentWhy:
        return cls(matches=explanation.matches, reasons=[
            SegmentReason(condition=reason.condition, held=reason.held, values=[
                ConditionValue(field=name, value=_text(value))
                for name, value in reason.values.items()])
            for reason in explanation.reasons])


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@strawberry.type(description="A customer's stay in a segment.")
class CustomerSegment:
    segment_id: strawberry.ID
    name: str
    kind: str
    entered_at: datetime
    left_at: datetime | None
    why: SegmentWhy | None

    @classmethod
    def from_membership(cls, membership: Membership) -> CustomerSegment:
        segment = membership.segment
        return cls(segment_id=strawberry.ID(segment.segment_id), name=segment.name,
                   kind=segment.kind, entered_at=membership.entered_at,
                   left_at=membership.left_at,
                   why=None if membership.why is None
                   else SegmentWhy.from_explanation(membership.why))
