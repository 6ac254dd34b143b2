"""Turning one raw column (text from a file, or already typed) into its stored type.

Each converter returns the typed series and a series of problems: null where the value
is fine, otherwise the message telling the user what to write instead.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Callable
from functools import lru_cache

import polars as pl

from server.ingest.kinds import (
    BOOL,
    COUNTRY,
    CURRENCY,
    DATE,
    DATETIME,
    DECIMAL,
    EMAIL,
    FLOAT,
    JSON_ARRAY,
    JSON_OBJECT,
    TIMEZONE,
    Column,
)

MONEY_DTYPE = pl.Decimal(18, 4)
DATETIME_DTYPE = pl.Datetime("us", "UTC")

EXPECTED = {
    DATETIME: "expected an ISO-8601 timestamp with timezone such as 2024-05-01T09:30:00Z",
    DATE: "expected an ISO-8601 date such as 2024-05-01",
    DECIMAL: "expected a decimal number such as 19.99",
    FLOAT: "expected a number such as 0.5",
    BOOL: "expected true or false",
    EMAIL: "expected an email address such as ana@example.com",
    COUNTRY: "expected a two-letter ISO 3166 country code such as US",
    CURRENCY: "expected a three-letter ISO 4217 currency code such as USD",
    TIMEZONE: "expected an IANA time zone name such as Europe/Berlin",
    JSON_ARRAY: 'expected a JSON array such as [{"product_id": "p1", "quantity": 1}]',
    JSON_OBJECT: 'expected a JSON object such as {"source": "newsletter"}',
}
NEGATIVE = "must not be negative; expected a number of 0 or more"
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# Naive timestamps (no Z, no offset) are taken as UTC; see the README.
_NAIVE = r"T\d{2}:\d{2}:\d{2}(\.\d+)?$"

Converted = tuple[pl.Series, pl.Series]


def text(raw: pl.Series) -> pl.Series:
    """Trimmed text; an empty cell is a missing value."""
    values = raw if raw.dtype == pl.String else raw.cast(pl.String)
    values = values.str.strip_chars()
    return pl.select(pl.when(values != "").then(values)).to_series()


def _fine(values: pl.Series) -> pl.Series:
    return pl.repeat(None, values.len(), dtype=pl.String, eager=True)


def _problems(bad: pl.Series, message: str) -> pl.Series:
    return pl.select(pl.when(bad.fill_null(False)).then(pl.lit(message))
                     .otherwise(pl.lit(None, pl.String))).to_series()


def _datetime(raw: pl.Series) -> Converted:
    if isinstance(raw.dtype, pl.Datetime):
        values = (raw.dt.convert_time_zone("UTC") if raw.dtype.time_zone
                  else raw.dt.replace_time_zone("UTC"))
        return values.cast(DATETIME_DTYPE), _fine(raw)
    values = text(raw)
    normal = (values.str.replace(r"^(\d{4}-\d{2}-\d{2})[ tT]", r"${1}T")
              .str.replace(r"[zZ]$", "+00:00"))
    normal = pl.select(pl.when(normal.str.contains(_NAIVE)).then(normal + "+00:00")
                       .otherwise(normal)).to_series()
    parsed = normal.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_unit="us",
                                    time_zone="UTC")
    return parsed, _problems(values.is_not_null() & parsed.is_null(), EXPECTED[DATETIME])


def _date(raw: pl.Series) -> Converted:
    if raw.dtype == pl.Date:
        return raw, _fine(raw)
    if isinstance(raw.dtype, pl.Datetime):
        return raw.dt.date(), _fine(raw)
    values = text(raw)
    parsed = values.str.to_date("%Y-%m-%d", strict=False)
    return parsed, _problems(values.is_not_null() & parsed.is_null(), EXPECTED[DATE])


def _number(raw: pl.Series, dtype: pl.DataType, expected: str) -> Converted:
    values = text(raw) if raw.dtype == pl.String else raw
    parsed = values.cast(dtype, strict=False)
    if dtype == pl.Float64:
        parsed = pl.select(pl.when(parsed.is_finite()).then(parsed)).to_series()
    unparsed = values.is_not_null() & parsed.is_null()
    problems = pl.select(
        pl.when(unparsed).then(pl.lit(expected))
        .when(parsed < 0).then(pl.lit(NEGATIVE))
        .otherwise(pl.lit(None, pl.String))).to_series()
    return parsed, problems


def _bool(raw: pl.Series) -> Converted:
    if raw.dtype == pl.Boolean:
        return raw, _fine(raw)
    values = text(raw).str.to_lowercase()
    parsed = pl.select(pl.when(values.is_in(_TRUE)).then(True)
                       .when(values.is_in(_FALSE)).then(False)
                       .otherwise(None)).to_series()
    return parsed, _problems(values.is_not_null() & parsed.is_null(), EXPECTED[BOOL])


def _pattern(raw: pl.Series, pattern: str, expected: str, *, upper: bool = False) -> Converted:
    values = text(raw)
    values = values.str.to_uppercase() if upper else values.str.to_lowercase()
    return values, _problems(~values.str.contains(pattern), expected)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() | {"UTC"})


def _timezone(raw: pl.Series) -> Converted:
    values = text(raw)
    return values, _problems(values.is_not_null() & ~values.is_in(list(_zones())),
                             EXPECTED[TIMEZONE])


def _json(raw: pl.Series, container: type, expected: str) -> Converted:
    values = text(raw)
    bad = []
    for value in values.drop_nulls().unique().to_list():
        try:
            parsed = json.loads(value)
        except ValueError:
            bad.append(value)
            continue
        if not isinstance(parsed, container):
            bad.append(value)
    return values, _problems(values.is_in(bad), expected)


def _choices(raw: pl.Series, choices: tuple[str, ...]) -> Converted:
    values = text(raw).str.to_lowercase()
    return values, _problems(values.is_not_null() & ~values.is_in(list(choices)),
                             f"expected one of {', '.join(choices)}")


def _plain(raw: pl.Series) -> Converted:
    values = text(raw)
    return values, _fine(values)


_CONVERTERS: dict[str, Callable[[pl.Series], Converted]] = {
    DATETIME: _datetime,
    DATE: _date,
    DECIMAL: lambda raw: _number(raw, MONEY_DTYPE, EXPECTED[DECIMAL]),
    FLOAT: lambda raw: _number(raw, pl.Float64(), EXPECTED[FLOAT]),
    BOOL: _bool,
    EMAIL: lambda raw: _pattern(raw, _EMAIL, EXPECTED[EMAIL]),
    COUNTRY: lambda raw: _pattern(raw, r"^[A-Z]{2}$", EXPECTED[COUNTRY], upper=True),
    CURRENCY: lambda raw: _pattern(raw, r"^[A-Z]{3}$", EXPECTED[CURRENCY], upper=True),
    TIMEZONE: _timezone,
    JSON_ARRAY: lambda raw: _json(raw, list, EXPECTED[JSON_ARRAY]),
    JSON_OBJECT: lambda raw: _json(raw, dict, EXPECTED[JSON_OBJECT]),
}


def convert(column: Column, raw: pl.Series) -> Converted:
    """The typed values of ``raw`` and, per row, the problem with it (null when fine)."""
    if column.choices is not None:
        values, problems = _choices(raw, column.choices)
    else:
        values, problems = _CONVERTERS.get(column.type, _plain)(raw)
    if column.max_length is not None and values.dtype == pl.String:
        lengths = values.str.len_chars()
        too_long = pl.select(
            pl.format("is {} characters long; at most {} are allowed", lengths,
                      pl.lit(column.max_length))).to_series()
        problems = pl.select(pl.when(problems.is_null() & (lengths > column.max_length))
                             .then(too_long).otherwise(problems)).to_series()
    return values.rename(column.name), problems.rename(column.name)
