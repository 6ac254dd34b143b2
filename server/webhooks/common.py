"""What every provider's mapping produces: our event rows, or events kept aside."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from server.db.emails import stored_email

# Longest event or message id the ledger stores (``email_event.event_id``).
MAX_ID = 128


class SignatureError(Exception):
    """The delivery is not signed by the provider (missing, bad or replayed proof)."""


class PayloadError(ValueError):
    """The body is not the provider's format at all (not JSON, wrong shape)."""


@dataclass(frozen=True)
class TagKeys:
    """Which provider tag, custom argument or metadata key names our campaign, customer
    and variant (``MAILSCOPE_WEBHOOK_TAG_KEYS`` sets them per provider)."""

    campaign: str = "campaign_id"
    customer: str = "customer_id"
    variant: str = "variant_id"


@dataclass(frozen=True)
class ProviderEvent:
    """One provider event mapped to our terms.

    ``type`` is our event type, or None for events that only prove the message was sent
    (SendGrid ``processed``, SES ``Send``, Mailgun ``accepted``) or have no counterpart
    (a resubscribe): they create the send and add no event.
    """

    provider: str
    event_id: str
    provider_type: str
    type: str | None
    occurred_at: datetime
    provider_message_id: str
    email: str
    campaign_id: str | None = None
    customer_id: str | None = None
    variant_id: str | None = None
    url: str | None = None
    user_agent: str | None = None
    machine_open: bool = False
    bounce_type: str | None = None

    @property
    def message_id(self) -> str:
        """The send's id: the provider's message id and the recipient, since one
        provider message may go to several recipients (its stored form: a hash when
        addresses are hashed at rest)."""
        return stable_id(self.provider_message_id, stored_email(self.email.lower()),
                         prefix="")


@dataclass(frozen=True)
class Unknown:
    """A provider event the mapping cannot take (unknown type, missing field): kept in
    the quarantine with the reason, never dropped."""

    provider: str
    event_key: str
    provider_type: str
    payload: Mapping[str, Any]
    reason: str


@dataclass
class Parsed:
    events: list[ProviderEvent] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)


def stable_id(*parts: str, prefix: str) -> str:
    """``prefix:part|part``, or a hash of it when longer than an id may be."""
    joined = "|".join(parts)
    whole = f"{prefix}:{joined}" if prefix else joined
    if len(whole) <= MAX_ID:
        return whole
    digest = hashlib.sha256(joined.encode()).hexdigest()
    return f"{prefix}:{digest}" if prefix else digest


def from_unix(value: Any) -> datetime:
    """A Unix timestamp (seconds, maybe fractional) as an aware UTC datetime."""
    return datetime.fromtimestamp(float(value), tz=UTC)


def from_iso(value: Any) -> datetime:
    """An ISO 8601 timestamp (``Z`` or an offset) as an aware UTC datetime."""
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 time, got {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def load_json(body: bytes, provider: str) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise PayloadError(f"the {provider} webhook body is not JSON ({error}); point the "
                           f"{provider} webhook at /webhooks/{provider}") from None


def text(value: Any) -> str | None:
    """A tag value as text (first of a list, as SES and Mailgun tags are lists)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or value == "":
        return None
    return str(value)


def tags_from(keys: TagKeys, *sources: Mapping[str, Any] | None) -> dict[str, str | None]:
    """Campaign, customer and variant, each from the first source that names it."""
    found: dict[str, str | None] = {"campaign_id": None, "customer_id": None,
                                    "variant_id": None}
    for name, key in (("campaign_id", keys.campaign), ("customer_id", keys.customer),
                      ("variant_id", keys.variant)):
        for source in sources:
            if source and text(source.get(key)) is not None:
                found[name] = text(source.get(key))
                break
    return found
