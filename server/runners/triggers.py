"""Triggers: definitions and templates, evaluation of due occasions, the firing log.

``evaluate`` decides every due occasion of every trigger once: it reads the behaviour
events (of the customers a batch touched, or everyone's for the sweep), finds the due
occasions by event time, decides them with the firing policy and inserts each decision
with ``ON CONFLICT DO NOTHING`` on (trigger, customer, occasion key). Only the worker
whose insert made the row enqueues the webhook delivery, keyed by the firing id, so
replays, shuffled batches and concurrent workers fire each occasion exactly once.
Occasions that fell due before the trigger was created are not decided: a new trigger
acts on what happens from now on, not on last year's carts.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from analytics.customers.expressions import RuleSyntaxError, parse
from analytics.customers.rules import PROFILE_FIELDS, members
from analytics.customers.schemas import PROFILE_SCHEMA
from analytics.triggers.definitions import (
    TEMPLATES,
    Definition,
    DefinitionError,
    parse_definition,
    parse_span,
)
from analytics.triggers.policy import FIRED_SCHEMA, STATUSES, Cap, Limits, decide
from analytics.triggers.sequences import EVENTS_SCHEMA, due_occasions, exited_occasions
from analytics.triggers.windows import ZONES_SCHEMA
from jobs.send import send
from server.db.models import (
    BEHAVIOR_TYPES,
    CustomerAttribute,
    TriggerDefinition,
    TriggerFiring,
    TriggerVersion,
    webhook_url_problem,
)
from server.db.repository import customers as profiles_repo
from server.db.repository import segments as segments_repo
from server.db.repository import triggers as repo
from server.db.repository.changes import bump
from server.db.repository.triggers import FiringFilter as FiringFilter
from server.db.types import utcnow
from server.settings import get_settings

STRANDED_AFTER = timedelta(minutes=1)
EVENT_TYPES = (*BEHAVIOR_TYPES, *repo.OTHER_EVENT_TYPES)
"""Event types a definition may name: web behaviour, order, segment_entered/left."""


class TriggerProblem(ValueError):
    """A trigger write that was refused; ``field`` names the input at fault and, for a
    definition, ``path`` the part of it (such as ``sequence.within``)."""

    def __init__(self, field: str, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.path = path


def check_definition(text: str) -> Definition:
    """Parse a definition and its profile rule; raises ``TriggerProblem``."""
    try:
        definition = parse_definition(text, EVENT_TYPES)
    except DefinitionError as error:
        raise TriggerProblem("definition", str(error), error.field) from None
    if definition.profile is not None:
        try:
            parse(definition.profile, PROFILE_FIELDS)
        except RuleSyntaxError as error:
            raise TriggerProblem("definition", f"profile: {error}", "profile") from None
    return definition


def _static_segments(engine: Engine, segment_ids: Sequence[str]) -> None:
    with engine.connect() as connection:
        for segment_id in segment_ids:
            kind = segments_repo.segment_kind(connection, segment_id)
            if kind not in (None, "static"):
                raise TriggerProblem("definition", f"actions: segment {segment_id!r} is a "
                                                   f"{kind} segment whose members are "
                                                   "computed; name a static segment or a "
                                                   "new id", "actions")


def _limits(cooldown: str | None, max_firings: int | None) -> tuple[int | None, int | None]:
    seconds = None
    if cooldown is not None and cooldown.strip():
        try:
            seconds = int(parse_span(cooldown, "cooldown").total_seconds())
        except DefinitionError as error:
            raise TriggerProblem("cooldown", str(error)) from None
    if max_firings is not None and max_firings < 1:
        raise TriggerProblem("maxFirings", "maxFirings: give 1 or more, or leave it empty "
                                           "for no maximum")
    return seconds, max_firings


def _webhook(url: str | None) -> str | None:
    if url is None or not url.strip():
        return None
    problem = webhook_url_problem(url.strip())
    if problem:
        raise TriggerProblem("webhookUrl", f"webhookUrl {problem}")
    return url.strip()


@dataclass(frozen=True)
class Created:
    """A new trigger and its webhook secret (shown this once)."""

    trigger: TriggerDefinition
    secret: str


def create_trigger(engine: Engine, *, name: str, definition: str | None = None,
                   template: str | None = None, webhook_url: str | None = None,
                   cooldown: str | None = None, max_firings: int | None = None,
                   priority: int = 0, enabled: bool = True) -> Created:
    """Create a trigger from a definition or a template (whose cooldown and maximum
    apply unless given); raises ``TriggerProblem``."""
    if not name.strip():
        raise TriggerProblem("name", "name: give the trigger a name")
    if template is not None:
        if template not in TEMPLATES:
            raise TriggerProblem("template", f"template: unknown {template!r}; use one of "
                                             f"{', '.join(TEMPLATES)}")
        ready = TEMPLATES[template]
        definition = definition or json.dumps(ready["definition"])
        cooldown = cooldown if cooldown is not None else ready["cooldown"]
        max_firings = max_firings if max_firings is not None else ready["max_firings"]
    if not definition:
        raise TriggerProblem("definition", "definition: give a definition or a template")
    parsed = check_definition(definition)
    _static_segments(engine, parsed.add_to_segments)
    seconds, maximum = _limits(cooldown, max_firings)
    secret = secrets.token_urlsafe(32)
    row = TriggerDefinition(name=name.strip(), definition=parsed.to_json(), enabled=enabled,
                            priority=priority, cooldown_seconds=seconds, max_firings=maximum,
                            webhook_url=_webhook(webhook_url), webhook_secret=secret)
    with Session(engine, expire_on_commit=False) as session:
        row = repo.create_trigger(session=session, trigger_in=row)
        repo.save_version(session=session, trigger=row)
        session.commit()
        session.refresh(row)
        session.expunge(row)
    return Created(row, secret)


EDITABLE = ("name", "definition", "webhook_url", "cooldown", "max_firings", "priority",
            "enabled")
"""What an edit may change (the secret and the firing log stay)."""


def update_trigger(engine: Engine, trigger_id: int,
                   changes: Mapping[str, Any]) -> TriggerDefinition | None:
    """Apply ``changes`` (a subset of ``EDITABLE``; None clears the webhook URL, cooldown
    or maximum) as a new version; None when there is no such trigger. Raises
    ``TriggerProblem`` naming the field, changing nothing.

    A changed definition first decides, under the old version, every occasion already
    due, so nothing pending is lost or judged by rules written after it fell due; the
    new version then decides only occasions falling due from its save on. A decided
    occasion is never decided again, so an edit never re-fires a past occasion."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise TriggerProblem(unknown[0], f"{unknown[0]}: cannot be edited; edit "
                                         f"{', '.join(EDITABLE)}")
    current = get_trigger(engine, trigger_id)
    if current is None:
        return None
    if current.archived_at is not None:
        raise TriggerProblem("id", f"id: trigger {trigger_id} is archived; archived triggers "
                                   "keep their log but cannot be edited, so create a new one")
    values = _edited_values(engine, current, changes)
    values = {name: value for name, value in values.items()
              if getattr(current, name) != value}
    if not values:
        return current
    if "definition" in values:
        evaluate(engine, as_of=utcnow(), trigger_ids=[trigger_id])
    with Session(engine, expire_on_commit=False) as session:
        row = repo.update_trigger(session=session, trigger_id=trigger_id,
                                  values={**values, "version": current.version + 1})
        if row is None:  # pragma: no cover - deleted between the two reads
            return None
        repo.save_version(session=session, trigger=row)
        session.commit()
        session.expunge(row)
        return row


def _edited_values(engine: Engine, current: TriggerDefinition,
                   changes: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in changes:
        name = changes["name"]
        if not isinstance(name, str) or not name.strip():
            raise TriggerProblem("name", "name: give the trigger a name")
        values["name"] = name.strip()
    if "definition" in changes:
        text = changes["definition"]
        if not isinstance(text, str) or not text.strip():
            raise TriggerProblem("definition", "definition: give a definition")
        parsed = check_definition(text)
        _static_segments(engine, parsed.add_to_segments)
        values["definition"] = parsed.to_json()
    if "webhook_url" in changes:
        values["webhook_url"] = _webhook(changes["webhook_url"])
    if "cooldown" in changes or "max_firings" in changes:
        seconds, maximum = _limits(changes.get("cooldown"), changes.get("max_firings"))
        if "cooldown" in changes:
            values["cooldown_seconds"] = seconds
        if "max_firings" in changes:
            values["max_firings"] = maximum
    for name in ("priority", "enabled"):
        if name in changes:
            if changes[name] is None:
                raise TriggerProblem(name, f"{name}: give a value")
            values[name] = changes[name]
    return values


def set_enabled(engine: Engine, trigger_id: int, enabled: bool) -> TriggerDefinition | None:
    """Pause or resume a trigger (a new version); None when there is no such trigger.
    Raises ``TriggerProblem`` for an archived one."""
    return update_trigger(engine, trigger_id, {"enabled": enabled})


def archive_trigger(engine: Engine, trigger_id: int) -> TriggerDefinition | None:
    """Archive a trigger for good: it decides nothing more and leaves the list, and its
    firing log stays (so the log never points at a deleted trigger). None when there is
    no such trigger; archiving twice keeps the first time."""
    with Session(engine, expire_on_commit=False) as session:
        row = repo.get_trigger(session=session, trigger_id=trigger_id)
        if row is not None and row.archived_at is None:
            row = repo.update_trigger(session=session, trigger_id=trigger_id,
                                      values={"archived_at": utcnow(), "enabled": False})
            session.commit()
        if row is not None:
            session.expunge(row)
        return row


def list_triggers(engine: Engine, *, archived: bool = False) -> list[TriggerDefinition]:
    """The triggers in force (or, with ``archived``, every trigger), by priority."""
    with Session(engine, expire_on_commit=False) as session:
        rows = repo.list_triggers(session=session, archived=archived)
        session.expunge_all()
        return rows


def versions(engine: Engine, trigger_id: int) -> list[TriggerVersion]:
    """Every saved version of a trigger, newest first."""
    with Session(engine, expire_on_commit=False) as session:
        rows = repo.list_versions(session=session, trigger_id=trigger_id)
        session.expunge_all()
        return rows


def get_trigger(engine: Engine, trigger_id: int) -> TriggerDefinition | None:
    with Session(engine, expire_on_commit=False) as session:
        row = repo.get_trigger(session=session, trigger_id=trigger_id)
        if row is not None:
            session.expunge(row)
        return row


def firings(engine: Engine, *, trigger_id: int | None = None, customer_id: str | None = None,
            status: str | None = None, first: int = 50) -> list[TriggerFiring]:
    """The firing log, newest due first."""
    rows, _ = firing_page(engine, FiringFilter(trigger_id=trigger_id, customer_id=customer_id,
                                               status=status), first=first, count=False)
    return rows


def firing_page(engine: Engine, filter: FiringFilter, *, first: int, offset: int = 0,
                count: bool = True) -> tuple[list[TriggerFiring], int]:
    """``first`` firings of the log ``filter`` selects from ``offset``, newest due first,
    and how many it selects in all (0 unless ``count``)."""
    if filter.status is not None and filter.status not in STATUSES:
        raise TriggerProblem("status", f"status: unknown {filter.status!r}; use one of "
                                       f"{', '.join(STATUSES)}")
    with Session(engine, expire_on_commit=False) as session:
        rows = repo.list_firings(session=session, filter=filter, first=first, offset=offset)
        total = repo.count_firings(session=session, filter=filter) if count else 0
        session.expunge_all()
        return rows, total


@dataclass
class Evaluated:
    """What an evaluation decided: per status, how many occasions; the new firings."""

    decided: dict[str, int] = field(default_factory=dict)
    fired: list[int] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)
    # (customer, when) of each follow-up check the firings asked for.
    follow_ups: list[tuple[str, datetime]] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{count} {status}" for status, count in sorted(self.decided.items())]
        return ", ".join(parts) or "no occasion due"


def _eligible(connection: Connection, rule: str | None,
              customers: Sequence[str]) -> set[str] | None:
    if rule is None:
        return None
    profiles_repo.stage_scope(connection, customers)
    profiles = profiles_repo.profile_frame(connection, PROFILE_SCHEMA)
    profiles_repo.drop_scope(connection)
    return set(members(profiles, parse(rule, PROFILE_FIELDS)).to_list())


def frequency_cap() -> Cap | None:
    """The global cap from the settings (``MAILSCOPE_TRIGGER_CAP`` firings per
    ``MAILSCOPE_TRIGGER_CAP_DAYS``), None when turned off."""
    settings = get_settings()
    if settings.trigger_cap <= 0:
        return None
    return Cap(count=settings.trigger_cap, window=timedelta(days=settings.trigger_cap_days))


def _evaluate_one(engine: Engine, row: TriggerDefinition, customer_ids: Sequence[str] | None,
                  as_of: datetime, result: Evaluated) -> None:
    definition = parse_definition(row.definition, EVENT_TYPES)
    sequence = definition.sequence
    types = sorted({sequence.first, *([sequence.then] if sequence.then else []),
                    *definition.exit})
    trigger_id = row.id or 0
    with engine.begin() as connection:
        repo.lock_decisions(connection)
        events = repo.event_frame(connection, types, customer_ids, EVENTS_SCHEMA)
        zones = None
        if sequence.hours is not None or sequence.days is not None:
            zones = repo.zone_frame(connection, customer_ids, ZONES_SCHEMA)
        # The current definition decides what fell due from its save on (earlier
        # occasions were decided by the version before, when it was saved).
        since = repo.definition_since(connection, trigger_id, row.definition) or row.created_at
        due = due_occasions(events, sequence, as_of, zones,
                            get_settings().trigger_timezone).filter(
            pl.col("due_at") >= max(since, row.created_at))
        due = due.join(repo.decided_frame(connection, trigger_id, customer_ids),
                       on=["customer_id", "occasion_key"], how="anti")
        if due.is_empty():
            return
        limits = Limits(enabled=row.enabled, max_firings=row.max_firings,
                        profile_rule=definition.profile, reentry=definition.reentry,
                        cooldown=(timedelta(seconds=row.cooldown_seconds)
                                  if row.cooldown_seconds else None))
        customers = sorted(due["customer_id"].unique().to_list())
        decisions = decide(
            due, repo.fired_frame(connection, trigger_id, customers, FIRED_SCHEMA), limits,
            _eligible(connection, definition.profile, customers),
            exits=exited_occasions(due, events, definition.exit),
            everywhere=repo.fired_frame(connection, None, customers, FIRED_SCHEMA),
            cap=frequency_cap())
        created = repo.insert_firings(connection, trigger_id, row.version, decisions)
        occasions = decisions.to_dicts()
        added: list[str] = []
        for occasion in occasions:
            firing_id = created.get((occasion["customer_id"], occasion["occasion_key"]))
            if firing_id is None:
                continue
            result.decided[occasion["status"]] = result.decided.get(occasion["status"], 0) + 1
            if occasion["status"] == "fired":
                result.fired.append(firing_id)
                added.append(occasion["customer_id"])
                if definition.follow_up is not None:
                    result.follow_ups.append((occasion["customer_id"],
                                              occasion["due_at"] + definition.follow_up))
                if row.webhook_url:
                    result.deliveries.append(firing_id)
        _add_to_segments(connection, row.name, definition.add_to_segments, added)
        if added and definition.attributes:
            repo.set_attributes(connection, trigger_id, sorted(set(added)),
                                definition.attributes)


def _add_to_segments(connection: Connection, trigger_name: str, segment_ids: Sequence[str],
                     customers: list[str]) -> None:
    """The add_to_segment actions, in the firing's transaction: a firing and its
    membership are stored together or not at all."""
    if not customers or not segment_ids:
        return
    for segment_id in segment_ids:
        if repo.ensure_static_segment(connection, segment_id, trigger_name):
            segments_repo.apply_changes(connection, segment_id, sorted(set(customers)), [],
                                        utcnow())
    bump(connection, "segments")


def evaluate(engine: Engine, *, customer_ids: Sequence[str] | None = None,
             as_of: datetime | None = None, deliver: bool = True,
             trigger_ids: Sequence[int] | None = None) -> Evaluated:
    """Decide the due occasions of every trigger in force (or of ``trigger_ids``) for
    ``customer_ids`` (or everyone), by priority; enqueue a webhook delivery for each new
    firing when ``deliver``."""
    as_of = as_of or utcnow()
    result = Evaluated()
    for row in list_triggers(engine):
        if trigger_ids is not None and row.id not in trigger_ids:
            continue
        try:
            _evaluate_one(engine, row, customer_ids, as_of, result)
        except DefinitionError:
            # Stored definitions were checked when saved; one that no longer parses
            # (an event type was retired) decides nothing until it is edited.
            result.decided["unreadable"] = result.decided.get("unreadable", 0) + 1
    if deliver:
        if customer_ids is None:
            # The sweep also picks up deliveries a crash between a decision's commit and
            # its enqueue left behind (a minute old, so never one about to be enqueued).
            with engine.connect() as connection:
                stranded = repo.undelivered(connection, utcnow() - STRANDED_AFTER)
            result.deliveries += [f for f in stranded if f not in result.deliveries]
        # After the commit: a delivery never runs for a firing that was rolled back.
        for firing_id in result.deliveries:
            job_id = send("trigger_webhook", firing_id=firing_id)
            with engine.begin() as connection:
                repo.mark_enqueued(connection, firing_id, job_id)
        for customer_id, at in result.follow_ups:
            # A follow-up due already (a late sweep) runs now; the sweep covers it anyway.
            delay = max(0, int((at - utcnow()).total_seconds() * 1000))
            send("evaluate_triggers", delay_ms=delay, customer_ids=[customer_id])
    return result


def has_enabled_triggers(engine: Engine) -> bool:
    """True when a trigger in force (not archived) is enabled."""
    return any(row.enabled for row in list_triggers(engine))


def customer_attributes(engine: Engine, customer_id: str) -> list[CustomerAttribute]:
    """The attributes triggers set on the customer, by name."""
    with Session(engine, expire_on_commit=False) as session:
        rows = repo.attributes_of(session=session, customer_id=customer_id)
        session.expunge_all()
        return rows
