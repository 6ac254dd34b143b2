"""Column types shared by every table: aware UTC datetimes and decimal money."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

# SQLite keeps datetimes as text in this exact format (SQLAlchemy's own); bulk writers
# that bypass SQLAlchemy must write the same text so reads and comparisons agree.
SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"

MONEY = Numeric(18, 4)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    Naive datetimes are refused at bind time: they are a bug upstream, not a value to guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class utc_day(FunctionElement[Any]):  # noqa: N801  (reads as a SQL function)
    """The UTC calendar day of a ``UTCDateTime`` column, as each database spells it.

    The rollups group sends by this expression and an index on it lets SQLite read them
    already grouped, so both must use exactly this text (``UTC_DAY_SQL``).
    """

    type = Date()
    inherit_cache = True


UTC_DAY_SQL = {
    "sqlite": "date({column})",
    "postgresql": "CAST({column} AT TIME ZONE 'UTC' AS DATE)",
}


@compiles(utc_day)
def _utc_day(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    spelling = UTC_DAY_SQL.get(compiler.dialect.name, UTC_DAY_SQL["postgresql"])
    return spelling.format(column=compiler.process(column, **kw))
