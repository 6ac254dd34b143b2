"""The per-request GraphQL context and the role checks resolvers make against it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session
from strawberry.types import Info

from schema.loaders import Loaders, create_loaders
from server.settings import Settings, get_settings

T = TypeVar("T")


class Caller(Protocol):
    """Who makes the request, as the edge that authenticated it describes them."""

    name: str
    role: str

    @property
    def is_authenticated(self) -> bool: ...

    def has_role(self, role: str) -> bool: ...


def signed_in(user: Any) -> Caller | None:
    """``user`` when it is an authenticated caller, else None."""
    return user if getattr(user, "is_authenticated", False) else None


class NotAllowed(Exception):
    """The request's key lacks the role a field needs; the message names that role."""


@dataclass
class Context:
    user: Any
    engine: Engine
    settings: Settings
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        # New loaders per request: their caches must never serve one user another's data.
        self.loaders = create_loaders(self.engine)


def build_context(*, user: Any, engine: Engine, settings: Settings | None = None) -> Context:
    """The context of one GraphQL request made by ``user`` against ``engine``."""
    return Context(user=user, engine=engine, settings=settings or get_settings())


def require(info: Info[Context, Any], role: str) -> Caller:
    """The caller when it has ``role``; raises ``NotAllowed`` naming the role otherwise."""
    user = signed_in(info.context.user)
    if user is None:
        raise NotAllowed("Authentication required: send 'Authorization: Bearer <API key>'.")
    if not user.has_role(role):
        raise NotAllowed(f"'{info.field_name}' needs the {role} role (or admin); the key "
                         f"{user.name!r} has the {user.role} role. Ask an admin for a key "
                         f"with the {role} role.")
    return user


async def in_session(info: Info[Context, Any], work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` in a worker thread so blocking SQL never stalls the event loop."""
    engine = info.context.engine

    def run() -> T:
        with Session(engine, expire_on_commit=False) as session:
            return work(session)

    return await asyncio.to_thread(run)
