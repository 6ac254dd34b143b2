"""The audit log: one row per administrative action, who did it and to what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    # The key that acted (None: the command line, or authentication turned off).
    actor_key_id: int | None = Field(default=None, index=True)
    actor: str = Field(max_length=200)
    # What was done, as "<area>.<verb>", e.g. "apikey.rotate", "graphql.setTargets".
    action: str = Field(max_length=100, index=True)
    target: str = Field(default="", max_length=300)
    outcome: str = Field(default="ok", max_length=100)
    # JSON object of non-secret details (argument names, counts, ids).
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False))
