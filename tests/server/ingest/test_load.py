"""Storing imports: folding events into sends, attribution, rollups, all-or-nothing,
idempotent replays. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from server.db.engine import engine_for
from server.db.models import Campaign, CampaignDailyRollup, Message, Order
from server.db.repository import bulk, rollups
from server.db.repository.rollups import refresh_rollups
from server.ingest import IngestError, ingest_records, load_frame
from tests.server.ingest.conftest import (
    CAMPAIGNS,
    CUSTOMERS,
    EVENTS,
    MESSAGES,
    ORDERS,
    VARIANTS,
    WORLD,
    csv_frame,
    load_csv,
    load_world,
    snapshot,
    table_rows,
)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


def message_state(engine: Engine) -> dict[str, tuple]:
    with Session(engine) as session:
        return {m.message_id: (m.delivered_at, m.bounced_at, m.bounce_type, m.first_open_at,
                               m.open_count, m.machine_open_count, m.first_human_open_at,
                               m.first_click_at, m.click_count, m.unsubscribed_at,
                               m.complained_at, m.conversions, m.revenue)
                for m in session.exec(select(Message)).all()}


EXPECTED_MESSAGES = {
    "m1": (at(1, 9, 0, 5), None, None, at(1, 9, 1), 2, 1, at(1, 12), at(1, 12, 1), 1, None,
           None, 2, Decimal("55.5")),
    "m2": (at(2, 8), None, None, at(2, 8), 1, 0, at(2, 8), None, 0, at(2, 8, 5), None, 0,
           Decimal(0)),
    "m3": (None, at(1, 9, 0, 3), "hard", None, 0, 0, None, None, 0, None, None, 0,
           Decimal(0)),
    "m4": (at(8, 9, 0, 4), None, None, None, 0, 0, None, None, 0, None, None, 1,
           Decimal(20)),
}


def test_world_folds_events_into_sends(world: Engine) -> None:
    assert message_state(world) == EXPECTED_MESSAGES


def test_orders_are_attributed_to_the_last_email_touch(world: Engine) -> None:
    with Session(world) as session:
        orders = {o.order_id: (o.attributed_message_id, o.attributed_campaign_id,
                               o.attributed_touch, o.amount, o.currency)
                  for o in session.exec(select(Order)).all()}
    assert orders == {
        "o1": ("m1", "c1", "click", Decimal("40.0000"), "USD"),
        "o2": ("m1", "c1", "click", Decimal("15.5000"), "USD"),
        "o3": (None, None, None, Decimal("99.9900"), "USD"),
        "o4": ("m4", "c2", "delivery", Decimal("20.0000"), "USD"),
    }


def test_rollups_hold_the_counters_and_equal_a_recomputation(world: Engine) -> None:
    with Session(world) as session:
        rows = {(r.campaign_id, r.variant_id): r for r in
                session.exec(select(CampaignDailyRollup)).all()}
    a, b = rows["c1", "A"], rows["c1", "B"]
    assert (a.sent, a.delivered, a.unique_opens, a.human_unique_opens, a.total_opens,
            a.unique_clicks, a.total_clicks, a.conversions, a.revenue) == (
        1, 1, 1, 1, 2, 1, 1, 2, Decimal("55.5"))
    assert (b.sent, b.delivered, b.bounced, b.hard_bounced, b.soft_bounced, b.unique_opens,
            b.unsubscribed, b.conversions) == (2, 1, 1, 1, 0, 1, 1, 0)
    assert (rows["c2", ""].delivered, rows["c2", ""].conversions) == (1, 1)
    before = snapshot(world)["rollup_campaign_day"]
    with world.begin() as connection:
        refresh_rollups(connection)
    assert snapshot(world)["rollup_campaign_day"] == before


def test_replaying_every_file_changes_nothing(world: Engine) -> None:
    before = snapshot(world)
    for kind, content in WORLD:
        report = load_csv(kind, content, world)
        assert (report.inserted, report.updated, report.rejected) == (0, 0, 0), kind
        assert report.unchanged == report.received, kind
    assert snapshot(world) == before


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_event_order_and_batching_do_not_matter(engine: Engine, seed: int) -> None:
    for kind, content in WORLD[:4]:
        load_csv(kind, content, engine)
    load_csv("orders", ORDERS, engine)  # orders before their events: attributed later
    events = csv_frame(EVENTS)
    order = list(range(events.height))
    random.Random(seed).shuffle(order)
    shuffled = events[order]
    cut = seed * 2
    load_frame("events", shuffled[:cut], engine=engine)
    load_frame("events", shuffled[cut:], engine=engine)
    load_frame("events", shuffled, engine=engine)  # a full replay on top
    assert message_state(engine) == EXPECTED_MESSAGES


def test_a_bad_file_names_every_problem_and_stores_nothing(world: Engine) -> None:
    before = snapshot(world)
    bad = """message_id,campaign_id,variant_id,customer_id,sent_at
m9,c1,A,u1,2026-03-09T09:00:00Z
m10,nope,A,u1,2026-03-09T09:00:00Z
m11,c1,A,u1,yesterday
m12,c1,A,ghost,2026-03-09T09:00:00Z
"""
    with pytest.raises(IngestError) as raised:
        load_csv("messages", bad, world)
    found = [(e.row, e.column, e.value) for e in raised.value.errors]
    # The file-level problem (row 4) is found first; references are checked only when
    # the rows themselves are valid, so rows 3 and 5 come in a second pass.
    assert found == [(4, "sent_at", "yesterday")]
    assert "row 4, column sent_at: value 'yesterday'" in str(raised.value)
    fixed = bad.replace("yesterday", "2026-03-09T09:00:00Z")
    with pytest.raises(IngestError) as raised:
        load_csv("messages", fixed, world)
    assert [(e.row, e.column, e.value, e.message) for e in raised.value.errors] == [
        (3, "campaign_id", "nope", "no campaign has this id; import campaigns first (or fix "
                                   "the campaign_id)"),
        (5, "customer_id", "ghost", "no customer has this id; import customers first (or "
                                    "fix the customer_id)")]
    assert snapshot(world) == before


def test_events_must_match_a_message(world: Engine) -> None:
    before = snapshot(world)
    bad = """event_id,type,occurred_at,message_id,campaign_id,customer_id,email
x1,open,2026-03-02T10:00:00Z,m404,,,
x2,open,2026-03-02T10:00:00Z,m1,c2,,
x3,click,2026-03-02T10:00:00Z,,c2,,nobody@example.com
x4,click,2026-03-02T10:00:00Z,,c2,u2,
"""
    with pytest.raises(IngestError) as raised:
        load_csv("events", bad, world)
    assert [(e.row, e.column, e.value) for e in raised.value.errors] == [
        (2, "message_id", "m404"), (3, "campaign_id", "c2"), (4, "email", "nobody@example.com"),
        (5, "campaign_id", "c2")]
    assert "the message belongs to campaign_id 'c1'" in raised.value.errors[1].message
    assert snapshot(world) == before


def test_events_can_name_campaign_and_email_instead_of_message(world: Engine) -> None:
    report = load_csv("events", """event_id,type,occurred_at,campaign_id,email
x5,click,2026-03-08T10:00:00Z,c2,ana@example.com
""", world)
    assert (report.inserted, report.unchanged) == (1, 0)
    state = message_state(world)["m4"]
    assert (state[7], state[8]) == (at(8, 10), 1)


def test_skip_invalid_stores_the_rest_and_writes_rejects(world: Engine, tmp_path) -> None:
    rejects = tmp_path / "rejects.csv"
    report = load_csv("campaigns", """campaign_id,name,send_at
c3,Summer,2026-06-01T09:00:00Z
c4,,2026-06-02T09:00:00Z
c5,Autumn,not a date
""", world, skip_invalid=True, rejects_path=rejects)
    assert (report.received, report.inserted, report.rejected) == (3, 1, 2)
    assert [(e.row, e.column) for e in report.errors] == [(3, "name"), (4, "send_at")]
    written = pl.read_csv(rejects, infer_schema=False)
    assert written.columns == ["row", "campaign_id", "name", "send_at", "error"]
    assert written["row"].to_list() == ["3", "4"]
    assert written["error"][1].startswith("send_at: expected an ISO-8601 timestamp")
    with Session(world) as session:
        assert session.get(Campaign, "c3") is not None
        assert session.get(Campaign, "c5") is None


def test_skip_invalid_also_skips_rows_with_broken_references(world: Engine) -> None:
    report = load_csv("variants", """campaign_id,variant_id,weight
c2,A,0.5
c9,A,0.5
""", world, skip_invalid=True)
    assert (report.inserted, report.rejected) == (1, 1)
    assert [(e.row, e.column, e.value) for e in report.errors] == [(3, "campaign_id", "c9")]


def test_changed_rows_are_updated_and_counted(world: Engine) -> None:
    changed = CAMPAIGNS.replace("Spring Sale", "Spring Sale (resent)")
    report = load_csv("campaigns", changed, world)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    with Session(world) as session:
        assert session.get(Campaign, "c1").name == "Spring Sale (resent)"


def test_moving_a_send_to_another_campaign_refreshes_both(world: Engine) -> None:
    load_csv("messages", MESSAGES.replace("m2,c1,B", "m2,c2,"), world)
    rollups = dict(((c, v), sent) for c, v, sent in table_rows(
        world, "SELECT campaign_id, variant_id, sum(sent) FROM rollup_campaign_day "
               "GROUP BY campaign_id, variant_id"))
    assert rollups == {("c1", "A"): 1, ("c1", "B"): 1, ("c2", ""): 2}


def test_records_are_numbered_from_one(engine: Engine) -> None:
    load_csv("customers", CUSTOMERS, engine)
    with pytest.raises(IngestError) as raised:
        ingest_records("customers", [
            {"customer_id": "u7", "email": "u7@example.com"},
            {"customer_id": "u8", "email": "not-an-email"},
            {"customer_id": "u9", "email": "ana@example.com"},
        ], engine=engine)
    assert [(e.row, e.column) for e in raised.value.errors] == [(2, "email")]
    report = ingest_records("customers", [{"customer_id": "u7", "email": "U7@Example.com"}],
                            engine=engine)
    assert report.inserted == 1
    assert table_rows(engine, "SELECT email, email_domain FROM customer "
                              "WHERE customer_id = 'u7'") == [("u7@example.com", "example.com")]


def test_load_world_twice_from_scratch_is_deterministic(engine: Engine) -> None:
    load_world(engine)
    first = snapshot(engine)
    assert first["email_event"][0][:3] == ("e1", "delivered", first["email_event"][0][2])
    assert len(first["email_event"]) == 9
    assert VARIANTS.count("\n") - 1 == len(first["campaign_variant"])


def test_campaign_content_is_stored_with_its_counts(engine: Engine) -> None:
    body = '<p>Spring picks</p><a class="cta" href="/s">Shop</a><img src="a.png">'
    frame = pl.DataFrame({"campaign_id": ["c1", "c2"], "name": ["Spring", "News"],
                          "html": [body, None], "template_type": ["product_grid", None]})
    load_frame("campaigns", frame, engine=engine)

    assert table_rows(engine, "SELECT campaign_id, template_type, content_length, "
                              "link_count, image_count, cta_count FROM campaign "
                              "ORDER BY campaign_id") == [
        ("c1", "product_grid", 17, 1, 1, 1), ("c2", None, None, None, None, None)]
    # Re-importing without the content columns keeps the row's identity and clears them.
    load_csv("campaigns", CAMPAIGNS, engine)
    assert table_rows(engine, "SELECT html, link_count FROM campaign WHERE campaign_id = "
                              "'c1'") == [(None, None)]


def _indexes(engine: Engine) -> list[tuple[object, ...]]:
    """The indexes large imports rebuild: those of the sends and of the ledger."""
    return table_rows(engine, "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                              "AND tbl_name IN ('message', 'email_event') ORDER BY name")


def test_large_imports_rebuild_their_indexes_and_store_the_same(
        sqlite_template: Path, sqlite_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    reference = tmp_path / "reference.db"
    shutil.copy(sqlite_template, reference)
    plain = engine_for(f"sqlite:///{reference}")
    load_world(plain)  # 4 sends, 9 events: far below the rebuild threshold
    rebuilt = engine_for(sqlite_url)
    dropped: list[str] = []

    @event.listens_for(rebuilt, "before_cursor_execute")
    def record(_c: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("DROP INDEX"):
            dropped.append(statement)

    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 1)
    load_world(rebuilt)
    assert dropped == ['DROP INDEX "ix_message_customer_id"',
                       'DROP INDEX "ix_email_event_message_id"']
    assert snapshot(rebuilt) == snapshot(plain)
    assert _indexes(rebuilt) == _indexes(plain)
    assert load_csv("events", EVENTS, rebuilt).unchanged == 9  # a replay: nothing appended
    assert snapshot(rebuilt) == snapshot(plain)
    event.remove(rebuilt, "before_cursor_execute", record)


@pytest.mark.parametrize("kind", ["messages", "events"])
def test_a_failed_import_keeps_the_indexes(sqlite_url: str, kind: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    engine = engine_for(sqlite_url)
    files = dict(WORLD)
    for earlier, content in WORLD[:[name for name, _ in WORLD].index(kind)]:
        load_csv(earlier, content, engine)
    before, indexes = snapshot(engine), _indexes(engine)
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 1)

    def broken(*_: object) -> None:
        raise RuntimeError("rollups failed")

    monkeypatch.setattr(rollups, "refresh_rollups", broken)
    with pytest.raises(RuntimeError, match="rollups failed"):
        load_csv(kind, files[kind], engine)
    assert snapshot(engine) == before
    assert _indexes(engine) == indexes
