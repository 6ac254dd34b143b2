"""Time windows in the customer's own time zone: an occasion falling due outside the
window (local hours ``[from, to)`` and, optionally, local weekdays) is held until the
window next opens there.

Local time comes from the customer's IANA zone (``zones``: customer_id, timezone); a
customer without one, or with a name the time-zone database does not know, is read in
the default zone. Conversions go through the time-zone database, so a window follows
daylight-saving changes: 09:00 in Europe/Berlin is 08:00 UTC in winter and 07:00 UTC in
summer. An opening that a clock change skips (02:00 on a spring-forward night) opens at
the first local moment after the gap; one that happens twice (01:00 on a fall-back
night) opens at the first of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names as a definition writes them, Monday first (index 0)."""

ZONES_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(), "timezone": pl.String()}
"""Each customer's IANA time zone (null when unknown)."""


@lru_cache(maxsize=1024)
def known_zone(name: str | None) -> bool:
    """True when ``name`` is an IANA zone the time-zone database holds."""
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def describe(hours: tuple[int, int], days: Sequence[int] | None) -> str:
    """``9-21 h`` or ``9-21 h mon-fri``-style text for reasons."""
    text = f"{hours[0]}-{hours[1]} h"
    if days is not None and len(days) < 7:
        text += " " + ",".join(DAYS[d] for d in sorted(days))
    return text


def _opening(local: pl.Expr, start: int, days: Sequence[int]) -> pl.Expr:
    """The next local (naive) opening at or after ``local``: the first day from today
    whose weekday is allowed, at ``start`` o'clock (today only before ``start``)."""
    day = local.dt.truncate("1d")
    hour = local.dt.hour()
    allowed = [d + 1 for d in days]  # polars weekdays are 1 (Monday) to 7
    candidates = []
    for ahead in range(8):
        candidate = day + timedelta(days=ahead)
        valid = candidate.dt.weekday().is_in(allowed)
        if ahead == 0:
            valid = valid & (hour < start)
        candidates.append(pl.when(valid).then(candidate + timedelta(hours=start)))
    return pl.coalesce(candidates)


def _to_utc(naive: pl.Expr, zone: str) -> pl.Expr:
    def attach(value: pl.Expr) -> pl.Expr:
        return (value.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
                .dt.convert_time_zone("UTC"))
    # A skipped local time opens when the clock resumes: an hour later covers every gap
    # the database has (they are at most an hour).
    return pl.coalesce(attach(naive), attach(naive + timedelta(hours=1)))


def _hold_in(frame: pl.DataFrame, zone: str, hours: tuple[int, int],
             days: Sequence[int], label: str) -> pl.DataFrame:
    start, end = hours
    local = pl.col("due_at").dt.convert_time_zone(zone).dt.replace_time_zone(None)
    inside = ((local.dt.hour() >= start) & (local.dt.hour() < end)
              & local.dt.weekday().is_in([d + 1 for d in days]))
    opening = _to_utc(_opening(local, start, days), zone)
    return frame.with_columns(
        pl.when(inside).then(pl.col("reason"))
        .otherwise(pl.col("reason") + pl.lit(f", held for the {label} window in {zone}"))
        .alias("reason"),
        pl.when(inside).then(pl.col("due_at")).otherwise(opening).alias("due_at"))


def hold_outside(due: pl.DataFrame, hours: tuple[int, int] | None,
                 days: Sequence[int] | None, zones: pl.DataFrame | None,
                 default_zone: str = "UTC") -> pl.DataFrame:
    """Move each occasion of ``due`` (customer_id, due_at, reason, ...) falling due
    outside the window to when it next opens in the customer's zone (``zones``,
    ``ZONES_SCHEMA``; ``default_zone`` for the rest), its reason extended; the rest
    unchanged. Same columns and order of columns as ``due``; rows are regrouped by zone."""
    if not known_zone(default_zone):
        raise ValueError(f"default time zone {default_zone!r} is not an IANA zone: use one "
                         "such as UTC or Europe/Berlin")
    if hours is None and days is None or due.is_empty():
        return due
    window = hours or (0, 24)
    allowed = tuple(range(7)) if days is None else tuple(sorted(set(days)))
    label = describe(window, days)
    columns = due.columns
    if zones is None or zones.is_empty():
        zoned = due.with_columns(pl.lit(default_zone).alias("_zone"))
    else:
        lookup = zones.select("customer_id", pl.col("timezone").alias("_zone")).unique(
            "customer_id", keep="first")
        zoned = due.join(lookup, on="customer_id", how="left")
        names = zoned["_zone"].drop_nulls().unique().to_list()
        good = [name for name in names if known_zone(name)]
        zoned = zoned.with_columns(pl.when(pl.col("_zone").is_in(good)).then(pl.col("_zone"))
                                   .otherwise(pl.lit(default_zone)).alias("_zone"))
    parts = [_hold_in(part, str(zone), window, allowed, label)
             for (zone,), part in zoned.partition_by("_zone", as_dict=True).items()]
    return pl.concat(parts).select(columns)
