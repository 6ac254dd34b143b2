"""Writing and reading the audit log (``audit_event``)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from server.db.engine import session_scope
from server.db.models import AuditEvent

# Detail keys whose values are never stored, whatever an action passes: the log must never
# hold a secret, even by mistake.
SECRET_WORDS = ("key", "secret", "token", "password", "signature", "authorization")
MAX_DETAIL_TEXT = 300


def _scrub(value: Any, name: str = "") -> Any:
    lowered = name.lower()
    if any(word in lowered for word in SECRET_WORDS) and not lowered.endswith(("_id", "id")):
        return "[redacted]"
    if isinstance(value, Mapping):
        return {str(key): _scrub(item, str(key)) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(item, name) for item in value[:20]] + (
            [f"… {len(value) - 20} more"] if len(value) > 20 else [])
    if isinstance(value, str) and len(value) > MAX_DETAIL_TEXT:
        return value[:MAX_DETAIL_TEXT] + "…"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def record_audit(*, session: Session, actor: str, action: str, target: str = "",
                 outcome: str = "ok", actor_key_id: int | None = None,
                 detail: Mapping[str, Any] | None = None) -> AuditEvent:
    """Add one audit row in ``session`` (so it commits with the action it records).

    ``detail`` is scrubbed: values under names that look like secrets are replaced."""
    event = AuditEvent(actor=actor[:200], action=action[:100], target=target[:300],
                       outcome=outcome[:100], actor_key_id=actor_key_id,
                       detail=json.dumps(_scrub(dict(detail or {})), sort_keys=True,
                                         default=str))
    session.add(event)
    session.flush()
    return event


def audit(*, engine: Engine, actor: str, action: str, target: str = "", outcome: str = "ok",
          actor_key_id: int | None = None, detail: Mapping[str, Any] | None = None) -> None:
    """``record_audit`` in its own transaction, for actions that have already committed."""
    with session_scope(engine) as session:
        record_audit(session=session, actor=actor, action=action, target=target,
                     outcome=outcome, actor_key_id=actor_key_id, detail=detail)


def import_counts(report: Any) -> dict[str, int]:
    """The counts of an import report worth keeping in its audit event."""
    return {name: int(getattr(report, name)) for name in
            ("received", "inserted", "updated", "unchanged", "rejected")}


def list_audit(*, session: Session, limit: int = 50, before_id: int | None = None,
               action: str | None = None, actor: str | None = None,
               since: datetime | None = None) -> Sequence[AuditEvent]:
    """The newest events first, ``limit`` of them, older than ``before_id`` when given;
    ``action`` matches a prefix ("apikey" or "apikey.rotate"), ``actor`` a name exactly."""
    query = select(AuditEvent)
    if before_id is not None:
        query = query.where(col(AuditEvent.id) < before_id)
    if action:
        query = query.where(col(AuditEvent.action).startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since)
    return session.exec(query.order_by(col(AuditEvent.id).desc()).limit(limit)).all()


def count_audit(*, session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(AuditEvent)).one())
