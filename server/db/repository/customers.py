"""Customer profiles: the frames they are computed from, and their stored rows.

Reads take either an engine (every customer, through ``read_table``: Arrow on
PostgreSQL) or a connection and a scope (the customers staged in ``SCOPE``, inside the
caller's transaction so an import sees its own uncommitted rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, text

from analytics.customers.schemas import (
    AGENT_SCHEMA,
    BEHAVIOR_SCHEMA,
    CUSTOMER_SCHEMA,
    ORDER_SCHEMA,
    PROFILE_SCHEMA,
    SEND_SCHEMA,
)
from server.db.repository import bulk
from server.db.repository.frames import read_frame, read_table, typed

SCOPE = "stage_profile_customers"
_PROFILE_COLUMNS = ", ".join(PROFILE_SCHEMA)

Source = Engine | Connection


def _read(source: Source, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if isinstance(source, Engine):
        return read_table(source, sql, schema=schema)
    return read_frame(source, sql, schema=schema)


def _join(source: Source, alias: str) -> str:
    """The join that limits a read to the staged scope (none when reading everyone)."""
    if isinstance(source, Engine):
        return ""
    return f" JOIN {SCOPE} sc ON sc.customer_id = {alias}.customer_id"


def stage_scope(connection: Connection, customer_ids: Sequence[str]) -> None:
    """Stage ``customer_ids`` as the scope of the scoped reads and writes."""
    bulk.stage_frame(connection, SCOPE, pl.DataFrame(
        {"customer_id": sorted(set(customer_ids))}, schema={"customer_id": pl.String}))


def drop_scope(connection: Connection) -> None:
    bulk.drop_stage(connection, SCOPE)


def profile_inputs(source: Source) -> dict[str, pl.DataFrame]:
    """The frames ``compute_profiles`` takes, for everyone (an engine) or the staged
    scope (a connection)."""
    return {
        "customers": _read(source, (
            "SELECT c.customer_id, c.signup_at, c.country, c.email_domain FROM customer c"
            + _join(source, "c")), CUSTOMER_SCHEMA),
        "sends": _read(source, (
            "SELECT m.customer_id, m.sent_at, m.delivered_at, m.first_open_at, "
            "m.first_human_open_at, m.first_click_at, m.unsubscribed_at, m.complained_at "
            "FROM message m" + _join(source, "m")), SEND_SCHEMA),
        "orders": _read(source, (
            "SELECT o.customer_id, o.occurred_at, o.amount FROM orders o"
            + _join(source, "o")), ORDER_SCHEMA),
        "behavior": _read(source, (
            "SELECT b.customer_id, b.occurred_at, p.category FROM behavior_event b "
            "LEFT JOIN product p ON p.product_id = b.product_id" + _join(source, "b")),
            BEHAVIOR_SCHEMA),
        "agents": _read(source, (
            "SELECT m.customer_id, e.user_agent FROM email_event e "
            "JOIN message m ON m.message_id = e.message_id" + _join(source, "m")
            + " WHERE e.type IN ('open', 'click') AND e.user_agent IS NOT NULL "
            "AND NOT e.machine_open"), AGENT_SCHEMA),
    }


def write_profiles(connection: Connection, profiles: pl.DataFrame, *,
                   everyone: bool) -> None:
    """Replace the stored profiles of the customers in ``profiles`` (of every customer
    when ``everyone``) with its rows, in the caller's transaction."""
    stage = "stage_customer_profile"
    if everyone:
        connection.execute(text("DELETE FROM customer_profile"))
    else:
        connection.execute(text(
            "DELETE FROM customer_profile WHERE customer_id IN "
            f"(SELECT customer_id FROM {SCOPE})"))
    if profiles.is_empty():
        return
    bulk.stage_frame(connection, stage, profiles.select(list(PROFILE_SCHEMA)))
    connection.execute(text(f"INSERT INTO customer_profile ({_PROFILE_COLUMNS}) "
                            f"SELECT {_PROFILE_COLUMNS} FROM {stage}"))
    bulk.drop_stage(connection, stage)


def profile_frame(source: Source) -> pl.DataFrame:
    """Stored profiles (everyone, or the staged scope), in ``PROFILE_SCHEMA``."""
    columns = ", ".join(f"p.{name}" for name in PROFILE_SCHEMA)
    return _read(source, f"SELECT {columns} FROM customer_profile p" + _join(source, "p")
                 + " ORDER BY p.customer_id", PROFILE_SCHEMA)


def profile_of(connection: Connection, customer_id: str) -> dict[str, Any] | None:
    """One stored profile as a column -> value mapping, or None."""
    row = connection.execute(text(f"SELECT {_PROFILE_COLUMNS} FROM customer_profile "
                                  "WHERE customer_id = :id"), {"id": customer_id}).first()
    if row is None:
        return None
    frame = pl.DataFrame([tuple(row)], schema=list(PROFILE_SCHEMA), orient="row")
    return typed(frame, PROFILE_SCHEMA).row(0, named=True)
