"""Provider webhooks: receiving a delivery (verify, keep, enqueue) and folding it in.

Receiving is short on purpose: the signature is checked, the body parsed far enough to
know it is the provider's format, the raw delivery kept in the inbox in one small
transaction, and the fold job enqueued. The fold job maps the events and stores them
through ingestion (customers, campaigns and sends it needs first, then the events) in
one transaction with the quarantine rows and the delivery's "folded" mark: all or
nothing, and idempotent by event id like every import.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from jobs.send import send
from server.db.emails import stored_email
from server.db.models import WebhookDelivery, WebhookQuarantine
from server.db.repository import webhooks as inbox
from server.db.types import utcnow
from server.ingest import store_frames
from server.settings import Settings
from server.webhooks import (
    PROVIDERS,
    Parsed,
    ProviderEvent,
    SignatureError,
    TagKeys,
    Unknown,
    get_provider,
    mailgun,
    postmark,
    sendgrid,
    ses,
)
from server.webhooks.providers import reparse
from server.webhooks.rows import Known, StoredMessage, plan_rows

_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
log = logging.getLogger(__name__)

FOLD_ACTOR = "fold_webhook"


class Replayed(Exception):
    """A Mailgun token used before: the request is a replay and changes nothing."""


class NotQueued(Exception):
    """The delivery was kept but its fold job could not be queued (broker down): the
    provider should retry, and the retry queues it."""


@dataclass(frozen=True)
class Receipt:
    """What receiving did: the inbox row, whether it is new, the fold job's id."""

    provider: str
    delivery_id: int
    new: bool
    events: int
    job_id: int | None


@dataclass(frozen=True)
class Folded:
    delivery_id: int | None
    events: int
    stored: int
    quarantined: int


def tag_keys(settings: Settings, provider: str) -> TagKeys:
    """The tag keys configured for ``provider`` (``MAILSCOPE_WEBHOOK_TAG_KEYS``)."""
    given = settings.webhook_tag_keys.get(provider, {})
    unknown = sorted(set(given) - {"campaign", "customer", "variant"})
    if unknown:
        raise ValueError(f"MAILSCOPE_WEBHOOK_TAG_KEYS[{provider!r}] names {unknown}: use "
                         "campaign, customer and variant")
    return TagKeys(**given)


def verify(settings: Settings, provider: str, headers: Mapping[str, str], body: bytes,
           path_token: str | None, now: datetime) -> str | None:
    """Raise ``SignatureError`` unless the delivery is the provider's; returns the
    one-time token to remember (Mailgun), if any."""
    if provider == sendgrid.NAME:
        try:
            sendgrid.verify(headers, body, settings.webhook_sendgrid_public_key)
        except ValueError as error:  # a misconfigured key: say so, refuse the delivery
            log.warning("SendGrid webhook refused: %s", error)
            raise SignatureError(str(error)) from None
        return None
    if provider == mailgun.NAME:
        proof = mailgun.proof(body)
        mailgun.verify(proof, settings.webhook_mailgun_signing_key, now)
        return proof.token
    if provider == postmark.NAME:
        postmark.verify(headers.get("authorization"), settings.webhook_postmark_username,
                        settings.webhook_postmark_password)
        return None
    arns = [arn.strip() for arn in settings.webhook_ses_topic_arns.split(",") if arn.strip()]
    ses.verify_path_token(path_token, settings.webhook_ses_token, arns)
    ses.verify(ses.envelope(body), path_token, settings.webhook_ses_token, arns)
    return None


def receive(engine: Engine, settings: Settings, provider: str,
            headers: Mapping[str, str], body: bytes, path_token: str | None = None,
            ) -> Receipt:
    """Verify and keep one delivery and enqueue its fold.

    Raises ``LookupError`` (unknown provider), ``SignatureError`` (refused: nothing
    stored), ``PayloadError`` (not the provider's format) or ``Replayed``.
    """
    spec = get_provider(provider)
    token = verify(settings, provider, headers, body, path_token, utcnow())
    parsed = spec.parse(body, tag_keys(settings, provider))
    try:
        delivery_id, new = inbox.store_delivery(engine=engine, provider=provider, body=body,
                                                token=token)
    except inbox.TokenReused:
        raise Replayed("this Mailgun signature token was used before: a replayed "
                       "request changes nothing") from None
    job_id = None
    stored = None if new else inbox.get_delivery(engine=engine, delivery_id=delivery_id)
    # A repeat of a delivery whose job never got queued queues it now.
    if new or (stored is not None and stored.job_id is None and stored.folded_at is None):
        try:
            job_id = send(FOLD_ACTOR, delivery_id=delivery_id)
        except Exception as error:  # the broker refused; the delivery itself is kept
            log.warning("webhook delivery %s kept but not queued: %s", delivery_id, error)
            raise NotQueued(f"delivery {delivery_id} was kept but its fold could not be "
                            f"queued ({error}); retry the request") from error
        inbox.set_delivery_job(engine=engine, delivery_id=delivery_id, job_id=job_id)
    return Receipt(provider, delivery_id, new, len(parsed.events) + len(parsed.unknown),
                   job_id)


def _checked(parsed: Parsed) -> tuple[list[ProviderEvent], list[Unknown]]:
    """Events whose recipient cannot be an address are kept aside, not stored."""
    events, unknown = [], list(parsed.unknown)
    for event in parsed.events:
        if "@" in event.email:
            events.append(event)
        else:
            payload = {key: str(value) for key, value in asdict(event).items()}
            unknown.append(Unknown(event.provider, event.event_id, event.provider_type,
                                   payload, f"recipient {event.email!r} is not an email "
                                   "address"))
    return events, unknown


def _known(connection: Connection, events: Sequence[ProviderEvent]) -> Known:
    message_ids = sorted({event.message_id for event in events})
    stored = inbox.stored_messages(connection, message_ids)
    fresh = [event for event in events if event.message_id not in stored]
    return Known(
        customers_by_id=frozenset(inbox.customers_by_id(connection, sorted(
            {event.customer_id for event in fresh if event.customer_id}))),
        customers_by_email=inbox.customers_by_email(connection, sorted(
            {stored_email(event.email.lower()) for event in fresh})),
        campaigns=frozenset(inbox.known_campaigns(connection, sorted(
            {event.campaign_id or f"{event.provider}-untagged" for event in fresh}))),
        messages={message_id: StoredMessage(campaign, customer, variant, sent_at)
                  for message_id, (campaign, customer, variant, sent_at) in stored.items()})


def address_free(value: Any) -> Any:
    """A kept payload with every address in its stored form (hashed when addresses are
    hashed at rest), nested values included."""
    if isinstance(value, str):
        return stored_email(value) if _ADDRESS.fullmatch(value.strip()) else value
    if isinstance(value, Mapping):
        return {key: address_free(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [address_free(item) for item in value]
    return value


def _quarantine_rows(unknown: Sequence[Unknown],
                     delivery_id: int | None) -> list[dict[str, Any]]:
    return [{"provider": item.provider, "event_key": item.event_key,
             "event_type": item.provider_type[:128],
             "payload": json.dumps(address_free(item.payload), sort_keys=True, default=str),
             "reason": item.reason, "delivery_id": delivery_id} for item in unknown]


def _store(connection: Connection, events: Sequence[ProviderEvent]) -> int:
    reports = store_frames(connection, plan_rows(events, _known(connection, events)))
    return sum(report.inserted for report in reports if report.kind == "events")


def fold(engine: Engine, settings: Settings, delivery_id: int) -> Folded:
    """Store the events of inbox row ``delivery_id``; a folded delivery is left alone.

    Raises ``LookupError`` when the row does not exist and ``IngestError`` when the rows
    are refused (nothing is stored; the delivery records the error).
    """
    delivery = inbox.get_delivery(engine=engine, delivery_id=delivery_id)
    if delivery is None:
        raise LookupError(f"webhook delivery {delivery_id} does not exist")
    if delivery.folded_at is not None:
        return Folded(delivery_id, delivery.events, 0, delivery.quarantined)
    spec = get_provider(delivery.provider)
    parsed = spec.parse(delivery.body.encode(), tag_keys(settings, delivery.provider))
    events, unknown = _checked(parsed)
    try:
        with engine.begin() as connection:
            stored = _store(connection, events)
            kept = inbox.quarantine(connection, _quarantine_rows(unknown, delivery_id))
            inbox.mark_folded(connection, delivery_id, len(events), len(unknown))
            if settings.email_hashing:
                inbox.drop_body(connection, delivery_id)
    except Exception as error:
        inbox.mark_failed(engine=engine, delivery_id=delivery_id,
                          error=f"{type(error).__name__}: {error}")
        raise
    return Folded(delivery_id, len(events), stored, kept)


def reprocess(engine: Engine, settings: Settings, quarantine_ids: Sequence[int]) -> Folded:
    """Map kept events again; those the mapping now takes are stored and marked resolved,
    the rest stay kept."""
    with engine.begin() as connection:
        kept = inbox.get_quarantined(connection, quarantine_ids)
        events: list[ProviderEvent] = []
        resolved: list[int] = []
        for row in kept:
            spec = get_provider(row.provider)
            parsed = reparse(spec, json.loads(row.payload), tag_keys(settings, row.provider))
            mapped, still = _checked(parsed)
            if mapped and not still:
                events.extend(mapped)
                resolved.append(row.id or 0)
        stored = _store(connection, events) if events else 0
        inbox.resolve_quarantined(connection, resolved)
    return Folded(None, len(events), stored, len(kept) - len(resolved))


def fold_unfolded(engine: Engine, settings: Settings, deliveries: Sequence[int]) -> int:
    """Fold deliveries in order (recovery and benchmarks); how many events were stored."""
    return sum(fold(engine, settings, delivery_id).stored for delivery_id in deliveries)


@dataclass(frozen=True)
class ProviderInbox:
    provider: str
    received: int
    waiting: int


@dataclass(frozen=True)
class Overview:
    """The webhooks page: deliveries per provider, recent deliveries, kept events."""

    providers: list[ProviderInbox]
    deliveries: list[WebhookDelivery]
    quarantine: list[WebhookQuarantine]


def overview(engine: Engine, *, recent: int = 50, include_resolved: bool = False) -> Overview:
    counts = inbox.delivery_counts(engine=engine)
    return Overview(
        providers=[ProviderInbox(name, *counts.get(name, (0, 0))) for name in PROVIDERS],
        deliveries=inbox.list_deliveries(engine=engine, limit=recent),
        quarantine=inbox.list_quarantine(engine=engine, include_resolved=include_resolved))
