"""Error types every mutation result union shares."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="A problem the caller can fix; message says how.")
class Error:
    message: str


@strawberry.type
class FieldError:
    row: int = strawberry.field(description="1-based position in the submitted list.")
    column: str
    value: str | None
    message: str


@strawberry.type(description="The input was refused; nothing was stored.")
class ValidationErrors(Error):
    errors: list[FieldError]


@strawberry.type
class NotFound(Error):
    id: strawberry.ID
