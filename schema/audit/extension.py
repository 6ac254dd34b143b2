"""Every GraphQL mutation leaves an audit event: who called it, with what, and how it ended.

Pages run their writes through the same schema, so settings, triggers, segments, models,
experiments, budgets and imports made through GraphQL or the pages are all recorded here
once, without each resolver remembering to. Refused calls are recorded too.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from inspect import isawaitable
from typing import Any

from strawberry.extensions import SchemaExtension

from schema.context import NotAllowed
from server.db.emails import stored_email
from server.db.repository.audit import audit

MAX_DEPTH = 3
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def summary(value: Any, depth: int = 0) -> Any:
    """A small, JSON-friendly picture of an argument: lists become their length, inputs
    their fields (the audit helper then removes anything that looks like a secret)."""
    if isinstance(value, str) and _ADDRESS.fullmatch(value.strip()):
        return stored_email(value)  # hashed when addresses are hashed at rest
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return {"items": len(value)}
    if depth < MAX_DEPTH and isinstance(value, Mapping):
        return {str(name): summary(item, depth + 1) for name, item in value.items()}
    if depth < MAX_DEPTH and hasattr(value, "__dict__"):
        return {name: summary(item, depth + 1) for name, item in vars(value).items()
                if not name.startswith("_")}
    return str(getattr(value, "value", value))


def outcome_of(value: Any) -> str:
    """"ok", or the name of the error type a mutation's result union returned."""
    name = type(value).__name__
    return name if hasattr(value, "message") and name != "str" else "ok"


# Mutations whose arguments name a person they remove: recorded without the arguments.
ERASING = frozenset({"eraseCustomer"})


class AuditMutations(SchemaExtension):
    def resolve(self, _next: Callable[..., Any], root: Any, info: Any,
                *args: str, **kwargs: Any) -> Any:
        if info.parent_type.name != "Mutation":
            return _next(root, info, *args, **kwargs)
        return self._audited(_next, root, info, args, kwargs)

    async def _audited(self, _next: Callable[..., Any], root: Any, info: Any,
                       args: tuple[str, ...], kwargs: dict[str, Any]) -> Any:
        context = info.context
        user = getattr(context, "user", None)
        actor = getattr(user, "name", None) or "anonymous"
        key_id = getattr(user, "key_id", None)
        detail = {name: summary(value) for name, value in kwargs.items()}
        if info.field_name in ERASING:
            # The log must not keep what the mutation erases: the id stays out of it.
            detail = {name: "[erased]" for name in detail}
        outcome = "failed"
        try:
            value = _next(root, info, *args, **kwargs)
            if isawaitable(value):
                value = await value
            outcome = outcome_of(value)
            return value
        except NotAllowed:
            outcome = "refused"
            raise
        finally:
            await asyncio.to_thread(audit, engine=context.engine, actor=actor,
                                    action=f"graphql.{info.field_name}",
                                    outcome=outcome, actor_key_id=key_id, detail=detail)
