"""Segments and their membership: current members in ``segment_member`` (what reports
join), every stay in ``segment_membership`` (who entered and left, and when)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, Engine, text
from sqlmodel import Session, col, select

from server.db.models import Segment, SegmentMembership
from server.db.repository import bulk

_IDS = "stage_segment_ids"


def segments_of_kind(connection: Connection, kinds: Sequence[str]) -> list[tuple[str, str]]:
    """(segment_id, definition) of every segment of ``kinds``, by id."""
    marks = ", ".join(f":k{i}" for i in range(len(kinds)))
    rows = connection.execute(text(
        # Safe SQL (S608): table and column names are code constants; values are bound.
        f"SELECT segment_id, COALESCE(definition, '') FROM segment WHERE kind IN ({marks}) "  # noqa: S608
        "ORDER BY segment_id"), {f"k{i}": kind for i, kind in enumerate(kinds)}).all()
    return [(str(segment_id), str(definition)) for segment_id, definition in rows]


def segment_kind(connection: Connection, segment_id: str) -> str | None:
    """The kind of ``segment_id``, or None when there is no such segment."""
    kind = connection.execute(text("SELECT kind FROM segment WHERE segment_id = :id"),
                              {"id": segment_id}).scalar()
    return None if kind is None else str(kind)


def current_members(source: Engine | Connection, segment_id: str) -> pl.Series:
    """The customer ids of the segment's current members, sorted."""
    sql = text("SELECT customer_id FROM segment_member WHERE segment_id = :segment "
               "ORDER BY customer_id")
    if isinstance(source, Engine):
        with source.connect() as connection:
            rows = connection.execute(sql, {"segment": segment_id}).all()
    else:
        rows = source.execute(sql, {"segment": segment_id}).all()
    return pl.Series("customer_id", [row[0] for row in rows], dtype=pl.String)


def apply_changes(connection: Connection, segment_id: str, entered: Sequence[str],
                  left: Sequence[str], at: datetime) -> None:
    """Record who entered and left ``segment_id`` at ``at``, and mark it computed then
    (and refreshed, which the report rollups watch, only when someone moved)."""
    if entered:
        bulk.stage_frame(connection, _IDS, pl.DataFrame(
            {"customer_id": list(entered)}, schema={"customer_id": pl.String}))
        # Two imports may let the same customer in at once: the later one keeps the row.
        connection.execute(text(
            # Safe SQL (S608): table and column names are code constants; values are bound.
            "INSERT INTO segment_member (segment_id, customer_id, added_at) "  # noqa: S608
            f"SELECT :segment, customer_id, :at FROM {_IDS} WHERE true "
            "ON CONFLICT (segment_id, customer_id) DO NOTHING"),
            {"segment": segment_id, "at": at})
        # A stay already open (members lost by hand, then restored) is kept, not doubled.
        connection.execute(text(
            # Safe SQL (S608): table and column names are code constants; values are bound.
            "INSERT INTO segment_membership (segment_id, customer_id, entered_at) "  # noqa: S608
            f"SELECT :segment, customer_id, :at FROM {_IDS} i WHERE NOT EXISTS "
            "(SELECT 1 FROM segment_membership s WHERE s.segment_id = :again "
            "AND s.customer_id = i.customer_id AND s.left_at IS NULL)"),
            {"segment": segment_id, "again": segment_id, "at": at})
    if left:
        bulk.stage_frame(connection, _IDS, pl.DataFrame(
            {"customer_id": list(left)}, schema={"customer_id": pl.String}))
        connection.execute(text(
            # Safe SQL (S608): table and column names are code constants; values are bound.
            "DELETE FROM segment_member WHERE segment_id = :segment AND customer_id IN "  # noqa: S608
            f"(SELECT customer_id FROM {_IDS})"), {"segment": segment_id})
        connection.execute(text(
            # Safe SQL (S608): table and column names are code constants; values are bound.
            "UPDATE segment_membership SET left_at = :at WHERE segment_id = :segment "  # noqa: S608
            f"AND left_at IS NULL AND customer_id IN (SELECT customer_id FROM {_IDS})"),
            {"segment": segment_id, "at": at})
    bulk.drop_stage(connection, _IDS)
    moved = ", refreshed_at = :at" if entered or left else ""
    # Safe SQL (S608): table and column names are code constants; values are bound.
    connection.execute(text(f"UPDATE segment SET computed_at = :at{moved} "  # noqa: S608
                            "WHERE segment_id = :segment"), {"segment": segment_id, "at": at})


def drop_members(connection: Connection, segment_id: str) -> None:
    """Forget a segment's members and history (before the segment itself is deleted)."""
    for table in ("segment_member", "segment_membership"):
        # Safe SQL (S608): table and column names are code constants; values are bound.
        connection.execute(text(f"DELETE FROM {table} WHERE segment_id = :segment"),  # noqa: S608
                           {"segment": segment_id})


def changes(*, session: Session, segment_id: str, since: datetime,
            limit: int) -> list[SegmentMembership]:
    """Stays of ``segment_id`` that began or ended at or after ``since``, latest first."""
    started = col(SegmentMembership.entered_at) >= since
    ended = col(SegmentMembership.left_at) >= since
    return list(session.exec(
        select(SegmentMembership)
        .where(col(SegmentMembership.segment_id) == segment_id, started | ended)
        .order_by(col(SegmentMembership.id).desc()).limit(limit)).all())


def stays_of(*, session: Session, customer_id: str) -> list[SegmentMembership]:
    """Every stay of one customer in any segment, current ones first."""
    return list(session.exec(
        select(SegmentMembership).where(col(SegmentMembership.customer_id) == customer_id)
        .order_by(col(SegmentMembership.left_at).is_(None).desc(),
                  col(SegmentMembership.entered_at).desc())).all())


def member_page(*, session: Session, segment_id: str, offset: int,
                limit: int) -> list[SegmentMembership]:
    """Current members' stays, by customer id."""
    return list(session.exec(
        select(SegmentMembership)
        .where(col(SegmentMembership.segment_id) == segment_id,
               col(SegmentMembership.left_at).is_(None))
        .order_by(col(SegmentMembership.customer_id)).offset(offset).limit(limit)).all())


def get_segment(*, session: Session, segment_id: str) -> Segment | None:
    return session.get(Segment, segment_id)

