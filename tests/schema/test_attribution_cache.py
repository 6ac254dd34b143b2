"""The period's journeys are read once while the data is unchanged, and read again after
any import, on both databases."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import Engine

import server.runners.attribution as report
from server.db.repository.changes import generations
from server.ingest import IngestError, ingest_records
from tests.schema.conftest import data_of
from tests.server.db.attribution_world import load_attribution_world

TOTALS = """
query { attribution(model: LAST_TOUCH) { orders orderRevenue attributedRevenue } }
"""


@pytest.fixture
def world(db: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setattr(report, "JOURNEYS", report.Memo(max_entries=4))
    return load_attribution_world(db)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    calls: list[object] = []
    real = report.load_journeys

    def counted(engine: Engine, query: report.JourneyQuery) -> report.PeriodJourneys:
        calls.append(query)
        return real(engine, query)

    monkeypatch.setattr(report, "load_journeys", counted)
    return calls


async def test_journeys_are_read_once_while_the_data_is_unchanged(
        world: Engine, reads: list[object]) -> None:
    first = await data_of(world, TOTALS)
    assert await data_of(world, TOTALS) == first
    assert len(reads) == 1


async def test_an_import_moves_the_generation_and_the_journeys_are_read_again(
        world: Engine, reads: list[object]) -> None:
    before = await data_of(world, TOTALS)
    stamp = generations(world)
    report_ = ingest_records("orders", [{
        "order_id": "o-new", "customer_id": "u1", "occurred_at": "2026-03-20T12:00:00Z",
        "amount": "55.00", "currency": "USD"}], engine=world)
    assert report_.inserted == 1
    assert dict((kind, n) for kind, n, _ in generations(world))["orders"] == \
        dict((kind, n) for kind, n, _ in stamp)["orders"] + 1
    after = await data_of(world, TOTALS)
    assert len(reads) == 2
    assert after["attribution"]["orders"] == before["attribution"]["orders"] + 1
    # Re-importing the same order changes nothing: the same generation, no new read.
    assert ingest_records("orders", [{
        "order_id": "o-new", "customer_id": "u1", "occurred_at": "2026-03-20T12:00:00Z",
        "amount": "55.00", "currency": "USD"}], engine=world).unchanged == 1
    assert await data_of(world, TOTALS) == after
    assert len(reads) == 2


async def test_a_refused_import_leaves_the_generation(world: Engine) -> None:
    stamp = generations(world)
    with pytest.raises(IngestError):
        ingest_records("messages", [
            {"message_id": "m-good", "campaign_id": "c1", "customer_id": "u1",
             "sent_at": "2026-03-20T12:00:00Z"},
            {"message_id": "m-bad", "campaign_id": "c-none", "customer_id": "u1",
             "sent_at": "2026-03-20T12:00:00Z"}], engine=world)
    assert generations(world) == stamp


def test_every_stored_kind_has_a_generation(world: Engine) -> None:
    kinds = {kind for kind, _, _ in generations(world)}
    assert {"customers", "campaigns", "messages", "events", "orders", "touchpoints"} <= kinds
    assert pl.Series([n for _, n, _ in generations(world)]).min() >= 1
