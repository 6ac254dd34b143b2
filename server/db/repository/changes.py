"""Generations of the imported data: a cheap stamp of "has anything changed since"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from server.db.models import DataChange
from server.db.types import utcnow

_TABLE = DataChange.__table__  # type: ignore[attr-defined]


def bump(connection: Connection, kind: str) -> None:
    """Count one more change of ``kind``, in the caller's transaction (so an import that
    rolls back leaves the generation as it was)."""
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    statement = dialect.insert(_TABLE).values(kind=kind, generation=1, changed_at=utcnow())
    connection.execute(statement.on_conflict_do_update(
        index_elements=[_TABLE.c.kind],
        set_={"generation": _TABLE.c.generation + 1,
              "changed_at": statement.excluded.changed_at}))


SEQUENCE_KIND = "ingest_sequence"


def next_sequence(connection: Connection) -> int:
    """The next ingest sequence number, in the caller's transaction.

    The counter's row stays locked until the caller commits (on PostgreSQL), so numbers
    become visible in the order they were taken: a reader that sees number N also sees
    every number below it, and an export "since N" never skips a row committed late.
    """
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    statement = dialect.insert(_TABLE).values(kind=SEQUENCE_KIND, generation=1,
                                              changed_at=utcnow())
    return int(connection.execute(statement.on_conflict_do_update(
        index_elements=[_TABLE.c.kind],
        set_={"generation": _TABLE.c.generation + 1,
              "changed_at": statement.excluded.changed_at})
        .returning(_TABLE.c.generation)).scalar_one())


def generations(engine: Engine) -> tuple[tuple[str, int, datetime], ...]:
    """Every kind's generation and last change, in kind order: equal stamps mean unchanged
    data. The times tell apart two databases at one address (one dropped and made again)
    whose counts happen to agree."""
    with engine.connect() as connection:
        rows = connection.execute(select(
            _TABLE.c.kind, _TABLE.c.generation, _TABLE.c.changed_at)
            .order_by(_TABLE.c.kind)).all()
    return tuple((kind, generation, changed_at) for kind, generation, changed_at in rows)
