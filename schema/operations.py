"""Run GraphQL operations in-process (the htmx pages) with the same context as /graphql."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from strawberry.types import ExecutionResult

from schema.context import build_context
from schema.root import schema
from server.settings import Settings


async def execute(query: str, variables: dict[str, Any] | None = None, *, user: Any,
                  engine: Engine, settings: Settings | None = None) -> ExecutionResult:
    """Execute ``query`` as ``user`` (a ``schema.context.Caller``) against ``engine``.

    Errors are returned in ``result.errors``, never raised, exactly as over HTTP.
    """
    context = build_context(user=user, engine=engine, settings=settings)
    return await schema.execute(query, variable_values=variables, context_value=context)
