"""SendGrid Event Webhook: a JSON array of events, signed with ECDSA P-256.

SendGrid signs ``timestamp + raw body`` with its private key and sends the base64 DER
signature in ``X-Twilio-Email-Event-Webhook-Signature`` and the timestamp in
``X-Twilio-Email-Event-Webhook-Timestamp``; the public key (base64 DER, as the SendGrid
settings page shows it) is ``MAILSCOPE_WEBHOOK_SENDGRID_PUBLIC_KEY``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

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

NAME = "sendgrid"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

# SendGrid event (with the bounce ``type`` where it matters) -> (our type, bounce type).
# None: the event proves the send (``processed``) or has no counterpart; it creates the
# send and adds no event.
MAPPING: dict[str, tuple[str | None, str | None]] = {
    "processed": (None, None),
    "dropped": ("dropped", None),
    "delivered": ("delivered", None),
    "deferred": ("deferred", None),
    "bounce/bounce": ("bounce", "hard"),
    "bounce/blocked": ("bounce", "soft"),
    "open": ("open", None),
    "click": ("click", None),
    "spamreport": ("complaint", None),
    "unsubscribe": ("unsubscribe", None),
    "group_unsubscribe": ("unsubscribe", None),
    "group_resubscribe": (None, None),
}


def load_public_key(value: str) -> ec.EllipticCurvePublicKey:
    """The configured verification key (base64 DER or PEM); ``ValueError`` saying what
    to paste when it is not a P-256 public key."""
    try:
        if "BEGIN PUBLIC KEY" in value:
            from cryptography.hazmat.primitives.serialization import load_pem_public_key

            key = load_pem_public_key(value.encode())
        else:
            key = load_der_public_key(base64.b64decode(value, validate=True))
    except (ValueError, binascii.Error):
        key = None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("MAILSCOPE_WEBHOOK_SENDGRID_PUBLIC_KEY is not an ECDSA public key: "
                         "paste the verification key from SendGrid's Event Webhook "
                         "settings (Signed Event Webhook)")
    return key


def verify(headers: Mapping[str, str], body: bytes, public_key: str | None) -> None:
    """Raise ``SignatureError`` unless ``body`` carries a valid SendGrid signature."""
    if not public_key:
        raise SignatureError("SendGrid webhooks are not configured: set "
                             "MAILSCOPE_WEBHOOK_SENDGRID_PUBLIC_KEY")
    signature = headers.get(SIGNATURE_HEADER.lower()) or headers.get(SIGNATURE_HEADER)
    timestamp = headers.get(TIMESTAMP_HEADER.lower()) or headers.get(TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise SignatureError(f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header: "
                             "turn on the Signed Event Webhook in SendGrid")
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        raise SignatureError(f"{SIGNATURE_HEADER} is not base64") from None
    try:
        load_public_key(public_key).verify(raw_signature, timestamp.encode() + body,
                                           ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureError("the SendGrid signature does not match the body") from None


def parse(body: bytes, keys: TagKeys) -> Parsed:
    """Every event of the batch, mapped, or kept aside when it cannot be."""
    data = load_json(body, NAME)
    if not isinstance(data, list):
        raise PayloadError("a SendGrid Event Webhook body is a JSON array of events")
    parsed = Parsed()
    for number, event in enumerate(data, start=1):
        if not isinstance(event, dict):
            raise PayloadError(f"SendGrid event {number} is not a JSON object")
        mapped = _event(event, keys)
        if isinstance(mapped, Unknown):
            parsed.unknown.append(mapped)
        else:
            parsed.events.append(mapped)
    return parsed


def _event(event: dict[str, Any], keys: TagKeys) -> ProviderEvent | Unknown:
    name = str(event.get("event", ""))
    provider_type = f"{name}/{event.get('type', 'bounce')}" if name == "bounce" else name
    # Without an event id the recipient is part of the key: in stored form (see "Hashing
    # of addresses at rest" in the README), so no id keeps a plain address.
    key = str(event.get("sg_event_id") or stable_id(*(str(event.get(field, "")) for field in (
        "sg_message_id", "event", "timestamp")), _stored(str(event.get("email", ""))),
        prefix=""))

    def unknown(reason: str) -> Unknown:
        return Unknown(NAME, stable_id(key, prefix=NAME), provider_type or "(none)",
                       event, reason)

    if provider_type not in MAPPING:
        return unknown(f"unknown SendGrid event {provider_type!r}: not in the mapping "
                       "table (docs/webhooks.md); re-process once it is mapped")
    missing = [field for field in ("email", "timestamp", "sg_message_id")
               if text(event.get(field)) is None]
    if missing:
        return unknown(f"the event has no {', '.join(missing)}; SendGrid sends these with "
                       "every event, so check what posts to /webhooks/sendgrid")
    ours, bounce_type = MAPPING[provider_type]
    tags = tags_from(keys, event)
    if tags["campaign_id"] is None:
        tags["campaign_id"] = text(event.get("category"))
    try:
        occurred_at = from_unix(event["timestamp"])
    except (TypeError, ValueError, OverflowError):
        return unknown(f"timestamp {event['timestamp']!r} is not a Unix time")
    return ProviderEvent(
        provider=NAME, event_id=stable_id(key, prefix=NAME), provider_type=provider_type,
        type=ours, occurred_at=occurred_at,
        provider_message_id=str(event["sg_message_id"]), email=str(event["email"]),
        campaign_id=tags["campaign_id"], customer_id=tags["customer_id"],
        variant_id=tags["variant_id"], url=text(event.get("url")) if ours == "click" else None,
        user_agent=text(event.get("useragent")),
        machine_open=ours == "open" and bool(event.get("sg_machine_open")),
        bounce_type=bounce_type)
