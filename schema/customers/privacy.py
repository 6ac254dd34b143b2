"""Privacy requests through the API: erase a customer (admin), export everything held
about one (admin)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from schema.context import Context, require
from schema.errors import Error
from server.runners import privacy


@strawberry.type(description="The customer and everything held about them were erased; "
                             "a tombstone keeps their rows out of later imports.")
class CustomerErased:
    id: strawberry.ID
    rows: int = strawberry.field(description="Rows deleted, all tables together.")
    tables: JSON = strawberry.field(description="Rows deleted per table (tables with "
                                                "none left out).")
    campaigns: list[str] = strawberry.field(description="Campaigns whose counters were "
                                                        "recomputed without the customer.")


@strawberry.type(description="The erasure was refused; nothing changed.")
class ErasureRefused(Error):
    id: strawberry.ID


EraseCustomerResult = Annotated[CustomerErased | ErasureRefused,
                                strawberry.union("EraseCustomerResult")]


@strawberry.type
class PrivacyQuery:
    @strawberry.field(description="Everything held about a customer (right of access): "
                                  "one list of rows per table; null when no customer has "
                                  "the id. Needs admin.")
    async def customer_data_export(self, info: Info[Context, Any],
                                   id: strawberry.ID) -> JSON | None:
        require(info, "admin")
        try:
            data = await asyncio.to_thread(privacy.export, info.context.engine, str(id))
            return JSON(data)
        except privacy.NoSuchCustomer:
            return None


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(description="Erase a customer everywhere (GDPR): one "
                                     "transaction, cannot be undone. Needs admin.")
    async def erase_customer(self, info: Info[Context, Any],
                             id: strawberry.ID) -> EraseCustomerResult:
        require(info, "admin")
        try:
            erased = await asyncio.to_thread(privacy.erase, info.context.engine, str(id))
        except privacy.ErasureRefused as refused:
            return ErasureRefused(message=str(refused), id=id)
        return CustomerErased(id=id, rows=erased.total,
                              tables=JSON(dict(privacy.erased_counts(erased))),
                              campaigns=list(erased.campaigns))
