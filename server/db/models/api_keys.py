"""API keys and the roles they grant."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime, utcnow

ROLES = ("viewer", "analyst", "admin", "ingest")


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
