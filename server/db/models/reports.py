"""Report tables: metric-target overrides and the breakdown rollups reports read.

The breakdown rollups are derived data, like ``rollup_campaign_day``, but refreshed by a
job (or inline when little changed) rather than by ingestion: recipient domain, send
hour and segment need joins over the whole message table. ``report_rollup_state`` says
which state of a campaign's day rollups its breakdown rows reflect.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Field, SQLModel

from server.db.models.rollups import RollupCounters
from server.db.types import MONEY, UTCDateTime, utcnow


class MetricTarget(SQLModel, table=True):
    """One override of the default targets: a metric name (or ``warning_band``) and its
    value; a null value means "no target". Metrics without a row keep their default."""

    __tablename__ = "metric_target"

    name: str = Field(primary_key=True, max_length=64)
    value: float | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str | None = Field(default=None, max_length=200)


class ReportCounters(RollupCounters):
    """The day-rollup counters, plus converting sends and the recipients' prior value."""

    # Sends with at least one attributed order (a proportion, unlike conversions).
    converted: int = 0
    # Order value the recipients had before the send, summed over sends.
    recipient_value: Decimal = Field(default=Decimal(0), sa_type=MONEY, nullable=False)


class CampaignBreakdownRollup(ReportCounters, table=True):
    """Counters per campaign × variant × send day × send hour (UTC) × recipient domain."""

    __tablename__ = "rollup_campaign_breakdown"

    campaign_id: str = Field(primary_key=True, max_length=128)
    variant_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    hour: int = Field(primary_key=True)
    email_domain: str = Field(primary_key=True, max_length=255)


class CampaignSegmentRollup(ReportCounters, table=True):
    """Counters per campaign × variant × send day × segment (its current members)."""

    __tablename__ = "rollup_campaign_segment"

    campaign_id: str = Field(primary_key=True, max_length=128)
    variant_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    segment_id: str = Field(primary_key=True, max_length=128)


class ReportRollupState(SQLModel, table=True):
    """Which day-rollup state (``fingerprint``) and segment membership (``segment_stamp``)
    a campaign's breakdown rollups were computed from."""

    __tablename__ = "report_rollup_state"

    campaign_id: str = Field(primary_key=True, max_length=128)
    fingerprint: str = Field(max_length=64)
    segment_stamp: str = Field(max_length=200)
    refreshed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
