"""The webhook inbox, quarantine and token cache, and the lookups a fold needs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.db.models import (
    Customer,
    Message,
    WebhookDelivery,
    WebhookQuarantine,
    WebhookToken,
)
from server.db.models.campaigns import Campaign
from server.db.types import utcnow

_DELIVERY: Table = WebhookDelivery.__table__  # type: ignore[attr-defined]
_QUARANTINE: Table = WebhookQuarantine.__table__  # type: ignore[attr-defined]
_TOKEN: Table = WebhookToken.__table__  # type: ignore[attr-defined]
_CUSTOMER: Table = Customer.__table__  # type: ignore[attr-defined]
_CAMPAIGN: Table = Campaign.__table__  # type: ignore[attr-defined]
_MESSAGE: Table = Message.__table__  # type: ignore[attr-defined]
# Keys per IN (...) list: well under every database's parameter limit.
_CHUNK = 5_000
# Tokens are remembered this long: twice the 5 minutes a Mailgun timestamp may be off,
# after which a replay is refused for its timestamp anyway.
TOKEN_MEMORY = timedelta(minutes=10)


def _insert(connection: Connection, table: Table) -> Any:
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    return dialect.insert(table)


def delivery_key(provider: str, body: bytes) -> str:
    return hashlib.sha256(provider.encode() + b"\0" + body).hexdigest()


class TokenReused(Exception):
    """A Mailgun token seen before: the request is a replay."""


def store_delivery(*, engine: Engine, provider: str, body: bytes,
                   token: str | None = None) -> tuple[int, bool]:
    """Keep a received delivery (and its one-time token) in one short transaction.

    Returns the delivery's id and whether it is new: a body received before returns the
    first delivery's id. Raises ``TokenReused`` (storing nothing) when ``token`` was used.
    """
    key = delivery_key(provider, body)
    with engine.begin() as connection:
        if token is not None:
            connection.execute(_TOKEN.delete().where(
                _TOKEN.c.seen_at < utcnow() - TOKEN_MEMORY))
            added = connection.execute(_insert(connection, _TOKEN).values(
                provider=provider, token=token, seen_at=utcnow())
                .on_conflict_do_nothing().returning(_TOKEN.c.token)).scalar()
            if added is None:
                raise TokenReused(token)
        inserted = connection.execute(_insert(connection, _DELIVERY).values(
            provider=provider, delivery_key=key, body=body.decode("utf-8", "replace"),
            received_at=utcnow(), events=0, quarantined=0)
            .on_conflict_do_nothing().returning(_DELIVERY.c.id)).scalar()
        if inserted is not None:
            return int(inserted), True
        existing = connection.execute(select(_DELIVERY.c.id).where(
            _DELIVERY.c.delivery_key == key)).scalar_one()
        return int(existing), False


def set_delivery_job(*, engine: Engine, delivery_id: int, job_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(update(_DELIVERY).where(_DELIVERY.c.id == delivery_id)
                           .values(job_id=job_id))


def get_delivery(*, engine: Engine, delivery_id: int) -> WebhookDelivery | None:
    with engine.connect() as connection:
        row = connection.execute(select(_DELIVERY).where(
            _DELIVERY.c.id == delivery_id)).mappings().first()
    return None if row is None else WebhookDelivery(**row)


def mark_folded(connection: Connection, delivery_id: int, events: int,
                quarantined: int) -> None:
    connection.execute(update(_DELIVERY).where(_DELIVERY.c.id == delivery_id).values(
        folded_at=utcnow(), events=events, quarantined=quarantined, error=None))


# The body of a folded delivery once addresses are hashed at rest: it named recipients
# by their plain address, and the rows it made are all that is needed after the fold.
HASHED_BODY = "(folded: body removed because addresses are hashed at rest)"


def drop_body(connection: Connection, delivery_id: int) -> None:
    """Replace a folded delivery's body by ``HASHED_BODY``."""
    connection.execute(update(_DELIVERY).where(_DELIVERY.c.id == delivery_id).values(
        body=HASHED_BODY))


def mark_failed(*, engine: Engine, delivery_id: int, error: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(_DELIVERY).where(_DELIVERY.c.id == delivery_id)
                           .values(error=error))


def quarantine(connection: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Keep events the mapping could not take; an event kept before is left as it is."""
    if not rows:
        return 0
    now = utcnow()
    statement = _insert(connection, _QUARANTINE).values(
        [{**row, "quarantined_at": now} for row in rows]).on_conflict_do_nothing(
    ).returning(_QUARANTINE.c.id)
    return len(connection.execute(statement).all())


def list_quarantine(*, engine: Engine, include_resolved: bool = False,
                    limit: int = 200) -> list[WebhookQuarantine]:
    query = select(_QUARANTINE).order_by(_QUARANTINE.c.id.desc()).limit(limit)
    if not include_resolved:
        query = query.where(_QUARANTINE.c.resolved_at.is_(None))
    with engine.connect() as connection:
        return [WebhookQuarantine(**row) for row in connection.execute(query).mappings()]


def get_quarantined(connection: Connection, ids: Sequence[int]) -> list[WebhookQuarantine]:
    query = select(_QUARANTINE).where(_QUARANTINE.c.id.in_(list(ids)),
                                      _QUARANTINE.c.resolved_at.is_(None))
    return [WebhookQuarantine(**row) for row in connection.execute(query).mappings()]


def resolve_quarantined(connection: Connection, ids: Iterable[int]) -> None:
    connection.execute(update(_QUARANTINE).where(_QUARANTINE.c.id.in_(list(ids)))
                       .values(resolved_at=utcnow()))


def list_deliveries(*, engine: Engine, limit: int = 50) -> list[WebhookDelivery]:
    query = select(_DELIVERY).order_by(_DELIVERY.c.id.desc()).limit(limit)
    with engine.connect() as connection:
        return [WebhookDelivery(**row) for row in connection.execute(query).mappings()]


def delivery_counts(*, engine: Engine) -> dict[str, tuple[int, int]]:
    """Per provider: deliveries received and deliveries not folded yet."""
    query = select(_DELIVERY.c.provider, func.count(),
                   func.count().filter(_DELIVERY.c.folded_at.is_(None))
                   ).group_by(_DELIVERY.c.provider)
    with engine.connect() as connection:
        return {provider: (int(total), int(waiting))
                for provider, total, waiting in connection.execute(query)}


def _chunks(values: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start:start + _CHUNK])


def customers_by_id(connection: Connection, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids):
        found.update(connection.execute(select(_CUSTOMER.c.customer_id).where(
            _CUSTOMER.c.customer_id.in_(chunk))).scalars())
    return found


def customers_by_email(connection: Connection, emails: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(emails):
        for email, customer_id in connection.execute(select(
                _CUSTOMER.c.email, _CUSTOMER.c.customer_id).where(
                _CUSTOMER.c.email.in_(chunk))):
            found[email] = customer_id
    return found


def known_campaigns(connection: Connection, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids):
        found.update(connection.execute(select(_CAMPAIGN.c.campaign_id).where(
            _CAMPAIGN.c.campaign_id.in_(chunk))).scalars())
    return found


def stored_messages(connection: Connection, ids: Sequence[str],
                    ) -> dict[str, tuple[str, str, str, datetime]]:
    """message_id -> (campaign, customer, variant, sent_at) for the stored ones."""
    found: dict[str, tuple[str, str, str, datetime]] = {}
    for chunk in _chunks(ids):
        for message_id, campaign, customer, variant, sent_at in connection.execute(select(
                _MESSAGE.c.message_id, _MESSAGE.c.campaign_id, _MESSAGE.c.customer_id,
                _MESSAGE.c.variant_id, _MESSAGE.c.sent_at).where(
                _MESSAGE.c.message_id.in_(chunk))):
            found[message_id] = (campaign, customer, variant, sent_at)
    return found
