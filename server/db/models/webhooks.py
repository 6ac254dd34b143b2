"""Provider webhooks: the inbox of received deliveries, the quarantine of events of an
unknown type, and the Mailgun tokens already used (replay refusal)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from server.db.types import UTCDateTime, utcnow

WEBHOOK_PROVIDERS = ("sendgrid", "mailgun", "postmark", "ses")


class WebhookDelivery(SQLModel, table=True):
    """One POST a provider made, stored as received before anything is folded in.

    ``delivery_key`` is a hash of the provider and the raw body, so a delivery the
    provider repeats byte for byte is recognised and not stored twice; a delivery that
    repeats events in another order is stored and folded, and its events are recognised
    by their event ids instead.
    """

    __tablename__ = "webhook_delivery"

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=16, index=True)
    delivery_key: str = Field(max_length=64, unique=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set when the fold job stored the delivery's events (or found nothing to store).
    folded_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    job_id: int | None = None
    events: int = 0
    quarantined: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class WebhookQuarantine(SQLModel, table=True):
    """A provider event whose type the mapping does not know: kept, shown on the webhooks
    page and re-processed once the mapping learns it, never dropped."""

    __tablename__ = "webhook_quarantine"

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=16)
    # provider:key of the event, so a replayed delivery does not quarantine it twice.
    event_key: str = Field(max_length=160, unique=True)
    event_type: str = Field(max_length=128)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    delivery_id: int | None = None
    quarantined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class WebhookToken(SQLModel, table=True):
    """A Mailgun signature token already accepted; a second use is a replay."""

    __tablename__ = "webhook_token"

    provider: str = Field(primary_key=True, max_length=16)
    token: str = Field(primary_key=True, max_length=128)
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
