"""Everything held about one customer: read it all (right of access) or erase it all
(right to erasure), with the derived counters corrected in the same transaction.

``CUSTOMER_TABLES`` names every table keyed by ``customer_id``; ``uncovered_tables`` finds
any table of the metadata with that column that is missing from it, and erasure refuses
to run while there is one (a test fails on it first), so a new table cannot keep data
an erasure was asked to delete.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, select, text, update
from sqlmodel import SQLModel

from server.db.emails import is_hashed
from server.db.models import JobRun, ScoreRun, ScoreShard, Segment, WebhookDelivery
from server.db.repository import changes, rollups, tombstones
from server.db.repository.report_rollups import drop_report_rollups
from server.db.types import utcnow

# Every table with a customer_id column, children before the customer row.
CUSTOMER_TABLES = (
    "segment_member", "segment_membership", "customer_profile", "customer_score",
    "send_time_score", "trigger_firing", "customer_attribute", "variant_choice", "touchpoint",
    "behavior_event", "orders", "message", "customer",
)
# The raw event ledger names its send, not its customer.
_EVENTS_OF = "message_id IN (SELECT message_id FROM message WHERE customer_id = :customer)"
# The import kinds whose data an erasure changes: their generations move on, so no cached
# report computed with the customer is served again.
_KINDS = ("customers", "messages", "events", "orders", "touchpoints", "behavior")
_ERASED_BODY = "(erased: this delivery named a customer erased on request)"


class ErasureRefused(Exception):
    """The erasure was refused and nothing changed; the message says why and what to do."""


def uncovered_tables() -> list[str]:
    """Tables of the metadata with a customer_id column that erasure does not cover."""
    return sorted(name for name, table in SQLModel.metadata.tables.items()
                  if "customer_id" in table.columns and name not in CUSTOMER_TABLES)


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _rows(connection: Connection, name: str, customer_id: str) -> list[dict[str, Any]]:
    """The table's rows about the customer, through its column types (aware datetimes,
    decimals), in key order."""
    table = _table(name)
    condition: ColumnElement[bool]
    if name == "email_event":
        sends = _table("message")
        condition = table.c.message_id.in_(select(sends.c.message_id)
                                           .where(sends.c.customer_id == customer_id))
    else:
        condition = table.c.customer_id == customer_id
    result = connection.execute(select(table).where(condition)
                                .order_by(*table.primary_key.columns))
    return [dict(row._mapping) for row in result]


def holdings(connection: Connection, customer_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every row held about the customer, by table (empty lists included): the raw
    events of their sends and the rows of each table keyed by them."""
    return {name: _rows(connection, name, customer_id)
            for name in ("email_event", *CUSTOMER_TABLES)}


@dataclass(frozen=True)
class Erased:
    """What one erasure deleted (rows per table) and corrected."""

    customer_id: str
    deleted: dict[str, int]
    campaigns: tuple[str, ...]
    webhook_deliveries_redacted: int
    tombstones: int
    segments: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def _needles(customer_id: str, email: str, message_ids: Sequence[str]) -> list[str]:
    quoted = [json.dumps(value) for value in (customer_id, *message_ids)]
    return [email.lower(), *quoted]


def _deliveries_naming(connection: Connection, needles: Sequence[str],
                       ) -> list[tuple[int, bool]]:
    """(id, folded) of the stored webhook deliveries whose body names the customer."""
    table = WebhookDelivery.__table__  # type: ignore[attr-defined]
    found = []
    rows = connection.execute(select(table.c.id, table.c.folded_at, table.c.body)
                              .where(table.c.body != _ERASED_BODY))
    for delivery_id, folded_at, body in rows:
        lowered = body.lower()
        if any(needle in lowered for needle in needles):
            found.append((int(delivery_id), folded_at is not None))
    return found


def _unfolded(connection: Connection) -> list[int]:
    """Every delivery still waiting to be folded: with addresses hashed at rest, any of
    them may name the customer by an address that cannot be compared."""
    table = WebhookDelivery.__table__  # type: ignore[attr-defined]
    return [int(row[0]) for row in connection.execute(
        select(table.c.id).where(table.c.folded_at.is_(None)).order_by(table.c.id))]


def _scrub_job_args(connection: Connection, customer_id: str) -> None:
    """Take the customer's id out of recorded job arguments (trigger evaluations)."""
    table = JobRun.__table__  # type: ignore[attr-defined]
    pattern = f"%{json.dumps(customer_id)}%"
    for job_id, raw in connection.execute(select(table.c.id, table.c.args)
                                          .where(table.c.args.like(pattern))).all():
        args = json.loads(raw)
        ids = args.get("customer_ids")
        if isinstance(ids, list) and customer_id in ids:
            args["customer_ids"] = [value for value in ids if value != customer_id]
            connection.execute(update(table).where(table.c.id == job_id)
                               .values(args=json.dumps(args)))


def _correct_score_counts(connection: Connection, customer_id: str) -> None:
    """One score fewer in each run and shard the customer was scored in."""
    runs = ScoreRun.__table__  # type: ignore[attr-defined]
    shards = ScoreShard.__table__  # type: ignore[attr-defined]
    for run_id, shard in connection.execute(text(
            "SELECT run_id, shard FROM customer_score WHERE customer_id = :customer"),
            {"customer": customer_id}).all():
        connection.execute(update(runs).where(runs.c.id == run_id)
                           .values(rows=runs.c.rows - 1))
        connection.execute(update(shards).where(shards.c.run_id == run_id,
                                                shards.c.shard == shard)
                           .values(rows=shards.c.rows - 1))


def erase_customer(connection: Connection, customer_id: str) -> Erased:
    """Delete everything held about the customer in the caller's transaction, correct the
    counters derived from it, and leave tombstones of their id, email and sends.

    Raises ``ErasureRefused`` (before changing anything) when the customer does not
    exist, was already erased, or a webhook delivery naming them still waits to be
    folded.
    """
    uncovered = uncovered_tables()
    if uncovered:
        raise ErasureRefused(
            f"erasure does not cover the table(s) {', '.join(uncovered)} (they have a "
            "customer_id column): add them to CUSTOMER_TABLES before erasing anyone")
    email = connection.execute(text("SELECT email FROM customer WHERE customer_id = :c"),
                               {"c": customer_id}).scalar_one_or_none()
    if email is None:
        if tombstones.erased(connection, "customer", [customer_id]):
            raise ErasureRefused(f"customer {customer_id!r} was already erased")
        raise ErasureRefused(f"no customer has id {customer_id!r}")
    message_ids = [row[0] for row in connection.execute(text(
        "SELECT message_id FROM message WHERE customer_id = :c ORDER BY message_id"),
        {"c": customer_id})]
    deliveries = _deliveries_naming(connection, _needles(customer_id, email, message_ids))
    pending = [delivery_id for delivery_id, folded in deliveries if not folded]
    naming = "naming"
    if is_hashed(email):  # a body waiting to be folded names recipients in plain
        pending, naming = _unfolded(connection), "that may name (addresses are hashed)"
    if pending:
        raise ErasureRefused(
            f"{len(pending)} webhook deliveries {naming} customer {customer_id!r} are still "
            f"waiting to be folded (ids {', '.join(map(str, pending[:10]))}); let the fold "
            "job finish (the webhooks page shows it) and erase again")
    campaigns = tuple(row[0] for row in connection.execute(text(
        "SELECT DISTINCT campaign_id FROM message WHERE customer_id = :c "
        "ORDER BY campaign_id"), {"c": customer_id}))
    segments = tuple(row[0] for row in connection.execute(text(
        "SELECT DISTINCT segment_id FROM segment_member WHERE customer_id = :c "
        "ORDER BY segment_id"), {"c": customer_id}))
    _correct_score_counts(connection, customer_id)
    # Orders of anyone else are never attributed to these sends; this is belt and braces.
    connection.execute(text(
        "UPDATE orders SET attributed_message_id = NULL, attributed_campaign_id = NULL, "
        "attributed_touch = NULL WHERE customer_id <> :c AND attributed_message_id IN "
        "(SELECT message_id FROM message WHERE customer_id = :c)"), {"c": customer_id})
    deleted = {"email_event": connection.execute(text(
        # Safe SQL (S608): the condition is a code constant; the id is bound.
        f"DELETE FROM email_event WHERE {_EVENTS_OF}"), {"customer": customer_id}  # noqa: S608
        ).rowcount or 0}
    for name in CUSTOMER_TABLES:
        deleted[name] = connection.execute(text(
            # Safe SQL (S608): table names are code constants; the id is bound.
            f"DELETE FROM {name} WHERE customer_id = :c"), {"c": customer_id}  # noqa: S608
            ).rowcount or 0
    webhook_table = WebhookDelivery.__table__  # type: ignore[attr-defined]
    for delivery_id, _ in deliveries:
        connection.execute(update(webhook_table).where(webhook_table.c.id == delivery_id)
                           .values(body=_ERASED_BODY))
    needles = _needles(customer_id, email, message_ids)
    quarantined = [row[0] for row in connection.execute(text(
        "SELECT id, payload FROM webhook_quarantine")).all()
        if any(needle in row[1].lower() for needle in needles)]
    deleted["webhook_quarantine"] = 0
    for quarantine_id in quarantined:
        deleted["webhook_quarantine"] += connection.execute(text(
            "DELETE FROM webhook_quarantine WHERE id = :i"), {"i": quarantine_id}).rowcount or 0
    _scrub_job_args(connection, customer_id)
    if campaigns:
        rollups.refresh_rollups(connection, campaigns)
        # Recomputed from the sends left by the next report read (or its job).
        drop_report_rollups(connection, list(campaigns))
    if segments:
        segment_table = Segment.__table__  # type: ignore[attr-defined]
        connection.execute(update(segment_table)
                           .where(segment_table.c.segment_id.in_(segments))
                           .values(refreshed_at=utcnow()))
    remembered = tombstones.remember(connection, {
        # Webhooks make a customer's id from the address when they know no other.
        "customer": [customer_id, email.lower()], "email": [email],
        "message": message_ids})
    for kind in _KINDS:
        changes.bump(connection, kind)
    return Erased(customer_id=customer_id, deleted=deleted, campaigns=campaigns,
                  webhook_deliveries_redacted=len(deliveries), tombstones=remembered,
                  segments=segments)


def erased_counts(erased: Erased) -> Mapping[str, int]:
    """The tables an erasure deleted rows from, with their counts."""
    return {name: count for name, count in erased.deleted.items() if count}
