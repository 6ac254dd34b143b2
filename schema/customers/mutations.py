"""Customer writes, through ingestion. Needs admin."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.customers.inputs import CustomerInput, CustomerPatch
from schema.customers.types import Customer
from schema.errors import NotFound, ValidationErrors
from schema.ingest.records import input_values, upsert
from server.db import models

CustomerResult = Annotated[Customer | ValidationErrors | NotFound,
                           strawberry.union("CustomerResult")]


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(description="Needs admin.")
    async def create_customer(self, info: Info[Context, Any],
                              input: CustomerInput) -> CustomerResult:
        return await upsert(info, "customers", models.Customer, str(input.id),
                             input_values(input), Customer.from_row, must_exist=False)

    @strawberry.mutation(description="Needs admin.")
    async def update_customer(self, info: Info[Context, Any], id: strawberry.ID,
                              patch: CustomerPatch) -> CustomerResult:
        return await upsert(info, "customers", models.Customer, str(id),
                             input_values(patch), Customer.from_row, must_exist=True)
