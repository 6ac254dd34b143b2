"""Customers and segments: profiles, the "why" of memberships, segment previews and
writes, membership changes, RFM.

Reads over every profile use one frame per data version (the import generations, which
count profile and segment writes too), so typing in the segment builder re-filters a
cached frame instead of reading the table again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from analytics.customers.clusters import FEATURES, Clusters, cluster_customers
from analytics.customers.expressions import Node, RuleSyntaxError, parse, render
from analytics.customers.rfm import rfm_grid, rfm_scores
from analytics.customers.rules import PROFILE_FIELDS, Explanation, Reason, explain, to_polars
from analytics.customers.schemas import PROFILE_SCHEMA
from server.db.models import Segment, SegmentMembership
from server.db.repository import customers as profiles_repo
from server.db.repository import segments as segments_repo
from server.db.repository.changes import bump, generations
from server.db.types import utcnow
from server.ingest.customers import (
    RULE_KINDS,
    refresh_everyone,
    refresh_pending,
    refresh_rule_segments,
)
from server.runners.base import MEMO

PREVIEW_SAMPLE = 20
_SEGMENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def all_profiles(engine: Engine) -> pl.DataFrame:
    """Every stored profile, cached per data version."""
    return MEMO.of(engine, ("profiles", generations(engine)),
                   lambda: profiles_repo.profile_frame(engine, PROFILE_SCHEMA))


def profile(engine: Engine, customer_id: str) -> dict[str, Any] | None:
    """One customer's stored profile (column -> value), or None before the first refresh."""
    with engine.connect() as connection:
        return profiles_repo.profile_of(connection, customer_id, PROFILE_SCHEMA)


def profiles(engine: Engine, customer_ids: Sequence[str]) -> list[dict[str, Any] | None]:
    """The stored profiles of ``customer_ids``, in order (None for a customer without
    one), in one read: a page of customers with their profiles costs one statement."""
    with engine.connect() as connection:
        found = profiles_repo.profiles_of(connection, customer_ids, PROFILE_SCHEMA)
    return [found.get(customer_id) for customer_id in customer_ids]


def pendings(engine: Engine, keys: Sequence[object]) -> list[bool]:
    """``pending`` once for a whole request's ``keys`` (a loader's batch)."""
    return [pending(engine)] * len(keys)


@dataclass(frozen=True)
class Preview:
    """A definition's live result: members among all profiles and a few of their ids, or
    the error (with its column) that stops it."""

    definition: str
    count: int
    customers: int
    sample: tuple[str, ...]
    error: str | None = None
    column: int | None = None


def preview_segment(engine: Engine, definition: str) -> Preview:
    """How many customers ``definition`` selects right now."""
    profiles = all_profiles(engine)
    try:
        node = parse(definition, PROFILE_FIELDS)
    except RuleSyntaxError as error:
        return Preview(definition, 0, profiles.height, (), str(error), error.column)
    matched = profiles.filter(to_polars(node))["customer_id"]
    return Preview(render(node), matched.len(), profiles.height,
                   tuple(matched.head(PREVIEW_SAMPLE).to_list()))


@dataclass(frozen=True)
class Membership:
    """One stay of a customer in a segment, and why they are (or were) in it."""

    segment: Segment
    entered_at: datetime
    left_at: datetime | None
    why: Explanation | None


def _why(segment: Segment, row: dict[str, Any] | None,
         rfm: dict[str, Any] | None) -> Explanation | None:
    if row is None:
        return None
    if segment.kind in RULE_KINDS and segment.definition:
        try:
            return explain(parse(segment.definition, PROFILE_FIELDS), row)
        except RuleSyntaxError:
            return None
    if segment.kind == "rfm" and rfm is not None:
        name = rfm["rfm_segment"]
        return Explanation(name == segment.definition, (Reason(
            f"RFM score named {segment.definition}",
            {key: rfm[key] for key in ("recency_score", "frequency_score", "monetary_score",
                                       "rfm_segment")}, name == segment.definition),))
    if segment.kind == "value_tier":
        return Explanation(True, (Reason(
            f"lifetime revenue ranks in the {segment.definition} value tier at the last "
            "refresh", {"lifetime_revenue": row.get("lifetime_revenue")}, True),))
    if segment.kind == "cluster":
        return Explanation(True, (Reason(
            f"closest to the centre of the cluster {segment.definition} at the last refresh",
            {name: row.get(name) for name in FEATURES}, True),))
    return None


def rfm_of(engine: Engine, customer_id: str) -> dict[str, Any] | None:
    """One customer's RFM scores among all stored profiles (None without orders)."""
    scores = rfm_frame(engine).filter(pl.col("customer_id") == customer_id)
    return scores.row(0, named=True) if scores.height else None


def memberships(engine: Engine, customer_id: str, *,
                current_only: bool = True) -> list[Membership]:
    """A customer's segments (current stays first) with the why of each."""
    with Session(engine) as session:
        stays = segments_repo.stays_of(session=session, customer_id=customer_id)
        wanted = {stay.segment_id for stay in stays}
        found = session.exec(select(Segment).where(col(Segment.segment_id).in_(wanted))).all()
    by_id = {segment.segment_id: segment for segment in found}
    row = profile(engine, customer_id)
    rfm = rfm_of(engine, customer_id) if any(s.kind == "rfm" for s in found) else None
    result = []
    for stay in stays:
        if (current_only and stay.left_at is not None) or stay.segment_id not in by_id:
            continue
        segment = by_id[stay.segment_id]
        result.append(Membership(segment, stay.entered_at, stay.left_at,
                                 _why(segment, row, rfm)))
    return result


class SegmentProblem(ValueError):
    """A segment write that cannot be done; the message names the field and the fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _check_definition(definition: str) -> Node:
    try:
        return parse(definition, PROFILE_FIELDS)
    except RuleSyntaxError as error:
        raise SegmentProblem("definition", str(error)) from error


def _recompute(engine: Engine, segment_id: str) -> None:
    profiles = all_profiles(engine)
    with engine.begin() as connection:
        refresh_rule_segments(connection, profiles, None, utcnow(), only=[segment_id])
        bump(connection, "segments")


def create_rule_segment(engine: Engine, *, segment_id: str, name: str, definition: str,
                        description: str | None = None) -> Segment:
    """Store a rule segment and compute its members from the stored profiles."""
    if not _SEGMENT_ID.match(segment_id):
        raise SegmentProblem("id", f"segment id {segment_id!r} must be 1-64 lower-case "
                             "letters, digits, '-' or '_', starting with a letter or digit")
    if not name.strip():
        raise SegmentProblem("name", "name must not be empty")
    node = _check_definition(definition)
    with Session(engine) as session:
        if session.get(Segment, segment_id) is not None:
            raise SegmentProblem("id", f"segment {segment_id!r} exists; pick another id "
                                 "or update it")
        session.add(Segment(segment_id=segment_id, name=name.strip(), kind="rule",
                            description=description, definition=render(node)))
        session.commit()
    _recompute(engine, segment_id)
    return _get(engine, segment_id)


def _get(engine: Engine, segment_id: str) -> Segment:
    with Session(engine, expire_on_commit=False) as session:
        segment = session.get(Segment, segment_id)
    if segment is None:
        raise SegmentProblem("id", f"no segment has id {segment_id!r}")
    return segment


def update_rule_segment(engine: Engine, *, segment_id: str, name: str | None = None,
                        definition: str | None = None,
                        description: str | None = None) -> Segment:
    """Change a rule segment; a new definition recomputes its members at once."""
    segment = _get(engine, segment_id)
    if segment.kind != "rule":
        raise SegmentProblem("id", f"segment {segment_id!r} is a {segment.kind} segment; "
                             "only rule segments can be edited")
    with Session(engine) as session:
        stored = session.get(Segment, segment_id)
        assert stored is not None
        if name is not None:
            if not name.strip():
                raise SegmentProblem("name", "name must not be empty")
            stored.name = name.strip()
        if description is not None:
            stored.description = description
        if definition is not None:
            stored.definition = render(_check_definition(definition))
        session.add(stored)
        session.commit()
    if definition is not None:
        _recompute(engine, segment_id)
    return _get(engine, segment_id)


def delete_rule_segment(engine: Engine, segment_id: str) -> None:
    """Delete a rule segment, its members and their history."""
    segment = _get(engine, segment_id)
    if segment.kind != "rule":
        raise SegmentProblem("id", f"segment {segment_id!r} is a {segment.kind} segment; "
                             "only rule segments can be deleted")
    with engine.begin() as connection:
        segments_repo.drop_members(connection, segment_id)
        connection.execute(text("DELETE FROM segment WHERE segment_id = :id"),
                           {"id": segment_id})
        bump(connection, "segments")


def segment_changes(engine: Engine, segment_id: str, since: datetime,
                    limit: int) -> list[SegmentMembership]:
    """Stays that began or ended since ``since``, latest first."""
    with Session(engine, expire_on_commit=False) as session:
        return segments_repo.changes(session=session, segment_id=segment_id, since=since,
                                     limit=limit)


def segment_members(engine: Engine, segment_id: str, offset: int,
                    limit: int) -> list[SegmentMembership]:
    with Session(engine, expire_on_commit=False) as session:
        return segments_repo.member_page(session=session, segment_id=segment_id,
                                         offset=offset, limit=limit)


@dataclass(frozen=True)
class Performance:
    """What a segment's current members are worth and how they engage."""

    members: int
    open_rate_90d: float | None
    click_rate_90d: float | None
    lifetime_revenue: float
    average_engagement: float | None


def segment_performance(engine: Engine, segment_id: str) -> Performance:
    """Means and totals over the current members' profiles."""
    with engine.connect() as connection:
        ids = segments_repo.current_members(connection, segment_id)
    rows = all_profiles(engine).filter(pl.col("customer_id").is_in(ids.to_list()))

    def mean(name: str) -> float | None:
        value = rows[name].mean()
        return None if value is None else float(value)  # type: ignore[arg-type]

    return Performance(ids.len(), mean("open_rate_90d"), mean("click_rate_90d"),
                       float(rows["lifetime_revenue"].sum()), mean("engagement_score"))


def segments_with_performance(engine: Engine) -> list[tuple[Segment, Performance]]:
    """Every segment by name (then id, as the segments list orders them), each with its
    current members' performance."""
    with Session(engine, expire_on_commit=False) as session:
        rows = session.exec(select(Segment).order_by(col(Segment.name),
                                                     col(Segment.segment_id))).all()
    return [(row, segment_performance(engine, row.segment_id)) for row in rows]


def rfm_frame(engine: Engine) -> pl.DataFrame:
    """RFM scores of every customer with an order, cached per data version."""
    return MEMO.of(engine, ("rfm", generations(engine)),
                   lambda: rfm_scores(all_profiles(engine)))


def rfm_cells(engine: Engine) -> pl.DataFrame:
    """The 25 cells of recency × frequency-monetary score with counts and names."""
    return rfm_grid(rfm_frame(engine))


def clusters(engine: Engine, k: int | None = None) -> Clusters:
    """Behavioural clusters of every stored profile (``k`` given, or chosen by the
    silhouette), cached per data version; raises ``ValueError`` for an impossible k."""
    return MEMO.of(engine, ("clusters", k, generations(engine)),
                   lambda: cluster_customers(all_profiles(engine), k))


NO_CHURN_SCORES = ("No churn scores are published yet, so this segment has no members: "
                   "train a churn model and score the customers (mailscope train churn); "
                   "it fills when the scoring run is published.")


def pending(engine: Engine) -> bool:
    """Whether a refresh job is recomputing profiles and segments (after an import too
    large to refresh inline, or a refresh someone started): until it finishes they may
    be behind the stored data."""
    return refresh_pending(engine)


def segment_note(engine: Engine, kind: str) -> str | None:
    """What a reader must know to read the members of a segment of ``kind`` (churn-risk
    segments before any churn scores exist are empty for that reason, not because nobody
    is at risk)."""
    if kind == "churn_risk":
        with engine.connect() as connection:
            if profiles_repo.churn_run(connection) is None:
                return NO_CHURN_SCORES
    return None


@dataclass(frozen=True)
class SegmentStatus:
    """What a segment says beside its members: whether a refresh is pending and its note."""

    pending: bool
    note: str | None


def segment_statuses(engine: Engine, kinds: Sequence[str]) -> list[SegmentStatus]:
    """The status of a segment of each of ``kinds``, in order, from at most two reads
    (the refresh jobs, and the published churn run when a churn-risk segment is among
    them) however many segments a page lists."""
    is_pending = pending(engine)
    note = segment_note(engine, "churn_risk") if "churn_risk" in kinds else None
    return [SegmentStatus(is_pending, note if kind == "churn_risk" else None)
            for kind in kinds]


def refresh_all(engine: Engine) -> dict[str, int]:
    """Recompute every profile and segment now (the job's work, for the CLI and tests)."""
    result = refresh_everyone(engine)
    return {"profiles": result.profiles, "entered": sum(result.entered.values()),
            "left": sum(result.left.values())}


def membership_drift(engine: Engine) -> dict[str, int]:
    """Per rule segment, how many stored members differ from what its rule selects among
    the stored profiles (empty when the incremental state is exact)."""
    profiles = profiles_repo.profile_frame(engine, PROFILE_SCHEMA)
    drift: dict[str, int] = {}
    with engine.connect() as connection:
        for segment_id, definition in segments_repo.segments_of_kind(connection,
                                                                     RULE_KINDS):
            try:
                node = parse(definition, PROFILE_FIELDS)
            except RuleSyntaxError:
                continue
            stored = set(segments_repo.current_members(connection, segment_id).to_list())
            wanted = set(profiles.filter(to_polars(node))["customer_id"].to_list())
            if stored != wanted:
                drift[segment_id] = len(stored ^ wanted)
    return drift

