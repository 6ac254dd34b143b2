"""Data-change generations: how many imports have changed each kind of data."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime, utcnow


class DataChange(SQLModel, table=True):
    """How many imports have changed each kind of data: every import that stores rows
    adds one in its own transaction, so results computed from a kind can be cached
    under its generation and are never served once the data has moved on."""

    __tablename__ = "data_change"

    kind: str = Field(primary_key=True, max_length=32)
    generation: int = 0
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
