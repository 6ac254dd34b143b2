"""Privacy requests: erase a customer everywhere, or gather everything held about one."""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from server.db.repository import erasure
from server.db.repository.erasure import Erased, ErasureRefused, erased_counts
from server.db.types import utcnow

log = logging.getLogger(__name__)

EXPORT_FORMAT = "mailscope-customer-export/1"

__all__ = ["EXPORT_FORMAT", "Erased", "ErasureRefused", "NoSuchCustomer", "erase",
           "erased_counts", "export"]


class NoSuchCustomer(LookupError):
    """No customer has the id asked for."""


def erase(engine: Engine, customer_id: str) -> Erased:
    """Erase the customer in one transaction: everything or, on any failure, nothing.
    Raises ``ErasureRefused`` with the reason when it cannot be done."""
    customer_id = customer_id.strip()
    if not customer_id:
        raise ErasureRefused("give the id of the customer to erase")
    with engine.begin() as connection:
        erased = erasure.erase_customer(connection, customer_id)
    # The id is personal data: the log says only that an erasure happened and its size.
    log.info("customer erased: %d rows in %d tables, %d campaigns' counters corrected",
             erased.total, len(erased_counts(erased)), len(erased.campaigns))
    return erased


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def export(engine: Engine, customer_id: str) -> dict[str, Any]:
    """Everything held about the customer as plain JSON values: one list of rows per
    table (the raw events of their sends included). Raises ``NoSuchCustomer``."""
    with engine.connect() as connection:
        held = erasure.holdings(connection, customer_id)
    if not held["customer"]:
        raise NoSuchCustomer(f"no customer has id {customer_id!r}")
    return {
        "format": EXPORT_FORMAT,
        "customer_id": customer_id,
        "exported_at": utcnow().isoformat(),
        "tables": {name: [{key: _plain(value) for key, value in row.items()}
                          for row in rows] for name, rows in held.items()},
    }
