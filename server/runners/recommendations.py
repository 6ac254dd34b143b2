"""Product recommendations for a customer, with reasons, and the offline evaluation
against popularity. The fitted recommender is cached by the import generations, so it is
fitted once per change of the data, not per request.

Blocking (SQL, polars); resolvers call it in threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from analytics.recommendations import Evaluation, Model, evaluate, fit, order_items, recommend
from server.db.models import Customer
from server.db.repository import recommendations as repo
from server.db.repository.changes import generations
from server.db.types import utcnow
from server.runners.base import MEMO

MAX_LIMIT = 50
DEFAULT_HORIZON_DAYS = 30


@dataclass(frozen=True)
class Recommendation:
    rank: int
    product_id: str
    name: str
    category: str
    score: float
    source: str
    reason: str


def interactions(engine: Engine) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every purchase line, product view and cart add, and the catalog."""
    purchases = order_items(repo.order_frame(engine=engine))
    behaviour = repo.product_behaviour_frame(engine=engine)
    return pl.concat([purchases, behaviour]), repo.product_frame(engine=engine)


def _data_end(frame: pl.DataFrame) -> datetime | None:
    value: datetime | None = frame["occurred_at"].max()  # type: ignore[assignment]
    return value


def fitted(engine: Engine) -> Model | None:
    """The recommender fitted on all the data (None when there are no products and no
    interactions), cached by the import generations."""
    def compute() -> Model | None:
        events, products = interactions(engine)
        end = _data_end(events)
        if end is None and products.is_empty():
            return None
        as_of = (end or utcnow()) + timedelta(microseconds=1)
        return fit(events, products, as_of=as_of)
    return MEMO.of(engine, ("recommender", generations(engine)), compute)


def for_customer(engine: Engine, customer_id: str, *, limit: int = 10) -> list[Recommendation]:
    """Up to ``limit`` recommendations for ``customer_id`` (popular items for a customer
    without history); empty when there is no catalog. Raises ``ValueError`` for a limit
    outside 1..``MAX_LIMIT`` and ``LookupError`` for a customer id nobody has (popular
    items for a typo would look like an answer)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    model = fitted(engine)
    if model is None:
        return []
    with Session(engine) as session:
        if session.get(Customer, customer_id) is None:
            raise LookupError(f"no customer has id {customer_id!r}")
    rows = recommend(model, [customer_id], limit=limit).join(
        model.products.select("product_id", "name", "category"), on="product_id", how="left")
    return [Recommendation(rank=row["rank"], product_id=row["product_id"], name=row["name"],
                           category=row["category"], score=row["score"], source=row["source"],
                           reason=row["reason"])
            for row in rows.sort("rank").iter_rows(named=True)]


def run_evaluation(engine: Engine, *, split: datetime | None = None,
                   horizon_days: int = DEFAULT_HORIZON_DAYS) -> Evaluation:
    """Recommender against popularity on the time split ``split`` (default: the last
    ``horizon_days`` of the data are the test period). Raises ``ValueError`` when there
    is no data or nobody bought something new in the test period."""
    if split is not None and split.tzinfo is None:
        raise ValueError(f"split {split.isoformat()} has no timezone; add one, e.g. "
                         "2026-09-15T00:00:00Z")
    events, products = interactions(engine)
    end = _data_end(events)
    if end is None:
        raise ValueError("there are no orders or product views to evaluate on; import "
                         "orders with items first (`mailscope import orders FILE`)")
    cut = split or end - timedelta(days=horizon_days)
    return evaluate(events, products, split=cut, horizon_days=horizon_days)
