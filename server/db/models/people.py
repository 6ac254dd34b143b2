"""Customers, segments and their members."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime, utcnow


class CustomerBase(SQLModel):
    customer_id: str = Field(primary_key=True, max_length=128)
    email: str = Field(index=True, unique=True, max_length=320)
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    signup_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    country: str | None = Field(default=None, max_length=2)
    timezone: str | None = Field(default=None, max_length=64)


class Customer(CustomerBase, table=True):
    # Recipient domain (gmail.com, outlook.com, ...) kept for deliverability breakdowns.
    email_domain: str = Field(default="", index=True, max_length=255)


class CustomerCreate(CustomerBase):
    pass


class CustomerPublic(CustomerBase):
    email_domain: str


class SegmentBase(SQLModel):
    segment_id: str = Field(primary_key=True, max_length=128)
    name: str = Field(max_length=200)
    description: str | None = None
    # A rule in the segment language (data, never code: see analytics.customers.expressions)
    # for rule segments; null for static lists and computed segments.
    definition: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


SEGMENT_KINDS = ("static", "rule", "lifecycle", "value_tier", "rfm", "cluster")


class Segment(SegmentBase, table=True):
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When the membership last changed (the report rollups' segment stamp reads it).
    refreshed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the membership was last computed, changed or not, so staleness is never unseen.
    computed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    kind: str = Field(default="static", max_length=16,
                      sa_column_kwargs={"server_default": "static"})


class SegmentMember(SQLModel, table=True):
    __tablename__ = "segment_member"

    segment_id: str = Field(primary_key=True, foreign_key="segment.segment_id", max_length=128)
    customer_id: str = Field(primary_key=True, index=True, max_length=128)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SegmentMembership(SQLModel, table=True):
    """Membership history: one row per stay in a segment, ``left_at`` null while it lasts.
    ``segment_member`` holds the current members (the open stays), which the reports join.
    """

    __tablename__ = "segment_membership"
    __table_args__ = (Index("ix_segment_membership_open", "segment_id", "left_at"),
                      Index("ix_segment_membership_customer", "customer_id"))

    id: int | None = Field(default=None, primary_key=True)
    segment_id: str = Field(max_length=128)
    customer_id: str = Field(max_length=128)
    entered_at: datetime = Field(sa_type=UTCDateTime)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
