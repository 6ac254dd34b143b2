"""Rollups, job runs and API keys."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from server.db.types import MONEY, UTCDateTime, utcnow

ROLES = ("viewer", "analyst", "admin", "ingest")
JOB_STATES = ("queued", "running", "done", "failed")

class RollupCounters(SQLModel):
    """The counters of one group of sends (see the README for each one's meaning)."""

    sent: int = 0
    delivered: int = 0
    bounced: int = 0
    hard_bounced: int = 0
    soft_bounced: int = 0
    unique_opens: int = 0
    human_unique_opens: int = 0
    total_opens: int = 0
    unique_clicks: int = 0
    total_clicks: int = 0
    unsubscribed: int = 0
    complained: int = 0
    conversions: int = 0
    # sa_type, not sa_column: a Column object can belong to one table only, and several
    # tables share these fields.
    revenue: Decimal = Field(default=Decimal(0), sa_type=MONEY, nullable=False)


ROLLUP_COUNTERS = tuple(name for name in RollupCounters.model_fields if name != "revenue")


class CampaignDailyRollup(RollupCounters, table=True):
    """Counters per campaign × variant × send day; always equal to a recomputation
    from the message table (``rebuild_rollups`` proves and restores it)."""

    __tablename__ = "rollup_campaign_day"

    campaign_id: str = Field(primary_key=True, max_length=128)
    variant_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)


class JobRun(SQLModel, table=True):
    __tablename__ = "job_run"

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(index=True, max_length=100)
    # JSON object of the actor's plain arguments.
    args: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    state: str = Field(default="queued", index=True, max_length=16)
    progress: float = 0.0
    detail: str | None = Field(default=None, max_length=500)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # The first characters of the key, shown in lists so a key can be recognised.
    prefix: str = Field(index=True, max_length=16)
    key_hash: str = Field(unique=True, max_length=128)
    role: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DataChange(SQLModel, table=True):
    """How many imports have changed each kind of data: every import that stores rows
    adds one in its own transaction, so results computed from a kind can be cached
    under its generation and are never served once the data has moved on."""

    __tablename__ = "data_change"

    kind: str = Field(primary_key=True, max_length=32)
    generation: int = 0
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
