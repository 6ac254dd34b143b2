"""Amazon SES event publishing through an SNS topic subscribed over HTTPS.

SNS signs its messages with a certificate fetched from AWS, which a server may be unable
to reach; Mailscope does not fetch it. A notification is accepted instead when it comes
to the secret path ``/webhooks/ses/<MAILSCOPE_WEBHOOK_SES_TOKEN>`` and names one of the
configured topics (``MAILSCOPE_WEBHOOK_SES_TOPIC_ARNS``); keep the URL secret, as it is
the credential.

The SNS envelope holds the SES event as a JSON string in ``Message``; both the event
publishing form (``eventType``) and the older notification form (``notificationType``)
are read. One SES event may name several recipients: each gets its own event.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from server.db.emails import stored_email
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

NAME = "ses"
ENVELOPE_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")

# SES eventType / notificationType (Bounce with its bounceType) -> (ours, bounce type).
MAPPING: dict[str, tuple[str | None, str | None]] = {
    "Send": (None, None),
    "Delivery": ("delivered", None),
    "Bounce/Permanent": ("bounce", "hard"),
    "Bounce/Transient": ("bounce", "soft"),
    "Bounce/Undetermined": ("bounce", "soft"),
    "Complaint": ("complaint", None),
    "Reject": ("dropped", None),
    "Rendering Failure": ("dropped", None),
    "DeliveryDelay": ("deferred", None),
    "Open": ("open", None),
    "Click": ("click", None),
    "Subscription": ("unsubscribe", None),
    # A subscription change that keeps the recipient subscribed has no counterpart.
    "Subscription/kept": (None, None),
}

# The object holding each event's details, and where it lists its recipients (None:
# the mail's destination).
_DETAIL = {"Bounce": ("bounce", "bouncedRecipients"),
           "Complaint": ("complaint", "complainedRecipients"),
           "Delivery": ("delivery", "recipients"),
           "DeliveryDelay": ("deliveryDelay", "delayedRecipients"),
           "Send": ("send", None), "Reject": ("reject", None),
           "Rendering Failure": ("failure", None), "Open": ("open", None),
           "Click": ("click", None), "Subscription": ("subscription", None)}


def verify_path_token(path_token: str | None, token: str | None,
                      topic_arns: Sequence[str]) -> None:
    """Raise ``SignatureError`` unless SES is configured and the path carries its token.

    Checked before the body is read, so a caller without the token learns nothing about
    how its body would have been parsed."""
    if not token or not topic_arns:
        raise SignatureError("SES webhooks are not configured: set "
                             "MAILSCOPE_WEBHOOK_SES_TOKEN and MAILSCOPE_WEBHOOK_SES_TOPIC_ARNS")
    if not hmac.compare_digest((path_token or "").encode(), token.encode()):
        raise SignatureError("wrong or missing path token: subscribe "
                             "/webhooks/ses/<MAILSCOPE_WEBHOOK_SES_TOKEN> to the topic")


def verify(envelope: Mapping[str, Any], path_token: str | None, token: str | None,
           topic_arns: Sequence[str]) -> None:
    """Raise ``SignatureError`` unless the path token and the topic are configured."""
    verify_path_token(path_token, token, topic_arns)
    if envelope.get("TopicArn") not in topic_arns:
        raise SignatureError(f"topic {envelope.get('TopicArn')!r} is not one of "
                             "MAILSCOPE_WEBHOOK_SES_TOPIC_ARNS")


def envelope(body: bytes) -> dict[str, Any]:
    """The SNS envelope; ``PayloadError`` when the body is not one."""
    data = load_json(body, NAME)
    if not isinstance(data, dict) or data.get("Type") not in ENVELOPE_TYPES:
        raise PayloadError("an SNS message is a JSON object whose Type is one of "
                           + ", ".join(ENVELOPE_TYPES))
    return data


def parse(body: bytes, keys: TagKeys) -> Parsed:
    sns = envelope(body)
    parsed = Parsed()
    key = str(sns.get("MessageId", ""))
    if sns["Type"] != "Notification":
        # Confirmations are kept aside for a person to act on (open the SubscribeURL).
        parsed.unknown.append(Unknown(
            NAME, stable_id(key, prefix=NAME), f"SNS {sns['Type']}", sns,
            f"SNS {sns['Type']}: open the SubscribeURL once to confirm the subscription "
            "(Mailscope does not call AWS)"))
        return parsed
    try:
        event = load_json(str(sns.get("Message", "")).encode(), NAME)
    except PayloadError:
        event = None
    if not isinstance(event, dict):
        parsed.unknown.append(Unknown(NAME, stable_id(key, prefix=NAME), "(not SES)", sns,
                                      "the SNS Message is not an SES event (JSON object)"))
        return parsed
    for mapped in _events(key, event, keys, sns):
        if isinstance(mapped, Unknown):
            parsed.unknown.append(mapped)
        else:
            parsed.events.append(mapped)
    return parsed


def _provider_type(name: str, detail: Mapping[str, Any]) -> str:
    if name == "Bounce":
        return f"Bounce/{detail.get('bounceType', '')}"
    if name == "Subscription":
        preferences = detail.get("newTopicPreferences") or {}
        if isinstance(preferences, dict) and preferences.get("unsubscribeAll"):
            return "Subscription"
        topics = preferences.get("topicSubscriptionStatus") if isinstance(
            preferences, dict) else None
        if isinstance(topics, list) and any(
                isinstance(topic, dict) and topic.get("subscriptionStatus") == "OptOut"
                for topic in topics):
            return "Subscription"
        return "Subscription/kept"
    return name


def _events(key: str, event: Mapping[str, Any], keys: TagKeys,
            sns: Mapping[str, Any]) -> list[ProviderEvent | Unknown]:
    name = str(event.get("eventType") or event.get("notificationType") or "")
    section, listed = _DETAIL.get(name, (name[:1].lower() + name[1:], None))
    detail = event.get(section)
    detail = detail if isinstance(detail, dict) else {}
    provider_type = _provider_type(name, detail)

    def unknown(reason: str) -> list[ProviderEvent | Unknown]:
        return [Unknown(NAME, stable_id(key, prefix=NAME), provider_type or "(none)", sns,
                        reason)]

    if provider_type not in MAPPING:
        return unknown(f"unknown SES event {provider_type!r}: not in the mapping table "
                       "(docs/webhooks.md); re-process once it is mapped")
    mail = event.get("mail")
    if not isinstance(mail, dict) or text(mail.get("messageId")) is None:
        return unknown("the SES event has no mail.messageId")
    if listed is None:
        recipients = [str(address) for address in mail.get("destination") or []]
    else:
        recipients = [str(entry.get("emailAddress") if isinstance(entry, dict) else entry)
                      for entry in detail.get(listed) or []]
    when = detail.get("timestamp") or mail.get("timestamp")
    try:
        occurred_at = from_iso(when)
    except ValueError:
        return unknown(f"timestamp {when!r} is not an ISO 8601 time")
    if not recipients:
        return unknown("the SES event names no recipient")
    ours, bounce_type = MAPPING[provider_type]
    mail_tags = mail.get("tags")
    tags = tags_from(keys, mail_tags if isinstance(mail_tags, dict) else None)
    user_agent = text(detail.get("userAgent"))
    return [ProviderEvent(
        provider=NAME, event_id=stable_id(key, stored_email(recipient.lower()), provider_type,
                                            prefix=NAME),
        provider_type=provider_type, type=ours, occurred_at=occurred_at,
        provider_message_id=str(mail["messageId"]), email=recipient,
        campaign_id=tags["campaign_id"], customer_id=tags["customer_id"],
        variant_id=tags["variant_id"],
        url=text(detail.get("link")) if ours == "click" else None,
        user_agent=user_agent, bounce_type=bounce_type) for recipient in recipients]
