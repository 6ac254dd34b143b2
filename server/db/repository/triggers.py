"""Triggers and the firing log: definitions, the events they read, and the
exactly-once insert of decided occasions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, bindparam, text
from sqlmodel import Session, col, func, select

from server.db.models import (
    CustomerAttribute,
    TriggerDefinition,
    TriggerFiring,
    TriggerVersion,
)
from server.db.repository.bulk import drop_stage, stage_frame
from server.db.repository.frames import typed
from server.db.repository.segments import segment_kind
from server.db.types import UTCDateTime, utcnow

Schema = Mapping[str, pl.DataType]


def _frame(connection: Connection, sql: str, params: dict[str, Any], schema: Schema,
           expanding: Sequence[str] = ()) -> pl.DataFrame:
    statement = text(sql)
    if expanding:
        statement = statement.bindparams(*(bindparam(name, expanding=True)
                                           for name in expanding))
    rows = [tuple(row) for row in connection.execute(statement, params)]
    raw = pl.DataFrame(rows, schema=list(schema), orient="row", infer_schema_length=None)
    # SQLite text written through a raw statement carries "+00:00" (the driver's own
    # format, e.g. membership stays); SQLAlchemy's carries none. Both are UTC.
    raw = raw.with_columns(pl.col(name).str.replace(r"\+00:00$", "")
                           for name, dtype in schema.items()
                           if isinstance(dtype, pl.Datetime) and raw.schema[name] == pl.String)
    return typed(raw, schema)


def create_trigger(*, session: Session, trigger_in: TriggerDefinition) -> TriggerDefinition:
    """Store a new trigger (its definition already checked); returns it with its id."""
    session.add(trigger_in)
    session.flush()
    session.refresh(trigger_in)
    return trigger_in


def get_trigger(*, session: Session, trigger_id: int) -> TriggerDefinition | None:
    return session.get(TriggerDefinition, trigger_id)


def list_triggers(*, session: Session, archived: bool = False) -> list[TriggerDefinition]:
    """The triggers in force (with ``archived``, every trigger), highest priority first,
    then by id."""
    query = select(TriggerDefinition)
    if not archived:
        query = query.where(col(TriggerDefinition.archived_at).is_(None))
    return list(session.exec(query.order_by(col(TriggerDefinition.priority).desc(),
                                            col(TriggerDefinition.id))))


def save_version(*, session: Session, trigger: TriggerDefinition) -> TriggerVersion:
    """Keep the trigger as it now is as its version ``trigger.version``."""
    row = TriggerVersion(trigger_id=trigger.id or 0, version=trigger.version, name=trigger.name,
                         definition=trigger.definition, enabled=trigger.enabled,
                         priority=trigger.priority, cooldown_seconds=trigger.cooldown_seconds,
                         max_firings=trigger.max_firings, webhook_url=trigger.webhook_url,
                         saved_at=trigger.updated_at)
    session.add(row)
    session.flush()
    return row


def list_versions(*, session: Session, trigger_id: int) -> list[TriggerVersion]:
    """Every saved version of the trigger, newest first."""
    return list(session.exec(select(TriggerVersion).where(
        col(TriggerVersion.trigger_id) == trigger_id).order_by(
        col(TriggerVersion.version).desc())))


def definition_since(connection: Connection, trigger_id: int,
                     definition: str) -> datetime | None:
    """When ``definition`` took effect: the save of the first version after the last
    one with another definition; None when every version had this one."""
    row = connection.execute(text(
        "SELECT v.saved_at FROM trigger_version v WHERE v.trigger_id = :id AND v.version = "
        "(SELECT MAX(o.version) + 1 FROM trigger_version o WHERE o.trigger_id = :id "
        "AND o.definition <> :definition)").columns(saved_at=UTCDateTime()),
        {"id": trigger_id, "definition": definition}).first()
    return None if row is None else row[0]


def zone_frame(connection: Connection, customer_ids: Sequence[str] | None,
               schema: Schema) -> pl.DataFrame:
    """customer_id, timezone of the customers (of ``customer_ids``, or everyone) whose
    time zone is known."""
    sql = "SELECT customer_id, timezone FROM customer WHERE timezone IS NOT NULL"
    params: dict[str, Any] = {}
    if customer_ids is not None:
        sql += " AND customer_id IN :customers"
        params["customers"] = list(customer_ids)
    return _frame(connection, sql, params, schema,
                  ["customers"] if customer_ids is not None else [])


def update_trigger(*, session: Session, trigger_id: int,
                   values: Mapping[str, Any]) -> TriggerDefinition | None:
    """Set ``values`` (column -> value) on a trigger; None when there is no such trigger."""
    row = session.get(TriggerDefinition, trigger_id)
    if row is None:
        return None
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    session.refresh(row)
    return row


# Any constant of our own: the advisory lock all trigger decisions take.
_DECISION_LOCK = 4_815_162_342


def lock_decisions(connection: Connection) -> None:
    """Serialise trigger decisions for the transaction, so two workers take turns
    (cooldowns, maximums and the frequency cap read the firings the other wrote).
    SQLite has one writer at a time already."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": _DECISION_LOCK})


# Events a trigger reads besides web behaviour: orders, and segment entries and exits
# (their segment as the property segment_id).
_OTHER_EVENTS = {
    "order": "SELECT customer_id, 'order', occurred_at, NULL, NULL FROM orders WHERE 1 = 1",
    "segment_entered": "SELECT customer_id, 'segment_entered', entered_at, NULL, segment_id "
                       "FROM segment_membership WHERE 1 = 1",
    "segment_left": "SELECT customer_id, 'segment_left', left_at, NULL, segment_id "
                    "FROM segment_membership WHERE left_at IS NOT NULL",
}
OTHER_EVENT_TYPES = tuple(_OTHER_EVENTS)
"""Event types read from orders and segment membership rather than web behaviour."""


def event_frame(connection: Connection, types: Sequence[str],
                customer_ids: Sequence[str] | None, schema: Schema) -> pl.DataFrame:
    """Events of ``types`` (of ``customer_ids``, or everyone's) with ``schema``'s columns:
    customer_id, type, occurred_at, product_id, properties (JSON text)."""
    scope = "" if customer_ids is None else " AND customer_id IN :customers"
    params: dict[str, Any] = {"types": list(types)}
    expanding = ["types"]
    if customer_ids is not None:
        params["customers"] = list(customer_ids)
        expanding.append("customers")
    parts = ["SELECT customer_id, type, occurred_at, product_id, properties "
             "FROM behavior_event WHERE type IN :types" + scope]
    parts += [_OTHER_EVENTS[name] + scope for name in types if name in _OTHER_EVENTS]
    frame = _frame(connection, " UNION ALL ".join(parts), params, schema, expanding)
    segment = pl.col("type").is_in(["segment_entered", "segment_left"])
    return frame.with_columns(
        # Segment ids are slugs (letters, digits, - and _), safe inside a JSON string.
        pl.when(segment).then(pl.lit('{"segment_id": "') + pl.col("properties") + pl.lit('"}'))
        .otherwise(pl.col("properties")).alias("properties"))


def fired_frame(connection: Connection, trigger_id: int | None,
                customer_ids: Sequence[str], schema: Schema) -> pl.DataFrame:
    """Earlier firings that fired (of the trigger, or of every trigger when None) of
    ``customer_ids``: customer_id, due_at."""
    sql = ("SELECT customer_id, due_at FROM trigger_firing WHERE status = 'fired' "
           "AND customer_id IN :customers")
    params: dict[str, Any] = {"customers": list(customer_ids)}
    if trigger_id is not None:
        sql += " AND trigger_id = :id"
        params["id"] = trigger_id
    return _frame(connection, sql + " ORDER BY id", params, schema, ["customers"])


DECIDED_SCHEMA: dict[str, pl.DataType] = {"customer_id": pl.String(),
                                          "occasion_key": pl.String()}


def decided_frame(connection: Connection, trigger_id: int,
                  customer_ids: Sequence[str] | None) -> pl.DataFrame:
    """customer_id, occasion_key of every occasion of the trigger already decided (of
    ``customer_ids``, or everyone's)."""
    sql = "SELECT customer_id, occasion_key FROM trigger_firing WHERE trigger_id = :id"
    params: dict[str, Any] = {"id": trigger_id}
    if customer_ids is not None:
        sql += " AND customer_id IN :customers"
        params["customers"] = list(customer_ids)
    return _frame(connection, sql, params, DECIDED_SCHEMA,
                  ["customers"] if customer_ids is not None else [])


_FIRING_COLUMNS = ("trigger_id", "trigger_version", "customer_id", "occasion_key", "status",
                   "reason", "due_at", "decided_at")


def insert_firings(connection: Connection, trigger_id: int, version: int,
                   decisions: pl.DataFrame) -> dict[tuple[str, str], int]:
    """Record decided occasions (``decisions``: customer_id, occasion_key, status,
    reason, due_at) of the trigger's ``version`` once each: {(customer, occasion key):
    id} of the rows this call created. An occasion already decided (a replay, or
    another worker got there first) is left as it was and not returned. The rows are
    staged in one copy and moved by one INSERT ... SELECT."""
    if decisions.is_empty():
        return {}
    staged = decisions.select(
        pl.lit(trigger_id, pl.Int64).alias("trigger_id"),
        pl.lit(version, pl.Int64).alias("trigger_version"),
        "customer_id", "occasion_key", "status", "reason", "due_at",
        pl.lit(utcnow()).cast(pl.Datetime("us", "UTC")).alias("decided_at"))
    stage_frame(connection, "stage_firing", staged)
    columns = ", ".join(_FIRING_COLUMNS)
    # Safe SQL (S608): the column names are this module's constants. "WHERE true" lets
    # SQLite read ON CONFLICT as the upsert clause, not as part of the SELECT.
    rows = connection.execute(text(
        f"INSERT INTO trigger_firing ({columns}) SELECT {columns} FROM stage_firing "  # noqa: S608
        "WHERE true ON CONFLICT (trigger_id, customer_id, occasion_key) DO NOTHING "
        "RETURNING id, customer_id, occasion_key")).all()
    drop_stage(connection, "stage_firing")
    return {(row[1], row[2]): int(row[0]) for row in rows}


@dataclass(frozen=True)
class FiringFilter:
    """Which firings a log shows: of a trigger, of a customer, with a status, due in
    ``[since, until)``."""

    trigger_id: int | None = None
    customer_id: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[Any]:
        found: list[Any] = []
        if self.trigger_id is not None:
            found.append(col(TriggerFiring.trigger_id) == self.trigger_id)
        if self.customer_id is not None:
            found.append(col(TriggerFiring.customer_id) == self.customer_id)
        if self.status is not None:
            found.append(col(TriggerFiring.status) == self.status)
        if self.since is not None:
            found.append(col(TriggerFiring.due_at) >= self.since)
        if self.until is not None:
            found.append(col(TriggerFiring.due_at) < self.until)
        return found


def list_firings(*, session: Session, filter: FiringFilter | None = None,
                 first: int = 50, offset: int = 0) -> list[TriggerFiring]:
    """The firing log, newest due first: ``first`` rows from ``offset``."""
    query = select(TriggerFiring).where(*(filter or FiringFilter()).conditions())
    return list(session.exec(query.order_by(col(TriggerFiring.due_at).desc(),
                                            col(TriggerFiring.id).desc())
                             .offset(offset).limit(first)))


def count_firings(*, session: Session, filter: FiringFilter | None = None) -> int:
    """How many firings ``filter`` selects."""
    return int(session.exec(select(func.count()).select_from(TriggerFiring).where(
        *(filter or FiringFilter()).conditions())).one())


def get_firing(*, session: Session, firing_id: int) -> TriggerFiring | None:
    return session.get(TriggerFiring, firing_id)


def mark_delivered(*, session: Session, firing_id: int, status_code: int) -> None:
    """Record that the firing's webhook was answered with a success ``status_code``."""
    row = session.get(TriggerFiring, firing_id)
    if row is not None:
        row.delivered_at = utcnow()
        row.delivery_status = status_code
        session.add(row)


def ensure_static_segment(connection: Connection, segment_id: str, trigger_name: str) -> bool:
    """Make ``segment_id`` a static segment when it does not exist; False when it exists
    with another kind (its members are computed, so a trigger must not add to them)."""
    kind = segment_kind(connection, segment_id)
    if kind is None:
        connection.execute(text(
            "INSERT INTO segment (segment_id, name, description, kind, created_at) "
            "VALUES (:id, :id, :description, 'static', :at)").bindparams(
                bindparam("at", type_=UTCDateTime())),
            {"id": segment_id, "at": utcnow(),
             "description": f"Customers the trigger {trigger_name!r} fired for"})
        return True
    return kind == "static"


_SET_ATTRIBUTE = text(
    "INSERT INTO customer_attribute (customer_id, name, value, trigger_id, updated_at) "
    "VALUES (:customer, :name, :value, :trigger, :at) ON CONFLICT (customer_id, name) "
    "DO UPDATE SET value = excluded.value, trigger_id = excluded.trigger_id, "
    "updated_at = excluded.updated_at").bindparams(bindparam("at", type_=UTCDateTime()))


def set_attributes(connection: Connection, trigger_id: int, customer_ids: Sequence[str],
                   attributes: Sequence[tuple[str, str]]) -> None:
    """Set each (name, value) of ``attributes`` on every customer of ``customer_ids``."""
    at = utcnow()
    for customer in customer_ids:
        for name, value in attributes:
            connection.execute(_SET_ATTRIBUTE, {"customer": customer, "name": name,
                                                "value": value, "trigger": trigger_id,
                                                "at": at})


def attributes_of(*, session: Session, customer_id: str) -> list[CustomerAttribute]:
    """The customer's attributes, by name."""
    return list(session.exec(select(CustomerAttribute).where(
        col(CustomerAttribute.customer_id) == customer_id).order_by(
        col(CustomerAttribute.name))))


def mark_enqueued(connection: Connection, firing_id: int, job_id: int) -> None:
    """Record the delivery job of a firing."""
    connection.execute(text("UPDATE trigger_firing SET delivery_job_id = :job WHERE id = :id"),
                       {"job": job_id, "id": firing_id})


def undelivered(connection: Connection, before: datetime) -> list[int]:
    """Fired occasions of triggers with a webhook, decided before ``before``, whose
    delivery was never enqueued."""
    return [int(row[0]) for row in connection.execute(text(
        "SELECT f.id FROM trigger_firing f JOIN trigger_definition t ON t.id = f.trigger_id "
        "WHERE f.status = 'fired' AND f.delivery_job_id IS NULL AND f.delivered_at IS NULL "
        "AND t.webhook_url IS NOT NULL AND f.decided_at < :before ORDER BY f.id").bindparams(
            bindparam("before", type_=UTCDateTime())), {"before": before})]
