"""Stored metric-target overrides (the settings page and ``setTargets`` write them)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, col, delete, select

from server.db.models import MetricTarget
from server.db.types import utcnow


def target_overrides(*, session: Session) -> dict[str, float | None]:
    """Every stored override: name (a metric or ``warning_band``) -> value (None: no target)."""
    rows = session.exec(select(MetricTarget).order_by(col(MetricTarget.name))).all()
    return {row.name: row.value for row in rows}


def replace_target_overrides(*, session: Session, overrides: Mapping[str, float | None],
                             updated_by: str | None) -> None:
    """Store exactly ``overrides`` (names already validated by the caller), dropping any
    override not in it, in the caller's transaction."""
    session.exec(delete(MetricTarget))
    now = utcnow()
    for name, value in overrides.items():
        session.add(MetricTarget(name=name, value=value, updated_at=now, updated_by=updated_by))
    session.flush()
