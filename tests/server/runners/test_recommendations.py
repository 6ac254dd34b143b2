"""Recommendations over the database, cached by the import generations, and the
evaluation on a time split."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from sqlalchemy import Engine

from server.ingest.load import load_frame
from server.runners import recommendations as runner
from server.runners.base import MEMO
from tests.worlds.shop import SPLIT, load_shop


@pytest.fixture
def shop(engine: Engine) -> Engine:
    MEMO.clear()
    return load_shop(engine)


def test_a_customer_gets_named_products_with_reasons(shop: Engine) -> None:
    rows = runner.for_customer(shop, "u7", limit=2)

    assert [(r.rank, r.product_id, r.name, r.category, r.source, r.reason) for r in rows] == [
        (1, "p2", "Trail", "shoes", "cooccurrence", "bought with Ankle socks"),
        (2, "p5", "Wool socks", "socks", "cooccurrence", "bought with Runner")]


def test_the_model_is_refitted_when_data_changes(shop: Engine) -> None:
    before = runner.for_customer(shop, "fresh", limit=1)
    misses = MEMO.misses
    assert runner.for_customer(shop, "fresh", limit=1) == before
    assert MEMO.misses == misses
    load_frame("orders", pl.DataFrame({
        "order_id": ["o99"], "customer_id": ["fresh"], "occurred_at": ["2026-03-23T12:00:00Z"],
        "amount": ["1.00"], "currency": ["USD"],
        "items": ['[{"product_id": "p6", "quantity": 1}]']}), engine=shop)
    after = runner.for_customer(shop, "fresh", limit=1)
    assert MEMO.misses == misses + 1
    assert after[0].product_id != "p6"


def test_limits_and_empty_databases(engine: Engine) -> None:
    MEMO.clear()
    assert runner.for_customer(engine, "anyone") == []
    with pytest.raises(ValueError, match="limit must be between 1 and 50"):
        runner.for_customer(engine, "anyone", limit=51)
    with pytest.raises(ValueError, match="there are no orders or product views"):
        runner.run_evaluation(engine)


def test_evaluation_on_the_split(shop: Engine) -> None:
    result = runner.run_evaluation(shop, split=SPLIT, horizon_days=30)
    assert result.customers == 3
    assert result.recommender.hit_rate[0] >= result.popularity.hit_rate[0]
    default = runner.run_evaluation(shop, horizon_days=30)
    # The last purchase (2026-03-22 12:00) minus the 30-day horizon.
    assert default.split == datetime(2026, 2, 20, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match="has no timezone"):
        runner.run_evaluation(shop, split=datetime(2026, 3, 1))  # noqa: DTZ001
