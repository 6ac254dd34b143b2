"""From mapped provider events to the rows ingestion stores: customers, campaigns and
sends the events need, then the events themselves.

Providers report messages we never imported, so a send is created from the provider's
message id, the campaign tag and the recipient the first time one of its events arrives
(customers by email when unknown). Each send's ``sent_at`` is the earliest event seen
for it, lowered when an earlier event (a late ``processed``) turns up, so batches folded
in any order leave the same rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from server.db.emails import stored_email
from server.webhooks.common import MAX_ID, ProviderEvent


@dataclass(frozen=True)
class StoredMessage:
    campaign_id: str
    customer_id: str
    variant_id: str
    sent_at: datetime


@dataclass(frozen=True)
class Known:
    """What the database already holds of the batch's customers, campaigns and sends."""

    customers_by_id: frozenset[str] = frozenset()
    customers_by_email: Mapping[str, str] = field(default_factory=dict)
    campaigns: frozenset[str] = frozenset()
    messages: Mapping[str, StoredMessage] = field(default_factory=dict)


def untagged_campaign(provider: str) -> str:
    """Where sends without a campaign tag go (so their events still count)."""
    return f"{provider}-untagged"


def customer_id_for_email(email: str) -> str:
    """A new customer's id: the lower-cased address (a hash when too long for an id), or
    its keyed hash when addresses are hashed at rest (never the address itself then)."""
    email = stored_email(email.lower())
    return email if len(email) <= MAX_ID else "email-" + hashlib.sha256(
        email.encode()).hexdigest()


def unique_events(events: Iterable[ProviderEvent]) -> list[ProviderEvent]:
    """The events with the first of each event id (a provider may repeat one within a
    batch); ingestion refuses duplicate ids in one load."""
    seen: dict[str, ProviderEvent] = {}
    for event in events:
        seen.setdefault(event.event_id, event)
    return list(seen.values())


def _frame(records: Sequence[Mapping[str, Any]], names: Sequence[str]) -> pl.DataFrame:
    def plain(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)

    return pl.DataFrame({name: [plain(record.get(name)) for record in records]
                         for name in names}, schema=dict.fromkeys(names, pl.String))


def plan_rows(events: Sequence[ProviderEvent], known: Known,
              ) -> list[tuple[str, pl.DataFrame]]:
    """The frames to store, in reference order (customers, campaigns, messages, events);
    kinds with nothing to store are left out."""
    customers: dict[str, dict[str, Any]] = {}  # by email
    campaigns: dict[str, dict[str, Any]] = {}
    messages: dict[str, dict[str, Any]] = {}
    for event in events:
        message_id = event.message_id
        stored = known.messages.get(message_id)
        planned = messages.get(message_id)
        if stored is not None:
            if event.occurred_at < (planned or {}).get("sent_at", stored.sent_at):
                messages[message_id] = {"message_id": message_id,
                                        "campaign_id": stored.campaign_id,
                                        "variant_id": stored.variant_id,
                                        "customer_id": stored.customer_id,
                                        "sent_at": event.occurred_at}
            continue
        if planned is not None:
            planned["sent_at"] = min(planned["sent_at"], event.occurred_at)
            continue
        customer_id = _customer(event, known, customers)
        campaign_id = event.campaign_id or untagged_campaign(event.provider)
        if campaign_id not in known.campaigns and campaign_id not in campaigns:
            campaigns[campaign_id] = {"campaign_id": campaign_id, "name": campaign_id}
        messages[message_id] = {"message_id": message_id, "campaign_id": campaign_id,
                                "variant_id": event.variant_id or "",
                                "customer_id": customer_id, "sent_at": event.occurred_at}
    rows = [event for event in unique_events(events) if event.type is not None]
    plan = [("customers", _frame(list(customers.values()), ("customer_id", "email"))),
            ("campaigns", _frame(list(campaigns.values()), ("campaign_id", "name"))),
            ("messages", _frame(list(messages.values()), (
                "message_id", "campaign_id", "variant_id", "customer_id", "sent_at"))),
            ("events", _frame([{
                "event_id": event.event_id, "type": event.type,
                "occurred_at": event.occurred_at, "message_id": event.message_id,
                "url": event.url, "user_agent": event.user_agent,
                "machine_open": event.machine_open, "bounce_type": event.bounce_type,
            } for event in rows], ("event_id", "type", "occurred_at", "message_id", "url",
                                   "user_agent", "machine_open", "bounce_type")))]
    return [(kind, frame) for kind, frame in plan if frame.height]


def _customer(event: ProviderEvent, known: Known,
              planned: dict[str, dict[str, Any]]) -> str:
    """The recipient's customer: the tagged id when it exists, else the customer with
    this email, else a new customer (the tagged id, or one made from the email)."""
    if event.customer_id and event.customer_id in known.customers_by_id:
        return event.customer_id
    email = event.email.lower()
    key = stored_email(email)  # how the customer row holds it (ingestion hashes it too)
    if key in known.customers_by_email:
        return known.customers_by_email[key]
    if key in planned:
        return str(planned[key]["customer_id"])
    customer_id = event.customer_id or customer_id_for_email(email)
    planned[key] = {"customer_id": customer_id, "email": email}
    return customer_id
