"""Customers, segments and their members."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
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
    # A JSON rule tree (data, never code) for rule-based segments; null for static lists.
    definition: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Segment(SegmentBase, table=True):
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    refreshed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SegmentMember(SQLModel, table=True):
    __tablename__ = "segment_member"

    segment_id: str = Field(primary_key=True, foreign_key="segment.segment_id", max_length=128)
    customer_id: str = Field(primary_key=True, index=True, max_length=128)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
