"""Report reads: day and breakdown rollups, campaign facts and one campaign's sends, as
polars frames.

On PostgreSQL whole-table reads go through connectorx (Arrow); on SQLite through the
engine's own connections (see ``read_table``). Neither path takes bound parameters, so
reads that depend on user input (a campaign id, segment ids) go through SQLAlchemy with
bound parameters instead (``_read_bound``); only identifiers from this code are spliced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl
from sqlalchemy import Engine, text

from server.db.models import ROLLUP_COUNTERS
from server.db.repository import frames
from server.db.repository.report_sql import (
    COUNTER_COLUMNS,
    COUNTERS_SQL,
    bind_list,
    dialect_sql,
    sends_sql,
)

DAY_COUNTER_COLUMNS: tuple[str, ...] = (*ROLLUP_COUNTERS, "revenue")
COUNTER_TYPES: dict[str, pl.DataType] = {
    **{name: pl.Int64() for name in ROLLUP_COUNTERS},
    "revenue": pl.Float64(),
    "converted": pl.Int64(),
    "recipient_value": pl.Float64(),
}
ROLLUP_SCHEMA: dict[str, pl.DataType] = {
    "campaign_id": pl.String(), "variant_id": pl.String(), "day": pl.Date(),
    **{name: COUNTER_TYPES[name] for name in DAY_COUNTER_COLUMNS},
}
DIMENSION_SCHEMA: dict[str, pl.DataType] = {
    "campaign_id": pl.String(), "variant_id": pl.String(), "day": pl.Date(),
    "hour": pl.Int64(), "email_domain": pl.String(), **COUNTER_TYPES,
}
SEGMENT_SCHEMA: dict[str, pl.DataType] = {
    "campaign_id": pl.String(), "variant_id": pl.String(), "day": pl.Date(),
    "segment_id": pl.String(), **COUNTER_TYPES,
}
CAMPAIGN_SCHEMA: dict[str, pl.DataType] = {
    "campaign_id": pl.String(), "name": pl.String(), "campaign_type": pl.String(),
    "subject_line": pl.String(),
}
VARIANT_SCHEMA: dict[str, pl.DataType] = {
    "campaign_id": pl.String(), "variant_id": pl.String(), "subject_line": pl.String(),
}
UTC_DATETIME = pl.Datetime("us", "UTC")
MESSAGE_SCHEMA: dict[str, pl.DataType] = {
    "message_id": pl.String(), "variant_id": pl.String(), "customer_id": pl.String(),
    "sent_at": UTC_DATETIME, "delivered_at": UTC_DATETIME, "bounced_at": UTC_DATETIME,
    "bounce_type": pl.String(), "first_open_at": UTC_DATETIME, "open_count": pl.Int64(),
    "first_human_open_at": UTC_DATETIME, "first_click_at": UTC_DATETIME,
    "click_count": pl.Int64(), "unsubscribed_at": UTC_DATETIME,
    "complained_at": UTC_DATETIME, "conversions": pl.Int64(), "revenue": pl.Float64(),
}
EVENT_SCHEMA: dict[str, pl.DataType] = {
    "message_id": pl.String(), "type": pl.String(), "occurred_at": UTC_DATETIME,
    "user_agent": pl.String(), "machine_open": pl.Boolean(),
}

def _checked_id(value: str) -> str:
    if "\x00" in value:
        raise ValueError(f"id {value!r} contains a NUL character")
    return value


def _float(engine: Engine) -> str:
    return dialect_sql(engine)["float"]


def read_table(engine: Engine, sql: str, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The rows of ``sql`` cast to ``schema`` (see ``frames.read_table``)."""
    return frames.read_table(engine, sql, schema=schema)


def _read_bound(engine: Engine, sql: str, params: Mapping[str, object],
                schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The rows of ``sql`` with ``params`` bound (``:name``), cast to ``schema``."""
    with engine.connect() as connection:
        rows = connection.execute(text(sql), dict(params)).all()
    raw = pl.DataFrame([tuple(row) for row in rows], schema=list(schema), orient="row",
                       infer_schema_length=None)
    return frames.typed(raw, schema)

def rollup_sql(dialect_name: str) -> str:
    """The SQL of ``rollup_frame`` on ``dialect_name``."""
    real = dialect_sql(dialect_name)["float"]
    columns = ", ".join(f"CAST(revenue AS {real}) AS revenue" if name == "revenue" else name
                        for name in DAY_COUNTER_COLUMNS)
    # Safe SQL (S608): column lists and SQL fragments are code constants; ids bound.
    return f"SELECT campaign_id, variant_id, day, {columns} FROM rollup_campaign_day"  # noqa: S608


def rollup_frame(*, engine: Engine) -> pl.DataFrame:
    """Every ``rollup_campaign_day`` row (campaign × variant × send day counters)."""
    return read_table(engine, rollup_sql(engine.dialect.name), ROLLUP_SCHEMA)


def campaign_frame(*, engine: Engine) -> pl.DataFrame:
    """Every campaign's id, name, type and subject line."""
    return read_table(engine, "SELECT campaign_id, name, campaign_type, subject_line "
                              "FROM campaign", CAMPAIGN_SCHEMA)


def variant_frame(*, engine: Engine) -> pl.DataFrame:
    """Every A/B variant's subject line."""
    return read_table(engine, "SELECT campaign_id, variant_id, subject_line "
                              "FROM campaign_variant", VARIANT_SCHEMA)


def segment_names(*, engine: Engine) -> pl.DataFrame:
    """Every segment's id and name."""
    return read_table(engine, "SELECT segment_id, name FROM segment",
                      {"segment_id": pl.String(), "name": pl.String()})


def _derived_columns(dialect_name: str) -> str:
    money = ("revenue", "recipient_value")
    real = dialect_sql(dialect_name)["float"]
    return ", ".join(f"CAST({name} AS {real}) AS {name}" if name in money else name
                     for name in COUNTER_COLUMNS)


def breakdown_rollup_sql(dialect_name: str) -> str:
    """The SQL of ``breakdown_rollup_frame`` on ``dialect_name``."""
    # Safe SQL (S608): column lists and SQL fragments are code constants; ids bound.
    return ("SELECT campaign_id, variant_id, day, hour, email_domain, "  # noqa: S608
            f"{_derived_columns(dialect_name)} FROM rollup_campaign_breakdown")


def segment_rollup_sql(dialect_name: str) -> str:
    """The SQL of ``segment_rollup_frame`` on ``dialect_name``."""
    # Safe SQL (S608): column lists and SQL fragments are code constants; ids bound.
    return ("SELECT campaign_id, variant_id, day, segment_id, "  # noqa: S608
            f"{_derived_columns(dialect_name)} FROM rollup_campaign_segment")


def breakdown_rollup_frame(*, engine: Engine) -> pl.DataFrame:
    """Every ``rollup_campaign_breakdown`` row (campaign × variant × day × hour × domain)."""
    return read_table(engine, breakdown_rollup_sql(engine.dialect.name), DIMENSION_SCHEMA)


def segment_rollup_frame(*, engine: Engine) -> pl.DataFrame:
    """Every ``rollup_campaign_segment`` row (campaign × variant × day × segment)."""
    return read_table(engine, segment_rollup_sql(engine.dialect.name), SEGMENT_SCHEMA)


def member_counters_sql(dialect_name: str,
                        segment_ids: Sequence[str]) -> tuple[str, dict[str, str]]:
    """The SQL of ``member_counters`` on ``dialect_name`` and its bound parameters."""
    dialect = dialect_sql(dialect_name)
    in_list, params = bind_list("s", list(segment_ids))
    # Safe SQL (S608): column lists and SQL fragments are code constants; ids bound.
    sends = sends_sql("m0.customer_id IN (SELECT customer_id FROM segment_member "  # noqa: S608
                      f"WHERE segment_id IN ({in_list}))")
    # Safe SQL (S608): column lists and SQL fragments are code constants; ids bound.
    sql = (f"SELECT m.campaign_id, m.variant_id, {dialect['day']} AS day, "  # noqa: S608
           f"{dialect['hour']} AS hour, COALESCE(c.email_domain, '') AS email_domain, "
           f"{COUNTERS_SQL} FROM {sends} "
           "LEFT JOIN customer c ON c.customer_id = m.customer_id "
           "GROUP BY m.campaign_id, m.variant_id, 3, 4, 5")
    return sql, params


def member_counters(*, engine: Engine, segment_ids: Sequence[str]) -> pl.DataFrame:
    """Counters per campaign × variant × day × hour × domain of the sends to members of
    any of ``segment_ids`` (each send once), straight from the message table: slow on
    large data, so callers cache it."""
    sql, params = member_counters_sql(engine.dialect.name, segment_ids)
    return _read_bound(engine, sql, params, DIMENSION_SCHEMA)


def campaign_messages(*, engine: Engine, campaign_id: str) -> pl.DataFrame:
    """Every send of one campaign (the columns the metrics engine aggregates)."""
    columns = ", ".join(f"CAST(revenue AS {_float(engine)}) AS revenue" if name == "revenue"
                        else name for name in MESSAGE_SCHEMA)
    # Safe SQL (S608): code columns; the id is bound.
    return _read_bound(engine, f"SELECT {columns} FROM message "  # noqa: S608
                       "WHERE campaign_id = :campaign_id",
                       {"campaign_id": _checked_id(campaign_id)}, MESSAGE_SCHEMA)


def campaign_engagement_events(*, engine: Engine, campaign_id: str) -> pl.DataFrame:
    """The open and click events of one campaign's sends, with their user agents."""
    sql = ("SELECT e.message_id, e.type, e.occurred_at, e.user_agent, e.machine_open "
           "FROM email_event e JOIN message m ON m.message_id = e.message_id "
           "WHERE m.campaign_id = :campaign_id AND e.type IN ('open', 'click')")
    return _read_bound(engine, sql, {"campaign_id": _checked_id(campaign_id)}, EVENT_SCHEMA)
