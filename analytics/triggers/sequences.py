"""Behaviour sequences: "``first``, then (no) ``then`` within a window", per occasion.

An occasion is one customer and one value of the occasion key (a property of the first
event such as ``cart_id``). Everything is computed from event time over the set of
stored events, never from their arrival order, so replayed or shuffled events give the
same occasions with the same deadlines and reasons.

- ``absent`` (cart abandonment): the occasion starts at its earliest ``first`` event and
  is due at ``started + within`` when no ``then`` event of the same customer matches it
  in ``[started, started + within]``. A ``then`` event matches when its key property
  equals the occasion's, or when it carries no key at all (a checkout that does not
  name its cart closes every open cart of the customer).
- present (``absent`` false): due at the earliest matching ``then`` in the window.
- no ``then``: due at the ``first`` event itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from analytics.triggers.windows import hold_outside

EVENTS_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "type": pl.String(),
    "occurred_at": pl.Datetime("us", "UTC"), "product_id": pl.String(),
    "properties": pl.String()}
"""The behaviour events a sequence reads (``properties`` is a JSON object or null)."""

OCCASIONS_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(), "occasion_key": pl.String(),
    "started_at": pl.Datetime("us", "UTC"), "due_at": pl.Datetime("us", "UTC"),
    "reason": pl.String()}
"""Due occasions: who, which occasion, when it started and fell due, and why."""

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Sequence:
    """``first`` then, within ``within``, the absence (or presence) of ``then``; occasions
    keyed by the ``key`` property of the events (``product_id`` also reads the column)."""

    first: str
    key: str
    then: str | None = None
    absent: bool = True
    within: timedelta = timedelta(hours=2)
    # A time window in the customer's local time (hours from inclusive, to exclusive;
    # weekdays 0 = Monday): an occasion falling due outside it is held until the window
    # next opens (see ``analytics.triggers.windows``).
    hours: tuple[int, int] | None = None
    days: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.hours is not None and not 0 <= self.hours[0] < self.hours[1] <= 24:
            raise ValueError(f"sequence hours {list(self.hours)} are not a window: give "
                             "[from, to] with 0 <= from < to <= 24, such as [9, 21]")
        if self.days is not None and (not self.days or not all(0 <= d <= 6
                                                               for d in self.days)):
            raise ValueError("sequence days must name at least one weekday, such as "
                             '["mon", "tue", "wed", "thu", "fri"]')
        if not _KEY.match(self.key):
            raise ValueError(f"sequence key {self.key!r} is not a property name: use "
                             "letters, digits and underscores, such as cart_id")
        if self.within <= timedelta(0):
            raise ValueError("sequence within must be positive, such as 2h")


def human(span: timedelta) -> str:
    """``2h``, ``90m``, ``45s``, ``3d``: the largest whole unit."""
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _keyed(events: pl.DataFrame, key: str) -> pl.DataFrame:
    value = pl.col("properties").str.json_path_match(f"$.{key}")
    if key == "product_id":
        value = value.fill_null(pl.col("product_id"))
    return events.with_columns(value.alias("key")).select("customer_id", "type",
                                                          "occurred_at", "key")


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=OCCASIONS_SCHEMA)


def due_occasions(events: pl.DataFrame, sequence: Sequence, as_of: datetime,
                  zones: pl.DataFrame | None = None,
                  default_zone: str = "UTC") -> pl.DataFrame:
    """The occasions of ``sequence`` in ``events`` that are due at ``as_of``, sorted by
    due time, customer and key (``OCCASIONS_SCHEMA``). A time window is read in each
    customer's zone (``zones``: customer_id, timezone), else in ``default_zone``."""
    keyed = _keyed(events.unique(), sequence.key)
    firsts = (keyed.filter((pl.col("type") == sequence.first) & pl.col("key").is_not_null())
          .group_by("customer_id", "key").agg(pl.col("occurred_at").min().alias("started_at"))
          .with_columns((pl.col("started_at") + sequence.within).alias("deadline")))
    if firsts.is_empty():
        return _empty()
    started = (pl.lit(f"{sequence.first} at ") + pl.col("started_at").dt.to_string(
        "%Y-%m-%dT%H:%M:%SZ") + pl.lit(f" with {sequence.key}=") + pl.col("key"))
    if sequence.then is None:
        due = firsts.with_columns(pl.col("started_at").alias("due_at"),
                                  started.alias("reason"))
    else:
        thens = (keyed.filter(pl.col("type") == sequence.then)
                 .select("customer_id", pl.col("key").alias("then_key"),
                         pl.col("occurred_at").alias("then_at")))
        matched = (firsts.join(thens, on="customer_id", how="inner")
                   .filter((pl.col("then_key").is_null() | (pl.col("then_key") == pl.col("key")))
                           & pl.col("then_at").is_between(pl.col("started_at"),
                                                          pl.col("deadline")))
                   .group_by("customer_id", "key")
                   .agg(pl.col("then_at").min()))
        if sequence.absent:
            due = (firsts.join(matched, on=["customer_id", "key"], how="anti")
                   .with_columns(pl.col("deadline").alias("due_at"),
                                 (started + pl.lit(f", then no {sequence.then} within "
                                                   f"{human(sequence.within)}")).alias("reason")))
        else:
            due = (firsts.join(matched, on=["customer_id", "key"], how="inner")
                   .with_columns(pl.col("then_at").alias("due_at"),
                                 (started + pl.lit(f", then {sequence.then} at ")
                                  + pl.col("then_at").dt.to_string("%Y-%m-%dT%H:%M:%SZ"))
                                 .alias("reason")))
    due = hold_outside(due, sequence.hours, sequence.days, zones, default_zone)
    return (due.filter(pl.col("due_at") <= as_of)
            .with_columns((pl.lit(f"{sequence.key}:") + pl.col("key")).alias("occasion_key"))
            .select(list(OCCASIONS_SCHEMA))
            .cast(OCCASIONS_SCHEMA)  # type: ignore[arg-type]
            .sort("due_at", "customer_id", "occasion_key"))


EXITS_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(),
                                        "occasion_key": pl.String(), "reason": pl.String()}
"""Occasions an exit event ended, and the reason."""


def exited_occasions(due: pl.DataFrame, events: pl.DataFrame,
                     exit_types: tuple[str, ...]) -> pl.DataFrame:
    """The occasions of ``due`` (``OCCASIONS_SCHEMA``) that an event of ``exit_types``
    by the same customer ended: one in ``[started_at, due_at]``, the earliest named.
    ``EXITS_SCHEMA``, sorted by customer and key."""
    if not exit_types or due.is_empty():
        return pl.DataFrame(schema=EXITS_SCHEMA)
    exits = (events.unique().filter(pl.col("type").is_in(list(exit_types)))
             .select("customer_id", pl.col("type").alias("exit_type"),
                     pl.col("occurred_at").alias("exit_at")))
    return (due.join(exits, on="customer_id", how="inner")
            .filter(pl.col("exit_at").is_between(pl.col("started_at"), pl.col("due_at")))
            .sort("exit_at", "exit_type")
            .group_by("customer_id", "occasion_key", maintain_order=True)
            .first()
            .select("customer_id", "occasion_key",
                    (pl.lit("exit: ") + pl.col("exit_type") + pl.lit(" at ")
                     + pl.col("exit_at").dt.to_string("%Y-%m-%dT%H:%M:%SZ")).alias("reason"))
            .sort("customer_id", "occasion_key"))
