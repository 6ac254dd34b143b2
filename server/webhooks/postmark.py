"""Postmark webhooks: one JSON object per POST, keyed on ``RecordType``.

Postmark has no signature; it sends the Basic auth credentials written into the webhook
URL (``https://user:password@host/webhooks/postmark``), compared here in constant time
with ``MAILSCOPE_WEBHOOK_POSTMARK_USERNAME`` / ``_PASSWORD``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from typing import Any

from server.webhooks.common import (
    Parsed,
    PayloadError,
    ProviderEvent,
    SignatureError,
    TagKeys,
    Unknown,
    from_iso,
    load_json,
    stable_id,
    tags_from,
    text,
)

NAME = "postmark"

# RecordType (Bounce with its ``Type``, SubscriptionChange with its reason) -> ours.
MAPPING: dict[str, tuple[str | None, str | None]] = {
    "Delivery": ("delivered", None),
    "Open": ("open", None),
    "Click": ("click", None),
    "SpamComplaint": ("complaint", None),
    "Bounce/HardBounce": ("bounce", "hard"),
    "Bounce/BadEmailAddress": ("bounce", "hard"),
    "Bounce/ManuallyDeactivated": ("bounce", "hard"),
    "Bounce/Blocked": ("bounce", "hard"),
    "Bounce/DMARCPolicy": ("bounce", "hard"),
    "Bounce/SoftBounce": ("bounce", "soft"),
    "Bounce/DnsError": ("bounce", "soft"),
    "Bounce/Unknown": ("bounce", "soft"),
    "Bounce/Transient": ("deferred", None),
    "Bounce/SpamComplaint": ("complaint", None),
    "Bounce/Unsubscribe": ("unsubscribe", None),
    "Bounce/TemplateRenderingFailed": ("dropped", None),
    "Bounce/SMTPApiError": ("dropped", None),
    "Bounce/AutoResponder": (None, None),
    "Bounce/AddressChange": (None, None),
    "Bounce/Subscribe": (None, None),
    "Bounce/ChallengeVerification": (None, None),
    "Bounce/VirusNotification": (None, None),
    "Bounce/SpamNotification": (None, None),
    "Bounce/OpenRelayTest": (None, None),
    "Bounce/InboundError": (None, None),
    "Bounce/Unconfirmed": (None, None),
    "SubscriptionChange/ManualSuppression": ("unsubscribe", None),
    # Suppressions after a bounce or complaint repeat an event Postmark reported already.
    "SubscriptionChange/HardBounce": (None, None),
    "SubscriptionChange/SpamComplaint": (None, None),
    "SubscriptionChange/Reactivated": (None, None),
}

# Where each record type keeps its time and its recipient.
_TIME = {"Delivery": "DeliveredAt", "Bounce": "BouncedAt", "SpamComplaint": "BouncedAt",
         "Open": "ReceivedAt", "Click": "ReceivedAt", "SubscriptionChange": "ChangedAt"}
_RECIPIENT = {"Bounce": "Email", "SpamComplaint": "Email"}


def verify(authorization: str | None, username: str | None, password: str | None) -> None:
    """Raise ``SignatureError`` unless the Basic credentials are the configured ones."""
    if not username or not password:
        raise SignatureError("Postmark webhooks are not configured: set "
                             "MAILSCOPE_WEBHOOK_POSTMARK_USERNAME and _PASSWORD")
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        raise SignatureError("missing Basic credentials: write them into the Postmark "
                             "webhook URL (https://user:password@host/webhooks/postmark)")
    try:
        given_user, _, given_password = base64.b64decode(
            encoded, validate=True).decode().partition(":")
    except (ValueError, binascii.Error):
        raise SignatureError("the Basic credentials are not base64") from None
    user_ok = hmac.compare_digest(given_user.encode(), username.encode())
    password_ok = hmac.compare_digest(given_password.encode(), password.encode())
    if not (user_ok and password_ok):
        raise SignatureError("the Postmark credentials do not match")


def _provider_type(record: Mapping[str, Any]) -> str:
    kind = str(record.get("RecordType", ""))
    if kind == "Bounce":
        return f"Bounce/{record.get('Type', '')}"
    if kind == "SubscriptionChange":
        reason = record.get("SuppressionReason") if record.get("SuppressSending") else None
        return f"SubscriptionChange/{reason or 'Reactivated'}"
    return kind


def parse(body: bytes, keys: TagKeys) -> Parsed:
    record = load_json(body, NAME)
    if not isinstance(record, dict) or "RecordType" not in record:
        raise PayloadError("a Postmark webhook body is one JSON object with a RecordType")
    parsed = Parsed()
    mapped = _event(record, keys)
    if isinstance(mapped, Unknown):
        parsed.unknown.append(mapped)
    else:
        parsed.events.append(mapped)
    return parsed


def _event(record: Mapping[str, Any], keys: TagKeys) -> ProviderEvent | Unknown:
    provider_type = _provider_type(record)
    kind = str(record.get("RecordType"))
    when = record.get(_TIME.get(kind, "ReceivedAt"))
    key = stable_id(str(record.get("MessageID")), kind, str(when), prefix="")

    def unknown(reason: str) -> Unknown:
        return Unknown(NAME, stable_id(key, prefix=NAME), provider_type, record, reason)

    if provider_type not in MAPPING:
        return unknown(f"unknown Postmark record {provider_type!r}: not in the mapping "
                       "table (docs/webhooks.md); re-process once it is mapped")
    email = text(record.get(_RECIPIENT.get(kind, "Recipient")))
    if email is None or text(record.get("MessageID")) is None:
        return unknown("the record has no MessageID or recipient")
    try:
        occurred_at = from_iso(when)
    except ValueError:
        return unknown(f"{_TIME.get(kind, 'ReceivedAt')} {when!r} is not an ISO 8601 time")
    ours, bounce_type = MAPPING[provider_type]
    metadata = record.get("Metadata")
    tags = tags_from(keys, metadata if isinstance(metadata, dict) else None)
    if tags["campaign_id"] is None:
        tags["campaign_id"] = text(record.get("Tag"))
    return ProviderEvent(
        provider=NAME, event_id=stable_id(key, prefix=NAME), provider_type=provider_type,
        type=ours, occurred_at=occurred_at, provider_message_id=str(record["MessageID"]),
        email=email, campaign_id=tags["campaign_id"], customer_id=tags["customer_id"],
        variant_id=tags["variant_id"],
        url=text(record.get("OriginalLink")) if ours == "click" else None,
        user_agent=text(record.get("UserAgent")), bounce_type=bounce_type)
