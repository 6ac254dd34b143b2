"""Customer profiles: the frames they are computed from, and their stored rows.

Reads take either an engine (every customer, through ``read_table``: Arrow on
PostgreSQL) or a connection and a scope (the customers staged in ``SCOPE``, inside the
caller's transaction so an import sees its own uncommitted rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, bindparam, text
from sqlmodel import Session, col, select

from server.db.models import CustomerProfile
from server.db.repository import bulk
from server.db.repository.frames import read_frame, read_table, rows_frame, typed
from server.db.repository.predictions import published_run

SCOPE = "stage_profile_customers"

Source = Engine | Connection
Schema = Mapping[str, pl.DataType]


def _read(source: Source, sql: str, schema: Schema) -> pl.DataFrame:
    if isinstance(source, Engine):
        return read_table(source, sql, schema=schema)
    return read_frame(source, sql, schema=schema)


def _within(source: Source, alias: str, keyword: str = "WHERE") -> str:
    """The condition that limits a read to the staged scope (none when reading everyone).

    An ``IN`` over the stage, not a join: SQLite then looks the few staged customers up
    by index, where a join to the (unanalysed) stage scanned every email event first
    (5.8 s for one customer at the medium scale, against 1 ms)."""
    if isinstance(source, Engine):
        return ""
    # Safe SQL (S608): the keyword, alias and stage name are code constants.
    return f" {keyword} {alias}.customer_id IN (SELECT customer_id FROM {SCOPE})"  # noqa: S608


def stage_scope(connection: Connection, customer_ids: Sequence[str]) -> None:
    """Stage ``customer_ids`` as the scope of the scoped reads and writes."""
    bulk.stage_frame(connection, SCOPE, pl.DataFrame(
        {"customer_id": sorted(set(customer_ids))}, schema={"customer_id": pl.String}))


def drop_scope(connection: Connection) -> None:
    bulk.drop_stage(connection, SCOPE)


def churn_run(source: Source) -> int | None:
    """The id of the published churn scoring run (the one readers see), None before
    any churn scores are published."""
    with Session(bind=source) as session:
        run = published_run(session=session, kind="churn")
    return None if run is None else run.id


def profile_inputs(source: Source, schemas: Mapping[str, Schema]) -> dict[str, pl.DataFrame]:
    """The frames a profile is computed from (customers, sends, orders, behavior,
    agents, and the published churn scores), each typed by its entry in ``schemas``, for
    everyone (an engine) or the staged scope (a connection)."""
    run = churn_run(source)
    if run is None:
        scores = pl.DataFrame(schema=dict(schemas["scores"]))
    else:
        scores = _read(source, (
            # Safe SQL (S608): table and column names are code constants; the run id is
            # an int.
            "SELECT s.customer_id, s.probability AS churn_probability, "  # noqa: S608
            f"s.risk_level AS churn_risk FROM customer_score s WHERE s.run_id = {int(run)}"
            + _within(source, "s", "AND")), schemas["scores"])
    return {
        "scores": scores,
        "customers": _read(source, (
            # Safe SQL (S608): table and column names are code constants; values are bound.
            "SELECT c.customer_id, c.signup_at, c.country, c.email_domain FROM customer c"  # noqa: S608
            + _within(source, "c")), schemas["customers"]),
        "sends": _read(source, (
            "SELECT m.customer_id, m.sent_at, m.delivered_at, m.first_open_at, "
            "m.first_human_open_at, m.first_click_at, m.unsubscribed_at, m.complained_at "
            "FROM message m" + _within(source, "m")), schemas["sends"]),
        "orders": _read(source, (
            # Safe SQL (S608): table and column names are code constants; values are bound.
            "SELECT o.customer_id, o.occurred_at, o.amount FROM orders o"  # noqa: S608
            + _within(source, "o")), schemas["orders"]),
        "behavior": _read(source, (
            # Safe SQL (S608): table and column names are code constants; values are bound.
            "SELECT b.customer_id, b.occurred_at, p.category FROM behavior_event b "  # noqa: S608
            "LEFT JOIN product p ON p.product_id = b.product_id" + _within(source, "b")),
            schemas["behavior"]),
        "agents": _read(source, (
            # Safe SQL (S608): table and column names are code constants; values are bound.
            "SELECT m.customer_id, e.user_agent FROM email_event e "  # noqa: S608
            "JOIN message m ON m.message_id = e.message_id "
            "WHERE e.type IN ('open', 'click') AND e.user_agent IS NOT NULL "
            "AND NOT e.machine_open" + _within(source, "m", "AND")), schemas["agents"]),
    }


def write_profiles(connection: Connection, profiles: pl.DataFrame, *,
                   everyone: bool) -> None:
    """Make the stored profiles of the scope (of every customer when ``everyone``) those
    of ``profiles``, in the caller's transaction.

    Rows are upserted, not deleted and inserted again: two imports that touch the same
    customer at once then both succeed (the later one waits for the earlier one's row),
    where a delete could not see the other's new row and the insert would collide."""
    stage = "stage_customer_profile"
    columns = ", ".join(profiles.columns)
    bulk.stage_frame(connection, stage, profiles)
    # Safe SQL (S608): table and column names are code constants; values are bound.
    gone = f"customer_id NOT IN (SELECT customer_id FROM {stage})"  # noqa: S608
    if everyone:
        # Safe SQL (S608): table and column names are code constants; values are bound.
        connection.execute(text(f"DELETE FROM customer_profile WHERE {gone}"))  # noqa: S608
    else:
        connection.execute(text(
            # Safe SQL (S608): table and column names are code constants; values are bound.
            f"DELETE FROM customer_profile WHERE {gone} AND customer_id IN "  # noqa: S608
            f"(SELECT customer_id FROM {SCOPE})"))
    updates = ", ".join(f"{name} = excluded.{name}" for name in profiles.columns
                        if name != "customer_id")
    # "WHERE true" tells SQLite's parser the ON CONFLICT belongs to the INSERT.
    connection.execute(text(
        # Safe SQL (S608): table and column names are code constants; values are bound.
        f"INSERT INTO customer_profile ({columns}) SELECT {columns} FROM {stage} WHERE true "  # noqa: S608
        f"ON CONFLICT (customer_id) DO UPDATE SET {updates}"))
    bulk.drop_stage(connection, stage)


def profile_frame(source: Source, schema: Schema) -> pl.DataFrame:
    """Stored profiles (everyone, or the staged scope), with the columns of ``schema``."""
    columns = ", ".join(f"p.{name}" for name in schema)
    # Safe SQL (S608): table and column names are code constants; values are bound.
    return _read(source, f"SELECT {columns} FROM customer_profile p" + _within(source, "p")  # noqa: S608
                 + " ORDER BY p.customer_id", schema)


def profiles_newer_than(connection: Connection, at: datetime,
                        schema: Schema) -> pl.DataFrame:
    """Stored profiles computed after ``at`` (by imports that committed while a full
    refresh that started at ``at`` was computing), with the columns of ``schema``."""
    # Through the model's column, so ``at`` is bound as the column stores it.
    ids = [row[0] for row in connection.execute(
        select(CustomerProfile.customer_id).where(col(CustomerProfile.computed_at) > at))]
    if not ids:
        return pl.DataFrame(schema=dict(schema))
    stage_scope(connection, ids)
    newer = profile_frame(connection, schema)
    drop_scope(connection)
    return newer


def profiles_of(connection: Connection, customer_ids: Sequence[str],
                schema: Schema) -> dict[str, dict[str, Any]]:
    """The stored profiles of ``customer_ids`` (those that have one), by customer id, in
    one statement."""
    if not customer_ids:
        return {}
    # Safe SQL (S608): table and column names are code constants; the ids are bound.
    statement = text(f"SELECT {', '.join(schema)} FROM customer_profile "  # noqa: S608
                     "WHERE customer_id IN :ids").bindparams(
        bindparam("ids", expanding=True))
    rows = connection.execute(statement, {"ids": list(customer_ids)}).all()
    if not rows:
        return {}
    return {row["customer_id"]: row
            for row in rows_frame(rows, schema).iter_rows(named=True)}


def profile_of(connection: Connection, customer_id: str,
               schema: Schema) -> dict[str, Any] | None:
    """One stored profile (the columns of ``schema``) as a column -> value mapping."""
    # Safe SQL (S608): table and column names are code constants; values are bound.
    row = connection.execute(text(f"SELECT {', '.join(schema)} FROM customer_profile "  # noqa: S608
                                  "WHERE customer_id = :id"), {"id": customer_id}).first()
    if row is None:
        return None
    frame = pl.DataFrame([tuple(row)], schema=list(schema), orient="row")
    return typed(frame, schema).row(0, named=True)
