"""The attribution runner: the period's journeys are read once while the data is unchanged,
and read again after any import, on both databases.

On the demo data, Markov and Shapley channel shares land near the known channel effects.

The generator knows why each order happened: a repeat purchase (no marketing cause), an
email click, a touchpoint of a channel (web, paid, sms, ...) or paid media reaching the
customer through a channel's touchpoint. Every caused order follows its touch within a
day, so with a one-day lookback and clicks as the email touches, the journeys hold
mostly caused orders, and the models' shares should match each channel's share of them.

Reached with seed 7, 2,000 customers over 60 days (~270 caused orders): both models
within 0.035 of the true share for every channel (largest gaps: Markov 0.031, Shapley
0.031). With the defaults (30-day lookback, opens and clicks) the largest gap is 0.08:
repeat purchases, nine orders in ten, then collect whatever touches came before them,
which no model can tell from a cause."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

import server.runners.attribution as report
from server.db.engine import engine_for
from server.db.repository.changes import generations
from server.demo import load_demo
from server.ingest import IngestError, ingest_records
from server.runners.attribution import JourneyQuery, ModelParams, attribution_rows, load_journeys
from tests.schema.conftest import data_of
from tests.worlds.attribution import load_attribution_world

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


TOLERANCE = 0.035


def true_shares(truth: dict) -> dict[str, float]:
    orders = truth["orders"]
    caused = {channel: float(effect["orders"])
              for channel, effect in orders["touch_channels"].items()}
    for media in orders["media"].values():
        if media["channel"] is not None:  # email media reaches people without a touch
            caused[media["channel"]] = caused.get(media["channel"], 0.0) + media["orders"]
    caused["email"] = float(orders["sources"]["email_click"]["orders"])
    total = sum(caused.values())
    return {channel: count / total for channel, count in caused.items()}


@pytest.fixture(scope="module")
def demo(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory,
         ) -> Iterator[tuple[Engine, dict]]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    engine = engine_for(f"sqlite:///{path}")
    try:
        yield engine, load_demo(engine, customers=2000, days=60).truth
    finally:
        engine.dispose()


@pytest.mark.parametrize("model", ["markov", "shapley"])
def test_channel_shares_near_the_truth(demo: tuple[Engine, dict], model: str) -> None:
    engine, truth = demo
    period = load_journeys(engine, JourneyQuery(lookback_days=1, email_kinds=("click",)))
    rows = attribution_rows(period.journeys, [model], key="channel", params=ModelParams())
    shares = dict(zip(rows["key"], rows["share"], strict=True))
    expected = true_shares(truth)
    assert set(shares) == set(expected)
    gaps = {channel: abs(shares[channel] - expected[channel]) for channel in expected}
    assert max(gaps.values()) <= TOLERANCE, gaps
