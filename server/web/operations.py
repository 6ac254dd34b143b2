"""Run GraphQL operations in-process for the pages, as the signed-in user."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from schema.context import NotAllowed
from schema.operations import execute
from server.db.engine import get_engine


class OperationError(Exception):
    """A GraphQL operation a page ran came back with errors; ``refused`` when one of them
    is the key lacking a role (the page answers 403 then, not 400)."""

    def __init__(self, messages: list[str], *, refused: bool = False) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages
        self.refused = refused


def request_engine(request: Request) -> Any:
    # The app may keep its own engine on state (create_app(settings)); otherwise the
    # engine of the settings in force.
    return getattr(request.app.state, "engine", None) or get_engine()


async def run_operation(request: Request, query: str,
                        variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``data`` of ``query`` run as ``request.user``; raises OperationError on errors."""
    result = await execute(query, variables, user=request.user, engine=request_engine(request))
    if result.errors:
        refused = any(isinstance(error.original_error, NotAllowed) for error in result.errors)
        raise OperationError([error.message for error in result.errors], refused=refused)
    return result.data or {}
