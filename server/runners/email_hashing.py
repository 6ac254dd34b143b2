"""Switching an existing database to addresses hashed at rest: ``hash_emails`` converts
every plain address, in one transaction (any failure changes nothing; a second run finds
nothing left to do).

Besides ``customer.email`` the plain address may sit in identifiers provider webhooks
made from it (a customer id, a send id ``provider-id|address``), in the bodies of folded
webhook deliveries and in kept (quarantined) events; all of them are converted too, so
later webhooks find the same rows under the hashed form.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select, text

from server.db.emails import key_fingerprint, stored_email
from server.db.models import WebhookDelivery
from server.db.repository import changes
from server.db.repository import email_hashing as state
from server.db.repository import webhooks as inbox
from server.runners.webhooks import address_free
from server.settings import Settings
from server.webhooks.common import MAX_ID, stable_id

# progress(customers_done, customers_total)
Progress = Callable[[int, int], None]
_CHUNK = 1000
# The import kinds whose cached reports may show an address or a renamed id.
_KINDS = ("customers", "messages", "events")


class ConversionRefused(Exception):
    """Nothing was converted; the message says why."""


@dataclass(frozen=True)
class Converted:
    customers: int
    customer_ids: int
    # Send ids, event ids and kept-event keys made from an address.
    message_ids: int
    deliveries: int
    # Kept webhook events, audit events and job records with an address rewritten.
    records: int

    def summary(self) -> str:
        if not self.customers:
            return "nothing to convert: every stored address is already hashed"
        return (f"{self.customers:,} addresses hashed; {self.customer_ids:,} customer ids "
                f"and {self.message_ids:,} send and event ids made from addresses renamed; "
                f"{self.deliveries:,} webhook delivery bodies removed, "
                f"{self.records:,} kept events, audit and job records rewritten")


def _plain_id(email: str) -> str:
    """The id a provider webhook gave a new customer from its address, before hashing
    (``customer_id_for_email`` with hashing off)."""
    lowered = email.lower()
    return lowered if len(lowered) <= MAX_ID else "email-" + hashlib.sha256(
        lowered.encode()).hexdigest()


def _message_renames(connection: Connection, plain: dict[str, str],
                     settings: Settings) -> dict[str, str]:
    """Send ids ``provider-id|address`` of the converted customers, to their hashed form."""
    renames: dict[str, str] = {}
    for message_id, customer_id in state.messages_of(connection, sorted(plain)):
        suffix = "|" + plain[customer_id].lower()
        if message_id.endswith(suffix):
            provider_id = message_id[:-len(suffix)]
            renames[message_id] = stable_id(
                provider_id, stored_email(plain[customer_id].lower(), settings), prefix="")
    return renames


def _event_renames(connection: Connection, ids: list[str],
                   hashed: dict[str, str]) -> dict[str, str]:
    """Webhook event ids with a recipient among their parts (``ses:key|address|type``,
    keys made when a provider gave no event id), to the ids made from the hash."""
    renames: dict[str, str] = {}
    for value in ids:
        prefix, _, rest = value.partition(":") if ":" in value.split("|")[0] else ("", "", value)
        parts = rest.split("|")
        fresh = [hashed.get(part.lower(), part) for part in parts]
        if fresh != parts:
            renames[value] = stable_id(*fresh, prefix=prefix)
    return renames


# JSON columns that may hold an address: kept webhook events, recorded GraphQL mutation
# arguments, recorded job arguments (ids webhooks made from addresses).
_JSON_COLUMNS = (("webhook_quarantine", "payload"), ("audit_event", "detail"),
                 ("job_run", "args"))


def _redact_copies(connection: Connection) -> tuple[int, int]:
    """Folded delivery bodies dropped; JSON values that are addresses put in stored
    form. Returns (bodies dropped, JSON rows rewritten)."""
    table = WebhookDelivery.__table__  # type: ignore[attr-defined]
    folded = [int(row[0]) for row in connection.execute(
        select(table.c.id).where(table.c.folded_at.is_not(None),
                                 table.c.body.like("%@%")))]
    for delivery_id in folded:
        inbox.drop_body(connection, delivery_id)
    rewritten = 0
    for name, column in _JSON_COLUMNS:
        for row_id, value in connection.execute(text(
                # Safe SQL (S608): table and column names are code constants.
                f"SELECT id, {column} FROM {name} WHERE {column} LIKE '%@%'")).all():  # noqa: S608
            fresh = json.dumps(address_free(json.loads(value)), sort_keys=True, default=str)
            if fresh != value:
                connection.execute(text(
                    # Safe SQL (S608): table and column names are code constants.
                    f"UPDATE {name} SET {column} = :v WHERE id = :i"),  # noqa: S608
                    {"v": fresh, "i": row_id})
                rewritten += 1
    return len(folded), rewritten


def convert(connection: Connection, settings: Settings,
            progress: Progress | None = None) -> Converted:
    """Hash every plain address in the caller's transaction (see the module docstring).
    Raises ``ConversionRefused`` before changing anything when it cannot be done."""
    if not settings.email_hashing:
        raise ConversionRefused("set MAILSCOPE_EMAIL_HASHING=on and MAILSCOPE_EMAIL_HASH_KEY "
                                "first: the conversion hashes with that key")
    found = state.marker(connection)
    if found is not None and found != key_fingerprint(settings):
        raise ConversionRefused("MAILSCOPE_EMAIL_HASH_KEY is not the key this database's "
                                "addresses were hashed with (key rotation is not supported)")
    plain = dict(state.plain_customers(connection))
    hashed = {customer_id: stored_email(email, settings) for customer_id, email in plain.items()}
    owners = state.hashed_emails(connection)
    for customer_id, value in sorted(hashed.items()):
        other = owners.setdefault(value, customer_id)
        if other != customer_id:
            raise ConversionRefused(
                f"customers {other!r} and {customer_id!r} have the same address once "
                "trimmed and lower-cased; merge or erase one of them, then convert again "
                "(nothing was changed)")
    # What ``customer_id_for_email`` makes under hashing: the hash itself.
    ids = {customer_id: hashed[customer_id]
           for customer_id, email in plain.items() if customer_id == _plain_id(email)}
    taken = sorted(set(ids.values()) & set(state.customer_ids(connection, list(ids.values()))))
    if taken:
        raise ConversionRefused(f"customer id {taken[0]!r} already exists: cannot rename the "
                                "customer a webhook made from its address (nothing was changed)")
    total = len(hashed)
    items = sorted(hashed.items())
    for start in range(0, total, _CHUNK):
        state.set_emails(connection, dict(items[start:start + _CHUNK]))
        if progress is not None:
            progress(min(start + _CHUNK, total), total)
    addresses = {email.lower(): hashed[customer_id] for customer_id, email in plain.items()}
    events = _event_renames(connection, [str(row[0]) for row in connection.execute(text(
        "SELECT event_id FROM email_event WHERE event_id LIKE '%@%'"))], addresses)
    state.rename(connection, "event_id", events, tables=("email_event",))
    kept = _event_renames(connection, [str(row[0]) for row in connection.execute(text(
        "SELECT event_key FROM webhook_quarantine WHERE event_key LIKE '%@%'"))], addresses)
    state.rename(connection, "event_key", kept, tables=("webhook_quarantine",))
    messages = _message_renames(connection, plain, settings)
    state.rename(connection, "message_id", messages)
    state.rename(connection, "attributed_message_id", messages)
    state.rename(connection, "customer_id", ids)
    deliveries, rewritten = _redact_copies(connection)
    if total:
        for kind in _KINDS:
            changes.bump(connection, kind)
    state.set_marker(connection, settings)
    return Converted(total, len(ids), len(messages) + len(events) + len(kept), deliveries,
                     rewritten)


def hash_emails(engine: Engine, settings: Settings,
                progress: Progress | None = None) -> Converted:
    """``convert`` in one transaction of its own."""
    with engine.begin() as connection:
        return convert(connection, settings, progress)
