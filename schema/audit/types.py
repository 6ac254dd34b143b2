"""Audit events as the API shows them."""

from __future__ import annotations

import json
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from server.db import models


@strawberry.type(description="One administrative action: who did what, to what, when.")
class AuditEvent:
    id: strawberry.ID
    at: datetime
    actor: str
    actor_key_id: strawberry.ID | None
    action: str
    target: str
    outcome: str = strawberry.field(
        description="ok, refused, failed, or the error type a mutation returned.")
    detail: JSON = strawberry.field(description="Non-secret details: ids, counts, options.")

    @classmethod
    def from_row(cls, row: models.AuditEvent) -> AuditEvent:
        return cls(id=strawberry.ID(str(row.id)), at=row.at, actor=row.actor,
                   actor_key_id=(None if row.actor_key_id is None
                                 else strawberry.ID(str(row.actor_key_id))),
                   action=row.action, target=row.target, outcome=row.outcome,
                   detail=json.loads(row.detail))
