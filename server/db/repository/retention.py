"""Raw-event retention: the ledger's events older than a cutoff, counted or deleted.

The send facts (first open, click, counts on ``message``) and the rollups were folded from
the events when they arrived, so deleting old ledger rows changes no figure computed
from them; only what reads raw events themselves (the device breakdown, incremental event
exports) no longer sees the deleted ones.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, select

from server.db.models import EmailEvent
from server.db.repository import changes

_EVENTS = EmailEvent.__table__  # type: ignore[attr-defined]


def expired_counts(connection: Connection, cutoff: datetime) -> dict[str, int]:
    """Events that occurred before ``cutoff``, per event type (types with none left out)."""
    rows = connection.execute(select(_EVENTS.c.type, func.count())
                              .where(_EVENTS.c.occurred_at < cutoff)
                              .group_by(_EVENTS.c.type).order_by(_EVENTS.c.type))
    return {kind: int(count) for kind, count in rows}


def delete_expired(connection: Connection, cutoff: datetime) -> int:
    """Delete the events that occurred before ``cutoff`` in the caller's transaction."""
    deleted = connection.execute(delete(_EVENTS).where(_EVENTS.c.occurred_at < cutoff)
                                 ).rowcount or 0
    if deleted:
        changes.bump(connection, "events")
    return deleted
