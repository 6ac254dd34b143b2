"""Targets in force: the metric table's defaults with the stored overrides applied."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import Engine
from sqlmodel import Session

from analytics.metrics import METRICS, Targets
from server.db.engine import session_scope
from server.db.repository.targets import replace_target_overrides, target_overrides

log = logging.getLogger(__name__)

WARNING_BAND = "warning_band"


def load_targets(engine: Engine) -> Targets:
    """The targets in force. A stored override the metric table no longer accepts (a
    renamed metric, a changed range) is skipped with a warning rather than breaking
    every report."""
    with Session(engine) as session:
        stored = target_overrides(session=session)
    try:
        return Targets.from_dict(stored)
    except ValueError:
        kept: dict[str, object] = {}
        for name, value in stored.items():
            try:
                Targets.from_dict({**kept, name: value})
            except ValueError as error:
                log.warning("ignoring stored target %s=%r: %s", name, value, error)
                continue
            kept[name] = value
        return Targets.from_dict(kept)


def overrides_of(targets: Targets) -> dict[str, float | None]:
    """Only what differs from the defaults (what to store)."""
    changed: dict[str, float | None] = {
        definition.name: targets.values.get(definition.name)
        for definition in METRICS
        if targets.values.get(definition.name) != definition.default_target
    }
    if targets.warning_band != Targets().warning_band:
        changed[WARNING_BAND] = targets.warning_band
    return changed


def save_targets(engine: Engine, changes: Mapping[str, object], *,
                 updated_by: str | None) -> Targets:
    """Apply ``changes`` (metric name or ``warning_band`` -> value, None: no target) to
    the targets in force and store the result. ValueError naming the metric when a value
    is out of range; nothing is stored then."""
    current = load_targets(engine)
    merged: dict[str, object] = {**current.values, WARNING_BAND: current.warning_band,
                                 **changes}
    targets = Targets.from_dict(merged)
    with session_scope(engine) as session:
        replace_target_overrides(session=session, overrides=overrides_of(targets),
                                 updated_by=updated_by)
    return targets


def reset_targets(engine: Engine, *, updated_by: str | None) -> Targets:
    """Drop every override: the defaults are in force again."""
    with session_scope(engine) as session:
        replace_target_overrides(session=session, overrides={}, updated_by=updated_by)
    return Targets()


def target_problems(changes: Mapping[str, object]) -> dict[str, str]:
    """Every change the metric table refuses: name -> why (the message names the metric
    and the allowed range). Empty when all are acceptable."""
    problems: dict[str, str] = {}
    for name, value in changes.items():
        try:
            Targets.from_dict({name: value})
        except ValueError as error:
            problems[name] = str(error)
    return problems
