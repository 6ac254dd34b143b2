"""Triggers and their firing log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime, utcnow


class TriggerDefinition(SQLModel, table=True):
    """A trigger: its definition (JSON, see ``analytics.triggers.definitions``), limits
    and the webhook its firings are signed for and posted to."""

    __tablename__ = "trigger_definition"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    definition: str = Field(sa_column=Column(Text, nullable=False))
    enabled: bool = True
    # Higher first: triggers are evaluated in this order.
    priority: int = 0
    cooldown_seconds: int | None = None
    max_firings: int | None = None
    webhook_url: str | None = Field(default=None, max_length=2000)
    # Signs each delivery (HMAC-SHA256); shown once, when the trigger is created.
    webhook_secret: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Bumped by every saved edit; each version is kept in trigger_version and each
    # firing names the version that decided it.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # Archived triggers decide nothing and leave the list; their firing log stays.
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TriggerVersion(SQLModel, table=True):
    """One saved version of a trigger: what it was from ``saved_at`` until the next
    version, so the firing log can say which definition fired."""

    __tablename__ = "trigger_version"

    trigger_id: int = Field(primary_key=True, foreign_key="trigger_definition.id")
    version: int = Field(primary_key=True)
    name: str = Field(max_length=200)
    definition: str = Field(sa_column=Column(Text, nullable=False))
    enabled: bool
    priority: int
    cooldown_seconds: int | None = None
    max_firings: int | None = None
    webhook_url: str | None = Field(default=None, max_length=2000)
    saved_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TriggerFiring(SQLModel, table=True):
    """One decided occasion of a trigger: fired or not, and why. The unique key makes
    each (trigger, customer, occasion) decided exactly once."""

    __tablename__ = "trigger_firing"
    __table_args__ = (
        UniqueConstraint("trigger_id", "customer_id", "occasion_key",
                         name="uq_trigger_firing_occasion"),
        Index("ix_trigger_firing_customer", "customer_id", "due_at"),
        Index("ix_trigger_firing_trigger", "trigger_id", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trigger_id: int = Field(foreign_key="trigger_definition.id")
    # The trigger's version that decided the occasion (trigger_version).
    trigger_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    customer_id: str = Field(max_length=128)
    occasion_key: str = Field(max_length=300)
    status: str = Field(max_length=16)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    # Event time: when the occasion fell due (cooldowns are measured from it).
    due_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivery_status: int | None = None
    # The delivery job enqueued for a fired occasion; null until then, so the sweep can
    # enqueue deliveries a crash between the decision and the enqueue left behind.
    delivery_job_id: int | None = None


class CustomerAttribute(SQLModel, table=True):
    """A named value on a customer, set by a trigger's set_attribute action (the profile
    itself is computed; these are the team's own marks, such as ``cart_reminder``)."""

    __tablename__ = "customer_attribute"

    customer_id: str = Field(primary_key=True, max_length=128)
    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))
    trigger_id: int | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
