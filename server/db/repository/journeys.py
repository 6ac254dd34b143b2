"""Reads for attribution: marketing touches, orders and spend as polars frames (Arrow).

Email touches come from the sends (``message``): each send touches its recipient at most
once per kind, at its first delivery, first open and first click. Other channels come
from ``touchpoint``; its rows on the email channel are left out because the sends
already hold every email touch. Frames follow the attribution engine's schemas
(``analytics.attribution.TOUCHES_SCHEMA`` and ``CONVERSIONS_SCHEMA``), which this layer
may not import, so they are spelled out here and a test keeps them equal.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Literal

import polars as pl
from polars.datatypes import DataType, DataTypeClass
from sqlalchemy import Engine

from server.db.repository.frames import read_table

UTC_US = pl.Datetime("us", "UTC")


def _schema(columns: Mapping[str, DataType | DataTypeClass]) -> pl.Schema:
    """A schema from column dtypes; the declared mapping lets a dict mix dtype classes
    (pl.String) and instances (pl.Datetime(...)), which mypy would infer as dict[str, object]."""
    return pl.Schema(columns)
EMAIL_KINDS = ("delivered", "open", "click")
EMAIL_CHANNEL = "email"
TOUCHES_SCHEMA = _schema({"customer_id": pl.String, "occurred_at": UTC_US,
                            "channel": pl.String, "campaign_id": pl.String,
                            "touch_kind": pl.String})
CONVERSIONS_SCHEMA = _schema({"order_id": pl.String, "customer_id": pl.String,
                                "occurred_at": UTC_US, "revenue": pl.Float64})
SPEND_SCHEMA = _schema({"key": pl.String, "spend": pl.Float64})
SpendKey = Literal["channel", "campaign"]

_KIND_COLUMNS = {"delivered": "delivered_at", "open": "first_open_at",
                 "click": "first_click_at"}
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def read_touches(*, engine: Engine, start: datetime | None, end: datetime | None,
                 email_kinds: Collection[str] = EMAIL_KINDS) -> pl.DataFrame:
    """Touches in ``[start, end)`` (either bound may be None: unbounded), email touches
    only of ``email_kinds``; ``TOUCHES_SCHEMA``, unordered. ``touch_kind`` is the
    email kind for email touches and the channel for the others."""
    unknown = sorted(set(email_kinds) - set(EMAIL_KINDS))
    if unknown:
        raise ValueError(f"email kinds {', '.join(map(repr, unknown))} are unknown; "
                         f"use any of {', '.join(EMAIL_KINDS)}")
    dialect = engine.dialect.name
    touchpoints = _read(engine, touchpoints_sql(dialect, start, end), TOUCHES_SCHEMA)
    kinds = [kind for kind in EMAIL_KINDS if kind in email_kinds]
    if not kinds:
        return touchpoints
    columns = {_KIND_COLUMNS[kind]: kind for kind in kinds}
    sends = _read(engine, email_touches_sql(dialect, start, end, kinds),
                  _schema({"customer_id": pl.String, "campaign_id": pl.String,
                             **dict.fromkeys(columns, UTC_US)}))
    in_period = pl.col("occurred_at").is_not_null()
    if start is not None:
        in_period &= pl.col("occurred_at") >= _utc(start)
    if end is not None:
        in_period &= pl.col("occurred_at") < _utc(end)
    email = (sends.unpivot(on=list(columns), index=["customer_id", "campaign_id"],
                           variable_name="touch_kind", value_name="occurred_at")
             .filter(in_period)
             .with_columns(pl.col("touch_kind").replace_strict(columns),
                           channel=pl.lit(EMAIL_CHANNEL))
             .select(TOUCHES_SCHEMA.names()))
    return pl.concat([email, touchpoints])


def touchpoints_sql(dialect: str, start: datetime | None, end: datetime | None) -> str:
    """The SQL of the non-email touches in ``[start, end)`` on ``dialect``."""
    # Safe SQL (S608): code columns and tables; datetimes formatted from datetime objects.
    return ("SELECT customer_id, occurred_at, channel, campaign_id, channel AS touch_kind "  # noqa: S608
            f"FROM touchpoint WHERE channel <> '{EMAIL_CHANNEL}' AND "
            f"{_between('occurred_at', start, end, dialect)}")


def email_touches_sql(dialect: str, start: datetime | None, end: datetime | None,
                      kinds: Collection[str]) -> str:
    """The SQL of the sends with a touch of ``kinds`` in ``[start, end)`` on ``dialect``."""
    # One scan of the sends for every kind (the table is the largest there is), then one
    # row per kind; kinds come from the fixed list above, so they are safe in SQL.
    columns = [_KIND_COLUMNS[kind] for kind in EMAIL_KINDS if kind in kinds]
    # Safe SQL (S608): code columns and tables; datetimes formatted from datetime objects.
    return (f"SELECT customer_id, campaign_id, {', '.join(columns)} FROM message WHERE "  # noqa: S608
            + " OR ".join(f"({_between(column, start, end, dialect)})" for column in columns))


def conversions_sql(dialect: str, start: datetime | None, end: datetime | None) -> str:
    """The SQL of ``read_conversions`` on ``dialect``."""
    # Safe SQL (S608): code columns and tables; datetimes formatted from datetime objects.
    return (f"SELECT order_id, customer_id, occurred_at, {_real('amount', dialect)} AS revenue "  # noqa: S608
            f"FROM orders WHERE {_between('occurred_at', start, end, dialect)}")


def read_conversions(*, engine: Engine, start: datetime | None,
                     end: datetime | None) -> pl.DataFrame:
    """Orders placed in ``[start, end)`` with their amount as ``revenue``
    (``CONVERSIONS_SCHEMA``), unordered."""
    return _read(engine, conversions_sql(engine.dialect.name, start, end), CONVERSIONS_SCHEMA)


def read_spend(*, engine: Engine, start: datetime | None, end: datetime | None,
               by: SpendKey) -> pl.DataFrame:
    """Spend summed per channel (``spend.category`` names the channel) or per campaign
    (rows with a ``campaign_id``) over the days ``[start, end)`` touches, sorted by key
    (``SPEND_SCHEMA``)."""
    return _read(engine, spend_sql(engine.dialect.name, start, end, by), SPEND_SCHEMA).sort("key")


def spend_sql(dialect: str, start: datetime | None, end: datetime | None,
              by: SpendKey) -> str:
    """The SQL of ``read_spend`` on ``dialect``."""
    if by not in ("channel", "campaign"):
        raise ValueError(f"by must be 'channel' or 'campaign', got {by!r}")
    key = "category" if by == "channel" else "campaign_id"
    conditions = [f"{key} IS NOT NULL"]
    if start is not None:
        conditions.append(f"incurred_on >= '{_utc(start).date().isoformat()}'")
    if end is not None:
        last_day: date = (_utc(end) - timedelta(microseconds=1)).date()
        conditions.append(f"incurred_on <= '{last_day.isoformat()}'")
    # Safe SQL (S608): code columns and tables; datetimes formatted from datetime objects.
    return (f"SELECT {key} AS key, SUM({_real('amount', dialect)}) AS spend FROM spend "  # noqa: S608
            f"WHERE {' AND '.join(conditions)} GROUP BY {key}")


def latest_order_at(*, engine: Engine) -> datetime | None:
    """When the latest order was placed (aware UTC), or None without orders."""
    # not MAX(): connectorx cannot type SQLite's NULL aggregate over an empty table
    frame = _read(engine, "SELECT occurred_at FROM orders ORDER BY occurred_at DESC LIMIT 1",
                  _schema({"occurred_at": UTC_US}))
    return frame["occurred_at"][0] if frame.height else None


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()}: pass a timezone-aware one")
    return value.astimezone(UTC)


def _literal(value: datetime, dialect: str) -> str:
    # connectorx takes no parameters; the value is a datetime we format, never user text.
    # SQLite compares its timestamp text, so the literal must use the same format.
    text = _utc(value).strftime(_SQLITE_TIME)
    return f"'{text}'" if dialect == "sqlite" else f"'{text}+00:00'"


def _between(column: str, start: datetime | None, end: datetime | None, dialect: str) -> str:
    conditions = [f"{column} IS NOT NULL"]
    if start is not None:
        conditions.append(f"{column} >= {_literal(start, dialect)}")
    if end is not None:
        conditions.append(f"{column} < {_literal(end, dialect)}")
    return " AND ".join(conditions)


def _real(column: str, dialect: str) -> str:
    # connectorx trusts SQLite's declared NUMERIC type, but the values are stored as REAL
    return f"CAST({column} AS {'REAL' if dialect == 'sqlite' else 'DOUBLE PRECISION'})"


def _read(engine: Engine, sql: str, schema: pl.Schema) -> pl.DataFrame:
    return read_table(engine, sql, schema=dict(schema))
