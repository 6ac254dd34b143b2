"""The audit log, for admins."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlmodel import col
from strawberry.types import Info

from schema.audit.types import AuditEvent
from schema.context import Context, in_session, require
from schema.pagination import DEFAULT_PAGE, Connection, connection, page_window
from server.db import models
from server.db.repository.listing import page_of


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Audit events, newest first; admin only. action matches a "
                                  "prefix (apikey, graphql.setTargets), actor a key's name.")
    async def audit_log(self, info: Info[Context, Any], first: int = DEFAULT_PAGE,
                        after: str | None = None, action: str | None = None,
                        actor: str | None = None) -> Connection[AuditEvent]:
        require(info, "admin")
        offset, limit = page_window(first, after)
        conditions = []
        if action:
            conditions.append(col(models.AuditEvent.action).startswith(action,
                                                                       autoescape=True))
        if actor:
            conditions.append(col(models.AuditEvent.actor) == actor)
        order = [col(models.AuditEvent.id).desc()]
        rows, total = await in_session(
            info, lambda session: page_of(session=session, model=models.AuditEvent,
                                            conditions=conditions, order=order,
                                            offset=offset, first=limit))
        return connection(rows, offset=offset, first=limit, total=total,
                          to_node=AuditEvent.from_row)
