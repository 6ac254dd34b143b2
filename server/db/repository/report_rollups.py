"""The breakdown rollups: counters per recipient domain × send hour and per segment.

A campaign's breakdown rows are recomputed from the message table when its day rollups
change (their fingerprint differs from the one recorded in ``report_rollup_state``) or
when segment membership changes. Each refresh replaces a campaign's rows and state in
one transaction, so readers see the old rows or the new ones, never a mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection, insert, text

from server.db.models import ReportRollupState
from server.db.repository.report_sql import (
    COUNTER_COLUMNS,
    COUNTERS_SQL,
    bind_list,
    dialect_sql,
    sends_sql,
)
from server.db.types import utcnow

# Campaigns per statement: IN lists stay short and each transaction stays brief.
CHUNK = 25
# Any constant: it only has to be the same for every process refreshing report rollups.
_PG_LOCK_KEY = 7_316_004


@dataclass(frozen=True)
class Staleness:
    """Campaigns whose breakdown rows must be recomputed (``stale``) or dropped
    (``gone``: no day rollups any more)."""

    stale: list[str]
    gone: list[str]


def campaign_fingerprints(rollups: pl.DataFrame) -> dict[str, str]:
    """A fingerprint of each campaign's day-rollup rows (any column, any order)."""
    if rollups.is_empty():
        return {}
    hashed = (
        rollups.sort(["campaign_id", "variant_id", "day"])
        .with_columns(pl.struct(pl.all()).hash().alias("row_hash"))
        .group_by("campaign_id", maintain_order=True)
        .agg(pl.col("row_hash"))
        .with_columns(pl.col("row_hash").hash().cast(pl.String))
    )
    return dict(zip(hashed["campaign_id"].to_list(), hashed["row_hash"].to_list(),
                    strict=True))


def segment_stamp(connection: Connection) -> str:
    """Changes when segments are added or removed, refreshed (``segment.refreshed_at``) or
    their total membership changes. Cheap by design (it runs on every report request), so
    a membership edit that keeps the total must touch its segment's ``refreshed_at``."""
    row = connection.execute(text(
        "SELECT (SELECT COUNT(*) FROM segment), (SELECT MAX(refreshed_at) FROM segment), "
        "(SELECT MAX(created_at) FROM segment), (SELECT COUNT(*) FROM segment_member)")).one()
    return "|".join(str(value) for value in row)


def report_states(connection: Connection) -> dict[str, tuple[str, str, str]]:
    """campaign id -> (fingerprint, segment stamp, refreshed at) of its breakdown rows."""
    rows = connection.execute(text(
        "SELECT campaign_id, fingerprint, segment_stamp, refreshed_at "
        "FROM report_rollup_state"))
    return {row[0]: (row[1], row[2], str(row[3])) for row in rows}


def staleness(fingerprints: dict[str, str], states: dict[str, tuple[str, str, str]],
              stamp: str) -> Staleness:
    """Which campaigns' breakdown rows no longer match their day rollups or segments."""
    stale = sorted(cid for cid, fingerprint in fingerprints.items()
                   if states.get(cid, ("", "", ""))[:2] != (fingerprint, stamp))
    return Staleness(stale=stale, gone=sorted(set(states) - set(fingerprints)))


def breakdown_insert_sql(dialect_name: str, in_list: str) -> str:
    """The INSERT that recomputes ``rollup_campaign_breakdown`` for the campaigns bound in
    ``in_list`` (see ``bind_list``)."""
    dialect = dialect_sql(dialect_name)
    counters = ", ".join(COUNTER_COLUMNS)
    # Safe SQL (S608): code tables and columns; ids bound via bind_list.
    return ("INSERT INTO rollup_campaign_breakdown "  # noqa: S608
            f"(campaign_id, variant_id, day, hour, email_domain, {counters}) "
            f"SELECT m.campaign_id, m.variant_id, {dialect['day']}, {dialect['hour']}, "
            f"COALESCE(c.email_domain, ''), {COUNTERS_SQL} "
            f"FROM {sends_sql(f'm0.campaign_id IN ({in_list})')} "
            "LEFT JOIN customer c ON c.customer_id = m.customer_id "
            "GROUP BY m.campaign_id, m.variant_id, 3, 4, 5")


def segment_insert_sql(dialect_name: str, in_list: str) -> str:
    """The INSERT that recomputes ``rollup_campaign_segment`` for the campaigns bound in
    ``in_list`` (see ``bind_list``)."""
    dialect = dialect_sql(dialect_name)
    counters = ", ".join(COUNTER_COLUMNS)
    # Safe SQL (S608): code tables and columns; ids bound via bind_list.
    return ("INSERT INTO rollup_campaign_segment "  # noqa: S608
            f"(campaign_id, variant_id, day, segment_id, {counters}) "
            f"SELECT m.campaign_id, m.variant_id, {dialect['day']}, s.segment_id, "
            f"{COUNTERS_SQL} FROM {sends_sql(f'm0.campaign_id IN ({in_list})')} "
            "JOIN segment_member s ON s.customer_id = m.customer_id "
            "GROUP BY m.campaign_id, m.variant_id, 3, s.segment_id")


def _replace(connection: Connection, campaign_ids: Sequence[str]) -> int:
    dialect = connection.dialect.name
    in_list, params = bind_list("c", campaign_ids)
    for table in ("rollup_campaign_breakdown", "rollup_campaign_segment"):
        # Safe SQL (S608): code tables and columns; ids bound via bind_list.
        connection.execute(text(f"DELETE FROM {table} WHERE campaign_id IN ({in_list})"),  # noqa: S608
                           params)
    written = connection.execute(text(breakdown_insert_sql(dialect, in_list)),
                                 params).rowcount or 0
    written += connection.execute(text(segment_insert_sql(dialect, in_list)),
                                  params).rowcount or 0
    return written


def refresh_report_rollups(connection: Connection, campaign_ids: Sequence[str],
                           fingerprints: dict[str, str], stamp: str) -> int:
    """Recompute the breakdown rows of ``campaign_ids`` on the caller's transaction and
    record the ``fingerprints`` and ``stamp`` they reflect; returns rows written."""
    if connection.dialect.name == "postgresql":
        # Two refreshers of one campaign would both insert its rows; the lock lines them up.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    written = 0
    for start in range(0, len(campaign_ids), CHUNK):
        chunk = list(campaign_ids[start:start + CHUNK])
        written += _replace(connection, chunk)
        in_list, params = bind_list("c", chunk)
        connection.execute(text(
            # Safe SQL (S608): code tables and columns; ids bound via bind_list.
            f"DELETE FROM report_rollup_state WHERE campaign_id IN ({in_list})"), params)  # noqa: S608
        now = utcnow()
        connection.execute(insert(ReportRollupState.__table__),  # type: ignore[attr-defined]
                           [{"campaign_id": cid, "fingerprint": fingerprints[cid],
                             "segment_stamp": stamp, "refreshed_at": now} for cid in chunk])
    return written


def drop_report_rollups(connection: Connection, campaign_ids: Sequence[str]) -> None:
    """Remove the breakdown rows and state of campaigns that no longer have sends."""
    for start in range(0, len(campaign_ids), CHUNK):
        in_list, params = bind_list("c", campaign_ids[start:start + CHUNK])
        for table in ("rollup_campaign_breakdown", "rollup_campaign_segment",
                      "report_rollup_state"):
            # Safe SQL (S608): code tables and columns; ids bound via bind_list.
            connection.execute(text(f"DELETE FROM {table} WHERE campaign_id IN ({in_list})"),  # noqa: S608
                               params)
