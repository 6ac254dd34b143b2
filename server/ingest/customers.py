"""Keeping profiles and segment membership current as data arrives.

``refresh_touched`` runs inside an import's transaction for the customers the import
touched: their profiles are recomputed and every rule segment re-evaluated for them
alone. ``refresh_everyone`` (the refresh job) recomputes every profile and every rule,
RFM and behavioural-cluster segment (RFM scores and clusters depend on the whole
population, so only the full refresh moves them). For data that has not moved, and the
same ``as_of``, the touched refreshes end exactly where one full refresh does
(``tests/server/ingest/test_customers.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, Engine, text

from analytics.customers.clusters import cluster_customers
from analytics.customers.expressions import RuleSyntaxError, parse
from analytics.customers.membership import membership_change
from analytics.customers.profiles import LIFECYCLE_STAGES, compute_profiles
from analytics.customers.rfm import RFM_NAMES, rfm_scores
from analytics.customers.rules import PROFILE_FIELDS, members
from analytics.customers.schemas import INPUT_SCHEMAS
from analytics.customers.tiers import VALUE_TIERS, value_tiers
from server.db.repository import changes, customers, segments
from server.db.types import utcnow

# segment ids of the RFM segments, made by the refresh job: "rfm-champions", ...
RFM_SEGMENTS = {name: "rfm-" + name.lower().replace(" ", "-") for name in RFM_NAMES}
"""RFM name -> the id of its segment."""
# Segments whose membership is a rule over the profile, evaluated on every import:
# users' rule segments, and one lifecycle segment per stage made by the refresh.
RULE_KINDS = ("rule", "lifecycle")
LIFECYCLE_SEGMENTS = {f"lifecycle-{stage.replace('_', '-')}": stage
                      for stage in LIFECYCLE_STAGES}


@dataclass
class Refreshed:
    """What a refresh did: profiles written and, per segment, members in and out."""

    profiles: int = 0
    entered: dict[str, int] = field(default_factory=dict)
    left: dict[str, int] = field(default_factory=dict)

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
                     touched: set[str]) -> Refreshed:
    """After an import of ``kind`` whose stored rows are staged in ``stage``: refresh the
    profiles and rule segments of the customers those rows name, plus ``touched`` (the
    customers of rows the import replaced)."""
    if kind == "events":
        # Safe SQL (S608): the stage name is a code constant.
        sql = (f"SELECT DISTINCT m.customer_id FROM {stage} s "  # noqa: S608
               "JOIN message m ON m.message_id = s.message_id")
    elif kind in _PROFILE_KINDS:
        # Safe SQL (S608): the stage name is a code constant.
        sql = f"SELECT DISTINCT customer_id FROM {stage}"  # noqa: S608
    else:
        return Refreshed()
    customer_ids = {row[0] for row in connection.execute(text(sql)) if row[0] is not None}
    return refresh_touched(connection, sorted(customer_ids | touched))


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


def _ensure_lifecycle_segments(connection: Connection) -> None:
    existing = {segment_id for segment_id, _ in
                segments.segments_of_kind(connection, ["lifecycle"])}
    for segment_id, stage in LIFECYCLE_SEGMENTS.items():
        if segment_id not in existing:
            connection.execute(text(
                "INSERT INTO segment (segment_id, name, description, definition, kind, "
                "created_at) VALUES (:id, :label, :description, :rule, 'lifecycle', :at)"),
                {"id": segment_id, "label": f"Lifecycle: {stage.replace('_', ' ')}",
                 "rule": f'lifecycle_stage == "{stage}"', "at": utcnow(),
                 "description": f"Customers whose lifecycle stage is {stage} (see the README)"})


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
    at = at or utcnow()
    profiles = compute_profiles(**customers.profile_inputs(engine, INPUT_SCHEMAS), as_of=at)
    with engine.begin() as connection:
        customers.write_profiles(connection, profiles, everyone=True)
        _ensure_lifecycle_segments(connection)
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
