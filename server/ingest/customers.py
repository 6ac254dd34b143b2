"""Keeping profiles and segment membership current as data arrives.

``refresh_touched`` runs inside an import's transaction for the customers the import
touched: their profiles are recomputed and every rule segment re-evaluated for them
alone. An import that touches more than ``INLINE_CUSTOMERS`` customers commits its facts
without it and queues the ``refresh_segments`` job instead (``request_refresh``), which
recomputes everyone; until that job finishes, profiles and segments report themselves
pending (``refresh_pending``), so pages say "recomputing" rather than showing the
previous values as current. ``refresh_everyone`` (the refresh job) recomputes every
profile and every rule, churn-risk, value-tier, RFM and behavioural-cluster segment
(RFM scores, tiers and clusters depend on the whole population, so only the full
refresh moves them). For data that has not moved, and the
same ``as_of``, the touched refreshes end exactly where one full refresh does
(``tests/server/ingest/test_customers.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, Engine, text
from sqlmodel import Session

from analytics.customers.clusters import cluster_customers
from analytics.customers.expressions import RuleSyntaxError, parse
from analytics.customers.membership import membership_change
from analytics.customers.profiles import LIFECYCLE_STAGES, compute_profiles
from analytics.customers.rfm import RFM_NAMES, rfm_scores
from analytics.customers.rules import PROFILE_FIELDS, members
from analytics.customers.schemas import INPUT_SCHEMAS, PROFILE_SCHEMA
from analytics.customers.tiers import VALUE_TIERS, value_tiers
from analytics.predictions.churn import RISK_LEVELS
from jobs.send import send
from server.db.repository import changes, customers, segments
from server.db.repository.jobs import unfinished_job_runs
from server.db.types import utcnow

log = logging.getLogger(__name__)

REFRESH_ACTOR = "refresh_segments"
# Touched customers an import refreshes inside its own transaction at most (well under a
# second); a larger import hands the refresh to the job, which recomputes everyone set-
# based in one pass instead of holding the import's write lock for it.
INLINE_CUSTOMERS = 2_000

# segment ids of the RFM segments, made by the refresh job: "rfm-champions", ...
RFM_SEGMENTS = {name: "rfm-" + name.lower().replace(" ", "-") for name in RFM_NAMES}
"""RFM name -> the id of its segment."""
# Segments whose membership is a rule over the profile, evaluated on every import:
# users' rule segments, and the families the refresh makes: one lifecycle segment per
# stage and one churn-risk segment per risk level.
RULE_KINDS = ("rule", "lifecycle", "churn_risk")
LIFECYCLE_SEGMENTS = {f"lifecycle-{stage.replace('_', '-')}": stage
                      for stage in LIFECYCLE_STAGES}
CHURN_RISK_SEGMENTS = {f"churn-risk-{level}": level for level in RISK_LEVELS}
"""Segment id -> the churn risk level (of the published churn scores) it holds."""


@dataclass(frozen=True)
class _Family:
    """Rule segments the refresh makes, one per value of a profile field."""

    kind: str
    field: str
    label: str
    description: str
    segments: dict[str, str]


_FAMILIES = (
    _Family("lifecycle", "lifecycle_stage", "Lifecycle",
            "Customers whose lifecycle stage is {value} (see the README)",
            LIFECYCLE_SEGMENTS),
    _Family("churn_risk", "churn_risk", "Churn risk",
            "Customers whose published churn score is {value} risk (low < 0.2 <= medium "
            "< 0.5 <= high < 0.8 <= critical)", CHURN_RISK_SEGMENTS),
)


@dataclass
class Refreshed:
    """What a refresh did: profiles written and, per segment, members in and out."""

    profiles: int = 0
    entered: dict[str, int] = field(default_factory=dict)
    left: dict[str, int] = field(default_factory=dict)
    deferred: int = 0
    """Touched customers left to the refresh job (an import over ``INLINE_CUSTOMERS``),
    counted until it is clear they are over: more than ``INLINE_CUSTOMERS``, at least."""

    @property
    def moved(self) -> int:
        return sum(self.entered.values()) + sum(self.left.values())


def _rule_matches(profiles: pl.DataFrame, definition: str) -> pl.Series | None:
    try:
        node = parse(definition, PROFILE_FIELDS)
    except RuleSyntaxError:
        # Stored rules were checked when saved; one that no longer parses (a field was
        # renamed) keeps its members until it is edited, rather than emptying silently.
        return None
    return members(profiles, node)


def _apply(connection: Connection, result: Refreshed, segment_id: str, current: pl.Series,
           matched: pl.Series, scope: pl.Series | None, at: datetime) -> None:
    change = membership_change(current, matched, scope)
    segments.apply_changes(connection, segment_id, change.entered, change.left, at)
    result.entered[segment_id] = len(change.entered)
    result.left[segment_id] = len(change.left)


def refresh_rule_segments(connection: Connection, profiles: pl.DataFrame,
                          scope: pl.Series | None, at: datetime,
                          only: Sequence[str] | None = None) -> Refreshed:
    """Re-evaluate rule and lifecycle segments (``only`` those ids, when given) over
    ``profiles``: the scope's profiles (``scope``) or everyone's (``scope`` None)."""
    result = Refreshed()
    for segment_id, definition in segments.segments_of_kind(connection, RULE_KINDS):
        if only is not None and segment_id not in only:
            continue
        matched = _rule_matches(profiles, definition)
        if matched is None:
            continue
        current = segments.current_members(connection, segment_id)
        _apply(connection, result, segment_id, current, matched, scope, at)
    if result.moved:
        changes.bump(connection, "segments")
    return result


def refresh_touched(connection: Connection, customer_ids: Sequence[str]) -> Refreshed:
    """Recompute the profiles of ``customer_ids`` and their rule-segment membership, in
    the caller's transaction (the import's: a failed import leaves them as they were)."""
    if not customer_ids:
        return Refreshed()
    at = utcnow()
    customers.stage_scope(connection, customer_ids)
    inputs = customers.profile_inputs(connection, INPUT_SCHEMAS)
    profiles = compute_profiles(**inputs, as_of=at)
    customers.write_profiles(connection, profiles, everyone=False)
    scope = pl.Series("customer_id", sorted(set(customer_ids)), dtype=pl.String)
    result = refresh_rule_segments(connection, profiles, scope, at)
    customers.drop_scope(connection)
    result.profiles = profiles.height
    changes.bump(connection, "profiles")
    return result


# Kinds whose rows carry a customer_id that profiles read; events reach theirs through
# their message. Other kinds (products, campaigns, ...) reach profiles at the next full
# refresh.
_PROFILE_KINDS = ("customers", "messages", "orders", "behavior")


def refresh_imported(connection: Connection, kind: str, stage: str,
                     touched: set[str], *, may_defer: bool = True) -> Refreshed:
    """After an import of ``kind`` whose stored rows are staged in ``stage``: refresh the
    profiles and rule segments of the customers those rows name, plus ``touched`` (the
    customers of rows the import replaced). Over ``INLINE_CUSTOMERS`` customers, when
    ``may_defer``, nothing is refreshed and ``deferred`` is set: the caller queues
    the job once its transaction commits (``request_refresh``)."""
    if kind == "events":
        # Safe SQL (S608): the stage name is a code constant.
        sql = (f"SELECT DISTINCT m.customer_id FROM {stage} s "  # noqa: S608
               "JOIN message m ON m.message_id = s.message_id")
    elif kind in _PROFILE_KINDS:
        # Safe SQL (S608): the stage name is a code constant.
        sql = f"SELECT DISTINCT customer_id FROM {stage} WHERE customer_id IS NOT NULL"  # noqa: S608
    else:
        return Refreshed()
    if may_defer:
        # One customer over the inline limit decides: the query stops there instead of
        # matching every staged row (millions of message lookups for a large events
        # file) to count customers the job will read anyway.
        sql += f" LIMIT {INLINE_CUSTOMERS + 1}"
    customer_ids = {row[0] for row in connection.execute(text(sql)) if row[0] is not None}
    customer_ids |= touched
    if may_defer and len(customer_ids) > INLINE_CUSTOMERS:
        return Refreshed(deferred=len(customer_ids))
    return refresh_touched(connection, sorted(customer_ids))


def _refresh_jobs(engine: Engine) -> list[tuple[int, str]]:
    with Session(engine) as session:
        return [(job.id or 0, job.state) for job in unfinished_job_runs(session=session)
                if job.actor == REFRESH_ACTOR]


def request_refresh(engine: Engine) -> int | None:
    """Queue ``refresh_segments`` after an import deferred its profile refresh; returns the
    job id (an already queued, not yet started, job is reused: it will read this
    import's rows). None when the job could not be queued (logged; the data stays
    stored and the next refresh catches up)."""
    queued = [job_id for job_id, state in _refresh_jobs(engine) if state == "queued"]
    if queued:
        return queued[0]
    try:
        return send(REFRESH_ACTOR)
    except Exception:  # the broker is down: the import is stored; a refresh catches up
        log.exception("could not queue %s after a large import", REFRESH_ACTOR)
        return None


def refresh_pending(engine: Engine) -> bool:
    """Whether a refresh job is queued or running: profiles and segments may be behind
    the stored facts until it finishes."""
    return bool(_refresh_jobs(engine))


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def _ensure_segments(connection: Connection, kind: str, names: dict[str, str],
                     label: str, description: str) -> None:
    """Make the computed segments of ``kind`` (segment id -> the name it stands for)."""
    existing = {segment_id for segment_id, _ in segments.segments_of_kind(connection, [kind])}
    for segment_id, name in names.items():
        if segment_id not in existing:
            connection.execute(text(
                "INSERT INTO segment (segment_id, name, description, definition, kind, "
                "created_at) VALUES (:id, :label, :description, :name, :kind, :at)"),
                {"id": segment_id, "label": f"{label}: {name}", "name": name, "kind": kind,
                 "at": utcnow(), "description": description + name})


def _ensure_rule_families(connection: Connection) -> None:
    """Make the lifecycle and churn-risk segments (rules over one profile field)."""
    for family in _FAMILIES:
        existing = {segment_id for segment_id, _ in
                    segments.segments_of_kind(connection, [family.kind])}
        for segment_id, value in family.segments.items():
            if segment_id not in existing:
                connection.execute(text(
                    "INSERT INTO segment (segment_id, name, description, definition, kind, "
                    "created_at) VALUES (:id, :label, :description, :rule, :kind, :at)"),
                    {"id": segment_id, "label": f"{family.label}: {value.replace('_', ' ')}",
                     "rule": f'{family.field} == "{value}"', "kind": family.kind,
                     "at": utcnow(), "description": family.description.format(value=value)})


def _refresh_computed(connection: Connection, result: Refreshed, kind: str,
                      assigned: pl.DataFrame, at: datetime) -> None:
    """Set every segment of ``kind`` to the customers ``assigned`` its name (columns
    customer_id, name); segments whose name is no longer assigned are emptied."""
    for segment_id, name in segments.segments_of_kind(connection, [kind]):
        matched = assigned.filter(pl.col("name") == name)["customer_id"]
        _apply(connection, result, segment_id, segments.current_members(connection, segment_id),
               matched, None, at)


def refresh_everyone(engine: Engine, at: datetime | None = None) -> Refreshed:
    """Recompute every profile, rule segment and RFM segment as of ``at`` (now), in one
    transaction."""
    as_of_now = at is None
    at = at or utcnow()
    profiles = compute_profiles(**customers.profile_inputs(engine, INPUT_SCHEMAS), as_of=at)
    with engine.begin() as connection:
        # An import that committed while this refresh (as of now) read and computed wrote
        # newer profiles for its customers (its rows are not in what this refresh read):
        # keep them, rather than put back the older state until the next refresh. A
        # refresh as of a given moment asked for that moment's state: it keeps nothing.
        newer = (customers.profiles_newer_than(connection, at, PROFILE_SCHEMA) if as_of_now
                 else pl.DataFrame())
        if newer.height:
            profiles = pl.concat([profiles.filter(~pl.col("customer_id").is_in(
                newer["customer_id"].implode())), newer]).sort("customer_id")
        customers.write_profiles(connection, profiles, everyone=True)
        _ensure_rule_families(connection)
        result = refresh_rule_segments(connection, profiles, None, at)
        _ensure_segments(connection, "value_tier",
                         {f"value-{tier}": tier for tier in VALUE_TIERS}, "Value tier",
                         "Customers with an order in the value tier ")
        tiers = value_tiers(profiles).select("customer_id", pl.col("value_tier").alias("name"))
        _refresh_computed(connection, result, "value_tier", tiers, at)
        _ensure_segments(connection, "rfm", {v: k for k, v in RFM_SEGMENTS.items()}, "RFM",
                         "Customers whose RFM score is named ")
        scores = rfm_scores(profiles).select("customer_id", pl.col("rfm_segment").alias("name"))
        _refresh_computed(connection, result, "rfm", scores, at)
        if profiles.height >= 2:
            clusters = cluster_customers(profiles)
            names = clusters.centres.select("cluster", "name")
            _ensure_segments(connection, "cluster",
                             {"cluster-" + _slug(name): name for name in names["name"]},
                             "Cluster", "Customers in the behavioural cluster ")
            _refresh_computed(connection, result, "cluster",
                              clusters.assignments.join(names, on="cluster"), at)
        changes.bump(connection, "profiles")
        changes.bump(connection, "segments")
    result.profiles = profiles.height
    return result
