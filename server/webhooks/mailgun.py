"""Mailgun webhooks: ``{"signature": {...}, "event-data": {...}}``, one event per POST.

The signature is the hex HMAC-SHA256 of ``timestamp + token`` under the account's HTTP
webhook signing key (``MAILGUN_WEBHOOK_SIGNING_KEY`` -> ``MAILSCOPE_WEBHOOK_MAILGUN_SIGNING_KEY``).
Timestamps more than five minutes away are refused, and each token is accepted once
(the runner remembers them), so a captured request cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from server.db.emails import stored_recipient as _stored
from server.webhooks.common import (
    Parsed,
    PayloadError,
    ProviderEvent,
    SignatureError,
    TagKeys,
    Unknown,
    from_unix,
    load_json,
    stable_id,
    tags_from,
    text,
)

NAME = "mailgun"
MAX_AGE = timedelta(minutes=5)

# Mailgun event (with ``severity`` for failures) -> (our type, bounce type).
MAPPING: dict[str, tuple[str | None, str | None]] = {
    "accepted": (None, None),
    "rejected": ("dropped", None),
    "delivered": ("delivered", None),
    "failed/permanent": ("bounce", "hard"),
    # Mailgun retries a temporary failure: the message is delayed, not bounced.
    "failed/temporary": ("deferred", None),
    "opened": ("open", None),
    "clicked": ("click", None),
    "unsubscribed": ("unsubscribe", None),
    "complained": ("complaint", None),
}


@dataclass(frozen=True)
class Proof:
    timestamp: str
    token: str
    signature: str


def proof(body: bytes) -> Proof:
    """The ``signature`` object of a delivery; ``SignatureError`` when it is missing."""
    data = load_json(body, NAME)
    signature = data.get("signature") if isinstance(data, dict) else None
    if not isinstance(signature, dict) or not all(
            isinstance(signature.get(part), str | int) for part in
            ("timestamp", "token", "signature")):
        raise SignatureError("the Mailgun body has no signature {timestamp, token, "
                             "signature}: use a Mailgun webhook (not a route forward)")
    return Proof(str(signature["timestamp"]), str(signature["token"]),
                 str(signature["signature"]))


def verify(given: Proof, signing_key: str | None, now: datetime) -> None:
    """Raise ``SignatureError`` unless the proof is valid and fresh (the caller checks
    that the token was not used before)."""
    if not signing_key:
        raise SignatureError("Mailgun webhooks are not configured: set "
                             "MAILSCOPE_WEBHOOK_MAILGUN_SIGNING_KEY")
    expected = hmac.new(signing_key.encode(), (given.timestamp + given.token).encode(),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.signature.lower()):
        raise SignatureError("the Mailgun signature does not match")
    try:
        signed_at = from_unix(given.timestamp)
    except (ValueError, OverflowError):
        raise SignatureError("the Mailgun signature timestamp is not a Unix time") from None
    if abs(now - signed_at) > MAX_AGE:
        raise SignatureError("the Mailgun signature is more than 5 minutes old (or ahead): "
                             "check the server's clock")


def parse(body: bytes, keys: TagKeys) -> Parsed:
    data = load_json(body, NAME)
    event = data.get("event-data") if isinstance(data, dict) else None
    if not isinstance(event, dict):
        raise PayloadError("a Mailgun webhook body has an 'event-data' object")
    parsed = Parsed()
    mapped = _event(event, keys)
    if isinstance(mapped, Unknown):
        parsed.unknown.append(mapped)
    else:
        parsed.events.append(mapped)
    return parsed


def _event(event: Mapping[str, Any], keys: TagKeys) -> ProviderEvent | Unknown:
    name = str(event.get("event", ""))
    provider_type = f"{name}/{event.get('severity', '')}" if name == "failed" else name
    key = str(event.get("id") or stable_id(str(event.get("timestamp")), name,
                                           _stored(str(event.get("recipient"))), prefix=""))

    def unknown(reason: str) -> Unknown:
        return Unknown(NAME, stable_id(key, prefix=NAME), provider_type or "(none)",
                       event, reason)

    if provider_type not in MAPPING:
        return unknown(f"unknown Mailgun event {provider_type!r}: not in the mapping "
                       "table (docs/webhooks.md); re-process once it is mapped")
    message = event.get("message")
    headers = message.get("headers") if isinstance(message, dict) else None
    message_id = text(headers.get("message-id")) if isinstance(headers, dict) else None
    if text(event.get("recipient")) is None or message_id is None:
        return unknown("the event has no recipient or message.headers.message-id")
    try:
        occurred_at = from_unix(event.get("timestamp"))
    except (TypeError, ValueError, OverflowError):
        return unknown(f"timestamp {event.get('timestamp')!r} is not a Unix time")
    ours, bounce_type = MAPPING[provider_type]
    variables = event.get("user-variables")
    tags = tags_from(keys, variables if isinstance(variables, dict) else None)
    if tags["campaign_id"] is None:
        tags["campaign_id"] = text(event.get("tags"))
    client = event.get("client-info")
    return ProviderEvent(
        provider=NAME, event_id=stable_id(key, prefix=NAME), provider_type=provider_type,
        type=ours, occurred_at=occurred_at, provider_message_id=message_id,
        email=str(event["recipient"]),
        campaign_id=tags["campaign_id"], customer_id=tags["customer_id"],
        variant_id=tags["variant_id"],
        url=text(event.get("url")) if ours == "click" else None,
        user_agent=text(client.get("user-agent")) if isinstance(client, dict) else None,
        bounce_type=bounce_type)
