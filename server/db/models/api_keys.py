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
    # Optional end of validity: requests with the key fail from then on, like revoked.
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Rotation gives the key a new secret; the old one may stay valid for a grace period
    # (previous_key_hash until previous_valid_until) so clients can switch over.
    rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    previous_key_hash: str | None = Field(default=None, index=True, max_length=128)
    previous_valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
