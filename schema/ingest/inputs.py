"""Events and orders written through the API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry


@strawberry.input
class EmailEventInput:
    id: strawberry.ID = strawberry.field(description="Event id; a replayed id is ignored.")
    type: str = strawberry.field(description="delivered, open, click, bounce, unsubscribe, "
                                             "complaint, deferred or dropped.")
    occurred_at: datetime
    message_id: str
    campaign_id: str
    customer_id: str
    url: str | None = None
    user_agent: str | None = None
    machine_open: bool = False
    bounce_type: str | None = None


@strawberry.input
class OrderItemInput:
    product_id: str
    quantity: int
    price: Decimal


@strawberry.input
class OrderInput:
    id: strawberry.ID
    customer_id: str
    occurred_at: datetime
    amount: Decimal
    currency: str
    items: list[OrderItemInput] | None = None
