"""Relay-style connections with opaque offset cursors.

Offset cursors (not keyset) because every list can be sorted several ways and filtered;
the cursor is opaque, so switching a list to keyset later does not change the API.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry

MAX_PAGE = 200
DEFAULT_PAGE = 25
_CURSOR_TAG = "offset:"

Node = TypeVar("Node")
Row = TypeVar("Row")


class PaginationError(ValueError):
    """A ``first`` or ``after`` argument the API cannot honour; the message says why."""


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    page_info: PageInfo
    total_count: int


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_TAG}{position}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The 0-based position a cursor names; raises ``PaginationError`` for foreign text."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith(_CURSOR_TAG):
            raise ValueError(text)
        position = int(text.removeprefix(_CURSOR_TAG))
    except (ValueError, binascii.Error, UnicodeError):
        raise PaginationError(f"after: {cursor!r} is not a cursor this API issued; pass an "
                              "edge's cursor or pageInfo.endCursor unchanged") from None
    if position < 0:
        raise PaginationError(f"after: {cursor!r} names a negative position")
    return position


def page_window(first: int, after: str | None) -> tuple[int, int]:
    """(offset, limit) for ``first`` rows after ``after``; validates ``first``."""
    if not 1 <= first <= MAX_PAGE:
        raise PaginationError(f"first: {first} is out of range; ask for 1 to {MAX_PAGE} rows "
                              "and follow pageInfo.endCursor for more")
    offset = 0 if after is None else decode_cursor(after) + 1
    return offset, first


def connection(rows: Sequence[Row], *, offset: int, first: int, total: int,
               to_node: Callable[[Row], Node]) -> Connection[Node]:
    """A connection over ``rows`` fetched with ``limit first + 1`` (the extra row tells
    whether a next page exists)."""
    page = list(rows[:first])
    edges = [Edge(cursor=encode_cursor(offset + index), node=to_node(row))
             for index, row in enumerate(page)]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > first, has_previous_page=offset > 0,
                           start_cursor=edges[0].cursor if edges else None,
                           end_cursor=edges[-1].cursor if edges else None),
        total_count=total,
    )
