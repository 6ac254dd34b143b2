"""Privacy: the tombstones of erased customers and the salt their digests are keyed with."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime, utcnow

# What a tombstone remembers of an erased customer: their id, their email address and
# the ids of their sends, each only as a salted digest.
TOMBSTONE_KINDS = ("customer", "email", "message")


class ErasureTombstone(SQLModel, table=True):
    """A keyed digest of one identifier of an erased customer, so a later import of an old
    file that still holds them is recognised and skipped, without keeping the identifier."""

    __tablename__ = "erasure_tombstone"

    kind: str = Field(primary_key=True, max_length=16)
    digest: str = Field(primary_key=True, max_length=64)
    erased_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PrivacySalt(SQLModel, table=True):
    """The database's random salt for tombstone digests (one row, made at the first
    erasure), so digests cannot be matched against a list of guessed addresses."""

    __tablename__ = "privacy_salt"

    name: str = Field(primary_key=True, max_length=32)
    value: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
