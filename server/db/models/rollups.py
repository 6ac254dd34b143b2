"""Rollups: campaign × variant × day counters, kept by ingestion alongside the facts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Field, SQLModel

from server.db.types import MONEY


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
