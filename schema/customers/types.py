"""Customer and segment object types."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.predictions.queries import customer_explanation, customer_scores
from schema.predictions.types import CustomerScore, Explanation, ModelKind
from server.db import models


@strawberry.type
class Customer:
    id: strawberry.ID
    email: str
    first_name: str | None
    last_name: str | None
    signup_at: datetime | None
    country: str | None
    timezone: str | None
    email_domain: str

    @classmethod
    def from_row(cls, row: models.Customer) -> Customer:
        return cls(id=strawberry.ID(row.customer_id), email=row.email,
                   first_name=row.first_name, last_name=row.last_name,
                   signup_at=row.signup_at, country=row.country, timezone=row.timezone,
                   email_domain=row.email_domain)

    @strawberry.field(  # type: ignore[untyped-decorator]
        description="The customer's published model scores, one per kind.")
    async def scores(self, info: Info[Context, Any]) -> list[CustomerScore]:
        return await customer_scores(info, str(self.id))

    @strawberry.field(  # type: ignore[untyped-decorator]
        description="Why the active model of this kind scores the customer as it does "
                    "(SHAP contributions, computed on demand).")
    async def explain(self, info: Info[Context, Any], kind: ModelKind) -> Explanation | None:
        return await customer_explanation(info, str(self.id), kind)


@strawberry.type
class Segment:
    id: strawberry.ID
    name: str
    description: str | None

    @classmethod
    def from_row(cls, row: models.Segment) -> Segment:
        return cls(id=strawberry.ID(row.segment_id), name=row.name,
                   description=row.description)

    @strawberry.field
    async def member_count(self, info: Info[Context, Any]) -> int:
        return await info.context.loaders.member_counts.load(str(self.id))
