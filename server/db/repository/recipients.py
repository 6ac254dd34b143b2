"""One campaign's recipients, filtered by what happened to their send, a page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from server.db.models import Customer, Message

# What each recipient status means on the message row.
RECIPIENT_STATUSES: dict[str, Any] = {
    "delivered": lambda: col(Message.delivered_at).is_not(None),
    "opened": lambda: col(Message.first_open_at).is_not(None),
    "clicked": lambda: col(Message.first_click_at).is_not(None),
    "bounced": lambda: col(Message.bounced_at).is_not(None),
    "unsubscribed": lambda: col(Message.unsubscribed_at).is_not(None),
    "complained": lambda: col(Message.complained_at).is_not(None),
    "converted": lambda: col(Message.conversions) > 0,
}


def _conditions(campaign_id: str, status: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(Message.campaign_id) == campaign_id]
    if status is not None:
        if status not in RECIPIENT_STATUSES:
            raise ValueError(f"unknown recipient status {status!r}; use one of "
                             f"{', '.join(RECIPIENT_STATUSES)}")
        conditions.append(RECIPIENT_STATUSES[status]())
    return conditions


def recipient_page(*, session: Session, campaign_id: str, status: str | None, offset: int,
                   limit: int) -> tuple[Sequence[tuple[Message, Customer | None]], int]:
    """Up to ``limit`` (send, customer) pairs after ``offset``, ordered by send time then
    message id, and the total number of sends matching ``status`` (None: every send)."""
    conditions = _conditions(campaign_id, status)
    rows = session.exec(
        select(Message, Customer)
        .join(Customer, col(Customer.customer_id) == col(Message.customer_id), isouter=True)
        .where(*conditions)
        .order_by(col(Message.sent_at), col(Message.message_id))
        .offset(offset).limit(limit)).all()
    total = session.exec(select(func.count()).select_from(Message).where(*conditions)).one()
    return [(message, customer) for message, customer in rows], int(total)
