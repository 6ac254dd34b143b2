"""Customer list filter and the customer write inputs."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.input
class CustomerFilter:
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive text in the email or name.")
    country: str | None = None
    email_domain: str | None = None


@strawberry.input
class CustomerInput:
    id: strawberry.ID
    email: str
    first_name: str | None = None
    last_name: str | None = None
    signup_at: datetime | None = None
    country: str | None = None
    timezone: str | None = None


@strawberry.input(description="Fields to change; omitted fields keep their value.")
class CustomerPatch:
    email: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    signup_at: datetime | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET


@strawberry.input(description="A rule segment: an id, a name and a rule in the segment "
                              "language (see the README).")
class SegmentInput:
    id: strawberry.ID
    name: str
    definition: str
    description: str | None = None


@strawberry.input(description="Fields to change; omitted fields keep their value.")
class SegmentPatch:
    name: str | None = None
    definition: str | None = None
    description: str | None = None
